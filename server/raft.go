package server

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"
)

const (
	raftDir            = "raft"
	raftDBFile         = "raft.db"
	snapshotsRetained  = 2
	raftMaxPool        = 3
	raftTransportTimeo = 10 * time.Second
	// raftApplyTimeout bounds how long a proposal may wait to be enqueued.
	raftApplyTimeout = 30 * time.Second
)

// raftParts is everything opened to run Raft, kept to close on shutdown.
type raftParts struct {
	raft      *raft.Raft
	store     *raftboltdb.BoltStore
	transport *raft.NetworkTransport
	notifyCh  chan bool
}

// setupRaft opens the log, stable and snapshot stores under DataDir/raft,
// starts the TCP transport and Raft itself, bootstrapping a single-server
// configuration when there is no existing state. On restart Raft restores
// the FSM from the newest snapshot and replays the log after it.
func (s *Server) setupRaft(bindAddr string) (*raftParts, error) {
	dir := filepath.Join(s.config.DataDir, raftDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create raft dir: %w", err)
	}
	store, err := raftboltdb.New(raftboltdb.Options{Path: filepath.Join(dir, raftDBFile)})
	if err != nil {
		return nil, fmt.Errorf("open raft store: %w", err)
	}
	parts := &raftParts{store: store, notifyCh: make(chan bool, 10)}
	if err := s.startRaft(parts, dir, bindAddr); err != nil {
		parts.close()
		return nil, err
	}
	return parts, nil
}

func (s *Server) startRaft(parts *raftParts, dir, bindAddr string) error {
	hclogger := newHCLogger(s.logger, "raft")
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, snapshotsRetained, hclogger)
	if err != nil {
		return fmt.Errorf("open raft snapshots: %w", err)
	}
	trans, err := s.newTransport(bindAddr)
	if err != nil {
		return err
	}
	parts.transport = trans
	conf := s.raftConfig(parts.notifyCh)
	conf.Logger = hclogger
	if err := s.maybeBootstrap(conf, parts, snaps); err != nil {
		return err
	}
	r, err := raft.NewRaft(conf, s.fsm, parts.store, parts.store, snaps, trans)
	if err != nil {
		return fmt.Errorf("start raft: %w", err)
	}
	parts.raft = r
	return nil
}

func (s *Server) newTransport(bindAddr string) (*raft.NetworkTransport, error) {
	addr, err := net.ResolveTCPAddr("tcp", bindAddr)
	if err != nil {
		return nil, fmt.Errorf("raft address %q: %w", bindAddr, err)
	}
	var advertise net.Addr = addr
	if addr.Port == 0 {
		// Port 0 picks a free port: advertise the one bound.
		advertise = nil
	}
	if s.config.TLS != nil {
		return s.newTLSTransport(bindAddr, advertise, s.config.TLS)
	}
	trans, err := raft.NewTCPTransportWithLogger(bindAddr, advertise, raftMaxPool, raftTransportTimeo,
		newHCLogger(s.logger, "raft-net"))
	if err != nil {
		return nil, fmt.Errorf("start raft transport on %s: %w", bindAddr, err)
	}
	return trans, nil
}

func (s *Server) raftConfig(notifyCh chan bool) *raft.Config {
	conf := raft.DefaultConfig()
	if s.config.RaftConfig != nil {
		c := *s.config.RaftConfig
		conf = &c
	}
	conf.LocalID = raft.ServerID(s.config.NodeName)
	conf.NotifyCh = notifyCh
	if s.config.RaftSnapshotThreshold > 0 {
		conf.SnapshotThreshold = s.config.RaftSnapshotThreshold
	}
	if s.config.RaftTrailingLogs > 0 {
		conf.TrailingLogs = s.config.RaftTrailingLogs
	}
	if s.config.RaftSnapshotInterval > 0 {
		conf.SnapshotInterval = s.config.RaftSnapshotInterval
	}
	return conf
}

// maybeBootstrap writes the initial configuration (this server alone) when
// the stores are empty and this server is to bootstrap alone. With
// BootstrapExpect > 1 and no state it marks the bootstrap pending: Serf
// forms the cluster once enough servers have joined (membership.go).
func (s *Server) maybeBootstrap(conf *raft.Config, parts *raftParts, snaps raft.SnapshotStore) error {
	has, err := raft.HasExistingState(parts.store, parts.store, snaps)
	if err != nil {
		return fmt.Errorf("check raft state: %w", err)
	}
	if has {
		return nil
	}
	if s.config.BootstrapExpect != 1 {
		if s.config.SerfAddr == "" {
			s.logger.Warn("bootstrap_expect > 1 without Serf: this server will not bootstrap; it waits to be added to a cluster",
				"bootstrap_expect", s.config.BootstrapExpect)
		}
		s.bootstrapPending.Store(true)
		return nil
	}
	cfg := raft.Configuration{Servers: []raft.Server{{
		Suffrage: raft.Voter, ID: conf.LocalID, Address: parts.transport.LocalAddr(),
	}}}
	if err := raft.BootstrapCluster(conf, parts.store, parts.store, snaps, parts.transport, cfg); err != nil {
		return fmt.Errorf("bootstrap raft: %w", err)
	}
	return nil
}

// close shuts Raft down and closes its stores, tolerating partial setup.
func (p *raftParts) close() error {
	var first error
	if p.raft != nil {
		if err := p.raft.Shutdown().Error(); err != nil {
			first = fmt.Errorf("shut down raft: %w", err)
		}
	}
	if p.transport != nil {
		p.transport.Close()
	}
	if p.store != nil {
		if err := p.store.Close(); err != nil && first == nil {
			first = fmt.Errorf("close raft store: %w", err)
		}
	}
	return first
}
