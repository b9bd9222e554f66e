package server

import (
	"crypto/tls"
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/raft"

	"github.com/droverhq/drover/rpc"
)

// tlsStreamLayer carries Raft's traffic over mutual TLS with the same
// certificates and checks as gRPC (rpc.TLS): a server's Raft port
// accepts only peers with a certificate of the CA.
type tlsStreamLayer struct {
	net.Listener          // accepts TLS connections
	advertise    net.Addr // the address peers dial
	client       *tls.Config
}

var _ raft.StreamLayer = (*tlsStreamLayer)(nil)

// newTLSTransport is raft.NewTCPTransport over mutual TLS.
func (s *Server) newTLSTransport(bindAddr string, advertise net.Addr, t *rpc.TLS) (*raft.NetworkTransport, error) {
	ln, err := net.Listen("tcp", bindAddr)
	if err != nil {
		return nil, fmt.Errorf("start raft transport on %s: %w", bindAddr, err)
	}
	if advertise == nil {
		advertise = ln.Addr()
	}
	if tcp, ok := advertise.(*net.TCPAddr); !ok || tcp.IP == nil || tcp.IP.IsUnspecified() {
		ln.Close()
		return nil, fmt.Errorf("start raft transport on %s: %s is not an address other servers can dial", bindAddr, advertise)
	}
	layer := &tlsStreamLayer{Listener: tls.NewListener(ln, t.ServerConfig()), advertise: advertise, client: t.ClientConfig()}
	return raft.NewNetworkTransportWithLogger(layer, raftMaxPool, raftTransportTimeo, newHCLogger(s.logger, "raft-net")), nil
}

// Addr is the advertised address.
func (l *tlsStreamLayer) Addr() net.Addr { return l.advertise }

// Dial opens a TLS connection to a peer's Raft port.
func (l *tlsStreamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	return tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", string(addr), l.client)
}
