package server

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// serveRelay serves a relay stream from another server (rpc/session_relay.go):
// when this server holds the named node's session, it proxies the relay's
// requests onto it; else the stream ends with NotFound.
func (s *Server) serveRelay(stream grpc.ServerStream) error {
	fc := rpc.ServerFrames(stream)
	hello, err := rpc.ReadHello(fc)
	if err != nil {
		return grpcError(err)
	}
	target := s.sessions.get(hello.NodeID)
	if target == nil {
		return grpcError(fmt.Errorf("server %s holds no session of node %s: %w", s.config.NodeName, shortNodeID(hello.NodeID), structs.ErrNotFound))
	}
	if err := rpc.AcceptRelay(fc); err != nil {
		return err
	}
	relay := rpc.NewSession(fc, rpc.ProxyHandler(target))
	errc := make(chan error, 1)
	go func() { errc <- relay.Serve() }()
	select {
	case <-errc:
	case <-relay.Done():
	case <-target.Done():
		relay.Close()
	case <-s.ctx.Done():
		relay.Close()
	}
	return nil
}

// peerOps reaches a node connected to another server: each operation
// asks the other servers in turn to relay it (the first that holds the
// node's session does).
type peerOps struct {
	s      *Server
	nodeID string
}

var _ rpc.AllocOps = peerOps{}

// with runs f on the ops of a relay to the node through some peer.
func (p peerOps) with(ctx context.Context, f func(rpc.AllocOps) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, addr := range p.s.serverRPCAddrs() {
		if addr == p.s.rpcAddr {
			continue
		}
		conn, err := grpc.NewClient(addr, p.s.config.TLS.DialOption())
		if err != nil {
			continue
		}
		fc, err := rpc.DialRelay(ctx, conn, p.nodeID)
		if err != nil {
			conn.Close()
			if !errors.Is(err, structs.ErrNotFound) {
				p.s.logger.Debug("relay through peer failed", "peer", addr, "node_id", p.nodeID, "error", err)
			}
			continue
		}
		sess := rpc.NewSession(fc, nil)
		go sess.Serve()
		err = f(rpc.RemoteAllocOps(sess))
		sess.Close()
		cancel()
		conn.Close()
		return err
	}
	return fmt.Errorf("node %s has no session with any server (is its client running and connected?): %w",
		shortNodeID(p.nodeID), structs.ErrNotFound)
}

func (p peerOps) FSList(ctx context.Context, req *rpc.FSRequest) (out []*rpc.AllocFileInfo, err error) {
	err = p.with(ctx, func(o rpc.AllocOps) error { out, err = o.FSList(ctx, req); return err })
	return out, err
}

func (p peerOps) FSStat(ctx context.Context, req *rpc.FSRequest) (out *rpc.AllocFileInfo, err error) {
	err = p.with(ctx, func(o rpc.AllocOps) error { out, err = o.FSStat(ctx, req); return err })
	return out, err
}

func (p peerOps) FSRead(ctx context.Context, req *rpc.FSRequest, emit func(*rpc.StreamFrame) error) error {
	return p.with(ctx, func(o rpc.AllocOps) error { return o.FSRead(ctx, req, emit) })
}

func (p peerOps) Logs(ctx context.Context, req *rpc.LogsRequest, emit func(*rpc.StreamFrame) error) error {
	return p.with(ctx, func(o rpc.AllocOps) error { return o.Logs(ctx, req, emit) })
}

func (p peerOps) AllocStats(ctx context.Context, req *rpc.AllocRequest) (out *rpc.AllocStats, err error) {
	err = p.with(ctx, func(o rpc.AllocOps) error { out, err = o.AllocStats(ctx, req); return err })
	return out, err
}

func (p peerOps) Restart(ctx context.Context, req *rpc.AllocRequest) error {
	return p.with(ctx, func(o rpc.AllocOps) error { return o.Restart(ctx, req) })
}

func (p peerOps) Signal(ctx context.Context, req *rpc.AllocRequest) error {
	return p.with(ctx, func(o rpc.AllocOps) error { return o.Signal(ctx, req) })
}

func (p peerOps) Exec(ctx context.Context, req *rpc.ExecRequest, input <-chan *rpc.ExecInput, emit func(*rpc.ExecOutput) error) (code int, err error) {
	err = p.with(ctx, func(o rpc.AllocOps) error { code, err = o.Exec(ctx, req, input, emit); return err })
	return code, err
}
