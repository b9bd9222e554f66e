package server

// Raft membership follows Serf membership:
//
//   - bootstrap_expect = N (N > 1): a server with no Raft state waits until
//     Serf shows N alive servers of its region that agree on N, asks each
//     whether it already has Raft peers (a cluster exists: wait to be
//     added), and otherwise bootstraps Raft with all of them as voters.
//     Every one of them does the same with the same configuration, which
//     Raft allows.
//   - The leader's reconcile loop adds every alive server missing from the
//     Raft configuration as a voter and removes servers that left
//     gracefully. Failed servers are autopilot's business (autopilot.go).
//   - Leave (SIGTERM with leave_on_terminate) hands leadership over if
//     this server leads, leaves Serf, and waits until the leader removed it
//     from Raft, so the others do not count it as failed.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/raft"
	"github.com/hashicorp/serf/serf"

	"github.com/droverhq/drover/structs"
)

const (
	// bootstrapPollInterval spaces bootstrap_expect checks.
	bootstrapPollInterval = 200 * time.Millisecond
	// reconcileInterval is how often the leader reconciles Raft with Serf
	// even without Serf events.
	reconcileInterval = 5 * time.Second
	// leaveRaftWait bounds how long a leaving follower waits for the
	// leader to remove it from Raft.
	leaveRaftWait = 5 * time.Second
	// peerQueryTimeout bounds asking a server for its Raft peers.
	peerQueryTimeout = 2 * time.Second
)

// bootstrapLoop checks for bootstrap_expect servers until Raft is
// bootstrapped (here or by another server).
func (s *Server) bootstrapLoop() {
	t := time.NewTicker(bootstrapPollInterval)
	defer t.Stop()
	for s.bootstrapPending.Load() {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			s.maybeBootstrapExpect()
		}
	}
}

// maybeBootstrapExpect bootstraps Raft with every alive server once
// bootstrap_expect of them are seen and none has Raft peers yet.
func (s *Server) maybeBootstrapExpect() {
	if !s.bootstrapPending.Load() || s.serf == nil {
		return
	}
	s.bootstrapMu.Lock()
	defer s.bootstrapMu.Unlock()
	if !s.bootstrapPending.Load() {
		return
	}
	if len(s.Peers()) > 0 {
		s.logger.Info("raft configuration appeared (a leader added this server), not bootstrapping")
		s.bootstrapPending.Store(false)
		return
	}
	expect := s.config.BootstrapExpect
	var servers []*serverParts
	for _, p := range s.serverMembers() {
		if p.Status != serf.StatusAlive {
			continue
		}
		if p.Expect != 0 && p.Expect != expect {
			s.logger.Error("servers disagree on bootstrap_expect: set the same value on every server",
				"local", expect, "member", p.Name, "member_expect", p.Expect)
			return
		}
		servers = append(servers, p)
	}
	if len(servers) < expect {
		return
	}
	for _, p := range servers {
		if p.Name == s.config.NodeName {
			continue
		}
		peers, err := s.remoteRaftPeers(p.RPCAddr)
		if err != nil {
			s.logger.Debug("ask server for its raft peers before bootstrapping", "server", p.Name, "error", err)
			return
		}
		if len(peers) > 0 {
			s.logger.Info("a cluster already exists: waiting for its leader to add this server", "server", p.Name, "peers", peers)
			s.bootstrapPending.Store(false)
			return
		}
	}
	var cfg raft.Configuration
	for _, p := range servers {
		cfg.Servers = append(cfg.Servers, raft.Server{Suffrage: raft.Voter, ID: raft.ServerID(p.ID), Address: raft.ServerAddress(p.RaftAddr)})
	}
	err := s.raft.BootstrapCluster(cfg).Error()
	s.bootstrapPending.Store(false)
	if err != nil && !errors.Is(err, raft.ErrCantBootstrap) {
		s.logger.Error("bootstrap raft", "error", err)
		return
	}
	s.logger.Info("bootstrapped raft: bootstrap_expect servers joined", "servers", len(servers), "expect", expect)
}

// remoteRaftPeers asks the server at rpcAddr for its Raft peers.
func (s *Server) remoteRaftPeers(rpcAddr string) ([]string, error) {
	conn, err := s.conns.get(rpcAddr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(s.ctx, peerQueryTimeout)
	defer cancel()
	var resp structs.RaftPeersResponse
	if err := invoke(ctx, conn, methodRaftPeers, &structs.RaftPeersRequest{}, &resp); err != nil {
		return nil, err
	}
	return resp.Peers, nil
}

// raftPeers answers Cluster/RaftPeers: this server's Raft peers, no
// forwarding.
func (s *Server) raftPeers(ctx context.Context, _ *structs.RaftPeersRequest) (*structs.RaftPeersResponse, error) {
	return &structs.RaftPeersResponse{Peers: s.Peers()}, nil
}

// nudgeReconcile wakes the leader's reconcile loop, without blocking.
func (s *Server) nudgeReconcile() {
	select {
	case s.reconcileCh <- struct{}{}:
	default:
	}
}

// reconcileLoop runs on the leader: it makes the Raft configuration follow
// Serf on every membership event and every reconcileInterval.
func (s *Server) reconcileLoop(ctx context.Context) {
	if s.serf == nil {
		return
	}
	t := time.NewTicker(reconcileInterval)
	defer t.Stop()
	s.reconcile()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.reconcileCh:
		case <-t.C:
		}
		s.reconcile()
	}
}

// reconcile adds alive servers missing from Raft as voters and removes
// servers that left.
func (s *Server) reconcile() {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		s.logger.Warn("reconcile: read raft configuration", "error", err)
		return
	}
	inRaft := map[raft.ServerID]raft.Server{}
	for _, srv := range f.Configuration().Servers {
		inRaft[srv.ID] = srv
	}
	self := raft.ServerID(s.config.NodeName)
	for _, p := range s.serverMembers() {
		id := raft.ServerID(p.ID)
		if id == self || p.ID == "" || p.RaftAddr == "" {
			continue
		}
		srv, known := inRaft[id]
		switch p.Status {
		case serf.StatusAlive:
			if known && string(srv.Address) == p.RaftAddr {
				continue
			}
			if err := s.raft.AddVoter(id, raft.ServerAddress(p.RaftAddr), 0, 0).Error(); err != nil {
				s.logger.Error("add server to raft", "server", p.Name, "raft_addr", p.RaftAddr, "error", err)
				continue
			}
			s.logger.Info("added server to raft as a voter", "server", p.Name, "raft_addr", p.RaftAddr)
		case serf.StatusLeft:
			if !known {
				continue
			}
			if err := s.raft.RemoveServer(id, 0, 0).Error(); err != nil {
				s.logger.Error("remove server that left from raft", "server", p.Name, "error", err)
				continue
			}
			s.logger.Info("removed server that left from raft", "server", p.Name)
		}
	}
}

// Leave leaves the cluster gracefully: a leader first transfers its
// leadership; then the server leaves Serf and waits for the leader to
// remove it from Raft. Shutdown follows. A server alone just leaves.
func (s *Server) Leave() error {
	s.logger.Info("server leaving the cluster")
	self := raft.ServerID(s.config.NodeName)
	voters := 0
	if f := s.raft.GetConfiguration(); f.Error() == nil {
		for _, srv := range f.Configuration().Servers {
			if srv.Suffrage == raft.Voter {
				voters++
			}
		}
	}
	removedSelf := false
	if s.IsLeader() && voters > 1 {
		// Hand leadership over first: the cluster gets a leader at once
		// instead of after an election timeout; the new leader removes
		// this server when Serf reports it left.
		if err := s.raft.LeadershipTransfer().Error(); err != nil {
			s.logger.Warn("leadership transfer before leaving failed; removing this server from raft itself", "error", err)
			if err := s.raft.RemoveServer(self, 0, 0).Error(); err != nil {
				s.logger.Error("leader removing itself from raft", "error", err)
			}
			removedSelf = true
		}
	}
	var errs []error
	if s.serf != nil && s.aliveOthers() > 0 {
		if err := s.serf.Leave(); err != nil {
			errs = append(errs, fmt.Errorf("leave serf: %w", err))
		}
	}
	if !removedSelf && voters > 1 {
		deadline := time.Now().Add(leaveRaftWait)
		for time.Now().Before(deadline) && s.inRaftConfig(self) {
			select {
			case <-s.ctx.Done():
				return errors.Join(errs...)
			case <-time.After(50 * time.Millisecond):
			}
		}
		if s.inRaftConfig(self) {
			s.logger.Warn("leader did not remove this server from raft in time; autopilot will", "waited", leaveRaftWait)
		}
	}
	return errors.Join(errs...)
}

// inRaftConfig reports whether id is in this server's Raft configuration.
func (s *Server) inRaftConfig(id raft.ServerID) bool {
	f := s.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, srv := range f.Configuration().Servers {
		if srv.ID == id {
			return true
		}
	}
	return false
}

// aliveOthers counts the other servers Serf sees alive. Leaving Serf with
// none costs LeavePropagateDelay for nothing.
func (s *Server) aliveOthers() int {
	n := 0
	for _, p := range s.serverMembers() {
		if p.Name != s.config.NodeName && p.Status == serf.StatusAlive {
			n++
		}
	}
	return n
}
