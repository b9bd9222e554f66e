package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/droverhq/drover/rpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
)

// connectParams reconnect to a server that was down within a couple of
// seconds of its return: gRPC's default backoff grows to two minutes,
// during which a client failing back to a restarted server would fail.
var connectParams = grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
	MinConnectTimeout: 2 * time.Second,
}

// serverList is the servers a client talks to, with the one in use first
// in line; a failed call moves on to the next, so the client fails over.
type serverList struct {
	mu    sync.Mutex
	addrs []string                    // guarded by mu
	cur   int                         // index of the server in use; guarded by mu
	conns map[string]*grpc.ClientConn // dialed lazily; guarded by mu
	tls   *rpc.TLS                    // credentials of every dial; nil is plaintext
}

func newServerList(addrs []string) (*serverList, error) {
	if len(addrs) == 0 {
		return nil, errors.New("no servers configured")
	}
	return &serverList{addrs: append([]string(nil), addrs...), conns: map[string]*grpc.ClientConn{}}, nil
}

func (s *serverList) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.addrs)
}

// current returns the server in use and its connection.
func (s *serverList) current() (string, *grpc.ClientConn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	addr := s.addrs[s.cur%len(s.addrs)]
	if conn, ok := s.conns[addr]; ok {
		return addr, conn, nil
	}
	// NewClient does not connect; it fails only on a malformed target.
	conn, err := grpc.NewClient(addr, s.tls.DialOption(),
		grpc.WithConnectParams(connectParams))
	if err != nil {
		return addr, nil, fmt.Errorf("server address %q: %w", addr, err)
	}
	s.conns[addr] = conn
	return addr, conn, nil
}

// failed moves past addr, unless another caller already did.
func (s *serverList) failed(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addrs[s.cur%len(s.addrs)] == addr {
		s.cur = (s.cur + 1) % len(s.addrs)
	}
}

// merge adds servers learned from a server's answer.
func (s *serverList) merge(addrs []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	known := map[string]bool{}
	for _, a := range s.addrs {
		known[a] = true
	}
	for _, a := range addrs {
		if a != "" && !known[a] {
			s.addrs = append(s.addrs, a)
			known[a] = true
		}
	}
}

func (s *serverList) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for addr, conn := range s.conns {
		errs = append(errs, conn.Close())
		delete(s.conns, addr)
	}
	return errors.Join(errs...)
}

// call invokes method on the current server; on error the next call goes
// to the next server.
func (c *Client) call(ctx context.Context, method string, req, resp interface{}) error {
	addr, conn, err := c.servers.current()
	if err == nil {
		err = rpc.Call(ctx, conn, method, req, resp)
	}
	if err != nil {
		if ctx.Err() == nil {
			c.servers.failed(addr)
		}
		return fmt.Errorf("%s to server %s: %w", method, addr, err)
	}
	return nil
}
