package agent

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/droverhq/drover/rpc/tlstest"
)

// testPKI is a CA with a server and a CLI certificate, and a certificate
// of another CA, as PEM files.
type testPKI struct {
	dir                     string // a directory for other files
	ca                      string
	server, serverKey       string
	cli, cliKey             string
	foreignCert, foreignKey string // signed by another CA
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	ca := tlstest.NewCA(t, "ca")
	p := &testPKI{dir: t.TempDir(), ca: ca.File}
	p.server, p.serverKey = ca.Issue("server", "server.global.drover", "localhost")
	p.cli, p.cliKey = ca.Issue("cli", "cli.global.drover")
	p.foreignCert, p.foreignKey = tlstest.NewCA(t, "other").Issue("foreign", "server.global.drover")
	return p
}

func TestParseConfigTLS(t *testing.T) {
	src := `
tls {
  http = true
  rpc  = true
  ca_file   = "ca.pem"
  cert_file = "server.pem"
  key_file  = "server-key.pem"
  verify_server_hostname = true
  verify_https_client    = true
}`
	c, err := ParseConfig("agent.hcl", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := TLSConfig{HTTP: true, RPC: true, CAFile: "ca.pem", CertFile: "server.pem", KeyFile: "server-key.pem",
		VerifyServerHostname: true, VerifyHTTPSClient: true}
	if c.TLS == nil || *c.TLS != want {
		t.Fatalf("got tls %+v, want %+v", c.TLS, want)
	}
	j, err := ParseConfig("agent.json", []byte(`{"tls": {"rpc": true, "ca_file": "ca.pem"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if j.TLS == nil || !j.TLS.RPC || j.TLS.CAFile != "ca.pem" {
		t.Fatalf("got JSON tls %+v, want rpc = true, ca_file = ca.pem", j.TLS)
	}
	if _, err := ParseConfig("agent.hcl", []byte("tls {\n  verify_incoming = true\n}")); err == nil || !strings.Contains(err.Error(), "verify_incoming") {
		t.Fatalf("unknown tls key: got %v, want an error naming verify_incoming", err)
	}
}

func TestMergeTLS(t *testing.T) {
	base := &Config{TLS: &TLSConfig{RPC: true, CAFile: "a.pem", CertFile: "c.pem"}}
	out := DefaultConfig().Merge(base).Merge(&Config{TLS: &TLSConfig{HTTP: true, CertFile: "d.pem"}})
	want := TLSConfig{HTTP: true, RPC: true, CAFile: "a.pem", CertFile: "d.pem"}
	if out.TLS == nil || *out.TLS != want {
		t.Fatalf("got %+v, want %+v", out.TLS, want)
	}
	if base.TLS.CertFile != "c.pem" || base.TLS.HTTP {
		t.Fatalf("Merge changed its input: %+v", base.TLS)
	}
	if DefaultConfig().Merge(&Config{}).TLS != nil {
		t.Fatal("a config without a tls block got one")
	}
}

func TestValidateTLS(t *testing.T) {
	p := newTestPKI(t)
	tests := []struct {
		name string
		tls  TLSConfig
		want []string // "" entries: no error
	}{
		{"valid", TLSConfig{RPC: true, HTTP: true, CAFile: p.ca, CertFile: p.server, KeyFile: p.serverKey}, nil},
		{"off", TLSConfig{CAFile: "/nonexistent"}, nil},
		{"rpc without files", TLSConfig{RPC: true}, []string{"tls.ca_file is required", "tls.cert_file is required", "tls.key_file is required"}},
		{"missing cert file", TLSConfig{RPC: true, CAFile: p.ca, CertFile: filepath.Join(p.dir, "nope.pem"), KeyFile: p.serverKey},
			[]string{"tls.cert_file", "nope.pem", "no such file", "drover tls cert create"}},
		{"key mismatch", TLSConfig{RPC: true, CAFile: p.ca, CertFile: p.server, KeyFile: p.cliKey},
			[]string{"tls.key_file", "do not form a key pair"}},
		{"cert not signed by the CA", TLSConfig{RPC: true, CAFile: p.ca, CertFile: p.foreignCert, KeyFile: p.foreignKey},
			[]string{"tls.cert_file", "is not signed by the CA in tls.ca_file"}},
		{"https alone without a CA", TLSConfig{HTTP: true, CertFile: p.server, KeyFile: p.serverKey}, nil},
		{"https without a cert", TLSConfig{HTTP: true}, []string{"tls.http = true needs tls.cert_file and tls.key_file"}},
		{"verify_https_client without a CA", TLSConfig{HTTP: true, VerifyHTTPSClient: true, CertFile: p.server, KeyFile: p.serverKey},
			[]string{"tls.verify_https_client = true needs tls.ca_file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DevConfig()
			tls := tt.tls
			cfg.TLS = &tls
			err := cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

// httpsClient trusts p's CA and presents cert (none when cert is "").
func (p *testPKI) httpsClient(t *testing.T, cert, key string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(p.ca)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cfg := &tls.Config{RootCAs: pool}
	if cert != "" {
		kp, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{kp}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
}

// An agent with tls { http rpc verify_https_client } serves HTTPS only to
// clients with a certificate of the CA, and its own client reaches its
// server over mutual TLS (the node registers and turns ready).
func TestAgentTLS(t *testing.T) {
	p := newTestPKI(t)
	a := testAgent(t, func(c *Config) {
		c.TLS = &TLSConfig{HTTP: true, RPC: true, CAFile: p.ca, CertFile: p.server, KeyFile: p.serverKey,
			VerifyServerHostname: true, VerifyHTTPSClient: true}
	})
	if !strings.HasPrefix(a.HTTPAddr(), "https://") {
		t.Fatalf("HTTPAddr() = %q, want https://", a.HTTPAddr())
	}
	withCert := p.httpsClient(t, p.cli, p.cliKey)
	waitFor(t, func() error {
		resp, err := withCert.Get(a.HTTPAddr() + "/v1/nodes")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"ready"`) {
			return fmt.Errorf("GET /v1/nodes: %s %s: want a ready node", resp.Status, body)
		}
		return nil
	})
	if _, err := p.httpsClient(t, "", "").Get(a.HTTPAddr() + "/v1/nodes"); err == nil {
		t.Fatal("HTTPS without a client certificate succeeded, want it refused")
	}
	resp, err := http.Get("http://" + strings.TrimPrefix(a.HTTPAddr(), "https://") + "/v1/nodes")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP got 200, want it refused")
		}
	}
}
