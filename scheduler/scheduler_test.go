package scheduler

import (
	"errors"
	"testing"

	"github.com/droverhq/drover/structs"
)

func TestNewScheduler(t *testing.T) {
	for _, name := range []string{"service", "batch", "system", "sysbatch"} {
		if s, err := NewScheduler(name, nil, NewMemState(1, nil, nil, nil, nil), NewHarness()); err != nil || s == nil {
			t.Errorf("NewScheduler(%q) = (%v, %v), want a scheduler", name, s, err)
		}
	}
	if _, err := NewScheduler("bogus", nil, nil, nil); !errors.Is(err, structs.ErrInvalid) {
		t.Errorf("NewScheduler(bogus) error = %v, want ErrInvalid", err)
	}
}

func TestServiceRegisterPlacesAll(t *testing.T) {
	h, _ := newTestHarness(t, 10)
	job := MockServiceJob()
	job.TaskGroups[0].Networks = []*structs.NetworkResource{{
		ReservedPorts: []structs.Port{{Label: "admin", Value: 9999}},
		DynamicPorts:  []structs.Port{{Label: "http", To: 8080}},
	}}
	h.UpsertJob(job)
	ev := process(t, h, job)

	if ev.Status != structs.EvalStatusComplete || ev.BlockedEval != "" || len(ev.FailedTGAllocs) != 0 {
		t.Fatalf("eval = status %q blocked %q failed %v, want complete with no failures", ev.Status, ev.BlockedEval, ev.FailedTGAllocs)
	}
	if q := ev.QueuedAllocations["web"]; q != 0 {
		t.Errorf("QueuedAllocations[web] = %d, want 0", q)
	}
	p := lastPlan(t, h)
	if p.Job != job || p.EvalID != ev.ID || p.Priority != job.Priority || p.SnapshotIndex == 0 {
		t.Errorf("plan header = job %p eval %q prio %d index %d, want the job, eval, priority and snapshot index", p.Job, p.EvalID, p.Priority, p.SnapshotIndex)
	}
	allocs := planned(p)
	wantNames(t, "placed", allocs, job, "web", 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
	for _, a := range allocs {
		if a.ID == "" || a.EvalID != ev.ID || a.Job != job || a.JobID != job.ID || a.Namespace != job.Namespace ||
			a.TaskGroup != "web" || a.NodeName == "" || a.DesiredStatus != "run" || a.ClientStatus != "pending" ||
			a.CreateTime != testNow.UnixNano() || a.Metrics == nil {
			t.Fatalf("alloc fields wrong: %+v", a)
		}
		r := a.AllocatedResources
		if r.Tasks["web"].Cpu.CpuShares != 500 || r.Tasks["web"].Memory.MemoryMB != 256 || r.Shared.DiskMB != 150 {
			t.Fatalf("alloc resources = %+v, want 500 MHz / 256 MB / 150 MB disk", r)
		}
		if len(r.Shared.Ports) != 2 || r.Shared.Ports[0].Value != 9999 || r.Shared.Ports[1].To != 8080 ||
			r.Shared.Ports[1].Value < structs.DefaultMinDynamicPort || r.Shared.Networks[0].DynamicPorts[0].Value != r.Shared.Ports[1].Value {
			t.Fatalf("ports = %+v networks %+v, want admin 9999 and a dynamic http mapped to 8080", r.Shared.Ports, r.Shared.Networks[0])
		}
	}
	// Static port 9999 forces one instance per node.
	if len(p.NodeAllocation) != 10 {
		t.Errorf("allocs on %d nodes, want 10 (the static port allows one per node)", len(p.NodeAllocation))
	}
	checkNoOvercommit(t, h)

	// A second evaluation changes nothing.
	plans := len(h.Plans)
	ev2 := process(t, h, job)
	if len(h.Plans) != plans || ev2.Status != structs.EvalStatusComplete {
		t.Errorf("re-evaluating an up-to-date job submitted a plan or did not complete: %d plans, status %q", len(h.Plans)-plans, ev2.Status)
	}
}

func TestExhaustionReportsAndBlocks(t *testing.T) {
	h, nodes := newTestHarness(t, 3)
	nodes[2].NodeClass = "gpu"
	job := MockServiceJob()
	job.TaskGroups[0].Count = 100
	job.TaskGroups[0].Tasks[0].Resources = &structs.Resources{CPU: 10, MemoryMB: 3000}
	h.UpsertJob(job)
	ev := process(t, h, job)

	// 8192 MB nodes hold two 3,000 MB instances each: 6 placed, 94 queued.
	if got := len(planned(lastPlan(t, h))); got != 6 {
		t.Fatalf("placed %d, want 6", got)
	}
	m := ev.FailedTGAllocs["web"]
	if m == nil {
		t.Fatalf("FailedTGAllocs[web] missing: %v", ev.FailedTGAllocs)
	}
	if m.NodesEvaluated != 3 || m.NodesExhausted != 3 || m.DimensionExhausted["memory"] != 3 || m.CoalescedFailures != 93 ||
		m.NodesAvailable["dc1"] != 3 || m.ClassExhausted["gpu"] != 1 {
		t.Errorf("metric = %+v, want 3 evaluated, 3 exhausted on memory, 93 coalesced, 3 available in dc1", m)
	}
	if ev.QueuedAllocations["web"] != 94 {
		t.Errorf("QueuedAllocations[web] = %d, want 94", ev.QueuedAllocations["web"])
	}
	if len(h.Created) != 1 {
		t.Fatalf("created %d evals, want 1 blocked eval", len(h.Created))
	}
	b := h.Created[0]
	if b.Status != structs.EvalStatusBlocked || b.TriggeredBy != structs.EvalTriggerQueuedAllocs || b.PreviousEval != ev.ID ||
		b.JobID != job.ID || ev.BlockedEval != b.ID || !b.ClassEligibility[nodes[0].ComputedClass] {
		t.Errorf("blocked eval = %+v (eval.BlockedEval %q), want blocked, queued-allocs, linked, class %s eligible", b, ev.BlockedEval, nodes[0].ComputedClass)
	}
	if ev.Status != structs.EvalStatusComplete {
		t.Errorf("eval status = %q, want complete", ev.Status)
	}

	// Retrying the blocked eval with still no room reblocks it.
	updates := len(h.Updated)
	if err := h.Process(b); err != nil {
		t.Fatalf("Process(blocked): %v", err)
	}
	if len(h.Reblocked) != 1 || len(h.Created) != 1 || len(h.Updated) != updates {
		t.Fatalf("retried blocked eval: %d reblocked, %d created, %d updates; want 1, 1 (no new blocked eval), %d", len(h.Reblocked), len(h.Created), len(h.Updated), updates)
	}
	if r := h.Reblocked[0]; r.ID != b.ID || r.Status != structs.EvalStatusBlocked || r.FailedTGAllocs["web"] == nil {
		t.Errorf("reblocked eval = %+v, want the blocked eval, still blocked, with its failure report", r)
	}
	checkNoOvercommit(t, h)
}

func TestPlanRetryThenMaxAttempts(t *testing.T) {
	h, _ := newTestHarness(t, 2)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 2
	h.UpsertJob(job)
	rejected := 0
	h.RejectPlan = func(*structs.Plan) bool { rejected++; return rejected <= 2 }
	ev := process(t, h, job)
	if len(h.Plans) != 3 || ev.Status != structs.EvalStatusComplete {
		t.Fatalf("after two rejections: %d plans, status %q; want 3 plans and complete", len(h.Plans), ev.Status)
	}

	h2, _ := newTestHarness(t, 2)
	job2 := MockServiceJob()
	h2.UpsertJob(job2)
	h2.RejectPlan = func(*structs.Plan) bool { return true }
	ev2 := process(t, h2, job2)
	if len(h2.Plans) != maxPlanAttempts || ev2.Status != structs.EvalStatusFailed {
		t.Fatalf("always rejected: %d plans, status %q; want %d plans and failed", len(h2.Plans), ev2.Status, maxPlanAttempts)
	}
	if len(h2.Created) != 1 || h2.Created[0].TriggeredBy != structs.EvalTriggerMaxPlans || ev2.NextEval != h2.Created[0].ID ||
		h2.Created[0].WaitUntil.IsZero() {
		t.Errorf("follow-up = %+v, want one max-plan-attempts eval linked by NextEval with a WaitUntil", h2.Created)
	}
}

// A plan that is partly rejected on every try but still commits something
// each time is progress: it must not run out of attempts.
func TestPartialRejectionsWithProgressDoNotExhaustAttempts(t *testing.T) {
	h, _ := newTestHarness(t, 8)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 8
	// One alloc per node, so committing one node's placements per plan
	// takes eight plans.
	job.Constraints = append(job.Constraints, &structs.Constraint{Operand: structs.ConstraintDistinctHosts})
	h.UpsertJob(job)
	// Each plan commits the placements of one node only (the first in
	// sorted order) and rejects the rest.
	h.RejectNode = func(plan *structs.Plan, nodeID string) bool {
		return nodeID != sortedKeys(plan.NodeAllocation)[0]
	}
	ev := process(t, h, job)
	if ev.Status != structs.EvalStatusComplete {
		t.Fatalf("eval status %q after %d plans (%s), want complete", ev.Status, len(h.Plans), ev.StatusDescription)
	}
	if len(h.Plans) <= maxPlanAttempts {
		t.Fatalf("only %d plans: the test needs more partly rejected plans than maxPlanAttempts (%d)", len(h.Plans), maxPlanAttempts)
	}
	if n := len(h.LiveAllocs(job.Namespace, job.ID)); n != 8 {
		t.Fatalf("got %d live allocs, want 8", n)
	}
	checkNoOvercommit(t, h)
}

func TestEvalNotMutated(t *testing.T) {
	h, _ := newTestHarness(t, 1)
	job := MockServiceJob()
	h.UpsertJob(job)
	ev := MockEval(job)
	if err := h.Process(ev); err != nil {
		t.Fatal(err)
	}
	if ev.Status != structs.EvalStatusPending {
		t.Errorf("caller's eval status = %q, want it left pending (the scheduler works on a copy)", ev.Status)
	}
}
