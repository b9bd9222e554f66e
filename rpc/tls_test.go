package rpc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/droverhq/drover/structs"
)

// testCA is a throwaway certificate authority writing PEM files to dir.
type testCA struct {
	t    *testing.T
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	file string // the CA certificate's PEM file
}

var serial int64

func newSerial() *big.Int { serial++; return big.NewInt(serial) }

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: newSerial(), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{t: t, dir: t.TempDir(), cert: cert, key: key}
	ca.file = ca.write(name+".pem", "CERTIFICATE", der)
	return ca
}

func (ca *testCA) write(name, typ string, der []byte) string {
	path := filepath.Join(ca.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		ca.t.Fatal(err)
	}
	return path
}

// issue signs a certificate for dnsNames and returns its cert and key files.
func (ca *testCA) issue(name string, dnsNames ...string) (string, string) {
	ca.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		ca.t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: newSerial(), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    dnsNames, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		ca.t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		ca.t.Fatal(err)
	}
	return ca.write(name+".pem", "CERTIFICATE", der), ca.write(name+"-key.pem", "EC PRIVATE KEY", keyDER)
}

// config is a TLSConfig for a certificate of this CA.
func (ca *testCA) config(name string, verifyHost bool, dnsNames ...string) *TLSConfig {
	cert, key := ca.issue(name, dnsNames...)
	return &TLSConfig{CAFile: ca.file, CertFile: cert, KeyFile: key, VerifyServerHostname: verifyHost, Region: "global"}
}

func mustLoad(t *testing.T, cfg *TLSConfig) *TLS {
	t.Helper()
	tl, err := LoadTLS(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// serveTLS serves NodeRegister with srvTLS's credentials and returns the
// address.
func serveTLS(t *testing.T, srvTLS *TLS) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(srvTLS.ServerOption())
	srv.RegisterService(ServiceDesc(map[string]Handler{
		NodeRegister: func(ctx context.Context, decode func(interface{}) error) (interface{}, error) {
			var req structs.NodeRegisterRequest
			if err := decode(&req); err != nil {
				return nil, err
			}
			return &structs.NodeUpdateResponse{Servers: []string{req.Node.Name}}, nil
		},
	}), nil)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// call dials addr with opt and makes one call, returning its error.
func call(t *testing.T, addr string, opt grpc.DialOption) error {
	t.Helper()
	conn, err := grpc.NewClient(addr, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var resp structs.NodeUpdateResponse
	err = Call(ctx, conn, NodeRegister, &structs.NodeRegisterRequest{Node: &structs.Node{Name: "n1"}}, &resp)
	if err == nil && (len(resp.Servers) != 1 || resp.Servers[0] != "n1") {
		t.Fatalf("got %+v, want servers [n1]", resp)
	}
	return err
}

func TestMutualTLS(t *testing.T) {
	ca := newTestCA(t, "ca")
	other := newTestCA(t, "other-ca")
	server := mustLoad(t, ca.config("server", true, "server.global.drover", "server.global.nomad", "localhost"))
	addr := serveTLS(t, server)

	noCert := grpc.WithTransportCredentials(credentialsNoCert(ca))
	stranger := mustLoad(t, other.config("stranger", false, "client.global.drover"))
	tests := []struct {
		name    string
		dial    grpc.DialOption
		wantErr string // "" means the call must succeed
	}{
		{"client cert of the CA, hostname verified", mustLoad(t, ca.config("client", true, "client.global.drover")).DialOption(), ""},
		{"server cert dialing another server", server.DialOption(), ""},
		{"plaintext dialer", (*TLS)(nil).DialOption(), "Unavailable"},
		{"dialer without a certificate", noCert, "certificate required"},
		// trusts the server and sends a certificate the server must reject
		// (Go's own client would send none, as the server names its CA)
		{"client cert of another CA", grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: ca.pool(), ServerName: "localhost",
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &stranger.cert, nil }})),
			"Unavailable"}, // the alert races the client's first write: the message varies
		{"dialer trusting only another CA", (&TLS{pool: other.pool(), cert: server.cert}).DialOption(), "not trusted by tls.ca_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := call(t, addr, tt.dial)
			t.Logf("call: %v", err)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("call: got %v, want success", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("call succeeded, want an error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

// credentialsNoCert trusts ca but presents no certificate.
func credentialsNoCert(ca *testCA) credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{RootCAs: ca.pool(), ServerName: "localhost"})
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

func TestVerifyServerHostname(t *testing.T) {
	ca := newTestCA(t, "ca")
	client := ca.config("client", true, "client.global.drover")
	tests := []struct {
		name       string
		serverDNS  []string
		verifyHost bool
		ok         bool
	}{
		{"drover name", []string{"server.global.drover"}, true, true},
		{"nomad name", []string{"server.global.nomad"}, true, true},
		{"client cert posing as a server", []string{"client.global.drover"}, true, false},
		{"server of another region", []string{"server.eu.drover"}, true, false},
		{"any name without verify_server_hostname", []string{"client.global.drover"}, false, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := serveTLS(t, mustLoad(t, ca.config("server"+string(rune('a'+i)), false, tt.serverDNS...)))
			c := *client
			c.VerifyServerHostname = tt.verifyHost
			err := call(t, addr, mustLoad(t, &c).DialOption())
			if tt.ok && err != nil {
				t.Fatalf("got %v, want success", err)
			}
			if !tt.ok && (err == nil || !strings.Contains(err.Error(), "verify_server_hostname")) {
				t.Fatalf("got %v, want a verify_server_hostname error", err)
			}
		})
	}
}

func TestLoadTLSErrors(t *testing.T) {
	ca := newTestCA(t, "ca")
	other := newTestCA(t, "other")
	good := ca.config("agent", true, "server.global.drover")
	foreign := other.config("foreign", true, "server.global.drover")
	_, otherKey := ca.issue("second", "server.global.drover")
	tests := []struct {
		name string
		cfg  TLSConfig
		want []string
	}{
		{"nothing set", TLSConfig{}, []string{"tls.ca_file is required", "tls.cert_file is required", "tls.key_file is required"}},
		{"missing CA file", TLSConfig{CAFile: "/nonexistent/ca.pem", CertFile: good.CertFile, KeyFile: good.KeyFile},
			[]string{"tls.ca_file", "/nonexistent/ca.pem", "drover tls ca create"}},
		{"CA file is a key", TLSConfig{CAFile: good.KeyFile, CertFile: good.CertFile, KeyFile: good.KeyFile},
			[]string{"tls.ca_file", "holds no PEM certificate"}},
		{"missing cert file", TLSConfig{CAFile: ca.file, CertFile: "/nonexistent/cert.pem", KeyFile: good.KeyFile},
			[]string{"tls.cert_file", "drover tls cert create"}},
		{"key of another certificate", TLSConfig{CAFile: ca.file, CertFile: good.CertFile, KeyFile: otherKey},
			[]string{"tls.cert_file", "tls.key_file", "do not form a key pair"}},
		{"cert not signed by the CA", TLSConfig{CAFile: ca.file, CertFile: foreign.CertFile, KeyFile: foreign.KeyFile},
			[]string{"is not signed by the CA in tls.ca_file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			_, err := LoadTLS(&cfg)
			if err == nil {
				t.Fatalf("LoadTLS succeeded, want an error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it to contain %q", err, w)
				}
			}
		})
	}
	if tl, err := LoadTLS(nil); tl != nil || err != nil {
		t.Fatalf("LoadTLS(nil) = %v, %v; want nil, nil (plaintext)", tl, err)
	}
}
