package scheduler

import (
	"errors"
	"strings"
	"testing"

	"github.com/droverhq/drover/structs"
)

func TestJobLevelDistinctPropertySpansGroups(t *testing.T) {
	h, nodes := newTestHarness(t, 4)
	for i, n := range nodes {
		n.Meta["rack"] = []string{"a", "a", "b", "b"}[i]
	}
	h.UpsertNodes(nodes...)
	job := MockServiceJob()
	job.Constraints = []*structs.Constraint{{LTarget: "${meta.rack}", Operand: structs.ConstraintDistinctProperty}}
	second := *job.TaskGroups[0]
	second.Name = "api"
	job.TaskGroups = append(job.TaskGroups, &second)
	job.TaskGroups[0].Count, second.Count = 1, 2
	h.UpsertJob(job)
	ev := process(t, h, job)
	// One alloc per rack for the whole job: two racks, three instances.
	if got := len(h.LiveAllocs(job.Namespace, job.ID)); got != 2 {
		t.Fatalf("placed %d, want 2 (one per rack across both groups)", got)
	}
	m := ev.FailedTGAllocs["api"]
	if m == nil {
		t.Fatalf("FailedTGAllocs = %v, want a failure for group api", ev.FailedTGAllocs)
	}
	if key := constraintKey(job.Constraints[0]); m.ConstraintFiltered[key] == 0 {
		t.Errorf("ConstraintFiltered = %v, want a count for %q", m.ConstraintFiltered, key)
	}
}

func TestTaskNetworksGetPorts(t *testing.T) {
	h, _ := newTestHarness(t, 1)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].Tasks[0].Resources.Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "rpc"}}}}
	h.UpsertJob(job)
	process(t, h, job)
	seen := map[int]bool{}
	for _, a := range planned(lastPlan(t, h)) {
		nets := a.AllocatedResources.Tasks["web"].Networks
		if len(nets) != 1 || len(nets[0].DynamicPorts) != 1 || nets[0].DynamicPorts[0].Value == 0 {
			t.Fatalf("task networks = %+v, want one assigned dynamic port", nets)
		}
		p := nets[0].DynamicPorts[0].Value
		if seen[p] {
			t.Fatalf("port %d assigned twice on one node", p)
		}
		seen[p] = true
	}
	if job.TaskGroups[0].Tasks[0].Resources.Networks[0].DynamicPorts[0].Value != 0 {
		t.Errorf("the job's own network ask was modified")
	}
	checkNoOvercommit(t, h)
}

func TestStaticPortReservedByNode(t *testing.T) {
	h, nodes := newTestHarness(t, 2)
	nodes[0].ReservedResources = &structs.NodeReservedResources{Networks: structs.NodeReservedNetworkResources{ReservedHostPorts: "80"}}
	h.UpsertNodes(nodes...)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].Networks = []*structs.NetworkResource{{ReservedPorts: []structs.Port{{Label: "http", Value: 80}}}}
	h.UpsertJob(job)
	ev := process(t, h, job)
	placed := planned(lastPlan(t, h))
	if len(placed) != 1 || placed[0].NodeID != nodes[1].ID {
		t.Fatalf("placed %d, want 1 on node-1", len(placed))
	}
	m := ev.FailedTGAllocs["web"]
	if m == nil || m.DimensionExhausted[structs.ReservedPortCollision] != 1 || m.DimensionExhausted[structs.PortCollision] != 1 {
		t.Fatalf("DimensionExhausted = %v, want one reserved-port and one port collision", m)
	}
}

// failingPlanner fails every plan submission.
type failingPlanner struct{ *Harness }

func (f failingPlanner) SubmitPlan(*structs.Plan) (*structs.PlanResult, State, error) {
	return nil, nil, errors.New("raft is on fire")
}

func TestPlannerErrorFailsEval(t *testing.T) {
	h, _ := newTestHarness(t, 1)
	job := MockServiceJob()
	h.UpsertJob(job)
	s := NewServiceScheduler(nil, h.State(), failingPlanner{h})
	err := s.Process(MockEval(job))
	if err == nil || !strings.Contains(err.Error(), "raft is on fire") {
		t.Fatalf("Process error = %v, want the planner's error", err)
	}
	ev := lastUpdated(t, h)
	if ev.Status != structs.EvalStatusFailed || !strings.Contains(ev.StatusDescription, "raft is on fire") {
		t.Errorf("eval = %q %q, want failed with the cause", ev.Status, ev.StatusDescription)
	}
}

// staleRefreshPlanner asks for a refresh but returns no new state.
type staleRefreshPlanner struct{ *Harness }

func (p staleRefreshPlanner) SubmitPlan(*structs.Plan) (*structs.PlanResult, State, error) {
	return &structs.PlanResult{RefreshIndex: 99}, nil, nil
}

func TestRefreshWithoutStateIsAnError(t *testing.T) {
	h, _ := newTestHarness(t, 1)
	job := MockServiceJob()
	h.UpsertJob(job)
	if err := NewServiceScheduler(nil, h.State(), staleRefreshPlanner{h}).Process(MockEval(job)); err == nil {
		t.Fatalf("Process succeeded, want an error rather than re-planning on a stale snapshot")
	}
}

func TestJobStopMarksAllocsOnDownNodesLost(t *testing.T) {
	h, nodes := newTestHarness(t, 2)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 2
	h.UpsertJob(job)
	done := MockAlloc(job, nodes[1], 1)
	done.ClientStatus = structs.AllocClientStatusComplete
	h.UpsertAllocs(MockAlloc(job, nodes[0], 0), done)
	down := *nodes[0]
	down.Status = structs.NodeStatusDown
	h.UpsertNodes(&down)
	stopped := *job
	stopped.Stop = true
	h.UpsertJob(&stopped)
	process(t, h, &stopped)
	stops := stoppedIn(lastPlan(t, h))
	if len(stops) != 1 || stops[0].ClientStatus != structs.AllocClientStatusLost {
		t.Fatalf("stops = %d (%v), want the one alloc on the down node, marked lost; the complete one left alone", len(stops), stops)
	}
}

func TestEscapedComputedClass(t *testing.T) {
	h, _ := newTestHarness(t, 1)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 2
	job.Constraints = []*structs.Constraint{{LTarget: "${node.unique.name}", RTarget: "nope", Operand: "="}}
	h.UpsertJob(job)
	ev := process(t, h, job)
	if !ev.EscapedComputedClass || !h.Created[0].EscapedComputedClass {
		t.Errorf("EscapedComputedClass = %v / blocked %v, want true for a node.unique constraint", ev.EscapedComputedClass, h.Created[0].EscapedComputedClass)
	}
}

// TestConcurrentSchedulersRetryOnConflict plans two jobs from the same
// snapshot, as two workers would: the second plan collides with the first
// in the applier's fit check, and the scheduler re-plans on the refreshed
// state, keeping what was committed and blocking what no longer fits.
func TestConcurrentSchedulersRetryOnConflict(t *testing.T) {
	h, _ := newTestHarness(t, 2)
	a, b := MockServiceJob(), MockServiceJob()
	a.TaskGroups[0].Count, b.TaskGroups[0].Count = 1, 2
	for _, j := range []*structs.Job{a, b} {
		j.TaskGroups[0].Tasks[0].Resources = &structs.Resources{CPU: 10, MemoryMB: 6000} // one per node
		h.UpsertJob(j)
	}
	snap := h.State()
	for _, j := range []*structs.Job{a, b} {
		if err := NewServiceScheduler(nil, snap, h).Process(MockEval(j)); err != nil {
			t.Fatalf("Process: %v", err)
		}
	}
	checkNoOvercommit(t, h)
	// b's plan is partly rejected; its retry has nothing left that fits, so
	// it submits no plan and blocks instead.
	if len(h.Results) != 2 || h.Results[1].RefreshIndex == 0 {
		t.Fatalf("results = %d, want 2 with b's asking for a refresh", len(h.Results))
	}
	if n := len(h.LiveAllocs(b.Namespace, b.ID)); n != 1 {
		t.Errorf("job b has %d live allocs, want 1 (the node a took is full)", n)
	}
	ev := lastUpdated(t, h)
	if ev.JobID != b.ID || ev.BlockedEval == "" || ev.QueuedAllocations["web"] != 1 {
		t.Errorf("b's eval = blocked %q queued %v, want a blocked eval and 1 queued", ev.BlockedEval, ev.QueuedAllocations)
	}
	checkUniqueNames(t, h, b)
}

// TestPortPrecheckMissIsRecovered covers a node that passes the cheap port
// pre-check but cannot grant the ports: its only dynamic port is also the
// static port asked for.
func TestPortPrecheckMissIsRecovered(t *testing.T) {
	h, nodes := newTestHarness(t, 2)
	nodes[0].NodeResources.MinDynamicPort, nodes[0].NodeResources.MaxDynamicPort = 20000, 20000
	h.UpsertNodes(nodes...)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].Networks = []*structs.NetworkResource{{
		ReservedPorts: []structs.Port{{Label: "fixed", Value: 20000}},
		DynamicPorts:  []structs.Port{{Label: "dyn"}},
	}}
	h.UpsertJob(job)
	ev := process(t, h, job)
	placed := planned(lastPlan(t, h))
	if len(placed) != 1 || placed[0].NodeID != nodes[1].ID {
		t.Fatalf("placed %d, want 1 on node-1", len(placed))
	}
	m := ev.FailedTGAllocs["web"]
	if m == nil || m.DimensionExhausted[structs.DynamicPortExhausted] != 1 {
		t.Fatalf("failure = %+v, want node-0 exhausted on dynamic ports", m)
	}
	checkNoOvercommit(t, h)
}

// TestMalformedJobDoesNotPanic feeds nil entries that validation would
// reject; the scheduler must not crash a server worker on them.
func TestMalformedJobDoesNotPanic(t *testing.T) {
	h, _ := newTestHarness(t, 1)
	job := MockServiceJob()
	job.Constraints = []*structs.Constraint{nil}
	job.Affinities = []*structs.Affinity{nil, {LTarget: "${meta.rack}", RTarget: "r1", Weight: 0}}
	job.TaskGroups = append(job.TaskGroups, nil)
	job.TaskGroups[0].Tasks = append(job.TaskGroups[0].Tasks, nil)
	job.TaskGroups[0].Count = 1
	h.UpsertJob(job)
	if ev := process(t, h, job); ev.Status != structs.EvalStatusComplete {
		t.Fatalf("eval status %q, want complete", ev.Status)
	}
}
