package agent

import (
	"errors"

	"github.com/droverhq/drover/rpc"
)

// The tls block, with Nomad's keys:
//
//	tls {
//	  http = true                     # the HTTP API serves HTTPS
//	  rpc  = true                     # mutual TLS on every gRPC connection
//	  ca_file   = "drover-agent-ca.pem"
//	  cert_file = "global-server-drover.pem"
//	  key_file  = "global-server-drover-key.pem"
//	  verify_server_hostname = true   # server certs must name server.<region>.drover
//	  verify_https_client    = false  # HTTPS requires client certificates
//	}
//
// Files are loaded and checked at start (agent/tls.go, rpc.LoadTLS).

// TLSConfig is the tls block.
type TLSConfig struct {
	HTTP                 bool
	RPC                  bool
	CAFile               string
	CertFile             string
	KeyFile              string
	VerifyServerHostname bool
	VerifyHTTPSClient    bool
}

// enabled reports whether the block turns TLS on anywhere.
func (t *TLSConfig) enabled() bool { return t != nil && (t.HTTP || t.RPC) }

// fileTLS is the tls block of a config file.
type fileTLS struct {
	HTTP                 bool   `hcl:"http,optional"`
	RPC                  bool   `hcl:"rpc,optional"`
	CAFile               string `hcl:"ca_file,optional"`
	CertFile             string `hcl:"cert_file,optional"`
	KeyFile              string `hcl:"key_file,optional"`
	VerifyServerHostname bool   `hcl:"verify_server_hostname,optional"`
	VerifyHTTPSClient    bool   `hcl:"verify_https_client,optional"`
}

func (f *fileTLS) toConfig() *TLSConfig {
	if f == nil {
		return nil
	}
	t := TLSConfig(*f)
	return &t
}

// mergeTLS sets out's tls keys that other sets; booleans, like the
// server and client enabled flags, can only be turned on.
func mergeTLS(out, other *Config) {
	if out.TLS != nil {
		cp := *out.TLS
		out.TLS = &cp
	}
	o := other.TLS
	if o == nil {
		return
	}
	if out.TLS == nil {
		out.TLS = &TLSConfig{}
	}
	t := out.TLS
	t.HTTP = t.HTTP || o.HTTP
	t.RPC = t.RPC || o.RPC
	t.VerifyServerHostname = t.VerifyServerHostname || o.VerifyServerHostname
	t.VerifyHTTPSClient = t.VerifyHTTPSClient || o.VerifyHTTPSClient
	setStr(&t.CAFile, o.CAFile)
	setStr(&t.CertFile, o.CertFile)
	setStr(&t.KeyFile, o.KeyFile)
}

// validateTLS loads the tls block's files, so that a missing file, a key
// that is not the certificate's, or a certificate the CA did not sign
// stops the agent before it starts, with the key and the fix named.
func (c *Config) validateTLS() []error {
	if !c.TLS.enabled() {
		return nil
	}
	if _, _, err := c.loadTLS(); err != nil {
		return []error{err}
	}
	return nil
}

// rpcTLSConfig is what rpc.LoadTLS needs of the block.
func (c *Config) rpcTLSConfig() *rpc.TLSConfig {
	t := c.TLS
	return &rpc.TLSConfig{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile,
		VerifyServerHostname: t.VerifyServerHostname, Region: c.Region}
}

var errHTTPSNeedsCert = errors.New("tls.http = true needs tls.cert_file and tls.key_file: set them to this agent's certificate and key (`drover tls cert create -server` writes both)")
