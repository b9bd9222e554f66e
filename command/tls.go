package command

// drover tls: a small certificate authority for the agents' mutual TLS,
// after Nomad's `nomad tls`. `tls ca create` writes a self-signed CA;
// `tls cert create -server|-client|-cli` issues a certificate from it.
// Keys are ECDSA P-256. Server certificates carry the DNS names
// server.<region>.drover and server.<region>.nomad (what
// verify_server_hostname checks), localhost and 127.0.0.1.
// This file also holds the global TLS flags of the API client.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/droverhq/drover/api"
)

// addTLSFlags adds the API client's TLS flags to the global flags.
func (m *Meta) addTLSFlags(pf *pflag.FlagSet) {
	pf.StringVar(&m.tls.CACert, "ca-cert", "", "CA certificate that signed the agent's HTTPS certificate (env "+api.EnvCACert+")")
	pf.StringVar(&m.tls.ClientCert, "client-cert", "", "client certificate for an agent with verify_https_client (env "+api.EnvClientCert+")")
	pf.StringVar(&m.tls.ClientKey, "client-key", "", "key of -client-cert (env "+api.EnvClientKey+")")
	pf.StringVar(&m.tls.TLSServerName, "tls-server-name", "", "name to verify the agent's certificate against, e.g. server.global.drover (env "+api.EnvTLSServerName+")")
	pf.BoolVar(&m.tls.Insecure, "tls-skip-verify", false, "do not verify the agent's certificate (env "+api.EnvSkipVerify+"); for tests only")
}

// tlsConfig lays the TLS flags over env's settings (DROVER_CACERT ...).
func (m *Meta) tlsConfig(env *api.TLSConfig) *api.TLSConfig {
	out := api.TLSConfig{}
	if env != nil {
		out = *env
	}
	override(&out.CACert, m.tls.CACert)
	override(&out.ClientCert, m.tls.ClientCert)
	override(&out.ClientKey, m.tls.ClientKey)
	override(&out.TLSServerName, m.tls.TLSServerName)
	out.Insecure = out.Insecure || m.tls.Insecure
	if out == (api.TLSConfig{}) {
		return nil
	}
	return &out
}

func (m *Meta) tlsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "tls", Short: "Create a CA and certificates for the agents' TLS"}
	ca := &cobra.Command{Use: "ca", Short: "Manage the certificate authority"}
	ca.AddCommand(m.tlsCACreateCommand())
	cert := &cobra.Command{Use: "cert", Short: "Manage agent and CLI certificates"}
	cert.AddCommand(m.tlsCertCreateCommand())
	cmd.AddCommand(ca, cert)
	return cmd
}

func (m *Meta) tlsCACreateCommand() *cobra.Command {
	var domain, commonName string
	var days int
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a CA: <domain>-agent-ca.pem and <domain>-agent-ca-key.pem in the current directory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if days <= 0 {
				return m.failf("-days = %d: give the CA's lifetime in days, 1 or more", days)
			}
			certFile, keyFile := domain+"-agent-ca.pem", domain+"-agent-ca-key.pem"
			if err := refuseOverwrite(certFile, keyFile); err != nil {
				return m.fail("creating the CA", err)
			}
			certPEM, keyPEM, err := createCA(domain, commonName, days, time.Now())
			if err != nil {
				return m.fail("creating the CA", err)
			}
			if err := writePair(certFile, certPEM, keyFile, keyPEM); err != nil {
				return m.fail("creating the CA", err)
			}
			m.outf("==> CA certificate saved to: %s\n==> CA certificate key saved to: %s\n", certFile, keyFile)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&domain, "domain", "drover", "domain of the CA; names the files")
	f.StringVar(&commonName, "common-name", "", "the CA's common name (default \"Drover Agent CA <serial>\")")
	f.IntVar(&days, "days", 1825, "days the CA is valid")
	return cmd
}

// certKind is one of the kinds of certificate `tls cert create` issues.
type certKind struct {
	name  string // server, client, cli
	usage []x509.ExtKeyUsage
}

var (
	serverCert = certKind{"server", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	clientCert = certKind{"client", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	cliCert    = certKind{"cli", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
)

// certRequest is what `tls cert create` was asked for.
type certRequest struct {
	kind      certKind
	region    string
	dc        string
	domain    string
	days      int
	dnsNames  []string
	ipAddrs   []net.IP
	notBefore time.Time
}

// names are the certificate's DNS names: <kind>.<region>.<domain>, the
// Nomad name for servers and clients, localhost, and the extra names.
func (r *certRequest) names() []string {
	out := []string{r.kind.name + "." + r.region + "." + r.domain}
	if r.kind.name != cliCert.name && r.domain != "nomad" {
		out = append(out, r.kind.name+"."+r.region+".nomad")
	}
	out = append(out, "localhost")
	return append(out, r.dnsNames...)
}

func (m *Meta) tlsCertCreateCommand() *cobra.Command {
	var (
		server, client, cli bool
		req                 certRequest
		caFile, caKeyFile   string
		extraDNS, extraIPs  []string
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Issue a -server, -client or -cli certificate from the CA: <region>-<kind>-<domain>.pem and -key.pem",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case btoi(server)+btoi(client)+btoi(cli) != 1:
				return m.failf("Give exactly one of -server, -client or -cli")
			case server:
				req.kind = serverCert
			case client:
				req.kind = clientCert
			default:
				req.kind = cliCert
			}
			if req.days <= 0 {
				return m.failf("-days = %d: give the certificate's lifetime in days, 1 or more", req.days)
			}
			if req.region == "" || req.domain == "" {
				return m.failf("-region and -domain must not be empty")
			}
			for _, s := range extraIPs {
				ip := net.ParseIP(s)
				if ip == nil {
					return m.failf("-additional-ipaddress %q is not an IP address", s)
				}
				req.ipAddrs = append(req.ipAddrs, ip)
			}
			req.dnsNames = extraDNS
			req.notBefore = time.Now()
			if caFile == "" {
				caFile = req.domain + "-agent-ca.pem"
			}
			if caKeyFile == "" {
				caKeyFile = req.domain + "-agent-ca-key.pem"
			}
			base := req.region + "-" + req.kind.name + "-" + req.domain
			certFile, keyFile := base+".pem", base+"-key.pem"
			if err := refuseOverwrite(certFile, keyFile); err != nil {
				return m.fail("creating the certificate", err)
			}
			ca, caKey, err := loadCA(caFile, caKeyFile)
			if err != nil {
				return m.fail("loading the CA", err)
			}
			certPEM, keyPEM, err := createCert(&req, ca, caKey)
			if err != nil {
				return m.fail("creating the certificate", err)
			}
			if err := writePair(certFile, certPEM, keyFile, keyPEM); err != nil {
				return m.fail("creating the certificate", err)
			}
			m.outf("==> Using CA file %s and CA key %s\n==> Certificate saved to: %s\n==> Certificate key saved to: %s\n",
				caFile, caKeyFile, certFile, keyFile)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&server, "server", false, "issue a server certificate (server.<region>.drover, server.<region>.nomad, localhost, 127.0.0.1)")
	f.BoolVar(&client, "client", false, "issue a client agent certificate (client.<region>.drover)")
	f.BoolVar(&cli, "cli", false, "issue a certificate for the CLI and API clients (cli.<region>.drover)")
	f.StringVar(&req.region, "region", "global", "region the certificate is for")
	f.StringVar(&req.dc, "dc", "dc1", "datacenter, recorded in the certificate's subject")
	f.StringVar(&req.domain, "domain", "drover", "domain of the CA and of the names")
	f.IntVar(&req.days, "days", 365, "days the certificate is valid")
	f.StringVar(&caFile, "ca", "", "CA certificate (default <domain>-agent-ca.pem)")
	f.StringVar(&caKeyFile, "key", "", "CA key (default <domain>-agent-ca-key.pem)")
	f.StringArrayVar(&extraDNS, "additional-dnsname", nil, "another DNS name for the certificate (repeatable)")
	f.StringArrayVar(&extraIPs, "additional-ipaddress", nil, "another IP address for the certificate (repeatable)")
	return cmd
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// refuseOverwrite fails when any of files exists.
func refuseOverwrite(files ...string) error {
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			return fmt.Errorf("%s already exists: remove it or run in another directory; drover never overwrites keys", f)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// writePair writes a certificate (0644) and its key (0600), failing
// rather than overwriting.
func writePair(certFile string, certPEM []byte, keyFile string, keyPEM []byte) error {
	write := func(name string, b []byte, mode os.FileMode) error {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return err
		}
		if _, err := f.Write(b); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	if err := write(keyFile, keyPEM, 0o600); err != nil {
		return err
	}
	if err := write(certFile, certPEM, 0o644); err != nil {
		os.Remove(keyFile)
		return err
	}
	return nil
}

// newKey generates an ECDSA P-256 key and its PEM form.
func newKey() (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// serialNumber is a random 128-bit serial.
func serialNumber() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
}

// keyID is the subject key identifier of a public key.
func keyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(der)
	return sum[:], nil
}

// createCA makes a self-signed CA certificate and key, both PEM.
func createCA(domain, commonName string, days int, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, keyPEM, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	sn, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	id, err := keyID(key.Public())
	if err != nil {
		return nil, nil, err
	}
	if commonName == "" {
		commonName = fmt.Sprintf("Drover Agent CA %x", sn.Bytes()[:8])
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"drover"}, OrganizationalUnit: []string{domain}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.AddDate(0, 0, days),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		SubjectKeyId:          id,
		AuthorityKeyId:        id,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("sign CA certificate: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, nil
}

// loadCA reads the CA certificate and its key, and checks they match.
func loadCA(certFile, keyFile string) (*x509.Certificate, crypto.Signer, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, fmt.Errorf("CA certificate (-ca): %w: create a CA with `drover tls ca create` or pass -ca FILE", err)
	}
	b, _ := pem.Decode(certPEM)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("CA certificate (-ca) %s is not a PEM certificate", certFile)
	}
	ca, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("CA certificate (-ca) %s: %w", certFile, err)
	}
	if !ca.IsCA {
		return nil, nil, fmt.Errorf("-ca %s is not a CA certificate: pass the file `drover tls ca create` wrote", certFile)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("CA key (-key): %w: pass the CA's key with -key FILE", err)
	}
	signer, err := parseKey(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("CA key (-key) %s: %w", keyFile, err)
	}
	if !publicKeysEqual(ca.PublicKey, signer.Public()) {
		return nil, nil, fmt.Errorf("CA key (-key) %s is not the key of CA certificate (-ca) %s: pass the key written with that CA", keyFile, certFile)
	}
	return ca, signer, nil
}

// parseKey parses a PEM private key: EC, PKCS#8 or PKCS#1.
func parseKey(keyPEM []byte) (crypto.Signer, error) {
	b, _ := pem.Decode(keyPEM)
	if b == nil {
		return nil, errors.New("not a PEM private key")
	}
	var key any
	var err error
	switch b.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(b.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key", b.Type)
	}
	if err != nil {
		return nil, err
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("a %T cannot sign", key)
	}
	return s, nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	ae, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ae.Equal(b)
}

// createCert issues r's certificate from ca; it returns the certificate
// and its new key, PEM.
func createCert(r *certRequest, ca *x509.Certificate, caKey crypto.Signer) (certPEM, keyPEM []byte, err error) {
	key, keyPEM, err := newKey()
	if err != nil {
		return nil, nil, err
	}
	sn, err := serialNumber()
	if err != nil {
		return nil, nil, err
	}
	id, err := keyID(key.Public())
	if err != nil {
		return nil, nil, err
	}
	names := r.names()
	ips := r.ipAddrs
	if r.kind.name != cliCert.name {
		ips = append([]net.IP{net.IPv4(127, 0, 0, 1)}, ips...)
	}
	notAfter := r.notBefore.AddDate(0, 0, r.days)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: names[0], Organization: []string{"drover"}, Locality: []string{r.dc}},
		NotBefore:             r.notBefore.Add(-time.Minute),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           r.kind.usage,
		BasicConstraintsValid: true,
		DNSNames:              names,
		IPAddresses:           ips,
		SubjectKeyId:          id,
		AuthorityKeyId:        ca.SubjectKeyId,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("sign certificate: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, nil
}
