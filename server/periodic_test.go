package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/droverhq/drover/server/testutil"
	"github.com/droverhq/drover/structs"
)

// setClock moves the test clock (gc_test.go's fakeClock) to t.
func setClock(c *fakeClock, t time.Time) { c.Advance(t.Sub(c.Now())) }

// periodicServer is a leading server whose clock starts at start.
func periodicServer(t *testing.T, start time.Time) (*Server, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: start}
	cfg := testConfig(t, t.TempDir())
	cfg.Now = clock.Now
	return startServer(t, cfg), clock
}

// periodicJob is a batch job launched by cron; with no nodes in the test
// cluster its children's evaluations stay blocked (non-terminal).
func periodicJob(cron string, prohibitOverlap bool) *structs.Job {
	j := mockJob(1, 128)
	j.Type = structs.JobTypeBatch
	j.Periodic = &structs.PeriodicConfig{Enabled: true, Spec: cron, ProhibitOverlap: prohibitOverlap}
	return j
}

// waitNext waits until the leader tracks the job with the wanted next launch.
func waitNext(t *testing.T, s *Server, job *structs.Job, want time.Time) {
	t.Helper()
	testutil.WaitFor(t, func() error {
		got, ok := s.PeriodicNext(job.Namespace, job.ID)
		if !ok {
			return fmt.Errorf("job %q is not tracked by the periodic dispatcher", job.ID)
		}
		if !got.Equal(want) {
			return fmt.Errorf("next launch of %q is %s, want %s", job.ID, got.UTC(), want.UTC())
		}
		return nil
	})
}

// children lists the periodic children of job in state.
func children(t *testing.T, s *Server, job *structs.Job) []*structs.Job {
	t.Helper()
	all, err := s.State().JobsByIDPrefix(nil, job.Namespace, job.ID+"/")
	if err != nil {
		t.Fatal(err)
	}
	var out []*structs.Job
	for _, c := range all {
		if c.ParentID == job.ID {
			out = append(out, c)
		}
	}
	return out
}

// waitChild waits until the child launched at launch exists with an eval.
func waitChild(t *testing.T, s *Server, job *structs.Job, launch time.Time) *structs.Job {
	t.Helper()
	id := structs.PeriodicChildID(job.ID, launch)
	var child *structs.Job
	testutil.WaitFor(t, func() error {
		c, err := s.State().JobByID(nil, job.Namespace, id)
		if err != nil || c == nil {
			return fmt.Errorf("child %q not registered yet (err %v)", id, err)
		}
		evals, err := s.State().EvalsByJob(nil, job.Namespace, id)
		if err != nil || len(evals) == 0 {
			return fmt.Errorf("child %q has no evaluation yet", id)
		}
		child = c
		return nil
	})
	return child
}

func TestPeriodicLaunchesOnSchedule(t *testing.T) {
	base := time.Date(2026, 1, 5, 10, 0, 30, 0, time.UTC)
	s, clock := periodicServer(t, base)
	job := periodicJob("*/5 * * * *", false)
	if resp := registerJob(t, s, job); resp.EvalID != "" {
		t.Fatalf("registering a periodic job created eval %s, want none", resp.EvalID)
	}
	first := time.Date(2026, 1, 5, 10, 5, 0, 0, time.UTC)
	waitNext(t, s, job, first)
	if got := children(t, s, job); len(got) != 0 {
		t.Fatalf("got %d children before the first launch, want 0", len(got))
	}

	setClock(clock, first)
	s.kickPeriodic()
	child := waitChild(t, s, job, first)
	if child.ParentID != job.ID || child.Periodic != nil || child.Type != structs.JobTypeBatch {
		t.Fatalf("child: ParentID %q Periodic %v Type %q; want %q, nil, batch", child.ParentID, child.Periodic, child.Type, job.ID)
	}
	waitNext(t, s, job, first.Add(5*time.Minute))

	// Without prohibit_overlap the next launch happens though the first
	// child is still pending.
	setClock(clock, first.Add(5*time.Minute))
	s.kickPeriodic()
	waitChild(t, s, job, first.Add(5*time.Minute))
	if got := len(children(t, s, job)); got != 2 {
		t.Fatalf("got %d children, want 2", got)
	}
}

func TestPeriodicProhibitOverlap(t *testing.T) {
	base := time.Date(2026, 1, 5, 10, 0, 30, 0, time.UTC)
	s, clock := periodicServer(t, base)
	job := periodicJob("*/5 * * * *", true)
	registerJob(t, s, job)
	first := time.Date(2026, 1, 5, 10, 5, 0, 0, time.UTC)
	waitNext(t, s, job, first)
	setClock(clock, first)
	s.kickPeriodic()
	waitChild(t, s, job, first) // its eval blocks: no nodes

	second := first.Add(5 * time.Minute)
	setClock(clock, second)
	s.kickPeriodic()
	waitNext(t, s, job, second.Add(5*time.Minute)) // the launch was considered ...
	if got := children(t, s, job); len(got) != 1 {
		t.Fatalf("got %d children while the first still runs, want 1 (prohibit_overlap)", len(got)) // ... and skipped
	}

	// Once the first child's work ended, launches resume.
	for _, c := range children(t, s, job) {
		if _, err := s.JobDeregister(context.Background(), &structs.JobDeregisterRequest{JobID: c.ID, Namespace: c.Namespace, Purge: true}); err != nil {
			t.Fatal(err)
		}
		evals, _ := s.State().EvalsByJob(nil, c.Namespace, c.ID)
		var done []*structs.Evaluation
		for _, e := range evals {
			e = e.Copy()
			e.Status = structs.EvalStatusComplete
			done = append(done, e)
		}
		if _, err := s.RaftApply(structs.EvalUpdateRequestType, &structs.EvalUpdateRequest{Evals: done}); err != nil {
			t.Fatal(err)
		}
	}
	third := second.Add(5 * time.Minute)
	setClock(clock, third)
	s.kickPeriodic()
	waitChild(t, s, job, third)
}

func TestPeriodicRebuiltOnLeadershipChange(t *testing.T) {
	base := time.Date(2026, 1, 5, 10, 0, 30, 0, time.UTC)
	s, clock := periodicServer(t, base)
	job := periodicJob("*/5 * * * *", false)
	registerJob(t, s, job)
	first := time.Date(2026, 1, 5, 10, 5, 0, 0, time.UTC)
	waitNext(t, s, job, first)
	setClock(clock, first)
	s.kickPeriodic()
	waitChild(t, s, job, first)

	s.revokeLeadership()
	if _, ok := s.PeriodicNext(job.Namespace, job.ID); ok {
		t.Fatal("a server that lost leadership still tracks periodic jobs")
	}
	// 10:10 falls due while there is no leader; the new leader finds the
	// last launch (10:05) in state and launches the missed one once.
	setClock(clock, first.Add(7*time.Minute)) // 10:12
	s.establishLeadership()
	waitChild(t, s, job, first.Add(5*time.Minute)) // named after the missed launch time
	waitNext(t, s, job, first.Add(10*time.Minute)) // 10:15
	if got := len(children(t, s, job)); got != 2 {
		t.Fatalf("got %d children after the catch-up launch, want 2", got)
	}

	// A leader change with nothing missed launches nothing.
	s.revokeLeadership()
	s.establishLeadership()
	waitNext(t, s, job, first.Add(10*time.Minute))
	if got := len(children(t, s, job)); got != 2 {
		t.Fatalf("got %d children after a second leader change, want 2", got)
	}
}

func TestPeriodicStopAndUpdate(t *testing.T) {
	base := time.Date(2026, 1, 5, 10, 0, 30, 0, time.UTC)
	s, clock := periodicServer(t, base)
	job := periodicJob("*/5 * * * *", false)
	registerJob(t, s, job)
	waitNext(t, s, job, time.Date(2026, 1, 5, 10, 5, 0, 0, time.UTC))

	// Updating the schedule reschedules it.
	updated := job.Copy()
	updated.Periodic.Spec = "0 * * * *"
	registerJob(t, s, updated)
	waitNext(t, s, job, time.Date(2026, 1, 5, 11, 0, 0, 0, time.UTC))

	// Stopping it drops it.
	if _, err := s.JobDeregister(context.Background(), &structs.JobDeregisterRequest{JobID: job.ID, Namespace: job.Namespace}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, func() error {
		if _, ok := s.PeriodicNext(job.Namespace, job.ID); ok {
			return fmt.Errorf("stopped job is still tracked")
		}
		return nil
	})
	setClock(clock, time.Date(2026, 1, 5, 11, 0, 0, 0, time.UTC))
	s.kickPeriodic()
	s.kickPeriodic()
	if got := children(t, s, job); len(got) != 0 {
		t.Fatalf("a stopped periodic job launched %d children, want 0", len(got))
	}
}

func TestPeriodicForce(t *testing.T) {
	base := time.Date(2026, 1, 5, 10, 0, 30, 0, time.UTC)
	s, _ := periodicServer(t, base)
	job := periodicJob("0 0 1 1 *", true)
	registerJob(t, s, job)
	resp, err := s.PeriodicForce(context.Background(), &structs.PeriodicForceRequest{JobID: job.ID})
	if err != nil {
		t.Fatal(err)
	}
	if want := structs.PeriodicChildID(job.ID, base); resp.ChildJobID != want || resp.EvalID == "" {
		t.Fatalf("force: child %q eval %q; want child %q and an eval", resp.ChildJobID, resp.EvalID, want)
	}
	waitChild(t, s, job, base)

	plain := mockJob(1, 128)
	registerJob(t, s, plain)
	cases := []struct {
		name, id string
		want     error
	}{
		{"not periodic", plain.ID, structs.ErrInvalid},
		{"missing", "nope", structs.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.PeriodicForce(context.Background(), &structs.PeriodicForceRequest{JobID: tc.id})
			if err == nil || !errorsIs(err, tc.want) {
				t.Fatalf("force %s: got %v, want %v", tc.id, err, tc.want)
			}
		})
	}
}
