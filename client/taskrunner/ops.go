package taskrunner

import (
	"fmt"
	"time"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/structs"
)

// Operator actions on a running task (`alloc restart`, `alloc signal`,
// `alloc exec`, stats). They are called from any goroutine; the Run
// goroutine still owns the task's lifecycle: Restart only asks it.

// restartReason is the reason of a restart an operator asked for.
const restartReason = "User requested restart"

// setRunning records the attempt the Run goroutine is waiting on.
// Clearing it also drops a restart request that came too late for the
// attempt, so it cannot restart the next one.
func (tr *TaskRunner) setRunning(h *drivers.TaskHandle) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.running = h
	if h == nil {
		select {
		case <-tr.restartCh:
		default:
		}
	}
}

// Running returns the handle of the running attempt, or nil when the task
// is not running.
func (tr *TaskRunner) Running() *drivers.TaskHandle {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.running
}

// Driver is the task's driver (nil when the node has none).
func (tr *TaskRunner) Driver() drivers.Driver { return tr.cfg.Driver }

// Name is the task's name.
func (tr *TaskRunner) Name() string { return tr.name }

// Restart stops the running task and starts it again at once, outside the
// restart policy (it does not count as a failure); the Run goroutine
// records a "Restart Signaled" event. A task that is not running gives
// ErrConflict.
func (tr *TaskRunner) Restart() error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.running == nil {
		return fmt.Errorf("restart task %q: it is not running: %w", tr.name, structs.ErrConflict)
	}
	select {
	case tr.restartCh <- restartReason:
		return nil
	default:
		return fmt.Errorf("restart task %q: a restart is already pending: %w", tr.name, structs.ErrConflict)
	}
}

// Signal sends sig to the running task, recording a "Signaling" event.
func (tr *TaskRunner) Signal(sig string) error {
	h := tr.Running()
	if h == nil {
		return fmt.Errorf("signal task %q: it is not running: %w", tr.name, structs.ErrConflict)
	}
	if err := tr.cfg.Driver.SignalTask(h.Config.ID, sig); err != nil {
		return fmt.Errorf("signal task %q: %w", tr.name, err)
	}
	ev := newEvent(structs.TaskSignaling, tr.cfg.Now(), "Task being sent signal "+sig)
	ev.Details["signal"] = sig
	tr.event(ev)
	return nil
}

// restartNow stops the attempt h for a Restart and records it; Run then
// starts the next attempt without a delay.
func (tr *TaskRunner) restartNow(h *drivers.TaskHandle) {
	ev := newEvent(structs.TaskRestartSignal, tr.cfg.Now(), restartReason)
	ev.Details["restart_reason"] = restartReason
	tr.event(ev)
	timeout := tr.cfg.Task.KillTimeout
	if timeout <= 0 {
		timeout = DefaultKillTimeout
	}
	if err := tr.cfg.Driver.StopTask(h.Config.ID, timeout, tr.cfg.Task.KillSignal); err != nil {
		tr.logger.Warn("stop task for restart", "error", err)
	}
	if st, err := tr.cfg.Driver.InspectTask(h.Config.ID); err == nil && st.ExitResult != nil {
		tr.event(terminatedEvent(tr.cfg.Now(), st.ExitResult))
	}
	if err := tr.cfg.Driver.DestroyTask(h.Config.ID, true); err != nil {
		tr.logger.Warn("destroy task for restart", "error", err)
	}
	tr.deleteHandle()
	now := tr.cfg.Now()
	tr.update(func(s *structs.TaskState) {
		s.State = structs.TaskStatePending
		s.Restarts++
		s.LastRestart = now
	}, restartingEvent(now, time.Duration(0), restartReason))
}
