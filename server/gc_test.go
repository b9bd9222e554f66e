package server

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func gcJob(id string) *structs.Job {
	return &structs.Job{Namespace: structs.DefaultNamespace, ID: id, Name: id, Type: structs.JobTypeService,
		Priority: 50, Datacenters: []string{"dc1"},
		TaskGroups: []*structs.TaskGroup{{Name: "g", Count: 1,
			Tasks: []*structs.Task{{Name: "t", Driver: "mock", Resources: &structs.Resources{CPU: 10, MemoryMB: 16}}}}}}
}

func gcAlloc(job *structs.Job, clientStatus string) *structs.Allocation {
	return &structs.Allocation{ID: structs.GenerateUUID(), Namespace: job.Namespace, JobID: job.ID, Job: job,
		Name: job.ID + ".g[0]", TaskGroup: "g", NodeID: "node-1", EvalID: "e",
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: clientStatus}
}

func gcEval(job *structs.Job, status string) *structs.Evaluation {
	return &structs.Evaluation{ID: structs.GenerateUUID(), Namespace: job.Namespace, JobID: job.ID,
		Type: job.Type, Priority: 50, TriggeredBy: structs.EvalTriggerJobRegister, Status: status}
}

// gcFixture is a store with three jobs (live, stopped, purged), each with
// an old and a recent terminal eval and alloc and a running alloc.
type gcFixture struct {
	st    *state.StateStore
	clock *fakeClock
	// want are the IDs a pass with a one-hour threshold must take, two
	// hours after the old writes.
	wantEvals, wantAllocs []string
	// all are the IDs a forced pass must take.
	allEvals, allAllocs []string
}

func newGCFixture(t *testing.T) *gcFixture {
	t.Helper()
	st, err := state.NewStateStore()
	if err != nil {
		t.Fatal(err)
	}
	f := &gcFixture{st: st, clock: &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	st.SetClock(f.clock.Now)
	var index uint64 = 10
	next := func() uint64 { index++; return index }
	jobs := map[string]*structs.Job{"live": gcJob("live"), "stopped": gcJob("stopped"), "purged": gcJob("purged")}
	for _, j := range jobs {
		must(t, st.UpsertJob(next(), j))
	}
	type written struct {
		job    string
		evals  []string
		allocs []string
	}
	write := func() []written {
		var out []written
		for name, j := range jobs {
			e := gcEval(j, structs.EvalStatusComplete)
			done, failed := gcAlloc(j, structs.AllocClientStatusComplete), gcAlloc(j, structs.AllocClientStatusFailed)
			running := gcAlloc(j, structs.AllocClientStatusRunning)
			must(t, st.UpsertEvals(next(), []*structs.Evaluation{e, gcEval(j, structs.EvalStatusBlocked)}))
			must(t, st.UpsertAllocs(next(), []*structs.Allocation{done, failed, running}))
			out = append(out, written{job: name, evals: []string{e.ID}, allocs: []string{done.ID, failed.ID}})
		}
		return out
	}
	old := write()
	f.clock.Advance(2 * time.Hour)
	recent := write()
	must(t, st.StopJob(next(), structs.DefaultNamespace, "stopped", nil))
	must(t, st.PurgeJob(next(), structs.DefaultNamespace, "purged", nil))
	for _, w := range old {
		if w.job != "live" {
			f.wantEvals = append(f.wantEvals, w.evals...)
			f.wantAllocs = append(f.wantAllocs, w.allocs...)
		}
	}
	f.allEvals, f.allAllocs = slices.Clone(f.wantEvals), slices.Clone(f.wantAllocs)
	for _, w := range recent {
		if w.job != "live" {
			f.allEvals = append(f.allEvals, w.evals...)
			f.allAllocs = append(f.allAllocs, w.allocs...)
		}
	}
	return f
}

func sameIDs(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

func TestGCCandidates(t *testing.T) {
	f := newGCFixture(t)
	for _, tc := range []struct {
		name                  string
		cutoff                time.Time
		wantEvals, wantAllocs []string
	}{
		{"threshold keeps what ended recently", f.clock.Now().Add(-GCThreshold), f.wantEvals, f.wantAllocs},
		{"forced takes every terminal one", f.clock.Now(), f.allEvals, f.allAllocs},
		{"nothing before the first write", f.clock.Now().Add(-3 * time.Hour), nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evals, allocs, err := gcCandidates(f.st, tc.cutoff)
			if err != nil {
				t.Fatal(err)
			}
			if !sameIDs(evals, tc.wantEvals) {
				t.Errorf("got evals %v, want %v", evals, tc.wantEvals)
			}
			if !sameIDs(allocs, tc.wantAllocs) {
				t.Errorf("got allocs %v, want %v", allocs, tc.wantAllocs)
			}
		})
	}
}

// ForceGC deletes through Raft what a purged job left, and a periodic
// pass with the server's clock takes only what is older than the
// threshold.
func TestForceGCThroughRaft(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg := testConfig(t, t.TempDir())
	cfg.Now = clock.Now
	s := startServer(t, cfg)
	job := gcJob("gone")
	mustApply(t, s, structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: job})
	// State stamps times from the Raft log (wall clock) unless a write
	// carries its own, as these do: written two hours apart.
	oldAlloc := gcAlloc(job, structs.AllocClientStatusComplete)
	oldAlloc.ModifyTime = clock.Now().UnixNano()
	mustApply(t, s, structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsRequest{Job: job, AllocsUpdated: []*structs.Allocation{oldAlloc}})
	clock.Advance(2 * time.Hour)
	newAlloc := gcAlloc(job, structs.AllocClientStatusFailed)
	newAlloc.ModifyTime = clock.Now().UnixNano()
	mustApply(t, s, structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsRequest{Job: job, AllocsUpdated: []*structs.Allocation{newAlloc}})
	mustApply(t, s, structs.JobDeregisterRequestType, &structs.JobDeregisterRequest{JobID: job.ID, Namespace: job.Namespace, Purge: true})

	res, err := s.gcPass(context.Background(), GCThreshold)
	if err != nil {
		t.Fatal(err)
	}
	if res.Allocs != 1 {
		t.Fatalf("periodic pass: got %+v, want the one alloc older than %v", res, GCThreshold)
	}
	if a, _ := s.state.AllocByID(nil, oldAlloc.ID); a != nil {
		t.Fatal("the old alloc is still in state")
	}
	if a, _ := s.state.AllocByID(nil, newAlloc.ID); a == nil {
		t.Fatal("the recent alloc was collected by the periodic pass")
	}
	res, err = s.ForceGC(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := s.state.AllocByID(nil, newAlloc.ID); a != nil || res.Allocs != 1 {
		t.Fatalf("ForceGC: got %+v and the alloc still there = %v; want it deleted", res, a != nil)
	}
}

func mustApply(t *testing.T, s *Server, typ structs.MessageType, req interface{}) {
	t.Helper()
	if _, err := s.RaftApply(typ, req); err != nil {
		t.Fatalf("raft apply %d: %v", typ, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
