package taskrunner

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/droverhq/drover/client/drivers/mock"
	"github.com/droverhq/drover/structs"
)

// waitUntil polls cond for up to 10s.
func waitUntil(t *testing.T, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRestartIsOutsideThePolicy(t *testing.T) {
	clk := newFakeClock()
	// No restarts allowed: an operator's restart must still happen.
	policy := &structs.RestartPolicy{Attempts: 0, Interval: time.Minute, Mode: structs.RestartPolicyModeFail}
	a, task := testAlloc(structs.JobTypeService, policy, map[string]interface{}{"run_for": "1h"})
	tr := newRunner(a, task, mock.New(clk.Now), clk, nil)
	if err := tr.Restart(); !errors.Is(err, structs.ErrConflict) {
		t.Fatalf("restart before the task runs: got %v, want ErrConflict", err)
	}
	go tr.Run()
	defer func() { tr.Kill("test over"); <-tr.WaitCh() }()
	waitUntil(t, func() error {
		if tr.Running() == nil {
			return errors.New("task not running yet")
		}
		return nil
	})
	first := tr.Running().Config.ID
	if err := tr.Signal("SIGUSR1"); err != nil {
		t.Fatalf("signal: %v", err)
	}
	if err := tr.Restart(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, func() error {
		st := tr.State()
		h := tr.Running()
		if st.Restarts != 1 || st.State != structs.TaskStateRunning || h == nil || h.Config.ID == first {
			return fmt.Errorf("state %s with %d restarts, want running again after 1", st.State, st.Restarts)
		}
		return nil
	})
	var types []string
	for _, e := range tr.State().Events {
		types = append(types, e.Type)
	}
	i := slices.Index(types, structs.TaskRestartSignal)
	if i < 0 || !slices.Contains(types[i:], structs.TaskRestarting) || !slices.Contains(types[i:], structs.TaskStarted) {
		t.Errorf("events %v: want Restart Signaled, then Restarting and Started", types)
	}
	if len(clk.Delays()) != 0 {
		t.Errorf("got restart delays %v, want none for an operator's restart", clk.Delays())
	}
}
