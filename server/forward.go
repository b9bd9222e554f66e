package server

// Forwarding: writes and consistent reads are answered by the leader. A
// server that is not the leader sends the request to the leader's RPC
// address (learned from Serf tags: Raft address -> RPC address) over gRPC
// and relays the answer. Every method a follower forwards is registered
// on the leader: the client-facing ones in drover.Server (grpc.go) and the
// API-level ones in drover.Cluster here.
//
// While there is no leader a forwarded call waits up to LeaderWaitTimeout
// for one, then fails with structs.ErrNoLeader ("no cluster leader"),
// which is retryable. A request is forwarded at most twice (the leader may
// change while it travels), so it cannot loop.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// ClusterServiceName is the gRPC service of server-to-server and
// API-level methods.
const ClusterServiceName = "drover.Cluster"

// Methods of drover.Cluster (full gRPC paths).
const (
	methodJobRegister        = "/" + ClusterServiceName + "/Job.Register"
	methodJobDeregister      = "/" + ClusterServiceName + "/Job.Deregister"
	methodJobEvaluate        = "/" + ClusterServiceName + "/Job.Evaluate"
	methodLeaderIndex        = "/" + ClusterServiceName + "/Status.LeaderIndex"
	methodRaftPeers          = "/" + ClusterServiceName + "/Status.RaftPeers"
	methodRaftRemovePeer     = "/" + ClusterServiceName + "/Operator.RaftRemovePeer"
	methodAutopilotGetConfig = "/" + ClusterServiceName + "/Operator.AutopilotGetConfig"
	methodAutopilotSetConfig = "/" + ClusterServiceName + "/Operator.AutopilotSetConfig"
	methodSnapshotRestore    = "/" + ClusterServiceName + "/Operator.SnapshotRestore"
	methodJobScale           = "/" + ClusterServiceName + "/Job.Scale"
	methodSchedulerSetConfig = "/" + ClusterServiceName + "/Operator.SchedulerSetConfig"
	methodAllocStop          = "/" + ClusterServiceName + "/Alloc.Stop"
	methodRaftStats          = "/" + ClusterServiceName + "/Status.RaftStats"
	methodAutopilotHealth    = "/" + ClusterServiceName + "/Operator.AutopilotHealth"
	methodJobDispatch        = "/" + ClusterServiceName + "/Job.Dispatch"
	methodPeriodicForce      = "/" + ClusterServiceName + "/Periodic.Force"
)

// mdHops counts how often a request was forwarded.
const (
	mdHops  = "x-drover-hops"
	maxHops = 2
)

// registerClusterService adds drover.Cluster to the gRPC server.
func (s *Server) registerClusterService(g *grpc.Server) {
	desc := rpc.ServiceDesc(map[string]rpc.Handler{
		"Job.Register":                handle(s.JobRegister),
		"Job.Deregister":              handle(s.JobDeregister),
		"Job.Evaluate":                handle(s.jobEvaluateRPC),
		"Status.LeaderIndex":          handle(s.leaderIndex),
		"Status.RaftPeers":            handle(s.raftPeers),
		"Operator.RaftRemovePeer":     handle(s.RaftRemovePeer),
		"Operator.AutopilotGetConfig": handle(s.autopilotGetConfigRPC),
		"Operator.AutopilotSetConfig": handle(s.AutopilotSetConfig),
		"Operator.SnapshotRestore":    handle(s.snapshotRestoreRPC),
		"Job.Scale":                   handle(s.JobScale),
		"Operator.SchedulerSetConfig": handle(s.SchedulerSetConfig),
		"Alloc.Stop":                  handle(s.allocStopRPC),
		"Status.RaftStats":            handle(s.raftStats),
		"Operator.AutopilotHealth":    handle(s.autopilotHealthRPC),
		"Node.UpdateDrain":            handle(s.NodeUpdateDrain),
		"Node.UpdateEligibility":      handle(s.NodeUpdateEligibility),
		"Job.Dispatch":                handle(s.JobDispatch),
		"Periodic.Force":              handle(s.PeriodicForce),
	})
	desc.ServiceName = ClusterServiceName
	g.RegisterService(desc, nil)
}

// invoke calls a full gRPC method with drover's msgpack codec and turns
// a gRPC status back into the error category it came from.
func invoke(ctx context.Context, conn *grpc.ClientConn, fullMethod string, req, resp interface{}) error {
	err := conn.Invoke(ctx, fullMethod, req, resp, grpc.CallContentSubtype(rpc.CodecName), grpc.WaitForReady(false))
	return fromGRPCError(err)
}

// forward sends a request to the leader when this server is not the
// leader. handled is false when this server should answer itself (it is
// the leader); otherwise resp holds the leader's answer or err says why
// there is none.
func (s *Server) forward(ctx context.Context, fullMethod string, req, resp interface{}) (handled bool, err error) {
	if s.IsLeader() {
		return false, nil
	}
	hops := incomingHops(ctx)
	if hops >= maxHops {
		return true, s.notLeaderError()
	}
	deadline := time.Now().Add(s.config.LeaderWaitTimeout)
	var lastErr error
	var lastAddr string
	for {
		addr, self := s.leaderRPCAddr()
		if self {
			return false, nil
		}
		if addr != "" {
			conn, err := s.conns.get(addr)
			if err != nil {
				return true, err
			}
			out := metadata.AppendToOutgoingContext(ctx, mdHops, strconv.Itoa(hops+1))
			err = invoke(out, conn, fullMethod, req, resp)
			if !retryable(err) {
				return true, err
			}
			lastErr, lastAddr = err, addr
		}
		if ctx.Err() != nil {
			return true, ctx.Err()
		}
		if time.Now().After(deadline) {
			if raftAddr, _ := s.raft.LeaderWithID(); raftAddr != "" && addr == "" && lastErr == nil {
				return true, fmt.Errorf("%w: the leader's Raft address is %s but Serf has not told this server its RPC address within %s (is Serf joined?); retry later",
					structs.ErrNoLeader, raftAddr, s.config.LeaderWaitTimeout)
			}
			if lastErr != nil {
				return true, fmt.Errorf("%w: the leader at %s did not answer within %s (%v); retry later",
					structs.ErrNoLeader, lastAddr, s.config.LeaderWaitTimeout, lastErr)
			}
			return true, fmt.Errorf("%w: none was elected within %s; a majority of the servers must be up and reach each other (retry later)",
				structs.ErrNoLeader, s.config.LeaderWaitTimeout)
		}
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-s.ctx.Done():
			return true, fmt.Errorf("server shutting down: %w", structs.ErrNoLeader)
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// forwarded is forward for a response type: it returns the leader's
// answer and whether there was one to return.
func forwarded[Resp any](ctx context.Context, s *Server, fullMethod string, req interface{}) (*Resp, bool, error) {
	resp := new(Resp)
	handled, err := s.forward(ctx, fullMethod, req, resp)
	if err != nil {
		return nil, handled, err
	}
	if wi, ok := any(resp).(interface{ WriteIndex() uint64 }); ok && handled {
		s.waitApplied(ctx, wi.WriteIndex())
	}
	return resp, handled, nil
}

// forwardedWriteWait bounds how long a server that forwarded a write waits
// for its own state to apply it.
const forwardedWriteWait = 5 * time.Second

// waitApplied waits (boundedly) until this server's state has applied
// index, so that a caller that wrote through it reads its write back from
// it: a client that registered through a follower then watches its
// allocations there.
func (s *Server) waitApplied(ctx context.Context, index uint64) {
	if index == 0 || s.state.LatestIndex() >= index {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, forwardedWriteWait)
	defer cancel()
	if _, err := s.state.SnapshotMinIndex(ctx, index); err != nil {
		s.logger.Debug("forwarded write not applied here yet", "index", index, "error", err)
	}
}

// retryable reports whether a forwarded call may be tried again at the
// (possibly new) leader: the leader was unreachable or no longer leader.
func retryable(err error) bool {
	return err != nil && (errors.Is(err, ErrNotLeader) || errors.Is(err, structs.ErrNoLeader) || errors.Is(err, errUnreachable))
}

// incomingHops is how many times the request in ctx was forwarded.
func incomingHops(ctx context.Context) int {
	md, ok := metadata.FromIncomingContext(ctx)
	if !ok {
		return 0
	}
	v := md.Get(mdHops)
	if len(v) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(v[0])
	return n
}

// leaderRPCAddr is the leader's RPC address ("" when unknown) and whether
// this server is the leader.
func (s *Server) leaderRPCAddr() (addr string, self bool) {
	raftAddr, _ := s.raft.LeaderWithID()
	if raftAddr == "" {
		return "", false
	}
	if raftAddr == s.parts.transport.LocalAddr() {
		if s.IsLeader() {
			return s.rpcAddr, true
		}
		return "", false // stepping down: wait for the next leader
	}
	return s.rpcAddrOfRaft(string(raftAddr)), false
}

// errUnreachable marks a server that could not be reached.
var errUnreachable = errors.New("server unreachable")

// remoteError is an error a server answered over gRPC: its message, and
// the category its status code stands for.
type remoteError struct {
	msg      string
	category error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.category }

// fromGRPCError is grpcError's inverse.
func fromGRPCError(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	var category error
	switch st.Code() {
	case codes.InvalidArgument:
		category = structs.ErrInvalid
	case codes.NotFound:
		category = structs.ErrNotFound
	case codes.Aborted:
		category = structs.ErrConflict
	case codes.PermissionDenied:
		category = structs.ErrPermissionDenied
	case codes.Canceled:
		category = context.Canceled
	case codes.DeadlineExceeded:
		category = context.DeadlineExceeded
	case codes.Unavailable:
		switch {
		case containsErr(st.Message(), structs.ErrNoLeader):
			category = structs.ErrNoLeader
		case containsErr(st.Message(), ErrNotLeader):
			category = ErrNotLeader
		default:
			category = errUnreachable
		}
	default:
		return &remoteError{msg: st.Message(), category: nil}
	}
	return &remoteError{msg: st.Message(), category: category}
}

func containsErr(msg string, err error) bool { return strings.Contains(msg, err.Error()) }

// serverConnectParams reconnect to a server that was down within a
// couple of seconds of its return (gRPC's default backoff grows to two
// minutes, during which calls to a restarted leader would fail).
var serverConnectParams = grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second},
	MinConnectTimeout: 2 * time.Second,
}

// connPool keeps one gRPC connection per server address.
type connPool struct {
	tls   *rpc.TLS // credentials of every dial; nil is plaintext
	mu    sync.Mutex
	conns map[string]*grpc.ClientConn // guarded by mu
}

func (p *connPool) get(addr string) (*grpc.ClientConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.conns[addr]; ok {
		return c, nil
	}
	c, err := grpc.NewClient(addr, p.tls.DialOption(),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxRPCMessage), grpc.MaxCallSendMsgSize(maxRPCMessage)),
		grpc.WithConnectParams(serverConnectParams))
	if err != nil {
		return nil, fmt.Errorf("server address %q: %w", addr, err)
	}
	if p.conns == nil {
		p.conns = map[string]*grpc.ClientConn{}
	}
	p.conns[addr] = c
	return c, nil
}

func (p *connPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for addr, c := range p.conns {
		c.Close()
		delete(p.conns, addr)
	}
}

// leaderIndex answers Status.LeaderIndex on the leader: the newest index
// its state applied.
func (s *Server) leaderIndex(ctx context.Context, req *structs.LeaderIndexRequest) (*structs.LeaderIndexResponse, error) {
	if resp, ok, err := forwarded[structs.LeaderIndexResponse](ctx, s, methodLeaderIndex, req); ok {
		return resp, err
	}
	return &structs.LeaderIndexResponse{Index: s.state.LatestIndex()}, nil
}

// readBarrierTimeout bounds a follower's wait for its state to catch up.
const readBarrierTimeout = 10 * time.Second

// ReadBarrier makes a following server's state at least as new as the
// leader's was when asked, so a default (non-stale) read on a follower
// sees every write acknowledged before it. On the leader it returns at
// once. Without a leader it fails with structs.ErrNoLeader.
func (s *Server) ReadBarrier(ctx context.Context) error {
	if s.IsLeader() {
		return nil
	}
	resp, handled, err := forwarded[structs.LeaderIndexResponse](ctx, s, methodLeaderIndex, &structs.LeaderIndexRequest{})
	if !handled {
		return nil
	}
	if err != nil {
		return fmt.Errorf("consistent read (add ?stale to read this server's possibly older state): %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, readBarrierTimeout)
	defer cancel()
	if _, err := s.state.SnapshotMinIndex(ctx, resp.Index); err != nil {
		return fmt.Errorf("consistent read: this server has not caught up with the leader: %w", err)
	}
	return nil
}

// jobEvaluateRPC adapts JobEvaluate to a request/response pair.
func (s *Server) jobEvaluateRPC(ctx context.Context, req *structs.JobEvaluateRequest) (*structs.JobEvaluateResponse, error) {
	evalID, index, err := s.JobEvaluate(ctx, req.Namespace, req.JobID)
	if err != nil {
		return nil, err
	}
	return &structs.JobEvaluateResponse{EvalID: evalID, WriteMeta: structs.WriteMeta{Index: index}}, nil
}

// allocStopRPC adapts AllocStop to a request/response pair.
func (s *Server) allocStopRPC(ctx context.Context, req *structs.AllocStopRequest) (*structs.AllocStopResponse, error) {
	evalID, index, err := s.AllocStop(ctx, req.AllocID)
	if err != nil {
		return nil, err
	}
	return &structs.AllocStopResponse{EvalID: evalID, WriteMeta: structs.WriteMeta{Index: index}}, nil
}

// forwardAllocStop sends AllocStop to the leader from a follower; ok is
// false on the leader.
func (s *Server) forwardAllocStop(ctx context.Context, allocID string) (evalID string, index uint64, ok bool, err error) {
	resp, ok, err := forwarded[structs.AllocStopResponse](ctx, s, methodAllocStop, &structs.AllocStopRequest{AllocID: allocID})
	if !ok || err != nil {
		return "", 0, ok, err
	}
	return resp.EvalID, resp.Index, true, nil
}
