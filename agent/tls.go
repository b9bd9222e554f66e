package agent

import (
	"crypto/tls"
	"fmt"

	"github.com/droverhq/drover/rpc"
)

// loadTLS loads the tls block: the gRPC credentials (nil unless tls.rpc)
// and the HTTPS listener's config (nil unless tls.http). With
// verify_https_client the listener requires client certificates signed by
// tls.ca_file.
func (c *Config) loadTLS() (*rpc.TLS, *tls.Config, error) {
	t := c.TLS
	if !t.enabled() {
		return nil, nil, nil
	}
	var rpcTLS *rpc.TLS
	if t.RPC || t.CAFile != "" {
		loaded, err := rpc.LoadTLS(c.rpcTLSConfig())
		if err != nil {
			return nil, nil, err
		}
		if t.RPC {
			rpcTLS = loaded
		}
		if !t.HTTP {
			return rpcTLS, nil, nil
		}
		return rpcTLS, httpsConfig(loaded.Certificate(), loaded, t.VerifyHTTPSClient), nil
	}
	// HTTPS alone, without a CA: serve the certificate, verify no one.
	if t.CertFile == "" || t.KeyFile == "" {
		return nil, nil, errHTTPSNeedsCert
	}
	if t.VerifyHTTPSClient {
		return nil, nil, fmt.Errorf("tls.verify_https_client = true needs tls.ca_file: set it to the CA that signs the clients' certificates (drover-agent-ca.pem)")
	}
	cert, _, err := rpc.LoadKeyPair("tls.cert_file", t.CertFile, "tls.key_file", t.KeyFile)
	if err != nil {
		return nil, nil, err
	}
	return nil, httpsConfig(cert, nil, false), nil
}

// httpsConfig is the HTTPS listener's crypto/tls config.
func httpsConfig(cert tls.Certificate, ca *rpc.TLS, verifyClient bool) *tls.Config {
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
	}
	if verifyClient {
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
		cfg.ClientCAs = ca.CAPool()
	}
	return cfg
}

// scheme is the HTTP API's URL scheme.
func (a *Agent) scheme() string {
	if a.httpTLS != nil {
		return "https"
	}
	return "http"
}
