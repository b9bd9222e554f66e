package server

import (
	"context"
	"fmt"
	"sync"

	"google.golang.org/grpc"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// evalTriggerAllocStop marks the eval of `alloc stop` (Nomad's name).
const evalTriggerAllocStop = "alloc-stop"

// sessionRegistry is the reverse sessions clients keep open to this
// server, by node ID (see rpc/session.go). A node has at most one: a new
// session (after a reconnect) replaces the old one.
type sessionRegistry struct {
	mu       sync.Mutex
	sessions map[string]*rpc.Session // by node ID; guarded by mu
}

func (r *sessionRegistry) put(nodeID string, s *rpc.Session) (old *rpc.Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sessions == nil {
		r.sessions = map[string]*rpc.Session{}
	}
	old = r.sessions[nodeID]
	r.sessions[nodeID] = s
	return old
}

// drop forgets s if it is still the node's session.
func (r *sessionRegistry) drop(nodeID string, s *rpc.Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sessions[nodeID] == s {
		delete(r.sessions, nodeID)
	}
}

func (r *sessionRegistry) get(nodeID string) *rpc.Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sessions[nodeID]
}

func (r *sessionRegistry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sessions)
}

// registerSessionService adds the session service to the gRPC server.
func (s *Server) registerSessionService(g *grpc.Server) {
	g.RegisterService(rpc.SessionServiceDesc(s.serveSession, s.serveRelay), nil)
}

// serveSession runs one client's session stream until it ends. The hello
// must name a node whose secret matches (or a node not registered yet).
func (s *Server) serveSession(stream grpc.ServerStream) error {
	fc := rpc.ServerFrames(stream)
	hello, err := rpc.ReadHello(fc)
	if err != nil {
		return grpcError(err)
	}
	if hello.NodeID == "" {
		return grpcError(fmt.Errorf("session hello: NodeID is required: %w", structs.ErrInvalid))
	}
	if _, err := s.checkNodeSecret(hello.NodeID, hello.SecretID); err != nil {
		return grpcError(err)
	}
	sess := rpc.NewSession(fc, nil)
	if old := s.sessions.put(hello.NodeID, sess); old != nil {
		old.Close()
	}
	logger := s.logger.With("node_id", hello.NodeID)
	logger.Debug("client session opened")
	// The stream ends when this handler returns: on a failed receive, on
	// Close (a newer session of the node replaced this one), or when the
	// server shuts down.
	errc := make(chan error, 1)
	go func() { errc <- sess.Serve() }()
	select {
	case err = <-errc:
	case <-sess.Done():
		err = sess.Err()
	case <-s.ctx.Done():
		sess.Close()
		err = sess.Err()
	}
	s.sessions.drop(hello.NodeID, sess)
	logger.Debug("client session closed", "error", err)
	return nil
}

// ClientOps reaches the allocations of a node: over its session when the
// client holds one with this server, else relayed through the server that
// holds it (session_relay.go); operations fail with ErrNotFound when no
// server does.
func (s *Server) ClientOps(nodeID string) (rpc.AllocOps, error) {
	if sess := s.sessions.get(nodeID); sess != nil {
		return rpc.RemoteAllocOps(sess), nil
	}
	return peerOps{s: s, nodeID: nodeID}, nil
}

// ClientSessions is how many clients hold a session with this server.
func (s *Server) ClientSessions() int { return s.sessions.count() }

func shortNodeID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// AllocStop stops one allocation (desired status stop) and creates an
// evaluation of its job in the same Raft entry, so the scheduler replaces
// it. It returns the eval's ID and the entry's index.
func (s *Server) AllocStop(ctx context.Context, allocID string) (evalID string, index uint64, err error) {
	if evalID, index, ok, err := s.forwardAllocStop(ctx, allocID); ok {
		return evalID, index, err
	}
	a, err := s.state.AllocByID(nil, allocID)
	if err != nil {
		return "", 0, err
	}
	if a == nil {
		return "", 0, fmt.Errorf("stop alloc %q: %w", allocID, structs.ErrNotFound)
	}
	job, err := s.state.JobByID(nil, a.Namespace, a.JobID)
	if err != nil {
		return "", 0, err
	}
	if job == nil {
		job = a.Job
	}
	if job == nil {
		return "", 0, fmt.Errorf("stop alloc %q: its job %q is gone: %w", allocID, a.JobID, structs.ErrNotFound)
	}
	eval := s.newEval(job, evalTriggerAllocStop)
	req := &structs.AllocUpdateRequest{
		Alloc: []*structs.Allocation{{ID: a.ID, DesiredStatus: structs.AllocDesiredStatusStop,
			DesiredDescription: "alloc was stopped by the operator"}},
		Evals: []*structs.Evaluation{eval},
	}
	index, err = s.RaftApply(structs.AllocUpdateDesiredTransitionRequestType, req)
	if err != nil {
		return "", 0, fmt.Errorf("stop alloc %q: %w", allocID, err)
	}
	return eval.ID, index, nil
}
