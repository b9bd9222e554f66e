package rpc

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/droverhq/drover/rpc/tlstest"
	"github.com/droverhq/drover/structs"
)

// config is a TLSConfig for a new certificate of ca.
func config(ca *tlstest.CA, name string, verifyHost bool, dnsNames ...string) *TLSConfig {
	cert, key := ca.Issue(name, dnsNames...)
	return &TLSConfig{CAFile: ca.File, CertFile: cert, KeyFile: key, VerifyServerHostname: verifyHost, Region: "global"}
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
	ca := tlstest.NewCA(t, "ca")
	other := tlstest.NewCA(t, "other-ca")
	server := mustLoad(t, config(ca, "server", true, "server.global.drover", "server.global.nomad", "localhost"))
	addr := serveTLS(t, server)

	noCert := grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"}))
	stranger := mustLoad(t, config(other, "stranger", false, "client.global.drover"))
	tests := []struct {
		name    string
		dial    grpc.DialOption
		wantErr string // "" means the call must succeed
	}{
		{"client cert of the CA, hostname verified", mustLoad(t, config(ca, "client", true, "client.global.drover")).DialOption(), ""},
		{"server cert dialing another server", server.DialOption(), ""},
		{"plaintext dialer", (*TLS)(nil).DialOption(), "Unavailable"},
		{"dialer without a certificate", noCert, "Unavailable"},
		// trusts the server and sends a certificate the server must reject
		// (Go's own client would send none, as the server names its CA)
		{"client cert of another CA", grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: ca.Pool(), ServerName: "localhost",
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &stranger.cert, nil }})),
			"Unavailable"}, // the alert races the client's first write: the message varies
		{"dialer trusting only another CA", (&TLS{pool: other.Pool(), cert: server.cert}).DialOption(), "not trusted by tls.ca_file"},
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

func TestVerifyServerHostname(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	client := config(ca, "client", true, "client.global.drover")
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
			addr := serveTLS(t, mustLoad(t, config(ca, "server"+string(rune('a'+i)), false, tt.serverDNS...)))
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
	ca := tlstest.NewCA(t, "ca")
	other := tlstest.NewCA(t, "other")
	good := config(ca, "agent", true, "server.global.drover")
	foreign := config(other, "foreign", true, "server.global.drover")
	_, otherKey := ca.Issue("second", "server.global.drover")
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
		{"missing cert file", TLSConfig{CAFile: ca.File, CertFile: "/nonexistent/cert.pem", KeyFile: good.KeyFile},
			[]string{"tls.cert_file", "drover tls cert create"}},
		{"key of another certificate", TLSConfig{CAFile: ca.File, CertFile: good.CertFile, KeyFile: otherKey},
			[]string{"tls.cert_file", "tls.key_file", "do not form a key pair"}},
		{"cert not signed by the CA", TLSConfig{CAFile: ca.File, CertFile: foreign.CertFile, KeyFile: foreign.KeyFile},
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
