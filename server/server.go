package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"github.com/hashicorp/serf/serf"
	"google.golang.org/grpc"

	"github.com/droverhq/drover/server/blocked"
	"github.com/droverhq/drover/server/broker"
	"github.com/droverhq/drover/server/fsm"
	"github.com/droverhq/drover/server/planapply"
	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// Server is one server agent.
type Server struct {
	config *Config
	logger *slog.Logger
	now    func() time.Time

	state *state.StateStore
	fsm   *fsm.FSM
	raft  *raft.Raft
	parts *raftParts

	rpcListener net.Listener
	rpcAddr     string // advertised
	grpc        *grpc.Server

	broker     *broker.Broker
	blocked    *blocked.Evals
	planQueue  *planapply.Queue
	heartbeats *heartbeats
	planStats  planStats // plans submitted and rejected (plan_stats.go)
	// cancelEvals carries evals the apply hook wants canceled (a newer
	// blocked eval replaced them) to the leader's reaper, since the hook
	// runs on the FSM goroutine and must not propose to Raft itself.
	cancelEvals chan *structs.Evaluation
	// sessions are the clients' reverse sessions (session.go).
	sessions sessionRegistry
	// periodic is the leader's periodic launcher (periodic.go).
	periodic periodicDispatcher

	// Cluster membership (serf.go, membership.go, forward.go, autopilot.go).
	serf             *serf.Serf      // nil when SerfAddr is empty
	serfEvents       chan serf.Event // Serf's event channel
	reconcileCh      chan struct{}   // nudges the leader's reconcile loop
	bootstrapPending atomic.Bool     // waiting for bootstrap_expect servers
	bootstrapMu      sync.Mutex      // serializes bootstrap attempts
	conns            connPool        // gRPC connections to other servers
	autopilot        autopilotState

	leaderMu     sync.Mutex         // guards leaderCancel and leaderDone
	leaderCancel context.CancelFunc // non-nil while leader loops run
	leaderDone   *sync.WaitGroup    // leader loops of the current term

	ctx          context.Context // ends at Shutdown
	cancel       context.CancelFunc
	wg           sync.WaitGroup // every goroutine the server starts
	shutdownOnce sync.Once
	shutdownErr  error
}

// New starts a server: it opens Raft on disk (restoring state from the
// newest snapshot and the log), bootstraps when there is no state yet,
// serves gRPC, and runs the leader loops whenever it is leader.
func New(cfg *Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{config: cfg, logger: cfg.Logger.With("component", "server"), now: cfg.Now,
		cancelEvals: make(chan *structs.Evaluation, 1024), reconcileCh: make(chan struct{}, 1),
		conns: connPool{tls: cfg.TLS}}
	ap := *cfg.Autopilot
	s.autopilot.cfg.Store(&ap)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.setupState(); err != nil {
		return nil, err
	}
	if err := s.listenRPC(); err != nil {
		return nil, err
	}
	parts, err := s.setupRaft(raftBindAddr(cfg, s.rpcListener.Addr()))
	if err != nil {
		s.rpcListener.Close()
		return nil, err
	}
	s.parts, s.raft = parts, parts.raft
	s.serveRPC()
	s.goFunc(s.monitorLeadership)
	if err := s.setupSerf(); err != nil {
		s.Shutdown()
		return nil, err
	}
	if s.bootstrapPending.Load() {
		s.goFunc(s.bootstrapLoop)
	}
	s.logger.Info("server started", "rpc_addr", s.rpcAddr, "raft_addr", string(parts.transport.LocalAddr()))
	return s, nil
}

// setupState creates the state store, FSM and the leader's queues.
func (s *Server) setupState() error {
	store, err := state.NewStateStore()
	if err != nil {
		return err
	}
	store.SetClock(s.now)
	s.state = store
	s.fsm = fsm.New(store, s.logger.With("component", "fsm"))
	s.fsm.SetApplyHook(s.onApply)
	s.broker = broker.New(broker.Config{Now: s.now})
	s.blocked = blocked.New(s.broker.Enqueue)
	s.planQueue = planapply.NewQueue()
	s.heartbeats = newHeartbeats(s.config.HeartbeatTTL, s.config.HeartbeatGrace, s.nodeExpired)
	return nil
}

// goFunc runs f in a goroutine that Shutdown waits for.
func (s *Server) goFunc(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// Shutdown stops the leader loops, gRPC and Raft, and closes the stores.
// It is safe to call more than once.
func (s *Server) Shutdown() error {
	s.shutdownOnce.Do(func() {
		s.logger.Info("server shutting down")
		s.cancel()
		s.revokeLeadership()
		s.grpc.Stop()
		if s.serf != nil {
			if err := s.serf.Shutdown(); err != nil {
				s.logger.Warn("shut down serf", "error", err)
			}
		}
		s.conns.close()
		s.shutdownErr = s.parts.close()
		s.wg.Wait()
	})
	return s.shutdownErr
}

// State is the server's state store (read-only for callers).
func (s *Server) State() *state.StateStore { return s.state }

// RPCAddr is the advertised gRPC address.
func (s *Server) RPCAddr() string { return s.rpcAddr }

// IsLeader reports whether this server is the Raft leader.
func (s *Server) IsLeader() bool { return s.raft.State() == raft.Leader }

// Leader returns the leader's RPC address, or "" when there is none.
func (s *Server) Leader() string {
	addr, _ := s.raft.LeaderWithID()
	if addr == "" {
		return ""
	}
	if addr == s.parts.transport.LocalAddr() {
		return s.rpcAddr
	}
	// Other servers' RPC addresses come from their Serf tags; without
	// them the Raft address is the best name we have.
	if rpcAddr := s.rpcAddrOfRaft(string(addr)); rpcAddr != "" {
		return rpcAddr
	}
	return string(addr)
}

// Peers lists the Raft addresses of every server in the configuration.
func (s *Server) Peers() []string {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil
	}
	var out []string
	for _, srv := range f.Configuration().Servers {
		out = append(out, string(srv.Address))
	}
	return out
}

// Stats reports Raft, broker and blocked-eval figures for /v1/agent/self.
func (s *Server) Stats() map[string]string {
	out := map[string]string{}
	for k, v := range s.raft.Stats() {
		out["raft."+k] = v
	}
	b := s.broker.Stats()
	out["broker.total_ready"] = fmt.Sprint(b.TotalReady)
	out["broker.total_unacked"] = fmt.Sprint(b.TotalUnacked)
	out["broker.total_pending"] = fmt.Sprint(b.TotalPending)
	out["broker.total_waiting"] = fmt.Sprint(b.TotalWaiting)
	out["broker.total_failed"] = fmt.Sprint(b.TotalFailed)
	out["broker.total_cancelable"] = fmt.Sprint(b.TotalCancelable)
	bl := s.blocked.Stats()
	out["blocked_evals.total_blocked"] = fmt.Sprint(bl.TotalBlocked)
	out["blocked_evals.total_escaped"] = fmt.Sprint(bl.TotalEscaped)
	out["plan_queue.depth"] = fmt.Sprint(s.planQueue.Len())
	s.planStats.addTo(out)
	out["heartbeat.timers"] = fmt.Sprint(s.heartbeats.count())
	out["leader"] = fmt.Sprint(s.IsLeader())
	out["leader_addr"] = s.Leader()
	out["raft_addr"] = string(s.parts.transport.LocalAddr())
	out["state.latest_index"] = fmt.Sprint(s.state.LatestIndex())
	if s.serf != nil {
		out["serf.members"] = fmt.Sprint(len(s.serverMembers()))
		out["serf.alive_others"] = fmt.Sprint(s.aliveOthers())
		out["serf.encrypted"] = fmt.Sprint(s.serf.EncryptionEnabled())
		out["serf.addr"] = s.SerfAddr()
	}
	out["bootstrap_pending"] = fmt.Sprint(s.bootstrapPending.Load())
	return out
}
