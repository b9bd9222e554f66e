package scheduler

import (
	"testing"
	"time"

	"github.com/droverhq/drover/structs"
)

// runningJob registers a service job of count n, places it, and marks every
// allocation running.
func runningJob(t *testing.T, h *Harness, job *structs.Job, n int) []*structs.Allocation {
	t.Helper()
	job.TaskGroups[0].Count = n
	h.UpsertJob(job)
	process(t, h, job)
	allocs := h.LiveAllocs(job.Namespace, job.ID)
	for _, a := range allocs {
		a.ClientStatus = structs.AllocClientStatusRunning
	}
	h.UpsertAllocs(allocs...)
	return allocs
}

// copyJob returns a new version of the job with a deep enough copy of its
// first group to change it.
func copyJob(job *structs.Job) *structs.Job {
	j := *job
	tg := *job.TaskGroups[0]
	task := *tg.Tasks[0]
	task.Env = map[string]string{}
	for k, v := range job.TaskGroups[0].Tasks[0].Env {
		task.Env[k] = v
	}
	tg.Tasks = []*structs.Task{&task}
	j.TaskGroups = []*structs.TaskGroup{&tg}
	return &j
}

func TestCountChanges(t *testing.T) {
	tests := []struct {
		name      string
		existing  []int // indexes of running allocs
		count     int
		wantPlace []int
		wantStop  []int
	}{
		{name: "scale up fills after", existing: []int{0, 1, 2}, count: 5, wantPlace: []int{3, 4}},
		{name: "gaps filled first", existing: []int{0, 2, 5}, count: 5, wantPlace: []int{1, 3}},
		{name: "scale down stops highest", existing: []int{0, 1, 2, 3, 4}, count: 3, wantStop: []int{3, 4}},
		{name: "scale down keeps low names", existing: []int{0, 4, 7}, count: 1, wantStop: []int{4, 7}},
		{name: "to zero", existing: []int{0, 1}, count: 0, wantStop: []int{0, 1}},
		{name: "steady", existing: []int{0, 1, 2}, count: 3},
		{name: "duplicate name stopped", existing: []int{0, 1, 1}, count: 3, wantStop: []int{1}, wantPlace: []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, nodes := newTestHarness(t, 3)
			job := MockServiceJob()
			job.TaskGroups[0].Count = tt.count
			h.UpsertJob(job)
			for i, idx := range tt.existing {
				h.UpsertAllocs(MockAlloc(job, nodes[i%3], idx))
			}
			ev := process(t, h, job)
			if ev.Status != structs.EvalStatusComplete {
				t.Fatalf("eval status %q, want complete", ev.Status)
			}
			if len(tt.wantPlace) == 0 && len(tt.wantStop) == 0 {
				if len(h.Plans) != 0 {
					t.Fatalf("submitted %d plans, want none", len(h.Plans))
				}
				return
			}
			p := lastPlan(t, h)
			wantNames(t, "placed", planned(p), job, "web", tt.wantPlace...)
			stops := stoppedIn(p)
			if len(tt.wantStop) == 1 && len(tt.existing) == 3 && tt.existing[2] == 1 {
				// Duplicates share a name: check the count only.
				if len(stops) != 1 {
					t.Fatalf("stopped %d, want 1 duplicate", len(stops))
				}
			} else {
				wantNames(t, "stopped", stops, job, "web", tt.wantStop...)
			}
			for _, s := range stops {
				if s.DesiredStatus != structs.AllocDesiredStatusStop || s.DesiredDescription == "" {
					t.Errorf("stopped alloc desired %q (%q), want stop with a description", s.DesiredStatus, s.DesiredDescription)
				}
			}
			checkUniqueNames(t, h, job)
		})
	}
}

func TestJobStopAndPurge(t *testing.T) {
	for _, purge := range []bool{false, true} {
		h, _ := newTestHarness(t, 2)
		job := MockServiceJob()
		allocs := runningJob(t, h, job, 4)
		if purge {
			h.DeleteJob(job.Namespace, job.ID)
		} else {
			stoppedJob := copyJob(job)
			stoppedJob.Stop = true
			h.UpsertJob(stoppedJob)
		}
		ev := process(t, h, job)
		p := lastPlan(t, h)
		if got := len(stoppedIn(p)); got != len(allocs) || len(planned(p)) != 0 {
			t.Fatalf("purge=%v: stopped %d placed %d, want %d and 0", purge, got, len(planned(p)), len(allocs))
		}
		if ev.Status != structs.EvalStatusComplete {
			t.Errorf("purge=%v: eval status %q, want complete", purge, ev.Status)
		}
		if live := h.LiveAllocs(job.Namespace, job.ID); len(live) != 0 {
			t.Errorf("purge=%v: %d allocs still live", purge, len(live))
		}
	}
}

func TestDestructiveAndInPlaceUpdates(t *testing.T) {
	h, _ := newTestHarness(t, 3)
	job := MockServiceJob()
	old := runningJob(t, h, job, 3)

	// Only the count and a constraint change: no restart, allocs updated in place.
	v2 := copyJob(job)
	v2.TaskGroups[0].Count = 3
	v2.TaskGroups[0].Constraints = []*structs.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}}
	h.UpsertJob(v2)
	process(t, h, v2)
	p := lastPlan(t, h)
	if len(stoppedIn(p)) != 0 || len(planned(p)) != 3 {
		t.Fatalf("in-place: stopped %d planned %d, want 0 and 3", len(stoppedIn(p)), len(planned(p)))
	}
	for _, a := range planned(p) {
		if a.Job != v2 || !isOneOf(a.ID, old) {
			t.Fatalf("in-place update made a new alloc or kept the old job: %+v", a)
		}
	}
	if d := p.Annotations.DesiredTGUpdates["web"]; d.InPlaceUpdate != 3 {
		t.Errorf("annotations = %+v, want 3 in-place updates", d)
	}

	// The task's environment changes: stop and replace under the same names.
	v3 := copyJob(v2)
	v3.TaskGroups[0].Tasks[0].Env["FOO"] = "changed"
	h.UpsertJob(v3)
	process(t, h, v3)
	p = lastPlan(t, h)
	wantNames(t, "stopped", stoppedIn(p), job, "web", 0, 1, 2)
	wantNames(t, "placed", planned(p), job, "web", 0, 1, 2)
	for _, a := range planned(p) {
		if isOneOf(a.ID, old) || a.Job != v3 || a.PreviousAllocation == "" {
			t.Fatalf("destructive update kept alloc %s or lost its link: %+v", a.ID, a)
		}
	}
	if d := p.Annotations.DesiredTGUpdates["web"]; d.DestructiveUpdate != 3 {
		t.Errorf("annotations = %+v, want 3 destructive updates", d)
	}
	checkNoOvercommit(t, h)
	checkUniqueNames(t, h, job)
}

func TestSpecChangeDetection(t *testing.T) {
	base := MockServiceJob().TaskGroups[0]
	tests := []struct {
		name   string
		change func(tg *structs.TaskGroup)
		want   bool
	}{
		{name: "count", change: func(tg *structs.TaskGroup) { tg.Count = 99 }},
		{name: "constraints", change: func(tg *structs.TaskGroup) { tg.Constraints = []*structs.Constraint{{Operand: "distinct_hosts"}} }},
		{name: "reschedule", change: func(tg *structs.TaskGroup) { tg.ReschedulePolicy = &structs.ReschedulePolicy{Attempts: 3} }},
		{name: "driver", change: func(tg *structs.TaskGroup) { tg.Tasks[0].Driver = "raw_exec" }, want: true},
		{name: "config", change: func(tg *structs.TaskGroup) { tg.Tasks[0].Config = map[string]interface{}{"command": "x"} }, want: true},
		{name: "user", change: func(tg *structs.TaskGroup) { tg.Tasks[0].User = "nobody" }, want: true},
		{name: "resources", change: func(tg *structs.TaskGroup) { tg.Tasks[0].Resources = &structs.Resources{CPU: 1} }, want: true},
		{name: "disk", change: func(tg *structs.TaskGroup) { tg.EphemeralDisk = &structs.EphemeralDisk{SizeMB: 1} }, want: true},
		{name: "task added", change: func(tg *structs.TaskGroup) { tg.Tasks = append(tg.Tasks, &structs.Task{Name: "side"}) }, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := copyJob(&structs.Job{TaskGroups: []*structs.TaskGroup{base}})
			tt.change(j.TaskGroups[0])
			if got := !groupSpecEqual(base, j.TaskGroups[0]); got != tt.want {
				t.Errorf("changed = %v, want %v", got, tt.want)
			}
		})
	}
}

func isOneOf(id string, allocs []*structs.Allocation) bool {
	for _, a := range allocs {
		if a.ID == id {
			return true
		}
	}
	return false
}

func TestLostAllocsReplaced(t *testing.T) {
	for _, typ := range []string{structs.JobTypeService, structs.JobTypeBatch} {
		t.Run(typ, func(t *testing.T) {
			h, nodes := newTestHarness(t, 3)
			job := MockServiceJob()
			job.Type = typ
			job.TaskGroups[0].Count = 6
			h.UpsertJob(job)
			var onDown []*structs.Allocation
			for i := 0; i < 6; i++ {
				a := MockAlloc(job, nodes[i%3], i)
				if i%3 == 0 {
					onDown = append(onDown, a)
				}
				h.UpsertAllocs(a)
			}
			down := *nodes[0]
			down.Status = structs.NodeStatusDown
			h.UpsertNodes(&down)
			process(t, h, job)
			p := lastPlan(t, h)
			stops := stoppedIn(p)
			wantNames(t, "stopped", stops, job, "web", 0, 3)
			for _, s := range stops {
				if s.ClientStatus != structs.AllocClientStatusLost || s.DesiredStatus != structs.AllocDesiredStatusStop {
					t.Errorf("lost alloc = client %q desired %q, want lost and stop", s.ClientStatus, s.DesiredStatus)
				}
			}
			placed := planned(p)
			wantNames(t, "placed", placed, job, "web", 0, 3)
			for _, a := range placed {
				if a.NodeID == nodes[0].ID || !isOneOf(a.PreviousAllocation, onDown) {
					t.Errorf("replacement on node %s prev %q, want another node and a link to the lost alloc", a.NodeName, a.PreviousAllocation)
				}
			}
		})
	}
}

func TestDrainingNodeMigratesServiceAllocs(t *testing.T) {
	h, nodes := newTestHarness(t, 2)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 2
	h.UpsertJob(job)
	h.UpsertAllocs(MockAlloc(job, nodes[0], 0), MockAlloc(job, nodes[1], 1))
	draining := *nodes[0]
	draining.Drain = true
	h.UpsertNodes(&draining)
	process(t, h, job)
	p := lastPlan(t, h)
	wantNames(t, "stopped", stoppedIn(p), job, "web", 0)
	placed := planned(p)
	wantNames(t, "placed", placed, job, "web", 0)
	if placed[0].NodeID != nodes[1].ID {
		t.Errorf("migrated to %s, want the other node", placed[0].NodeName)
	}
}

func TestRemovedGroupStopped(t *testing.T) {
	h, nodes := newTestHarness(t, 1)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 1
	h.UpsertJob(job)
	gone := MockAlloc(job, nodes[0], 0)
	gone.TaskGroup, gone.Name = "old", job.ID+".old[0]"
	h.UpsertAllocs(MockAlloc(job, nodes[0], 0), gone)
	process(t, h, job)
	stops := stoppedIn(lastPlan(t, h))
	if len(stops) != 1 || stops[0].ID != gone.ID || stops[0].DesiredDescription != descGroupRemoved {
		t.Fatalf("stops = %v, want only the alloc of the removed group", stops)
	}
}

func TestBatchCompleteAndFailed(t *testing.T) {
	h, nodes := newTestHarness(t, 3)
	job := MockBatchJob()
	job.TaskGroups[0].Count = 4
	h.UpsertJob(job)
	complete := MockAlloc(job, nodes[0], 0)
	complete.ClientStatus = structs.AllocClientStatusComplete
	failed := MockAlloc(job, nodes[1], 1)
	failed.ClientStatus = structs.AllocClientStatusFailed
	exhausted := MockAlloc(job, nodes[1], 2)
	exhausted.ClientStatus = structs.AllocClientStatusFailed
	exhausted.RescheduleTracker = &structs.RescheduleTracker{Events: []*structs.RescheduleEvent{{RescheduleTime: testNow.Add(-time.Hour).UnixNano()}}}
	running := MockAlloc(job, nodes[2], 3)
	h.UpsertAllocs(complete, failed, exhausted, running)

	process(t, h, job)
	p := lastPlan(t, h)
	placed := planned(p)
	// Complete: done. Failed with attempts left: rescheduled. Failed with
	// the default batch attempt (1 a day) used up: left alone.
	wantNames(t, "placed", placed, job, "web", 1)
	r := placed[0]
	if r.PreviousAllocation != failed.ID || r.RescheduleTracker == nil || len(r.RescheduleTracker.Events) != 1 ||
		r.RescheduleTracker.Events[0].PrevAllocID != failed.ID || r.RescheduleTracker.Events[0].PrevNodeID != nodes[1].ID {
		t.Fatalf("rescheduled alloc = prev %q tracker %+v, want a link and one event about %s", r.PreviousAllocation, r.RescheduleTracker, failed.ID)
	}
	if r.NodeID == nodes[1].ID {
		t.Errorf("rescheduled onto the node it failed on, want another (penalty)")
	}
	wantNames(t, "stopped", stoppedIn(p), job, "web", 1)

	// Once replaced, a second evaluation leaves everything alone.
	plans := len(h.Plans)
	process(t, h, job)
	if len(h.Plans) != plans {
		t.Errorf("re-evaluation submitted a plan: %+v", lastPlan(t, h))
	}
}

func TestServiceCompleteAndFailedReplaced(t *testing.T) {
	h, nodes := newTestHarness(t, 2)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].ReschedulePolicy = &structs.ReschedulePolicy{Attempts: 2, Interval: time.Hour}
	h.UpsertJob(job)
	complete := MockAlloc(job, nodes[0], 0)
	complete.ClientStatus = structs.AllocClientStatusComplete
	failed := MockAlloc(job, nodes[1], 1)
	failed.ClientStatus = structs.AllocClientStatusFailed
	failed.RescheduleTracker = &structs.RescheduleTracker{Events: []*structs.RescheduleEvent{
		{RescheduleTime: testNow.Add(-2 * time.Hour).UnixNano()}, // outside the interval
		{RescheduleTime: testNow.Add(-time.Minute).UnixNano()},
	}}
	h.UpsertAllocs(complete, failed)
	process(t, h, job)
	placed := planned(lastPlan(t, h))
	wantNames(t, "placed", placed, job, "web", 0, 1)
	for _, a := range placed {
		if a.Name == job.ID+".web[1]" && (a.PreviousAllocation != failed.ID || len(a.RescheduleTracker.Events) != 3) {
			t.Errorf("reschedule of web[1] = prev %q events %d, want %s and 3", a.PreviousAllocation, len(a.RescheduleTracker.Events), failed.ID)
		}
	}
}

func TestCanReschedule(t *testing.T) {
	ev := func(ago time.Duration) *structs.RescheduleEvent {
		return &structs.RescheduleEvent{RescheduleTime: testNow.Add(-ago).UnixNano()}
	}
	tests := []struct {
		name   string
		policy *structs.ReschedulePolicy
		events []*structs.RescheduleEvent
		want   bool
	}{
		{name: "no policy", want: false},
		{name: "unlimited", policy: &structs.ReschedulePolicy{Unlimited: true}, events: []*structs.RescheduleEvent{ev(0), ev(0)}, want: true},
		{name: "zero attempts", policy: &structs.ReschedulePolicy{}, want: false},
		{name: "first attempt", policy: &structs.ReschedulePolicy{Attempts: 1, Interval: time.Hour}, want: true},
		{name: "used in interval", policy: &structs.ReschedulePolicy{Attempts: 1, Interval: time.Hour}, events: []*structs.RescheduleEvent{ev(time.Minute)}, want: false},
		{name: "old attempt expired", policy: &structs.ReschedulePolicy{Attempts: 1, Interval: time.Hour}, events: []*structs.RescheduleEvent{ev(2 * time.Hour)}, want: true},
		{name: "no interval counts all", policy: &structs.ReschedulePolicy{Attempts: 1}, events: []*structs.RescheduleEvent{ev(100 * time.Hour)}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &structs.Allocation{RescheduleTracker: &structs.RescheduleTracker{Events: tt.events}}
			if got := canReschedule(tt.policy, a, testNow); got != tt.want {
				t.Errorf("canReschedule = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAllocIndex(t *testing.T) {
	tests := map[string]int{"j.g[0]": 0, "j.g[12]": 12, "a.b[c].g[3]": 3, "bad": maxInt, "j.g[-1]": maxInt, "j.g[x]": maxInt}
	for name, want := range tests {
		if got := allocIndex(name); got != want {
			t.Errorf("allocIndex(%q) = %d, want %d", name, got, want)
		}
	}
}

const maxInt = int(^uint(0) >> 1)

func TestDelayedReschedule(t *testing.T) {
	h, nodes := newTestHarness(t, 2)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 2
	job.TaskGroups[0].ReschedulePolicy = &structs.ReschedulePolicy{Delay: 30 * time.Second, DelayFunction: "constant", Unlimited: true}
	h.UpsertJob(job)
	failedAt := testNow.Add(-10 * time.Second)
	var failed []*structs.Allocation
	for i := 0; i < 2; i++ {
		a := MockAlloc(job, nodes[i], i)
		a.ClientStatus = structs.AllocClientStatusFailed
		a.TaskStates = map[string]*structs.TaskState{"web": {State: structs.TaskStateDead, Failed: true, FinishedAt: failedAt.Add(time.Duration(i) * time.Second)}}
		failed = append(failed, a)
	}
	h.UpsertAllocs(failed...)

	// Not due yet: one follow-up eval for both (due within the batch
	// window), each alloc marked with it, nothing placed.
	process(t, h, job)
	if len(h.Created) != 1 {
		t.Fatalf("created %d evals, want 1 follow-up", len(h.Created))
	}
	fu := h.Created[0]
	if fu.TriggeredBy != structs.EvalTriggerRetryFailedAlloc || fu.Status != structs.EvalStatusPending || !fu.WaitUntil.Equal(failedAt.Add(30*time.Second)) {
		t.Fatalf("follow-up = %+v, want pending alloc-failure waiting until %v", fu, failedAt.Add(30*time.Second))
	}
	p := lastPlan(t, h)
	if len(stoppedIn(p)) != 0 || len(planned(p)) != 2 {
		t.Fatalf("plan stops %d, allocs %d; want only the 2 marker updates", len(stoppedIn(p)), len(planned(p)))
	}
	for _, a := range planned(p) {
		if a.FollowupEvalID != fu.ID || !isOneOf(a.ID, failed) {
			t.Fatalf("update = %s follow-up %q, want the failed allocs marked with %s", a.ID, a.FollowupEvalID, fu.ID)
		}
	}

	// Another evaluation before the time changes nothing.
	plans := len(h.Plans)
	process(t, h, job)
	if len(h.Plans) != plans || len(h.Created) != 1 {
		t.Fatalf("a second eval before the delay made %d plans and %d evals, want none", len(h.Plans)-plans, len(h.Created)-1)
	}

	// The follow-up (run by the broker at WaitUntil) replaces both.
	if err := h.Process(fu); err != nil {
		t.Fatal(err)
	}
	placed := planned(lastPlan(t, h))
	wantNames(t, "rescheduled", placed, job, "web", 0, 1)
	for _, a := range placed {
		if !isOneOf(a.PreviousAllocation, failed) {
			t.Errorf("replacement prev %q, want one of the failed allocs", a.PreviousAllocation)
		}
	}
}

func TestRescheduleDelay(t *testing.T) {
	s := time.Second
	tests := []struct {
		fn      string
		max     time.Duration
		attempt int
		want    time.Duration
	}{
		{"constant", 0, 5, 10 * s},
		{"", 0, 5, 10 * s},
		{"exponential", 0, 0, 10 * s},
		{"exponential", 0, 3, 80 * s},
		{"exponential", 60 * s, 3, 60 * s},
		{"exponential", 0, 10000, 30 * 24 * time.Hour},
		{"fibonacci", 0, 0, 10 * s},
		{"fibonacci", 0, 1, 10 * s},
		{"fibonacci", 0, 2, 20 * s},
		{"fibonacci", 0, 4, 50 * s},
		{"fibonacci", 25 * s, 4, 25 * s},
	}
	for _, tt := range tests {
		p := &structs.ReschedulePolicy{Delay: 10 * s, DelayFunction: tt.fn, MaxDelay: tt.max}
		got := rescheduleDelay(p, tt.attempt)
		if tt.want == 30*24*time.Hour {
			if got < tt.want || got > 2*tt.want {
				t.Errorf("%s attempt %d: delay %v, want bounded near a month", tt.fn, tt.attempt, got)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("%s max %v attempt %d: delay %v, want %v", tt.fn, tt.max, tt.attempt, got, tt.want)
		}
	}
}

func TestNoUpdatesOnUnreadyNodes(t *testing.T) {
	h, nodes := newTestHarness(t, 2)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 2
	h.UpsertJob(job)
	h.UpsertAllocs(MockAlloc(job, nodes[0], 0), MockAlloc(job, nodes[1], 1))
	inel := *nodes[0]
	inel.SchedulingEligibility = structs.NodeSchedulingIneligible
	h.UpsertNodes(&inel)
	// A count-only change: node-1's alloc is updated in place, node-0's
	// is left alone, since the applier takes no updates on that node.
	v2 := copyJob(job)
	v2.TaskGroups[0].Count = 2
	h.UpsertJob(v2)
	ev := process(t, h, v2)
	p := lastPlan(t, h)
	if ev.Status != structs.EvalStatusComplete || len(p.NodeAllocation[nodes[0].ID]) != 0 || len(p.NodeAllocation[nodes[1].ID]) != 1 {
		t.Fatalf("eval %q, updates on node-0 %d, node-1 %d; want complete, 0 and 1", ev.Status, len(p.NodeAllocation[nodes[0].ID]), len(p.NodeAllocation[nodes[1].ID]))
	}
}
