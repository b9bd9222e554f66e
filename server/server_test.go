package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/server/testutil"
	"github.com/droverhq/drover/structs"
)

func TestServiceJobPlacedOnNode(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	conn := dial(t, s)
	node := mockNode(8192)
	resp := registerNode(t, conn, node)
	if resp.HeartbeatTTL != DefaultHeartbeatTTL || len(resp.Servers) != 1 || resp.Servers[0] != s.RPCAddr() {
		t.Fatalf("got register response %+v, want TTL %s and servers [%s]", resp, DefaultHeartbeatTTL, s.RPCAddr())
	}
	if resp.LeaderRPCAddr != s.RPCAddr() {
		t.Fatalf("got leader %q, want %q", resp.LeaderRPCAddr, s.RPCAddr())
	}

	job := mockJob(3, 256)
	reg := registerJob(t, s, job)
	if reg.EvalID == "" || reg.Index == 0 {
		t.Fatalf("got register response %+v, want an eval and an index", reg)
	}
	allocs := waitAllocs(t, s, node.ID, 3)

	var ca structs.NodeClientAllocsResponse
	req := &structs.NodeSpecificRequest{NodeID: node.ID, SecretID: node.SecretID}
	if err := rpc.Call(context.Background(), conn, rpc.NodeGetClientAllocs, req, &ca); err != nil {
		t.Fatal(err)
	}
	if len(ca.Allocs) != 3 || ca.Index == 0 {
		t.Fatalf("got client allocs %+v, want 3 and an index", ca)
	}
	var ga structs.AllocsGetResponse
	ids := []string{allocs[0].ID, allocs[1].ID, allocs[2].ID}
	if err := rpc.Call(context.Background(), conn, rpc.AllocGetAllocs, &structs.AllocsGetRequest{AllocIDs: ids}, &ga); err != nil {
		t.Fatal(err)
	}
	for _, a := range ga.Allocs {
		if a.Job == nil || a.Job.ID != job.ID {
			t.Fatalf("got alloc %s with job %v, want job %s", a.ID, a.Job, job.ID)
		}
	}
	testutil.WaitFor(t, func() error {
		e, _ := s.State().EvalByID(nil, reg.EvalID)
		if e == nil || e.Status != structs.EvalStatusComplete {
			return fmt.Errorf("got eval %+v, want complete", e)
		}
		return nil
	})
}

func TestGetClientAllocsBlocks(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	conn := dial(t, s)
	node := mockNode(8192)
	reg := registerNode(t, conn, node)

	done := make(chan *structs.NodeClientAllocsResponse, 1)
	go func() {
		var resp structs.NodeClientAllocsResponse
		req := &structs.NodeSpecificRequest{NodeID: node.ID, SecretID: node.SecretID,
			QueryOptions: structs.QueryOptions{MinQueryIndex: reg.Index, MaxQueryTime: 10 * time.Second}}
		if err := rpc.Call(context.Background(), conn, rpc.NodeGetClientAllocs, req, &resp); err != nil {
			t.Error(err)
		}
		done <- &resp
	}()
	registerJob(t, s, mockJob(1, 256))
	select {
	case resp := <-done:
		if len(resp.Allocs) != 1 || resp.Index <= reg.Index {
			t.Fatalf("got %+v, want 1 alloc past index %d", resp, reg.Index)
		}
	case <-time.After(testutil.DefaultWait):
		t.Fatal("blocking query did not return after a placement")
	}
}

func TestTooBigJobBlocksUntilBiggerNode(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	conn := dial(t, s)
	small := mockNode(1024)
	registerNode(t, conn, small)

	job := mockJob(1, 4096)
	reg := registerJob(t, s, job)
	// As in Nomad, the evaluation that could not place records why in
	// FailedTGAllocs and points at the blocked eval it created.
	var blocked *structs.Evaluation
	testutil.WaitFor(t, func() error {
		e, err := s.State().EvalByID(nil, reg.EvalID)
		if err != nil || e == nil || e.BlockedEval == "" {
			return fmt.Errorf("got eval %+v, want one with a BlockedEval", e)
		}
		if !strings.Contains(failedMetrics(e), "memory") {
			return fmt.Errorf("got FailedTGAllocs %s, want memory exhausted", failedMetrics(e))
		}
		blocked, err = s.State().EvalByID(nil, e.BlockedEval)
		if err != nil || blocked == nil || blocked.Status != structs.EvalStatusBlocked {
			return fmt.Errorf("got blocked eval %+v, want status blocked", blocked)
		}
		return nil
	})
	testutil.WaitFor(t, func() error {
		if n := s.blocked.Stats().TotalBlocked; n != 1 {
			return fmt.Errorf("got %d evals in the blocked set, want 1", n)
		}
		return nil
	})

	big := mockNode(8192)
	registerNode(t, conn, big)
	waitAllocs(t, s, big.ID, 1)
	testutil.WaitFor(t, func() error {
		e, _ := s.State().EvalByID(nil, blocked.ID)
		if e.Status != structs.EvalStatusComplete {
			return fmt.Errorf("got blocked eval status %q, want complete", e.Status)
		}
		return nil
	})
}

// failedMetrics describes an eval's FailedTGAllocs for messages.
func failedMetrics(e *structs.Evaluation) string {
	var b strings.Builder
	for tg, m := range e.FailedTGAllocs {
		fmt.Fprintf(&b, "%s: exhausted %v filtered %v; ", tg, m.DimensionExhausted, m.ConstraintFiltered)
	}
	return b.String()
}

func TestRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	s := startServer(t, cfg)
	conn := dial(t, s)
	node := mockNode(8192)
	registerNode(t, conn, node)
	job := mockJob(2, 256)
	reg := registerJob(t, s, job)
	waitAllocs(t, s, node.ID, 2)
	// Snapshot, then write more, so the restart restores from a snapshot
	// and replays the log after it.
	if err := s.raft.Snapshot().Error(); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	later := mockJob(1, 256)
	later.TaskGroups[0].Count = 0
	registerJob(t, s, later)
	raftAddr := string(s.parts.transport.LocalAddr())
	if err := s.Shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	cfg2 := testConfig(t, dir)
	cfg2.RaftAddr = raftAddr
	s2 := startServer(t, cfg2)
	// Raft re-applies the log once the restarted server leads, so the
	// state fills in shortly after leadership.
	testutil.WaitFor(t, func() error {
		for _, j := range []*structs.Job{job, later} {
			if got, _ := s2.State().JobByID(nil, j.Namespace, j.ID); got == nil {
				return fmt.Errorf("job %s not restored", j.ID)
			}
		}
		if e, _ := s2.State().EvalByID(nil, reg.EvalID); e == nil {
			return fmt.Errorf("eval %s not restored", reg.EvalID)
		}
		if n, _ := s2.State().NodeByID(nil, node.ID); n == nil {
			return fmt.Errorf("node %s not restored", node.ID)
		}
		if got := liveAllocs(t, s2, node.ID); len(got) != 2 {
			return fmt.Errorf("got %d allocs after restart, want 2", len(got))
		}
		return nil
	})
}

func TestHeartbeatExpiryMarksNodeDown(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.HeartbeatTTL, cfg.HeartbeatGrace = 100*time.Millisecond, 100*time.Millisecond
	s := startServer(t, cfg)
	conn := dial(t, s)
	node := mockNode(8192)
	registerNode(t, conn, node)
	job := mockJob(1, 256)
	registerJob(t, s, job)
	waitAllocs(t, s, node.ID, 1)

	testutil.WaitFor(t, func() error {
		n, _ := s.State().NodeByID(nil, node.ID)
		if n.Status != structs.NodeStatusDown {
			return fmt.Errorf("got node status %q, want down", n.Status)
		}
		return nil
	})
	testutil.WaitFor(t, func() error {
		evals, _ := s.State().EvalsByJob(nil, job.Namespace, job.ID)
		for _, e := range evals {
			if e.TriggeredBy == structs.EvalTriggerNodeUpdate && e.NodeID == node.ID {
				return nil
			}
		}
		return fmt.Errorf("no node-update eval for the job among %d", len(evals))
	})
}

func TestHeartbeatKeepsNodeReady(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.HeartbeatTTL, cfg.HeartbeatGrace = 100*time.Millisecond, 100*time.Millisecond
	s := startServer(t, cfg)
	conn := dial(t, s)
	node := mockNode(8192)
	registerNode(t, conn, node)
	deadline := time.Now().Add(600 * time.Millisecond)
	beats := 0
	testutil.WaitFor(t, func() error {
		var resp structs.NodeUpdateResponse
		req := &structs.NodeUpdateStatusRequest{NodeID: node.ID, SecretID: node.SecretID, Status: structs.NodeStatusReady}
		if err := rpc.Call(context.Background(), conn, rpc.NodeUpdateStatus, req, &resp); err != nil {
			return err
		}
		beats++
		if n, _ := s.State().NodeByID(nil, node.ID); n.Status != structs.NodeStatusReady {
			t.Fatalf("node went %q after %d heartbeats", n.Status, beats)
		}
		if time.Now().Before(deadline) {
			return fmt.Errorf("keep heartbeating")
		}
		return nil
	})
}

func TestFailedAllocCreatesRescheduleEval(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	conn := dial(t, s)
	node := mockNode(8192)
	registerNode(t, conn, node)
	job := mockJob(1, 256)
	registerJob(t, s, job)
	allocs := waitAllocs(t, s, node.ID, 1)

	update := &structs.Allocation{ID: allocs[0].ID, ClientStatus: structs.AllocClientStatusFailed}
	var resp structs.GenericResponse
	if err := rpc.Call(context.Background(), conn, rpc.NodeUpdateAlloc, &structs.AllocUpdateRequest{Alloc: []*structs.Allocation{update}}, &resp); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, func() error {
		evals, _ := s.State().EvalsByJob(nil, job.Namespace, job.ID)
		for _, e := range evals {
			if e.TriggeredBy == structs.EvalTriggerRetryFailedAlloc {
				return nil
			}
		}
		return fmt.Errorf("no alloc-failure eval among %d", len(evals))
	})
	a, _ := s.State().AllocByID(nil, allocs[0].ID)
	if a.ClientStatus != structs.AllocClientStatusFailed {
		t.Fatalf("got client status %q, want failed", a.ClientStatus)
	}
}

func TestJobEndpointErrors(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	ctx := context.Background()
	job := mockJob(1, 256)
	registerJob(t, s, job)

	bad := mockJob(1, 256)
	bad.TaskGroups[0].Tasks[0].Driver = ""
	bad.TaskGroups[0].Count = -1
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"invalid job", func() error {
			_, err := s.JobRegister(ctx, &structs.JobRegisterRequest{Job: bad})
			return err
		}, structs.ErrInvalid},
		{"no job", func() error {
			_, err := s.JobRegister(ctx, &structs.JobRegisterRequest{})
			return err
		}, structs.ErrInvalid},
		{"stale enforce index", func() error {
			_, err := s.JobRegister(ctx, &structs.JobRegisterRequest{Job: mockJobWithID(job.ID), EnforceIndex: true, JobModifyIndex: 1})
			return err
		}, structs.ErrConflict},
		{"deregister unknown", func() error {
			_, err := s.JobDeregister(ctx, &structs.JobDeregisterRequest{JobID: "nope"})
			return err
		}, structs.ErrNotFound},
		{"evaluate unknown", func() error {
			_, _, err := s.JobEvaluate(ctx, "", "nope")
			return err
		}, structs.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func mockJobWithID(id string) *structs.Job {
	j := mockJob(1, 256)
	j.ID, j.Name = id, id
	return j
}

func TestJobDeregisterStopsAllocs(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	conn := dial(t, s)
	node := mockNode(8192)
	registerNode(t, conn, node)
	job := mockJob(2, 256)
	registerJob(t, s, job)
	waitAllocs(t, s, node.ID, 2)

	resp, err := s.JobDeregister(context.Background(), &structs.JobDeregisterRequest{JobID: job.ID, Namespace: job.Namespace})
	if err != nil {
		t.Fatal(err)
	}
	if resp.EvalID == "" {
		t.Fatal("got no eval from deregister")
	}
	waitAllocs(t, s, node.ID, 0)

	evalID, _, err := s.JobEvaluate(context.Background(), job.Namespace, job.ID)
	if err != nil || evalID == "" {
		t.Fatalf("evaluate stopped job: got %q, %v; want an eval", evalID, err)
	}
}

func TestStatsAndPeers(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	stats := s.Stats()
	if stats["raft.state"] != "Leader" || stats["leader"] != "true" {
		t.Fatalf("got stats %v, want raft.state Leader", stats)
	}
	if peers := s.Peers(); len(peers) != 1 {
		t.Fatalf("got peers %v, want one", peers)
	}
	if s.Leader() != s.RPCAddr() {
		t.Fatalf("got leader %q, want own address %q", s.Leader(), s.RPCAddr())
	}
}

// TestEndedAllocUnblocks fills a node, blocks a second job on it, and
// checks that the blocked job is placed once the first job's allocation
// ends and frees the memory.
func TestEndedAllocUnblocks(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	conn := dial(t, s)
	node := mockNode(1024)
	registerNode(t, conn, node)
	first := mockJob(1, 800)
	registerJob(t, s, first)
	placed := waitAllocs(t, s, node.ID, 1)

	second := mockJob(1, 800)
	registerJob(t, s, second)
	testutil.WaitFor(t, func() error {
		if n := s.blocked.Stats().TotalBlocked; n != 1 {
			return fmt.Errorf("got %d blocked evals, want 1", n)
		}
		return nil
	})

	done := &structs.Allocation{ID: placed[0].ID, ClientStatus: structs.AllocClientStatusComplete}
	var resp structs.GenericResponse
	if err := rpc.Call(context.Background(), conn, rpc.NodeUpdateAlloc, &structs.AllocUpdateRequest{Alloc: []*structs.Allocation{done}}, &resp); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, func() error {
		allocs, _ := s.State().AllocsByJob(nil, second.Namespace, second.ID)
		for _, a := range allocs {
			if !a.TerminalStatus() && a.NodeID == node.ID {
				return nil
			}
		}
		return fmt.Errorf("second job not placed yet (%d allocs)", len(allocs))
	})
}
