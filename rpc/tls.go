package rpc

// Mutual TLS for gRPC. Every gRPC listener and every dial site takes its
// credentials from one *TLS: a nil *TLS means plaintext (insecure
// credentials), as a cluster without a tls block runs.
//
// With TLS, the listener requires a client certificate signed by the CA,
// and every dialer (client -> server, server -> server) presents its own
// certificate and checks the server's chain against the CA. With
// VerifyServerHostname the server's certificate must also be valid for
// server.<region>.drover (or Nomad's server.<region>.nomad), so a client
// certificate, which names client.<region>.drover, cannot pose as a server.

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// TLSConfig names the files and checks of mutual TLS (the agent's tls
// block). Error messages name its fields by their config keys.
type TLSConfig struct {
	// CAFile is the PEM CA certificate(s) peers' certificates must chain to.
	CAFile string
	// CertFile and KeyFile are this agent's PEM certificate and private key.
	CertFile string
	KeyFile  string
	// VerifyServerHostname makes dialers require a server certificate valid
	// for ServerNames(Region).
	VerifyServerHostname bool
	// Region picks the server names; "" is "global".
	Region string
}

// TLS is loaded TLS material: the CA pool and this agent's key pair. It is
// immutable and safe for concurrent use. Its methods accept a nil *TLS,
// which means plaintext.
type TLS struct {
	pool        *x509.CertPool
	cert        tls.Certificate
	leaf        *x509.Certificate
	verifyHost  bool
	serverNames []string
}

// ServerNames are the DNS names a server certificate of region must carry
// (one of them) when verify_server_hostname is on.
func ServerNames(region string) []string {
	if region == "" {
		region = "global"
	}
	return []string{"server." + region + ".drover", "server." + region + ".nomad"}
}

// LoadTLS reads and checks cfg's files: the CA, the certificate and key
// must exist and parse, the key must belong to the certificate, and the
// certificate must be signed by the CA and be valid now. Each error names
// the config key and the fix. A nil cfg gives a nil *TLS (plaintext).
func LoadTLS(cfg *TLSConfig) (*TLS, error) {
	if cfg == nil {
		return nil, nil
	}
	var missing []error
	for _, f := range []struct{ key, val, fix string }{
		{"tls.ca_file", cfg.CAFile, "the CA certificate, e.g. drover-agent-ca.pem from `drover tls ca create`"},
		{"tls.cert_file", cfg.CertFile, "this agent's certificate, e.g. global-server-drover.pem from `drover tls cert create -server`"},
		{"tls.key_file", cfg.KeyFile, "the certificate's key, e.g. global-server-drover-key.pem"},
	} {
		if f.val == "" {
			missing = append(missing, fmt.Errorf("%s is required when TLS is on: set it to %s", f.key, f.fix))
		}
	}
	if len(missing) > 0 {
		return nil, errors.Join(missing...)
	}
	pool, err := LoadCAPool("tls.ca_file", cfg.CAFile)
	if err != nil {
		return nil, err
	}
	cert, leaf, err := LoadKeyPair("tls.cert_file", cfg.CertFile, "tls.key_file", cfg.KeyFile)
	if err != nil {
		return nil, err
	}
	if err := checkSignedBy(leaf, pool); err != nil {
		return nil, fmt.Errorf("tls.cert_file %s is not signed by the CA in tls.ca_file %s (%v): issue it from that CA with `drover tls cert create -ca %s -key <ca key>`, or point tls.ca_file at the CA that issued it",
			cfg.CertFile, cfg.CAFile, err, cfg.CAFile)
	}
	return &TLS{pool: pool, cert: cert, leaf: leaf, verifyHost: cfg.VerifyServerHostname, serverNames: ServerNames(cfg.Region)}, nil
}

// LoadCAPool reads PEM CA certificates from path; key names the setting
// in errors.
func LoadCAPool(key, path string) (*x509.CertPool, error) {
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: point it at the CA certificate (create one with `drover tls ca create`)", key, err)
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := pemBytes; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s %s: bad certificate: %w", key, path, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%s %s holds no PEM certificate: it must be the CA's certificate (drover-agent-ca.pem), not its key", key, path)
	}
	return pool, nil
}

// LoadKeyPair reads a PEM certificate and its key, naming certKey and
// keyKey (the settings) in errors: a missing file, a file that is not PEM,
// a key that does not belong to the certificate, an expired certificate.
func LoadKeyPair(certKey, certPath, keyKey, keyPath string) (tls.Certificate, *x509.Certificate, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("%s: %w: point it at a certificate (create one with `drover tls cert create`)", certKey, err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("%s: %w: point it at the certificate's private key (the -key.pem file written beside it)", keyKey, err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("%s %s and %s %s do not form a key pair (%v): %s must be the key written with that certificate",
			certKey, certPath, keyKey, keyPath, err, keyKey)
	}
	leaf := cert.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return tls.Certificate{}, nil, fmt.Errorf("%s %s: %w", certKey, certPath, err)
		}
	}
	if now := time.Now(); now.After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		return tls.Certificate{}, nil, fmt.Errorf("%s %s is valid only from %s to %s: issue a new one with `drover tls cert create`",
			certKey, certPath, leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339))
	}
	return cert, leaf, nil
}

// checkSignedBy verifies leaf's chain to pool for any key usage.
func checkSignedBy(leaf *x509.Certificate, pool *x509.CertPool) error {
	_, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err
}

// Certificate is this agent's key pair; HTTPS serves it too.
func (t *TLS) Certificate() tls.Certificate { return t.cert }

// CAPool is the pool of CAs peers must chain to.
func (t *TLS) CAPool() *x509.CertPool { return t.pool }

// ServerConfig is the crypto/tls config of a gRPC listener: it presents
// the agent's certificate and requires a client certificate signed by the
// CA.
func (t *TLS) ServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{t.cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    t.pool,
	}
}

// ClientConfig is the crypto/tls config of a dialer: it presents the
// agent's certificate and verifies the server's chain against the CA,
// and, with verify_server_hostname, that the certificate names a server
// of the region. (gRPC dials by IP address, so the standard host check,
// which would compare against the dialed address, is replaced by this
// one.)
func (t *TLS) ClientConfig() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		Certificates:       []tls.Certificate{t.cert},
		InsecureSkipVerify: true, // verified in VerifyConnection below
		VerifyConnection:   t.verifyServer,
	}
}

// verifyServer checks the server certificate of a finished handshake.
func (t *TLS) verifyServer(cs tls.ConnectionState) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("tls: the server presented no certificate")
	}
	leaf := cs.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: t.pool, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		return fmt.Errorf("tls: server certificate %q is not trusted by tls.ca_file: %w", leaf.Subject.CommonName, err)
	}
	if !t.verifyHost {
		return nil
	}
	for _, name := range t.serverNames {
		if leaf.VerifyHostname(name) == nil {
			return nil
		}
	}
	return fmt.Errorf("tls: verify_server_hostname: the server certificate (DNS names %v) is not valid for %s: issue server certificates with `drover tls cert create -server -region <region>`",
		leaf.DNSNames, t.serverNames[0])
}

// ServerOption is the gRPC listener's credentials: mutual TLS, or
// plaintext for a nil t.
func (t *TLS) ServerOption() grpc.ServerOption {
	if t == nil {
		return grpc.Creds(insecure.NewCredentials())
	}
	return grpc.Creds(credentials.NewTLS(t.ServerConfig()))
}

// DialOption is a dialer's credentials: mutual TLS, or plaintext for a
// nil t.
func (t *TLS) DialOption() grpc.DialOption {
	if t == nil {
		return grpc.WithTransportCredentials(insecure.NewCredentials())
	}
	return grpc.WithTransportCredentials(credentials.NewTLS(t.ClientConfig()))
}
