package scheduler

import (
	"testing"

	"github.com/droverhq/drover/structs"
)

func TestPlanAnnotations(t *testing.T) {
	h, _ := newTestHarness(t, 4)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 3
	idle := *job.TaskGroups[0]
	idle.Name, idle.Count = "idle", 0
	job.TaskGroups = append(job.TaskGroups, &idle)
	h.UpsertJob(job)
	process(t, h, job)
	d := lastPlan(t, h).Annotations.DesiredTGUpdates
	if d["web"] == nil || d["web"].Place != 3 || d["idle"] == nil || *d["idle"] != (structs.DesiredUpdates{}) {
		t.Fatalf("DesiredTGUpdates = web %+v idle %+v, want web Place 3 and an empty entry for idle", d["web"], d["idle"])
	}

	// Count down by one and change the task: 1 stop, 2 destructive.
	next := *job
	tg := *job.TaskGroups[0]
	task := *tg.Tasks[0]
	task.Env = map[string]string{"V": "2"}
	tg.Tasks, tg.Count = []*structs.Task{&task}, 2
	next.TaskGroups = []*structs.TaskGroup{&tg, &idle}
	h.UpsertJob(&next)
	process(t, h, &next)
	got := *lastPlan(t, h).Annotations.DesiredTGUpdates["web"]
	if want := (structs.DesiredUpdates{Stop: 1, DestructiveUpdate: 2}); got != want {
		t.Errorf("DesiredTGUpdates[web] = %+v, want %+v", got, want)
	}

	// Stopping the job stops the two left; every group is still listed.
	stopped := next
	stopped.Stop = true
	h.UpsertJob(&stopped)
	process(t, h, &stopped)
	d = lastPlan(t, h).Annotations.DesiredTGUpdates
	if d["web"] == nil || d["web"].Stop != 2 || d["idle"] == nil {
		t.Errorf("after stop DesiredTGUpdates = web %+v idle %+v, want web Stop 2 and an entry for idle", d["web"], d["idle"])
	}
}

// A dry run (`job plan`) sees what would happen, commits nothing, and gets
// a plan with annotations even when nothing would change.
func TestDryRun(t *testing.T) {
	h, _ := newTestHarness(t, 3)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 2
	h.UpsertJob(job)
	process(t, h, job)
	before := len(h.Allocs())

	plan := func(j *structs.Job) *DryRunPlanner {
		t.Helper()
		p := &DryRunPlanner{}
		st := OverlayJob(h.State(), PlannedJob(h.State(), j, testNow))
		s, err := NewScheduler(j.Type, nil, st, p)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Process(MockEval(j)); err != nil {
			t.Fatalf("Process: %v", err)
		}
		if p.Plan == nil || p.Plan.Annotations == nil || p.Eval == nil || p.Eval.Status != structs.EvalStatusComplete {
			t.Fatalf("dry run: plan %v eval %v, want an annotated plan and a complete eval", p.Plan, p.Eval)
		}
		return p
	}
	// Same job: no changes, still annotated.
	p := plan(job)
	if d := p.Plan.Annotations.DesiredTGUpdates["web"]; d.Ignore != 2 || !p.Plan.IsNoOp() {
		t.Errorf("unchanged job: DesiredTGUpdates = %+v noop %v, want Ignore 2 and a no-op plan", d, p.Plan.IsNoOp())
	}
	// Scaled up beyond capacity: places some, reports the rest.
	bigger := *job
	tg := *job.TaskGroups[0]
	tg.Count = 100
	bigger.TaskGroups = []*structs.TaskGroup{&tg}
	p = plan(&bigger)
	d := p.Plan.Annotations.DesiredTGUpdates["web"]
	if d.Place != 98 || d.InPlaceUpdate != 2 || p.Eval.FailedTGAllocs["web"] == nil || len(p.Created) != 1 {
		t.Errorf("scale up: DesiredTGUpdates = %+v failed %v created %d, want Place 98 InPlaceUpdate 2, a failure report and a blocked eval", d, p.Eval.FailedTGAllocs, len(p.Created))
	}
	if len(h.Allocs()) != before || len(h.Created) != 0 {
		t.Errorf("dry run changed the cluster: %d allocs (was %d), %d evals created", len(h.Allocs()), before, len(h.Created))
	}
}

// The overlay shows the planned job and passes everything else, the
// scheduler configuration included, through to the state under it.
func TestOverlayJob(t *testing.T) {
	h, _ := newTestHarness(t, 1)
	cfg := &structs.SchedulerConfiguration{SchedulerAlgorithm: structs.SchedulerAlgorithmSpread}
	h.SetSchedulerConfig(cfg)
	job := MockServiceJob()
	h.UpsertJob(job)
	st := h.State()
	stored := st.JobByID(job.Namespace, job.ID)

	if got := PlannedJob(st, job, testNow); got != stored {
		t.Errorf("unchanged spec: PlannedJob = %p, want the stored version %p", got, stored)
	}
	edited := *job
	edited.Priority = 70
	planned := PlannedJob(st, &edited, testNow)
	if planned.Version != stored.Version+1 || planned.JobModifyIndex != st.Index()+1 ||
		planned.CreateIndex != stored.CreateIndex || planned.SubmitTime != testNow.UnixNano() {
		t.Errorf("edited: got version %d, JobModifyIndex %d, CreateIndex %d, SubmitTime %d; want %d, %d, %d, %d",
			planned.Version, planned.JobModifyIndex, planned.CreateIndex, planned.SubmitTime,
			stored.Version+1, st.Index()+1, stored.CreateIndex, testNow.UnixNano())
	}
	fresh := MockServiceJob()
	if p := PlannedJob(st, fresh, testNow); p.Version != 0 || p.CreateIndex != st.Index()+1 {
		t.Errorf("new job: got version %d, CreateIndex %d; want 0 and %d", p.Version, p.CreateIndex, st.Index()+1)
	}

	view := OverlayJob(st, planned)
	if got := view.JobByID(job.Namespace, job.ID); got != planned {
		t.Errorf("JobByID = %p, want the planned job %p", got, planned)
	}
	if got := view.SchedulerConfig(); got == nil || got.SchedulerAlgorithm != structs.SchedulerAlgorithmSpread {
		t.Errorf("SchedulerConfig = %+v, want the state's (spread)", got)
	}
	if got := view.Index(); got != st.Index() {
		t.Errorf("Index = %d, want the state's %d", got, st.Index())
	}
}
