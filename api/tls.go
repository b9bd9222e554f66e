package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
)

// Environment variables of the client's TLS settings (Nomad's NOMAD_CACERT
// and friends, with drover's prefix).
const (
	EnvCACert        = "DROVER_CACERT"
	EnvClientCert    = "DROVER_CLIENT_CERT"
	EnvClientKey     = "DROVER_CLIENT_KEY"
	EnvTLSServerName = "DROVER_TLS_SERVER_NAME"
	EnvSkipVerify    = "DROVER_SKIP_VERIFY"
)

// TLSConfig configures HTTPS to an agent whose tls block has http = true.
type TLSConfig struct {
	// CACert is a PEM file of the CA that signed the agent's certificate;
	// empty uses the system's roots.
	CACert string
	// ClientCert and ClientKey are the PEM certificate and key presented to
	// an agent with verify_https_client (`drover tls cert create -cli`).
	ClientCert string
	ClientKey  string
	// TLSServerName is the name checked against the agent's certificate
	// instead of the address's host (e.g. server.global.drover).
	TLSServerName string
	// Insecure skips verifying the agent's certificate. Tests only.
	Insecure bool
}

// empty reports whether t sets nothing.
func (t *TLSConfig) empty() bool { return t == nil || *t == TLSConfig{} }

// tlsFromEnv reads the DROVER_* TLS variables; nil when none is set.
func tlsFromEnv() *TLSConfig {
	t := &TLSConfig{
		CACert:        os.Getenv(EnvCACert),
		ClientCert:    os.Getenv(EnvClientCert),
		ClientKey:     os.Getenv(EnvClientKey),
		TLSServerName: os.Getenv(EnvTLSServerName),
	}
	if v := os.Getenv(EnvSkipVerify); v != "" {
		t.Insecure, _ = strconv.ParseBool(v)
	}
	if t.empty() {
		return nil
	}
	return t
}

// ClientTLS builds the crypto/tls config of t; errors name the setting
// (flag and environment variable) and the fix.
func (t *TLSConfig) ClientTLS() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.TLSServerName, InsecureSkipVerify: t.Insecure}
	if t.CACert != "" {
		pem, err := os.ReadFile(t.CACert)
		if err != nil {
			return nil, fmt.Errorf("CA certificate (-ca-cert / %s): %w", EnvCACert, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA certificate (-ca-cert / %s) %s holds no PEM certificate: use the CA's certificate (drover-agent-ca.pem), not its key", EnvCACert, t.CACert)
		}
		cfg.RootCAs = pool
	}
	if (t.ClientCert == "") != (t.ClientKey == "") {
		return nil, fmt.Errorf("a client certificate needs both -client-cert (%s) and -client-key (%s)", EnvClientCert, EnvClientKey)
	}
	if t.ClientCert != "" {
		cert, err := tls.LoadX509KeyPair(t.ClientCert, t.ClientKey)
		if err != nil {
			return nil, fmt.Errorf("client certificate (-client-cert / %s, -client-key / %s): %w", EnvClientCert, EnvClientKey, err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// withTLS returns an HTTP client like hc (nil: a new one) whose transport
// uses tc.
func withTLS(hc *http.Client, tc *tls.Config) (*http.Client, error) {
	out := &http.Client{}
	if hc != nil {
		*out = *hc
	}
	var tr *http.Transport
	switch base := out.Transport.(type) {
	case nil:
		tr = http.DefaultTransport.(*http.Transport).Clone()
	case *http.Transport:
		tr = base.Clone()
	default:
		return nil, fmt.Errorf("TLS settings need an *http.Transport, and the HTTPClient has a %T: configure its TLS yourself", base)
	}
	tr.TLSClientConfig = tc
	out.Transport = tr
	return out, nil
}

// dialUpgrade opens a raw connection to the agent for a request that
// upgrades the protocol (exec): TCP for http://, TLS speaking HTTP/1.1 for
// https://.
func (c *Client) dialUpgrade(ctx context.Context, u *url.URL) (net.Conn, error) {
	var d net.Dialer
	switch u.Scheme {
	case "http":
		return d.DialContext(ctx, "tcp", u.Host)
	case "https":
		cfg := &tls.Config{}
		if c.tls != nil {
			cfg = c.tls.Clone()
		}
		cfg.NextProtos = []string{"http/1.1"}
		td := tls.Dialer{NetDialer: &d, Config: cfg}
		return td.DialContext(ctx, "tcp", u.Host)
	}
	return nil, fmt.Errorf("address scheme %q: use http:// or https://", u.Scheme)
}
