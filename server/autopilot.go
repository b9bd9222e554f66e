package server

// Autopilot, on the leader: a server that Serf reports failed (or that
// left, or that Serf no longer knows at all) for DeadServerCleanupTime is
// removed from the Raft configuration, so a dead server stops counting
// toward the quorum. It never removes this server, and never removes dead
// servers when they are half of the voters or more: then a human must
// decide (`operator raft remove-peer`).
//
// The configuration lives on the servers, not in Raft: it starts from the
// agent config (autopilot block) and `operator autopilot set-config`
// changes it on the leader, which is the only server that uses it. A new
// leader starts again from its own agent config.

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"
	"github.com/hashicorp/serf/serf"

	"github.com/droverhq/drover/structs"
)

// autopilotInterval is how often the leader looks for dead servers.
const autopilotInterval = time.Second

// autopilotState holds the configuration in force.
type autopilotState struct {
	cfg atomic.Pointer[structs.AutopilotConfig]
}

// AutopilotConfig returns this server's autopilot configuration.
func (s *Server) AutopilotConfig() *structs.AutopilotConfig {
	c := *s.autopilot.cfg.Load()
	return &c
}

// AutopilotGetConfig returns the configuration the leader applies.
func (s *Server) AutopilotGetConfig(ctx context.Context) (*structs.AutopilotConfig, error) {
	return s.autopilotGetConfigRPC(ctx, &structs.AutopilotConfig{})
}

func (s *Server) autopilotGetConfigRPC(ctx context.Context, req *structs.AutopilotConfig) (*structs.AutopilotConfig, error) {
	if resp, ok, err := forwarded[structs.AutopilotConfig](ctx, s, methodAutopilotGetConfig, req); ok {
		return resp, err
	}
	return s.AutopilotConfig(), nil
}

// AutopilotSetConfig replaces the leader's autopilot configuration.
func (s *Server) AutopilotSetConfig(ctx context.Context, req *structs.AutopilotSetConfigRequest) (*structs.AutopilotSetConfigResponse, error) {
	if req == nil {
		return nil, fmt.Errorf("set autopilot config: empty request: %w", structs.ErrInvalid)
	}
	if req.Config.DeadServerCleanupTime < 0 || req.Config.LastContactThreshold < 0 {
		return nil, fmt.Errorf("set autopilot config: durations must not be negative: %w", structs.ErrInvalid)
	}
	if resp, ok, err := forwarded[structs.AutopilotSetConfigResponse](ctx, s, methodAutopilotSetConfig, req); ok {
		return resp, err
	}
	for {
		old := s.autopilot.cfg.Load()
		if req.CAS && old.ModifyIndex != req.Config.ModifyIndex {
			c := *old
			return &structs.AutopilotSetConfigResponse{Updated: false, Config: &c}, nil
		}
		next := req.Config
		if next.DeadServerCleanupTime == 0 {
			next.DeadServerCleanupTime = structs.DefaultDeadServerCleanupTime
		}
		if next.LastContactThreshold == 0 {
			next.LastContactThreshold = structs.DefaultLastContactThreshold
		}
		next.ModifyIndex = old.ModifyIndex + 1
		if s.autopilot.cfg.CompareAndSwap(old, &next) {
			c := next
			s.logger.Info("autopilot configuration changed", "cleanup_dead_servers", c.CleanupDeadServers,
				"dead_server_cleanup_time", c.DeadServerCleanupTime)
			return &structs.AutopilotSetConfigResponse{Updated: true, Config: &c}, nil
		}
	}
}

// autopilotLoop runs on the leader until ctx ends.
func (s *Server) autopilotLoop(ctx context.Context) {
	t := time.NewTicker(autopilotInterval)
	defer t.Stop()
	deadSince := map[raft.ServerID]time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.pruneDeadServers(deadSince)
		}
	}
}

// pruneDeadServers removes servers dead for longer than the cleanup time.
// deadSince remembers since when each server has been seen dead.
func (s *Server) pruneDeadServers(deadSince map[raft.ServerID]time.Time) {
	cfg := s.autopilot.cfg.Load()
	f := s.raft.GetConfiguration()
	if !cfg.CleanupDeadServers || s.serf == nil || f.Error() != nil {
		return
	}
	members := map[raft.ServerID]*serverParts{}
	for _, p := range s.serverMembers() {
		members[raft.ServerID(p.ID)] = p
	}
	self := raft.ServerID(s.config.NodeName)
	now := s.now()
	voters, deadVoters := 0, 0
	var due []raft.Server
	seen := map[raft.ServerID]bool{}
	for _, srv := range f.Configuration().Servers {
		seen[srv.ID] = true
		if srv.Suffrage == raft.Voter {
			voters++
		}
		p := members[srv.ID]
		dead := srv.ID != self && (p == nil || p.Status == serf.StatusFailed || p.Status == serf.StatusLeft)
		if !dead {
			delete(deadSince, srv.ID)
			continue
		}
		if srv.Suffrage == raft.Voter {
			deadVoters++
		}
		since, ok := deadSince[srv.ID]
		if !ok {
			deadSince[srv.ID] = now
			continue
		}
		if now.Sub(since) >= cfg.DeadServerCleanupTime {
			due = append(due, srv)
		}
	}
	for id := range deadSince {
		if !seen[id] {
			delete(deadSince, id)
		}
	}
	if len(due) == 0 {
		return
	}
	if deadVoters*2 >= voters {
		s.logger.Warn("autopilot: too many dead servers to remove safely; remove them with operator raft remove-peer",
			"dead_voters", deadVoters, "voters", voters)
		return
	}
	for _, srv := range due {
		if err := s.raft.RemoveServer(srv.ID, 0, 0).Error(); err != nil {
			s.logger.Error("autopilot: remove dead server", "server", srv.ID, "error", err)
			continue
		}
		delete(deadSince, srv.ID)
		s.logger.Info("autopilot: removed dead server from raft", "server", srv.ID, "raft_addr", srv.Address,
			"dead_for_at_least", cfg.DeadServerCleanupTime)
		if p := members[srv.ID]; p != nil && p.Status == serf.StatusFailed {
			if err := s.serf.RemoveFailedNode(p.Name); err != nil {
				s.logger.Warn("autopilot: force-leave dead server from serf", "server", p.Name, "error", err)
			}
		}
	}
}

// RaftConfiguration lists the Raft configuration's servers, with the
// leader marked and Serf names filled in.
func (s *Server) RaftConfiguration() (*structs.RaftConfigurationResponse, error) {
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("read raft configuration: %w", err)
	}
	leaderAddr, _ := s.raft.LeaderWithID()
	names := map[string]string{s.config.NodeName: s.config.NodeName}
	for _, p := range s.serverMembers() {
		names[p.ID] = p.Name
	}
	out := &structs.RaftConfigurationResponse{Index: f.Index()}
	for _, srv := range f.Configuration().Servers {
		out.Servers = append(out.Servers, &structs.RaftServer{
			ID: string(srv.ID), Node: names[string(srv.ID)], Address: string(srv.Address),
			Leader: srv.Address == leaderAddr, Voter: srv.Suffrage == raft.Voter, RaftProtocol: raftProtocol,
		})
	}
	return out, nil
}

// RaftRemovePeer removes a server from the Raft configuration by ID or
// address, on the leader.
func (s *Server) RaftRemovePeer(ctx context.Context, req *structs.RaftPeerRemoveRequest) (*structs.GenericResponse, error) {
	if req == nil || (req.ID == "" && req.Address == "") {
		return nil, fmt.Errorf("remove raft peer: give the peer's ID or address: %w", structs.ErrInvalid)
	}
	if resp, ok, err := forwarded[structs.GenericResponse](ctx, s, methodRaftRemovePeer, req); ok {
		return resp, err
	}
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("remove raft peer: %w", err)
	}
	for _, srv := range f.Configuration().Servers {
		if (req.ID != "" && string(srv.ID) == req.ID) || (req.Address != "" && string(srv.Address) == req.Address) {
			rf := s.raft.RemoveServer(srv.ID, 0, 0)
			if err := rf.Error(); err != nil {
				return nil, fmt.Errorf("remove raft peer %s (%s): %w", srv.ID, srv.Address, err)
			}
			s.logger.Info("removed raft peer on request", "server", srv.ID, "raft_addr", srv.Address)
			// No index: configuration entries do not reach the state
			// store, so nothing could wait for it.
			return &structs.GenericResponse{}, nil
		}
	}
	return nil, fmt.Errorf("remove raft peer: no peer with ID %q or address %q in the raft configuration (see operator raft list-peers): %w",
		req.ID, req.Address, structs.ErrNotFound)
}

// healthMaxTrailingLogs is how far behind the leader's log a healthy
// server may be.
const healthMaxTrailingLogs = 250

// healthQueryTimeout bounds asking one server for its Raft figures.
const healthQueryTimeout = time.Second

// raftStats answers Status.RaftStats: this server's own Raft figures.
func (s *Server) raftStats(ctx context.Context, _ *structs.RaftStatsRequest) (*structs.RaftStatsResponse, error) {
	st := s.raft.Stats()
	out := &structs.RaftStatsResponse{State: st["state"], LastContact: -1}
	out.Term, _ = strconv.ParseUint(st["term"], 10, 64)
	out.LastIndex, _ = strconv.ParseUint(st["last_log_index"], 10, 64)
	out.AppliedIndex, _ = strconv.ParseUint(st["applied_index"], 10, 64)
	switch lc := st["last_contact"]; {
	case s.IsLeader():
		out.LastContact = 0
	case lc == "never" || lc == "":
	case lc == "0":
		out.LastContact = 0
	default:
		if d, err := time.ParseDuration(lc); err == nil {
			out.LastContact = d
		}
	}
	return out, nil
}

// AutopilotHealth reports every Raft server's health as the leader sees
// it: alive in Serf, in contact with the leader within the
// LastContactThreshold, on the leader's term and not far behind its log.
func (s *Server) AutopilotHealth(ctx context.Context) (*structs.AutopilotHealth, error) {
	return s.autopilotHealthRPC(ctx, &structs.RaftStatsRequest{})
}

func (s *Server) autopilotHealthRPC(ctx context.Context, req *structs.RaftStatsRequest) (*structs.AutopilotHealth, error) {
	if resp, ok, err := forwarded[structs.AutopilotHealth](ctx, s, methodAutopilotHealth, req); ok {
		return resp, err
	}
	f := s.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("autopilot health: %w", err)
	}
	cfg := s.autopilot.cfg.Load()
	members := map[string]*serverParts{}
	for _, p := range s.serverMembers() {
		members[p.ID] = p
	}
	self, _ := s.raftStats(ctx, nil)
	out := &structs.AutopilotHealth{Healthy: true}
	voters, healthyVoters := 0, 0
	for _, srv := range f.Configuration().Servers {
		h := &structs.ServerHealth{ID: string(srv.ID), Name: string(srv.ID), Address: string(srv.Address),
			Voter: srv.Suffrage == raft.Voter, LastContact: -1, SerfStatus: "none"}
		var rpcAddr string
		if p := members[h.ID]; p != nil {
			h.Name, h.SerfStatus, h.Version, rpcAddr = p.Name, memberStatus(p.Status), p.Build, p.RPCAddr
		}
		var stats *structs.RaftStatsResponse
		if srv.ID == raft.ServerID(s.config.NodeName) {
			h.Leader, h.SerfStatus, h.Version, stats = true, structs.MemberStatusAlive, s.config.Build, self
		} else if rpcAddr != "" {
			st, err := s.remoteRaftStats(ctx, rpcAddr)
			if err != nil {
				h.Error = err.Error()
			}
			stats = st
		}
		if stats != nil {
			h.LastContact, h.LastTerm, h.LastIndex = stats.LastContact, stats.Term, stats.LastIndex
		}
		h.Healthy = stats != nil && h.SerfStatus == structs.MemberStatusAlive && h.LastTerm == self.Term &&
			h.LastContact >= 0 && (h.Leader || h.LastContact <= cfg.LastContactThreshold) &&
			h.LastIndex+healthMaxTrailingLogs >= self.LastIndex
		if h.Voter {
			voters++
			if h.Healthy {
				healthyVoters++
			}
		}
		out.Healthy = out.Healthy && h.Healthy
		out.Servers = append(out.Servers, h)
	}
	out.FailureTolerance = max(0, healthyVoters-(voters/2+1))
	return out, nil
}

// remoteRaftStats asks the server at rpcAddr for its Raft figures.
func (s *Server) remoteRaftStats(ctx context.Context, rpcAddr string) (*structs.RaftStatsResponse, error) {
	conn, err := s.conns.get(rpcAddr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, healthQueryTimeout)
	defer cancel()
	var resp structs.RaftStatsResponse
	if err := invoke(ctx, conn, methodRaftStats, &structs.RaftStatsRequest{}, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}
