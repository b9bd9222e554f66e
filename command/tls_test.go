package command

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
)

// readCert parses the first PEM certificate of path.
func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "CERTIFICATE" {
		t.Fatalf("%s: got no PEM CERTIFICATE block", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

// wantP256KeyFile checks that path is a 0600 ECDSA P-256 key of cert.
func wantP256KeyFile(t *testing.T, path string, cert *x509.Certificate) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s: mode %v, want 0600", path, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	key, err := parseKey(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		t.Fatalf("%s: got a %T, want an ECDSA P-256 key", path, key)
	}
	if !publicKeysEqual(cert.PublicKey, key.Public()) {
		t.Fatalf("%s is not the key of its certificate", path)
	}
}

func TestTLSCACreate(t *testing.T) {
	t.Chdir(t.TempDir())
	r := runCLI(t, "", "", "tls", "ca", "create", "-days", "30")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "drover-agent-ca.pem", "drover-agent-ca-key.pem")
	ca := readCert(t, "drover-agent-ca.pem")
	if !ca.IsCA || ca.CheckSignatureFrom(ca) != nil {
		t.Fatalf("got IsCA=%v, self-signed=%v; want a self-signed CA", ca.IsCA, ca.CheckSignatureFrom(ca) == nil)
	}
	if days := ca.NotAfter.Sub(ca.NotBefore).Hours() / 24; days < 29.9 || days > 30.1 {
		t.Errorf("CA valid for %.1f days, want 30", days)
	}
	wantP256KeyFile(t, "drover-agent-ca-key.pem", ca)

	before, _ := os.ReadFile("drover-agent-ca.pem")
	r = runCLI(t, "", "", "tls", "ca", "create")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "drover-agent-ca.pem already exists")
	if after, _ := os.ReadFile("drover-agent-ca.pem"); string(after) != string(before) {
		t.Fatal("a second ca create changed the CA file, want it refused")
	}

	wantCode(t, runCLI(t, "", "", "tls", "ca", "create", "-domain", "acme"), 0)
	if _, err := os.Stat("acme-agent-ca.pem"); err != nil {
		t.Fatalf("-domain acme: %v", err)
	}
}

func TestTLSCertCreate(t *testing.T) {
	t.Chdir(t.TempDir())
	wantCode(t, runCLI(t, "", "", "tls", "ca", "create"), 0)
	ca := readCert(t, "drover-agent-ca.pem")
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	tests := []struct {
		name      string
		args      []string
		file      string
		dns       []string
		ips       []string
		usage     []x509.ExtKeyUsage
		wantNoUse x509.ExtKeyUsage // a usage the certificate must not have; 0 for none
	}{
		{"server", []string{"-server"}, "global-server-drover",
			[]string{"server.global.drover", "server.global.nomad", "localhost"}, []string{"127.0.0.1"},
			[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, 0},
		{"server of a region with extra names", []string{"-server", "-region", "eu", "-dc", "west",
			"-additional-dnsname", "drover.example.com", "-additional-ipaddress", "10.0.0.5"}, "eu-server-drover",
			[]string{"server.eu.drover", "server.eu.nomad", "localhost", "drover.example.com"}, []string{"127.0.0.1", "10.0.0.5"},
			[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, 0},
		{"client", []string{"-client"}, "global-client-drover",
			[]string{"client.global.drover", "client.global.nomad", "localhost"}, []string{"127.0.0.1"},
			[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, 0},
		{"cli", []string{"-cli"}, "global-cli-drover",
			[]string{"cli.global.drover", "localhost"}, nil,
			[]x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, x509.ExtKeyUsageServerAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", "", append([]string{"tls", "cert", "create"}, tt.args...)...)
			wantCode(t, r, 0)
			wantContains(t, "stdout", r.stdout, tt.file+".pem", tt.file+"-key.pem")
			cert := readCert(t, tt.file+".pem")
			wantP256KeyFile(t, tt.file+"-key.pem", cert)
			for _, u := range tt.usage {
				if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{u}}); err != nil {
					t.Errorf("verify against the CA for usage %v: %v", u, err)
				}
			}
			if tt.wantNoUse != 0 && slices.Contains(cert.ExtKeyUsage, tt.wantNoUse) {
				t.Errorf("got usages %v, want no %v", cert.ExtKeyUsage, tt.wantNoUse)
			}
			if !slices.Equal(cert.DNSNames, tt.dns) {
				t.Errorf("got DNS names %v, want %v", cert.DNSNames, tt.dns)
			}
			var ips []string
			for _, ip := range cert.IPAddresses {
				ips = append(ips, ip.String())
			}
			if !slices.Equal(ips, tt.ips) {
				t.Errorf("got IPs %v, want %v", ips, tt.ips)
			}
			if cert.CheckSignatureFrom(ca) != nil {
				t.Error("certificate is not signed by the CA")
			}
		})
	}
	r := runCLI(t, "", "", "tls", "cert", "create", "-server")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "global-server-drover.pem already exists")
}

func TestTLSCertCreateErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no kind", nil, "exactly one of -server, -client or -cli"},
		{"two kinds", []string{"-server", "-cli"}, "exactly one of -server, -client or -cli"},
		{"no CA", []string{"-server"}, "drover tls ca create"},
		{"bad IP", []string{"-server", "-additional-ipaddress", "nope"}, `"nope" is not an IP address`},
		{"CA key of another CA", []string{"-server", "-ca", "a/drover-agent-ca.pem", "-key", "b/drover-agent-ca-key.pem"}, "is not the key of CA certificate"},
	}
	for _, d := range []string{"a", "b"} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Chdir(d)
		wantCode(t, runCLI(t, "", "", "tls", "ca", "create"), 0)
		t.Chdir("..")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", "", append([]string{"tls", "cert", "create"}, tt.args...)...)
			wantCode(t, r, 1)
			wantContains(t, "stderr", r.stderr, tt.want)
		})
	}
}

// The global TLS flags and DROVER_* variables reach an HTTPS agent that
// requires a client certificate.
func TestTLSGlobalFlags(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{{"ca", "create"}, {"cert", "create", "-server"}, {"cert", "create", "-cli"}} {
		wantCode(t, runCLI(t, "", "", append([]string{"tls"}, args...)...), 0)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("[]"))
	}))
	kp, err := tls.LoadX509KeyPair("global-server-drover.pem", "global-server-drover-key.pem")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(readCert(t, "drover-agent-ca.pem"))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{kp}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.Listener.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.StartTLS()
	defer srv.Close()

	certFlags := []string{"-ca-cert", "drover-agent-ca.pem", "-client-cert", "global-cli-drover.pem", "-client-key", "global-cli-drover-key.pem"}
	wantCode(t, runCLI(t, srv.URL, "", append([]string{"node", "status"}, certFlags...)...), 0)

	r := runCLI(t, srv.URL, "", "node", "status", "-ca-cert", "drover-agent-ca.pem")
	wantCode(t, r, 1)
	wantContains(t, "stderr without a client certificate", r.stderr, "certificate required")

	r = runCLI(t, srv.URL, "", "node", "status")
	wantCode(t, r, 1)
	wantContains(t, "stderr without the CA", r.stderr, "certificate")

	r = runCLI(t, srv.URL, "", "node", "status", "-tls-server-name", "server.global.drover", "-ca-cert", "drover-agent-ca.pem",
		"-client-cert", "global-cli-drover.pem", "-client-key", "global-cli-drover-key.pem")
	wantCode(t, r, 0)
	r = runCLI(t, srv.URL, "", "node", "status", "-tls-server-name", "elsewhere.example.com", "-ca-cert", "drover-agent-ca.pem",
		"-client-cert", "global-cli-drover.pem", "-client-key", "global-cli-drover-key.pem")
	wantCode(t, r, 1)
	wantContains(t, "stderr with a wrong -tls-server-name", r.stderr, "elsewhere.example.com")

	t.Setenv("DROVER_CACERT", "drover-agent-ca.pem")
	t.Setenv("DROVER_CLIENT_CERT", "global-cli-drover.pem")
	t.Setenv("DROVER_CLIENT_KEY", "global-cli-drover-key.pem")
	wantCode(t, runCLI(t, srv.URL, "", "node", "status"), 0)
	t.Setenv("DROVER_CACERT", "")
	t.Setenv("DROVER_SKIP_VERIFY", "true")
	wantCode(t, runCLI(t, srv.URL, "", "node", "status"), 0)
}
