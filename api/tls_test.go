package api

import (
	"bytes"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// caFile writes the certificate of an httptest TLS server as a PEM file.
func caFile(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestHTTPSWithCACert(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`"10.0.0.1:8647"`))
	}))
	defer srv.Close()

	c, err := NewClient(&Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Status().Leader(); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA: got %v, want a certificate error", err)
	}
	t.Setenv(EnvCACert, caFile(t, srv))
	t.Setenv(EnvAddress, srv.URL)
	c, err = NewClient(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if leader, err := c.Status().Leader(); err != nil || leader != "10.0.0.1:8647" {
		t.Fatalf("with %s: got %q, %v; want the leader", EnvCACert, leader, err)
	}
}

func TestTLSConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  TLSConfig
		want string
	}{
		{"missing CA", TLSConfig{CACert: "/nonexistent/ca.pem"}, "-ca-cert / DROVER_CACERT"},
		{"cert without key", TLSConfig{ClientCert: "c.pem"}, "needs both -client-cert"},
		{"missing cert", TLSConfig{ClientCert: "/nonexistent/c.pem", ClientKey: "/nonexistent/k.pem"}, "-client-cert / DROVER_CLIENT_CERT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			_, err := NewClient(&Config{Address: "https://127.0.0.1:8646", TLSConfig: &cfg})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestExecOverHTTPS(t *testing.T) {
	var seen http.Request
	srv := httptest.NewTLSServer(execServer(t, &seen))
	defer srv.Close()
	c, err := NewClient(&Config{Address: srv.URL, TLSConfig: &TLSConfig{CACert: caFile(t, srv)}})
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code, err := c.Allocations().Exec("a1", []string{"cat"}, &ExecOptions{
		Task: "web", Stdin: strings.NewReader("hello"), Stdout: &stdout, Stderr: &stderr,
	}, nil)
	if err != nil || code != 3 || stdout.String() != "HELLO" {
		t.Fatalf("exec over https: got code %d, stdout %q, err %v; want 3, HELLO, nil", code, stdout.String(), err)
	}
}
