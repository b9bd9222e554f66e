package fsm

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	raftboltdb "github.com/hashicorp/raft-boltdb/v2"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// testServer is one bootstrapped Raft node with a real BoltDB log and file
// snapshots in dir, applying to its own state store.
type testServer struct {
	raft  *raft.Raft
	fsm   *FSM
	store *state.StateStore
	bolt  *raftboltdb.BoltStore
}

// startServer starts (or restarts, on the same dir) a single-node cluster
// and waits until it leads.
func startServer(t testing.TB, dir string) *testServer {
	t.Helper()
	store, err := state.NewStateStore()
	if err != nil {
		t.Fatal(err)
	}
	f := New(store, nil)
	bolt, err := raftboltdb.NewBoltStore(filepath.Join(dir, "raft.db"))
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	conf := raft.DefaultConfig()
	conf.LocalID = "server-1"
	conf.Logger = hclog.NewNullLogger()
	conf.HeartbeatTimeout, conf.ElectionTimeout = 50*time.Millisecond, 50*time.Millisecond
	conf.LeaderLeaseTimeout, conf.CommitTimeout = 50*time.Millisecond, 5*time.Millisecond
	addr, trans := raft.NewInmemTransport("server-1")
	hasState, err := raft.HasExistingState(bolt, bolt, snaps)
	if err != nil {
		t.Fatal(err)
	}
	if !hasState {
		cfg := raft.Configuration{Servers: []raft.Server{{ID: conf.LocalID, Address: addr}}}
		if err := raft.BootstrapCluster(conf, bolt, bolt, snaps, trans, cfg); err != nil {
			t.Fatal(err)
		}
	}
	r, err := raft.NewRaft(conf, f, bolt, bolt, snaps, trans)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{raft: r, fsm: f, store: store, bolt: bolt}
	t.Cleanup(ts.stop)
	waitFor(t, func() error {
		if r.State() != raft.Leader {
			return errors.New("not leader yet")
		}
		return nil
	})
	return ts
}

// stop shuts Raft down and closes the log; safe to call twice.
func (ts *testServer) stop() {
	if ts.raft == nil {
		return
	}
	_ = ts.raft.Shutdown().Error()
	_ = ts.bolt.Close()
	ts.raft = nil
}

// apply commits one command and returns the FSM's response.
func (ts *testServer) apply(t testing.TB, typ structs.MessageType, msg interface{}) error {
	t.Helper()
	data, err := Encode(typ, msg)
	if err != nil {
		t.Fatal(err)
	}
	fut := ts.raft.Apply(data, 5*time.Second)
	if err := fut.Error(); err != nil {
		t.Fatalf("raft apply: %v", err)
	}
	if resp := fut.Response(); resp != nil {
		return resp.(error)
	}
	return nil
}

// waitFor polls cond until it returns nil or ten seconds pass.
func waitFor(t testing.TB, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
