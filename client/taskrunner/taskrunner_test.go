package taskrunner

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/client/drivers/mock"
	"github.com/droverhq/drover/client/state"
	"github.com/droverhq/drover/structs"
)

// fakeClock makes restart delays instant: After advances the clock by the
// delay and fires at once, recording each delay asked for.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	delays []time.Duration
	onWait func(n int) // called with the number of delays so far
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1700000000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.delays = append(c.delays, d)
	n, f := len(c.delays), c.onWait
	c.mu.Unlock()
	if f != nil {
		f(n)
	}
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch
}

func (c *fakeClock) Delays() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.delays...)
}

func testAlloc(jobType string, policy *structs.RestartPolicy, cfg map[string]interface{}) (*structs.Allocation, *structs.Task) {
	task := &structs.Task{Name: "t", Driver: "mock", Config: cfg, KillTimeout: time.Second}
	job := &structs.Job{ID: "j", Name: "j", Type: jobType, TaskGroups: []*structs.TaskGroup{{Name: "g", RestartPolicy: policy, Tasks: []*structs.Task{task}}}}
	return &structs.Allocation{ID: structs.GenerateUUID(), Name: "j.g[0]", JobID: "j", Job: job, TaskGroup: "g"}, task
}

func newRunner(a *structs.Allocation, t *structs.Task, d drivers.Driver, clk *fakeClock, db state.DB) *TaskRunner {
	return New(Config{Alloc: a, Task: t, Driver: d, DB: db, Now: clk.Now, After: clk.After,
		TaskConfig: &drivers.TaskConfig{AllocID: a.ID, Name: t.Name, Config: t.Config}})
}

func runToEnd(t *testing.T, tr *TaskRunner) *structs.TaskState {
	t.Helper()
	go tr.Run()
	select {
	case <-tr.WaitCh():
	case <-time.After(30 * time.Second):
		t.Fatalf("task runner did not finish; state %+v", tr.State())
	}
	return tr.State()
}

func eventTypes(s *structs.TaskState) []string {
	var out []string
	for _, e := range s.Events {
		out = append(out, e.Type)
	}
	return out
}

func count(types []string, typ string) int {
	n := 0
	for _, t := range types {
		if t == typ {
			n++
		}
	}
	return n
}

func TestRestartPolicy(t *testing.T) {
	fail := func(attempts int) *structs.RestartPolicy {
		return &structs.RestartPolicy{Attempts: attempts, Interval: time.Minute, Delay: time.Second, Mode: structs.RestartPolicyModeFail}
	}
	exit := func(code int) map[string]interface{} {
		return map[string]interface{}{"run_for": "0s", "exit_code": code}
	}
	tests := []struct {
		name         string
		jobType      string
		policy       *structs.RestartPolicy
		config       map[string]interface{}
		wantFailed   bool
		wantRestarts uint64
		wantDelays   []time.Duration
		wantLast     string
	}{
		{"batch success is complete", structs.JobTypeBatch, fail(3), exit(0), false, 0, nil, structs.TaskNotRestarting},
		{"batch failure restarts then fails", structs.JobTypeBatch, fail(2), exit(1), true, 2, []time.Duration{time.Second, time.Second}, structs.TaskNotRestarting},
		{"service exit 0 is restarted", structs.JobTypeService, fail(1), exit(0), true, 1, []time.Duration{time.Second}, structs.TaskNotRestarting},
		{"no attempts fails at once", structs.JobTypeService, fail(0), exit(2), true, 0, nil, structs.TaskNotRestarting},
		{"unrecoverable start error", structs.JobTypeService, fail(3), map[string]interface{}{"start_error": "nope"}, true, 0, nil, structs.TaskNotRestarting},
		{"recoverable start error", structs.JobTypeService, fail(1), map[string]interface{}{"start_error": "nope", "start_error_recoverable": true}, true, 1, []time.Duration{time.Second}, structs.TaskNotRestarting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			a, task := testAlloc(tt.jobType, tt.policy, tt.config)
			st := runToEnd(t, newRunner(a, task, mock.New(nil), clk, nil))
			if st.State != structs.TaskStateDead || st.Failed != tt.wantFailed || st.Restarts != tt.wantRestarts {
				t.Fatalf("got state %s failed=%v restarts=%d, want dead failed=%v restarts=%d; events %v",
					st.State, st.Failed, st.Restarts, tt.wantFailed, tt.wantRestarts, eventTypes(st))
			}
			if got := clk.Delays(); fmt.Sprint(got) != fmt.Sprint(tt.wantDelays) {
				t.Fatalf("got delays %v, want %v", got, tt.wantDelays)
			}
			if got := st.Events[len(st.Events)-1].Type; got != tt.wantLast {
				t.Fatalf("got last event %q, want %q", got, tt.wantLast)
			}
		})
	}
}

func TestRestartModeDelayWaitsOutInterval(t *testing.T) {
	clk := newFakeClock()
	policy := &structs.RestartPolicy{Attempts: 2, Interval: time.Minute, Delay: time.Second, Mode: structs.RestartPolicyModeDelay}
	a, task := testAlloc(structs.JobTypeService, policy, map[string]interface{}{"run_for": "0s", "exit_code": 1})
	tr := newRunner(a, task, mock.New(nil), clk, nil)
	clk.onWait = func(n int) {
		if n == 6 {
			tr.Kill("test done")
		}
	}
	st := runToEnd(t, tr)
	want := []time.Duration{time.Second, time.Second, 58 * time.Second, time.Second, time.Second, 58 * time.Second}
	if got := clk.Delays(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got delays %v, want %v", got, want)
	}
	if st.State != structs.TaskStateDead || st.Failed {
		t.Fatalf("got state %s failed=%v, want dead and not failed after a kill", st.State, st.Failed)
	}
}

func TestRestartTrackerIntervalResets(t *testing.T) {
	t0 := time.Unix(0, 0)
	rt := newRestartTracker(&structs.RestartPolicy{Attempts: 1, Interval: 10 * time.Second, Delay: time.Second, Mode: structs.RestartPolicyModeFail}, structs.JobTypeService, t0)
	if d := rt.exited(false, t0.Add(time.Second)); !d.restart {
		t.Fatalf("first failure: got %+v, want restart", d)
	}
	// A failure in a new interval gets a fresh budget.
	if d := rt.exited(false, t0.Add(11*time.Second)); !d.restart {
		t.Fatalf("failure in next interval: got %+v, want restart", d)
	}
	if d := rt.exited(false, t0.Add(12*time.Second)); d.restart || !d.failed {
		t.Fatalf("second failure in interval: got %+v, want failed", d)
	}
}

func waitFor(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func running(tr *TaskRunner) func() error {
	return func() error {
		if s := tr.State(); s.State != structs.TaskStateRunning {
			return fmt.Errorf("got state %s, want running", s.State)
		}
		return nil
	}
}

func TestKill(t *testing.T) {
	clk := newFakeClock()
	a, task := testAlloc(structs.JobTypeService, nil, map[string]interface{}{"run_for": "1h"})
	tr := newRunner(a, task, mock.New(nil), clk, nil)
	go tr.Run()
	waitFor(t, running(tr))
	tr.Kill("alloc stopped")
	<-tr.WaitCh()
	st := tr.State()
	types := eventTypes(st)
	if st.State != structs.TaskStateDead || st.Failed || count(types, structs.TaskKilling) != 1 || types[len(types)-1] != structs.TaskKilled {
		t.Fatalf("got %s failed=%v events %v, want dead, not failed, Killing ... Killed", st.State, st.Failed, types)
	}
}

func TestRestoreRecoversInsteadOfRestarting(t *testing.T) {
	db := state.NewMemDB()
	clk := newFakeClock()
	a, task := testAlloc(structs.JobTypeService, nil, map[string]interface{}{"run_for": "1h"})
	tr1 := newRunner(a, task, mock.New(nil), clk, db)
	go tr1.Run()
	waitFor(t, running(tr1))
	tr1.Detach()
	<-tr1.WaitCh()

	d2 := mock.New(nil) // a new client process: a new driver instance
	tr2 := newRunner(a, task, d2, clk, db)
	if err := tr2.Restore(); err != nil {
		t.Fatal(err)
	}
	go tr2.Run()
	defer func() { tr2.Kill("done"); <-tr2.WaitCh() }()
	waitFor(t, func() error {
		if _, err := d2.InspectTask(a.ID + "/t/0"); err != nil {
			return fmt.Errorf("recovered task not in driver: %w", err)
		}
		return nil
	})
	if st := tr2.State(); st.State != structs.TaskStateRunning || count(eventTypes(st), structs.TaskStarted) != 1 {
		t.Fatalf("got %s events %v, want running with one Started event", st.State, eventTypes(st))
	}
}

func TestRestoreDeadTaskNeverRuns(t *testing.T) {
	db := state.NewMemDB()
	clk := newFakeClock()
	a, task := testAlloc(structs.JobTypeBatch, nil, map[string]interface{}{"run_for": "0s"})
	st := runToEnd(t, newRunner(a, task, mock.New(nil), clk, db))
	if st.State != structs.TaskStateDead {
		t.Fatalf("got %s, want dead", st.State)
	}
	d2 := mock.New(nil)
	tr2 := newRunner(a, task, d2, clk, db)
	if err := tr2.Restore(); err != nil {
		t.Fatal(err)
	}
	st2 := runToEnd(t, tr2)
	if st2.State != structs.TaskStateDead || len(st2.Events) != len(st.Events) {
		t.Fatalf("got %s with %d events, want the same dead state with %d events", st2.State, len(st2.Events), len(st.Events))
	}
	if _, err := d2.InspectTask(a.ID + "/t/0"); err == nil {
		t.Fatal("a finished task was started again")
	}
}
