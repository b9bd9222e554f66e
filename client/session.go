package client

import (
	"context"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/droverhq/drover/rpc"
)

// Timing of the reverse session (rpc/session.go): the stream every client
// keeps open to its server so servers can reach its allocations (logs,
// files, stats, restart, signal, exec) without dialing it.
const (
	sessionMinBackoff = 500 * time.Millisecond
	sessionMaxBackoff = 30 * time.Second
	// sessionStable resets the backoff: a session that lasted this long
	// was healthy, and its end is news, not a failing loop.
	sessionStable = time.Minute
	// sessionPing keeps NAT mappings and idle-timeouts from closing it.
	sessionPing = 30 * time.Second
)

// sessionLoop keeps a session open to the server the client uses, dialing
// again with backoff when it ends (server restart, failover, network).
func (c *Client) sessionLoop() {
	select {
	case <-c.registeredCh:
	case <-c.ctx.Done():
		return
	}
	backoff := sessionMinBackoff
	for {
		started := c.now()
		addr, err := c.runSession()
		if c.ctx.Err() != nil {
			return
		}
		if c.now().Sub(started) >= sessionStable {
			backoff = sessionMinBackoff
		}
		c.logger.Debug("server session ended; reconnecting", "server", addr, "error", err, "backoff", backoff)
		// Jitter spreads many clients' reconnects after a server restart.
		d := backoff/2 + rand.N(backoff/2+1)
		if !c.sleep(d) {
			return
		}
		backoff = min(backoff*2, sessionMaxBackoff)
	}
}

// runSession opens one session to the current server and serves it until
// it ends. It returns the server's address and why the session ended.
func (c *Client) runSession() (string, error) {
	addr, conn, err := c.servers.current()
	if err != nil {
		return addr, err
	}
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	c.mu.Lock()
	hello := &rpc.SessionHello{NodeID: c.node.ID, SecretID: c.node.SecretID}
	c.mu.Unlock()
	fc, err := rpc.DialSession(ctx, conn, hello)
	if err != nil {
		if c.ctx.Err() == nil && status.Code(err) == codes.Unavailable {
			// Unreachable: move on, as a failed call does (failover).
			c.servers.failed(addr)
		}
		return addr, err
	}
	sess := rpc.NewSession(fc, rpc.ServeAllocOps(c))
	go func() {
		t := time.NewTicker(sessionPing)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				if sess.Ping() != nil {
					return
				}
			case <-sess.Done():
				cancel() // ends the gRPC stream, so Serve's receive returns
				return
			case <-ctx.Done():
				sess.Close()
				return
			}
		}
	}()
	c.logger.Debug("server session open", "server", addr)
	return addr, sess.Serve()
}
