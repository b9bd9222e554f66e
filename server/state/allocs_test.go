package state

import (
	"testing"

	"github.com/droverhq/drover/structs"
)

func TestUpsertAllocsSharesJob(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertJob(1, testJob("web")))
	stored := get[*structs.Job](t)(s.JobByIDAndVersion(nil, "default", "web", 0))

	// Each alloc arrives with its own decoded copy of the job, as over Raft.
	a1, a2 := testAlloc(testJob("web"), "n1", 0), testAlloc(testJob("web"), "n2", 1)
	noJob := testAlloc(testJob("web"), "n3", 2)
	noJob.Job = nil
	must(t, s.UpsertAllocs(2, []*structs.Allocation{a1, a2, noJob}))

	for _, a := range get[[]*structs.Allocation](t)(s.AllocsByJob(nil, "default", "web")) {
		if a.Job != stored {
			t.Errorf("alloc %s: Job is not the stored job version", a.Name)
		}
	}
	// The head changes status but keeps the version: allocations still share.
	must(t, s.UpsertJob(3, testJob("web")))
	a4 := testAlloc(testJob("web"), "n4", 3)
	must(t, s.UpsertAllocs(4, []*structs.Allocation{a4}))
	if got := get[*structs.Allocation](t)(s.AllocByID(nil, a4.ID)); got.Job != stored {
		t.Errorf("alloc placed after an unchanged re-register has its own Job copy")
	}
}

func TestUpsertAllocsKeepsClientFields(t *testing.T) {
	s := newStore(t)
	job := testJob("web")
	must(t, s.UpsertJob(1, job))
	a := testAlloc(job, "n1", 0)
	must(t, s.UpsertAllocs(2, []*structs.Allocation{a}))

	got := get[*structs.Allocation](t)(s.AllocByID(nil, a.ID))
	if got.CreateIndex != 2 || got.AllocModifyIndex != 2 || got.ClientStatus != structs.AllocClientStatusPending {
		t.Errorf("new alloc: create %d allocModify %d client %q, want 2, 2, pending", got.CreateIndex, got.AllocModifyIndex, got.ClientStatus)
	}
	if got.CreateTime != fixedNow.UnixNano() || got.ModifyTime != fixedNow.UnixNano() {
		t.Errorf("times not stamped from the clock")
	}

	states := map[string]*structs.TaskState{"server": {State: structs.TaskStateRunning}}
	must(t, s.UpdateAllocsFromClient(3, []*structs.Allocation{{
		ID: a.ID, ClientStatus: structs.AllocClientStatusRunning, ClientDescription: "up", TaskStates: states,
		DesiredStatus: structs.AllocDesiredStatusStop, // ignored: clients do not decide this
	}, {ID: "unknown", ClientStatus: structs.AllocClientStatusRunning}}))
	got = get[*structs.Allocation](t)(s.AllocByID(nil, a.ID))
	if got.ClientStatus != structs.AllocClientStatusRunning || got.TaskStates["server"] == nil {
		t.Errorf("client update not merged: %q", got.ClientStatus)
	}
	if got.DesiredStatus != structs.AllocDesiredStatusRun || got.ModifyIndex != 3 || got.AllocModifyIndex != 2 {
		t.Errorf("client update: desired %q modify %d allocModify %d, want run, 3, 2", got.DesiredStatus, got.ModifyIndex, got.AllocModifyIndex)
	}

	stop := *a
	stop.DesiredStatus = structs.AllocDesiredStatusStop
	must(t, s.UpsertAllocs(4, []*structs.Allocation{&stop}))
	got = get[*structs.Allocation](t)(s.AllocByID(nil, a.ID))
	if got.ClientStatus != structs.AllocClientStatusRunning || got.TaskStates["server"] == nil || got.CreateIndex != 2 {
		t.Errorf("server stop lost client fields: client %q create %d", got.ClientStatus, got.CreateIndex)
	}
	if got.DesiredStatus != structs.AllocDesiredStatusStop || got.AllocModifyIndex != 4 {
		t.Errorf("server stop: desired %q allocModify %d, want stop, 4", got.DesiredStatus, got.AllocModifyIndex)
	}

	lost := stop
	lost.ClientStatus = structs.AllocClientStatusLost
	must(t, s.UpsertAllocs(5, []*structs.Allocation{&lost}))
	if got := get[*structs.Allocation](t)(s.AllocByID(nil, a.ID)); got.ClientStatus != structs.AllocClientStatusLost {
		t.Errorf("servers marking lost: client status %q, want lost", got.ClientStatus)
	}
}

func TestAllocLookups(t *testing.T) {
	s := newStore(t)
	job := testJob("web")
	ops := testJob("db")
	ops.Namespace = "ops"
	must(t, s.UpsertJob(1, job))
	must(t, s.UpsertJob(2, ops))
	a1, a2, a3 := testAlloc(job, "n1", 0), testAlloc(job, "n2", 1), testAlloc(ops, "n1", 0)
	a1.ID, a2.ID, a3.ID = "aaaa-1", "aaaa-2", "bbbb-1"
	a2.EvalID, a2.DeploymentID = "eval-2", "dep-1" // an eval no longer stored
	eval := testEval(job)
	a1.EvalID = eval.ID
	must(t, s.UpsertEvals(3, []*structs.Evaluation{eval}))
	must(t, s.UpsertAllocs(3, []*structs.Allocation{a1, a2, a3}))

	count := func(allocs []*structs.Allocation, err error) int {
		t.Helper()
		must(t, err)
		return len(allocs)
	}
	tests := []struct {
		name string
		got  int
		want int
	}{
		{"by node", count(s.AllocsByNode(nil, "n1")), 2},
		{"by job", count(s.AllocsByJob(nil, "default", "web")), 2},
		{"by eval", count(s.AllocsByEval(nil, eval.ID)), 1},
		{"by deleted eval", count(s.AllocsByEval(nil, "eval-2")), 1},
		{"by deployment", count(s.AllocsByDeployment(nil, "dep-1")), 1},
		{"prefix in namespace", count(s.AllocsByIDPrefix(nil, "default", "aaaa")), 2},
		{"prefix other namespace", count(s.AllocsByIDPrefix(nil, "ops", "aaaa")), 0},
		{"prefix any namespace", count(s.AllocsByIDPrefix(nil, "*", "")), 3},
		{"list namespace", count(s.AllocsList(nil, "ops")), 1},
		{"list all", count(s.AllocsList(nil, "*")), 3},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %d allocs, want %d", tt.name, tt.got, tt.want)
		}
	}

	must(t, s.DeleteEvals(4, nil, []string{a1.ID}))
	if got := count(s.AllocsByNode(nil, "n1")); got != 1 {
		t.Errorf("after delete: %d allocs on n1, want 1", got)
	}
}

func TestUpsertPlanResults(t *testing.T) {
	s := newStore(t)
	job := testJob("web")
	must(t, s.UpsertJob(1, job))
	old := testAlloc(job, "n1", 0)
	victim := testAlloc(testJob("batch"), "n2", 0)
	must(t, s.UpsertAllocs(2, []*structs.Allocation{old, victim}))

	stop := *old
	stop.DesiredStatus = structs.AllocDesiredStatusStop
	preempt := *victim
	preempt.DesiredStatus = structs.AllocDesiredStatusEvict
	place := testAlloc(job, "n2", 1)
	place.Job = nil // the plan's job stands in
	place.DeploymentID = "dep-1"
	dep := &structs.Deployment{ID: "dep-1", Namespace: "default", JobID: "web", Status: structs.DeploymentStatusRunning}
	preemptEval := testEval(testJob("batch"))
	must(t, s.UpsertPlanResults(3, &structs.ApplyPlanResultsRequest{
		AllocsStopped: []*structs.Allocation{&stop}, AllocsUpdated: []*structs.Allocation{place},
		AllocsPreempted: []*structs.Allocation{&preempt}, Job: testJob("web"), Deployment: dep,
		PreemptionEvals: []*structs.Evaluation{preemptEval},
	}))

	stored := get[*structs.Job](t)(s.JobByIDAndVersion(nil, "default", "web", 0))
	checks := []struct {
		name   string
		id     string
		status string
	}{
		{"stopped", old.ID, structs.AllocDesiredStatusStop},
		{"preempted", victim.ID, structs.AllocDesiredStatusEvict},
		{"placed", place.ID, structs.AllocDesiredStatusRun},
	}
	for _, c := range checks {
		a := get[*structs.Allocation](t)(s.AllocByID(nil, c.id))
		if a == nil || a.DesiredStatus != c.status || a.ModifyIndex != 3 {
			t.Errorf("%s alloc: got %+v, want desired %q at index 3", c.name, a, c.status)
		}
	}
	if a := get[*structs.Allocation](t)(s.AllocByID(nil, place.ID)); a.Job != stored {
		t.Errorf("placed alloc does not share the stored job version")
	}
	if d := get[*structs.Deployment](t)(s.DeploymentByID(nil, "dep-1")); d == nil || d.CreateIndex != 3 {
		t.Errorf("deployment not stored at index 3: %+v", d)
	}
	if e := get[*structs.Evaluation](t)(s.EvalByID(nil, preemptEval.ID)); e == nil {
		t.Errorf("preemption eval not stored")
	}
	for _, table := range []string{TableAllocs, TableDeployments, TableEvals} {
		if got := s.Index(table); got != 3 {
			t.Errorf("Index(%s) = %d, want 3", table, got)
		}
	}

	must(t, s.UpdateDeploymentStatus(4, []*structs.DeploymentStatusUpdate{{DeploymentID: "dep-1", Status: structs.DeploymentStatusSuccessful}}))
	ds := get[[]*structs.Deployment](t)(s.DeploymentsByJob(nil, "default", "web"))
	if len(ds) != 1 || ds[0].Status != structs.DeploymentStatusSuccessful || ds[0].CreateIndex != 3 {
		t.Errorf("deployment after status update: %+v", ds)
	}
}

func TestFailedWriteChangesNothing(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertJob(1, testJob("web")))
	err := s.UpsertPlanResults(2, &structs.ApplyPlanResultsRequest{
		AllocsUpdated:     []*structs.Allocation{testAlloc(testJob("web"), "n1", 0)},
		DeploymentUpdates: []*structs.DeploymentStatusUpdate{{DeploymentID: "missing"}},
	})
	if err == nil {
		t.Fatal("plan with an update of a missing deployment: got nil error")
	}
	if got := len(get[[]*structs.Allocation](t)(s.AllocsList(nil, "*"))); got != 0 || s.LatestIndex() != 1 {
		t.Errorf("failed write left %d allocs, index %d; want 0, 1", got, s.LatestIndex())
	}
}
