package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/droverhq/drover/server/testutil"
	"github.com/droverhq/drover/structs"
)

// drain starts (spec non-nil) or ends a node's drain.
func drain(t *testing.T, s *Server, nodeID string, spec *structs.DrainSpec, markEligible bool) *structs.NodeDrainUpdateResponse {
	t.Helper()
	req := &structs.NodeUpdateDrainRequest{NodeID: nodeID, MarkEligible: markEligible}
	if spec != nil {
		req.DrainStrategy = &structs.DrainStrategy{DrainSpec: *spec}
	}
	resp, err := s.NodeUpdateDrain(context.Background(), req)
	if err != nil {
		t.Fatalf("update drain: %v", err)
	}
	return resp
}

// waitDrained waits until the node's drain has ended.
func waitDrained(t *testing.T, s *Server, nodeID string) *structs.Node {
	t.Helper()
	var n *structs.Node
	testutil.WaitFor(t, func() error {
		n, _ = s.State().NodeByID(nil, nodeID)
		if n.Drain || n.DrainStrategy != nil {
			return fmt.Errorf("node still draining (strategy %+v)", n.DrainStrategy)
		}
		return nil
	})
	return n
}

func jobsOf(allocs []*structs.Allocation) map[string]int {
	out := map[string]int{}
	for _, a := range allocs {
		out[a.JobID]++
	}
	return out
}

// Draining a node moves its service allocations to another node, stops
// its system allocation once they are gone, and leaves it ineligible.
func TestNodeDrainMigratesServiceAllocs(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	conn := dial(t, s)
	drained, other := mockNode(8192), mockNode(8192)
	registerNode(t, conn, drained)
	service := mockJob(2, 256)
	system := systemJob(structs.JobTypeSystem)
	registerJob(t, s, service)
	registerJob(t, s, system)
	waitAllocs(t, s, drained.ID, 3)
	registerNode(t, conn, other)
	waitAllocs(t, s, other.ID, 1) // the system job follows the new node

	resp := drain(t, s, drained.ID, &structs.DrainSpec{}, false)
	if resp.EvalCreateIndex == 0 {
		t.Errorf("drain created no evals (EvalCreateIndex 0), want node-update evals")
	}
	n, _ := s.State().NodeByID(nil, drained.ID)
	if n.SchedulingEligibility != structs.NodeSchedulingIneligible {
		t.Errorf("draining node eligibility = %q, want ineligible", n.SchedulingEligibility)
	}

	n = waitDrained(t, s, drained.ID)
	if n.SchedulingEligibility != structs.NodeSchedulingIneligible {
		t.Errorf("drained node eligibility = %q, want ineligible", n.SchedulingEligibility)
	}
	if left := liveAllocs(t, s, drained.ID); len(left) != 0 {
		t.Errorf("drained node has %d live allocs (%v), want 0", len(left), jobsOf(left))
	}
	moved := waitAllocs(t, s, other.ID, 3)
	if got := jobsOf(moved); got[service.ID] != 2 || got[system.ID] != 1 {
		t.Errorf("other node runs %v, want 2 of %s and 1 of %s", got, service.ID, system.ID)
	}
}

// A batch allocation is left to finish until the deadline, then stopped
// and replaced; IgnoreSystemJobs leaves the system allocation running.
func TestNodeDrainDeadlineStopsBatch(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	conn := dial(t, s)
	drained, other := mockNode(8192), mockNode(8192)
	registerNode(t, conn, drained)
	batch := mockJob(1, 256)
	batch.Type, batch.ID, batch.Name = structs.JobTypeBatch, "batch-"+batch.ID, "batch-"+batch.ID
	system := systemJob(structs.JobTypeSystem)
	registerJob(t, s, batch)
	registerJob(t, s, system)
	waitAllocs(t, s, drained.ID, 2)
	registerNode(t, conn, other)
	waitAllocs(t, s, other.ID, 1)

	const deadline = 600 * time.Millisecond
	start := time.Now()
	drain(t, s, drained.ID, &structs.DrainSpec{Deadline: deadline, IgnoreSystemJobs: true}, false)
	waitDrained(t, s, drained.ID)
	if took := time.Since(start); took < deadline {
		t.Errorf("drain ended after %s, before its %s deadline, with a batch alloc running", took, deadline)
	}
	left := liveAllocs(t, s, drained.ID)
	if got := jobsOf(left); len(left) != 1 || got[system.ID] != 1 {
		t.Errorf("drained node runs %v, want only the system alloc (ignored)", got)
	}
	all, _ := s.State().AllocsByNode(nil, drained.ID)
	for _, a := range all {
		if a.JobID == batch.ID && a.DesiredStatus != structs.AllocDesiredStatusStop {
			t.Errorf("batch alloc on the drained node: desired %q, want stop", a.DesiredStatus)
		}
	}
	moved := waitAllocs(t, s, other.ID, 2)
	if got := jobsOf(moved); got[batch.ID] != 1 {
		t.Errorf("other node runs %v, want the batch alloc replaced there", got)
	}
}

func TestNodeEligibility(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	conn := dial(t, s)
	node := mockNode(8192)
	registerNode(t, conn, node)
	ctx := context.Background()
	set := func(e string) error {
		_, err := s.NodeUpdateEligibility(ctx, &structs.NodeUpdateEligibilityRequest{NodeID: node.ID, Eligibility: e})
		return err
	}
	eligibility := func() string {
		n, _ := s.State().NodeByID(nil, node.ID)
		return n.SchedulingEligibility
	}
	// A batch alloc that never finishes (no client runs it) keeps the drain
	// below from completing at once, so "enable while draining" really
	// happens while the node drains.
	batch := mockJob(1, 256)
	batch.Type = structs.JobTypeBatch
	registerJob(t, s, batch)
	waitAllocs(t, s, node.ID, 1)

	tests := []struct {
		name    string
		do      func() error
		wantErr error
		want    string
	}{
		{"bad value", func() error { return set("maybe") }, structs.ErrInvalid, structs.NodeSchedulingEligible},
		{"unknown node", func() error {
			_, err := s.NodeUpdateEligibility(ctx, &structs.NodeUpdateEligibilityRequest{NodeID: "nope", Eligibility: "eligible"})
			return err
		}, structs.ErrNotFound, structs.NodeSchedulingEligible},
		{"disable", func() error { return set(structs.NodeSchedulingIneligible) }, nil, structs.NodeSchedulingIneligible},
		{"enable", func() error { return set(structs.NodeSchedulingEligible) }, nil, structs.NodeSchedulingEligible},
		{"drain", func() error { drain(t, s, node.ID, &structs.DrainSpec{}, false); return nil }, nil, structs.NodeSchedulingIneligible},
		{"enable while draining", func() error { return set(structs.NodeSchedulingEligible) }, structs.ErrInvalid, structs.NodeSchedulingIneligible},
		{"disable drain, mark eligible", func() error { drain(t, s, node.ID, nil, true); return nil }, nil, structs.NodeSchedulingEligible},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if (tt.wantErr == nil) != (err == nil) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("got error %v, want %v", err, tt.wantErr)
			}
			if got := eligibility(); got != tt.want {
				t.Errorf("eligibility = %q, want %q", got, tt.want)
			}
		})
	}
}

// A force drain (negative deadline) stops everything at once, system
// allocations included.
func TestNodeDrainForce(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	conn := dial(t, s)
	node := mockNode(8192)
	registerNode(t, conn, node)
	batch := mockJob(1, 256)
	batch.Type, batch.ID, batch.Name = structs.JobTypeBatch, "batch-"+batch.ID, "batch-"+batch.ID
	registerJob(t, s, batch)
	registerJob(t, s, systemJob(structs.JobTypeSystem))
	waitAllocs(t, s, node.ID, 2)

	drain(t, s, node.ID, &structs.DrainSpec{Deadline: -1}, false)
	waitDrained(t, s, node.ID)
	if left := liveAllocs(t, s, node.ID); len(left) != 0 {
		t.Errorf("force-drained node has %d live allocs (%v), want 0", len(left), jobsOf(left))
	}
}

// The drainer keeps nothing the state does not have: a drain started
// under one leadership term is finished by the next.
func TestNodeDrainSurvivesLeadershipChange(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	conn := dial(t, s)
	node := mockNode(8192)
	registerNode(t, conn, node)
	batch := mockJob(1, 256)
	batch.Type, batch.ID, batch.Name = structs.JobTypeBatch, "batch-"+batch.ID, "batch-"+batch.ID
	registerJob(t, s, batch)
	waitAllocs(t, s, node.ID, 1)

	s.revokeLeadership()
	drainReq := &structs.NodeUpdateDrainRequest{NodeID: node.ID,
		DrainStrategy: s.newDrainStrategy(structs.DrainSpec{Deadline: 300 * time.Millisecond})}
	if _, err := s.RaftApply(structs.NodeUpdateDrainRequestType, drainReq); err != nil {
		t.Fatal(err)
	}
	s.establishLeadership()
	waitDrained(t, s, node.ID)
	if left := liveAllocs(t, s, node.ID); len(left) != 0 {
		t.Errorf("node drained by the new term has %d live allocs, want the batch alloc stopped at the deadline", len(left))
	}
}
