// Package taskrunner runs one task of an allocation through its life: start
// it with its driver, wait for it, restart it per the restart policy, stop
// it when asked, and record every step as task events and a TaskState that
// the client reports to the servers.
//
//	         +-------- restart (policy allows, after delay) --------+
//	         v                                                      |
//	Received -> Setup -> Started -> [running] -> Terminated -> Restarting
//	                        ^                        |
//	                        | (start failed)         +-> Not Restarting -> dead
//	                  Driver Failure                 (failed if policy exhausted)
//
//	Kill at any point: Killing -> Killed -> dead (not failed).
//
// One goroutine (Run) owns the task's lifecycle; other goroutines only
// read its state (State) or ask it to stop (Kill, Detach).
package taskrunner

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/client/state"
	"github.com/droverhq/drover/structs"
)

// Defaults for stopping a task whose job sets none, as Nomad's.
const (
	DefaultKillTimeout = 5 * time.Second
	// maxEvents bounds the events kept per task; a client may run many
	// allocs and a crash-looping task must not grow its state forever.
	maxEvents = 10
)

// Config is what a task runner needs.
type Config struct {
	Alloc *structs.Allocation
	Task  *structs.Task
	// Driver runs the task; nil means the node has no such driver.
	Driver drivers.Driver
	// TaskConfig is prepared by the alloc runner (dirs, env, interpolated
	// config); the runner sets its ID per start attempt.
	TaskConfig *drivers.TaskConfig
	// SetupErr, when set, means the alloc runner could not prepare the task:
	// it fails without starting.
	SetupErr error
	// DB persists the task's state and driver handle; nil keeps nothing.
	DB     state.DB
	Logger *slog.Logger
	Now    func() time.Time
	// After makes restart-delay timers; nil is time.After.
	After func(time.Duration) <-chan time.Time
	// OnUpdate is called from the runner's goroutine after each state
	// change. It must not block.
	OnUpdate func()
}

// TaskRunner runs one task. Create it with New, optionally Restore it,
// then call Run in a goroutine.
type TaskRunner struct {
	cfg      Config
	allocID  string
	name     string
	logger   *slog.Logger
	restarts *restartTracker

	killOnce   sync.Once
	killCh     chan struct{} // closed by Kill
	detachOnce sync.Once
	detachCh   chan struct{} // closed by Detach
	waitCh     chan struct{} // closed when Run returns
	restartCh  chan string   // Restart requests (ops.go); buffered 1

	mu         sync.Mutex
	state      *structs.TaskState  // guarded by mu
	handle     *drivers.TaskHandle // recovered handle, guarded by mu
	killReason string              // guarded by mu
	running    *drivers.TaskHandle // the attempt now running (ops.go); guarded by mu
}

// New builds a task runner with a pending state.
func New(cfg Config) *TaskRunner {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.OnUpdate == nil {
		cfg.OnUpdate = func() {}
	}
	tr := &TaskRunner{
		cfg: cfg, allocID: cfg.Alloc.ID, name: cfg.Task.Name,
		logger:   cfg.Logger.With("alloc_id", cfg.Alloc.ID, "task", cfg.Task.Name),
		restarts: newRestartTracker(restartPolicy(cfg.Alloc, cfg.Task), jobType(cfg.Alloc), cfg.Now()),
		killCh:   make(chan struct{}), detachCh: make(chan struct{}), waitCh: make(chan struct{}),
		restartCh: make(chan string, 1),
		state:     &structs.TaskState{State: structs.TaskStatePending},
	}
	return tr
}

// restartPolicy is the task's own policy, else its group's.
func restartPolicy(a *structs.Allocation, t *structs.Task) *structs.RestartPolicy {
	if t.RestartPolicy != nil {
		return t.RestartPolicy
	}
	if a.Job != nil {
		for _, tg := range a.Job.TaskGroups {
			if tg.Name == a.TaskGroup {
				return tg.RestartPolicy
			}
		}
	}
	return nil
}

func jobType(a *structs.Allocation) string {
	if a.Job == nil {
		return structs.JobTypeService
	}
	return a.Job.Type
}

// Restore loads the task's state and driver handle saved by an earlier
// client process. It must be called before Run.
func (tr *TaskRunner) Restore() error {
	if tr.cfg.DB == nil {
		return nil
	}
	st, err := tr.cfg.DB.TaskState(tr.allocID, tr.name)
	if err != nil {
		return fmt.Errorf("restore task %q: %w", tr.name, err)
	}
	h, err := tr.cfg.DB.TaskHandle(tr.allocID, tr.name)
	if err != nil {
		return fmt.Errorf("restore task %q: %w", tr.name, err)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if st != nil {
		tr.state = st
	}
	tr.handle = h
	return nil
}

// State returns a copy of the task's state.
func (tr *TaskRunner) State() *structs.TaskState {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return copyState(tr.state)
}

// WaitCh is closed when Run has returned.
func (tr *TaskRunner) WaitCh() <-chan struct{} { return tr.waitCh }

// Kill asks the runner to stop the task (kill signal, then SIGKILL after
// the kill timeout) and end. It returns at once; wait on WaitCh.
func (tr *TaskRunner) Kill(reason string) {
	tr.killOnce.Do(func() {
		tr.mu.Lock()
		tr.killReason = reason
		tr.mu.Unlock()
		close(tr.killCh)
	})
}

// Detach makes Run return without touching the task, which keeps running
// (client shutdown); a later client process recovers it from state.
func (tr *TaskRunner) Detach() { tr.detachOnce.Do(func() { close(tr.detachCh) }) }

// Run drives the task until it is dead, killed, or the runner is detached.
func (tr *TaskRunner) Run() {
	defer close(tr.waitCh)
	if tr.State().State == structs.TaskStateDead {
		return // restored a finished task: never run it again
	}
	if tr.cfg.SetupErr != nil {
		tr.dead(true, SetupFailureEvent(tr.cfg.Now(), tr.cfg.SetupErr))
		return
	}
	if tr.cfg.Driver == nil {
		err := fmt.Errorf("driver %q is not available on this node", tr.cfg.Task.Driver)
		tr.dead(true, driverFailureEvent(tr.cfg.Now(), err))
		return
	}
	handle := tr.recover()
	for {
		if handle == nil {
			if tr.killRequested() {
				tr.dead(false, killedEvent(tr.cfg.Now(), nil))
				return
			}
			var err error
			if handle, err = tr.start(); err != nil {
				d := tr.restarts.startFailed(drivers.IsRecoverable(err), tr.cfg.Now())
				if !tr.afterExit(d) {
					return
				}
				continue
			}
		}
		tr.setRunning(handle)
		res, why := tr.wait(handle)
		tr.setRunning(nil)
		switch why {
		case waitDetached:
			return
		case waitKilled:
			tr.kill(handle)
			return
		case waitRestart:
			tr.restartNow(handle)
			handle = nil
			continue
		}
		tr.exited(handle, res)
		handle = nil
		if !tr.afterExit(tr.restarts.exited(res.Successful(), tr.cfg.Now())) {
			return
		}
	}
}

// recover re-attaches to a handle restored from state; nil if there is
// none or the driver could not recover it (the task then starts afresh).
func (tr *TaskRunner) recover() *drivers.TaskHandle {
	tr.mu.Lock()
	h := tr.handle
	tr.handle = nil
	tr.mu.Unlock()
	if h == nil || h.Config == nil {
		return nil
	}
	if err := tr.cfg.Driver.RecoverTask(h); err != nil {
		tr.logger.Warn("could not recover task; starting it again", "error", err)
		tr.event(driverFailureEvent(tr.cfg.Now(), fmt.Errorf("recover task: %w", err)))
		_ = tr.cfg.Driver.DestroyTask(h.Config.ID, true)
		tr.deleteHandle()
		return nil
	}
	tr.logger.Info("recovered task")
	return h
}

// start starts one attempt of the task.
func (tr *TaskRunner) start() (*drivers.TaskHandle, error) {
	tc := *tr.cfg.TaskConfig
	tc.ID = fmt.Sprintf("%s/%s/%d", tr.allocID, tr.name, tr.State().Restarts)
	h, err := tr.cfg.Driver.StartTask(&tc)
	if err != nil {
		tr.logger.Warn("task failed to start", "error", err)
		tr.event(driverFailureEvent(tr.cfg.Now(), err))
		return nil, err
	}
	if tr.cfg.DB != nil {
		if err := tr.cfg.DB.PutTaskHandle(tr.allocID, tr.name, h); err != nil {
			tr.logger.Error("could not persist task handle; a client restart will lose this task", "error", err)
		}
	}
	now := tr.cfg.Now()
	tr.update(func(s *structs.TaskState) {
		s.State, s.StartedAt, s.FinishedAt = structs.TaskStateRunning, now, time.Time{}
	}, startedEvent(now))
	return h, nil
}

type waitOutcome int

const (
	waitExited waitOutcome = iota
	waitKilled
	waitDetached
	waitRestart // Restart was asked (ops.go)
)

// wait blocks until the task exits, Kill or Detach.
func (tr *TaskRunner) wait(h *drivers.TaskHandle) (*drivers.ExitResult, waitOutcome) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := tr.cfg.Driver.WaitTask(ctx, h.Config.ID)
	if err != nil {
		return &drivers.ExitResult{ExitCode: -1, Err: fmt.Errorf("wait: %w", err)}, waitExited
	}
	select {
	case res, ok := <-ch:
		if !ok || res == nil {
			res = &drivers.ExitResult{ExitCode: -1, Err: fmt.Errorf("driver %s lost the task", h.Driver)}
		}
		return res, waitExited
	case <-tr.killCh:
		return nil, waitKilled
	case <-tr.detachCh:
		return nil, waitDetached
	case <-tr.restartCh:
		return nil, waitRestart
	}
}

// exited records an exit and frees the driver's resources for it.
func (tr *TaskRunner) exited(h *drivers.TaskHandle, res *drivers.ExitResult) {
	tr.logger.Info("task exited", "exit_code", res.ExitCode, "signal", res.Signal)
	tr.event(terminatedEvent(tr.cfg.Now(), res))
	if err := tr.cfg.Driver.DestroyTask(h.Config.ID, true); err != nil {
		tr.logger.Warn("destroy task", "error", err)
	}
	tr.deleteHandle()
}

// afterExit applies a restart decision; false means the runner is done.
func (tr *TaskRunner) afterExit(d decision) bool {
	now := tr.cfg.Now()
	if !d.restart {
		tr.dead(d.failed, notRestartingEvent(now, d.reason, d.failed))
		return false
	}
	tr.update(func(s *structs.TaskState) {
		s.State = structs.TaskStatePending
		s.Restarts++
		s.LastRestart = now
	}, restartingEvent(now, d.delay, d.reason))
	select {
	case <-tr.cfg.After(d.delay):
		return true
	case <-tr.killCh:
		tr.dead(false, killedEvent(tr.cfg.Now(), nil))
		return false
	case <-tr.detachCh:
		return false
	}
}

// kill stops a running task with its kill signal and timeout.
func (tr *TaskRunner) kill(h *drivers.TaskHandle) {
	timeout := tr.cfg.Task.KillTimeout
	if timeout <= 0 {
		timeout = DefaultKillTimeout
	}
	tr.mu.Lock()
	reason := tr.killReason
	tr.mu.Unlock()
	tr.event(killingEvent(tr.cfg.Now(), timeout, reason))

	err := tr.cfg.Driver.StopTask(h.Config.ID, timeout, tr.cfg.Task.KillSignal)
	if err != nil {
		tr.logger.Warn("stop task", "error", err)
	}
	if st, ierr := tr.cfg.Driver.InspectTask(h.Config.ID); ierr == nil && st.ExitResult != nil {
		tr.event(terminatedEvent(tr.cfg.Now(), st.ExitResult))
	}
	if derr := tr.cfg.Driver.DestroyTask(h.Config.ID, true); derr != nil && err == nil {
		err = derr
	}
	tr.deleteHandle()
	tr.dead(false, killedEvent(tr.cfg.Now(), err))
}

func (tr *TaskRunner) killRequested() bool {
	select {
	case <-tr.killCh:
		return true
	default:
		return false
	}
}

func (tr *TaskRunner) deleteHandle() {
	if tr.cfg.DB == nil {
		return
	}
	if err := tr.cfg.DB.DeleteTaskHandle(tr.allocID, tr.name); err != nil {
		tr.logger.Warn("delete task handle", "error", err)
	}
}

// dead moves the task to its final state.
func (tr *TaskRunner) dead(failed bool, ev *structs.TaskEvent) {
	now := tr.cfg.Now()
	tr.update(func(s *structs.TaskState) {
		s.State, s.Failed, s.FinishedAt = structs.TaskStateDead, failed, now
	}, ev)
}

// event appends an event without changing the state.
func (tr *TaskRunner) event(ev *structs.TaskEvent) { tr.update(nil, ev) }

// EmitEvent records an event from the alloc runner (Received, Setup).
func (tr *TaskRunner) EmitEvent(ev *structs.TaskEvent) { tr.update(nil, ev) }

// update changes the state under the lock, persists it and notifies.
func (tr *TaskRunner) update(f func(*structs.TaskState), ev *structs.TaskEvent) {
	tr.mu.Lock()
	if f != nil {
		f(tr.state)
	}
	if ev != nil {
		if ev.FailsTask {
			tr.state.Failed = true
		}
		tr.state.Events = append(tr.state.Events, ev)
		if n := len(tr.state.Events); n > maxEvents {
			tr.state.Events = append([]*structs.TaskEvent(nil), tr.state.Events[n-maxEvents:]...)
		}
	}
	snap := copyState(tr.state)
	tr.mu.Unlock()
	if tr.cfg.DB != nil {
		if err := tr.cfg.DB.PutTaskState(tr.allocID, tr.name, snap); err != nil {
			tr.logger.Warn("persist task state", "error", err)
		}
	}
	tr.cfg.OnUpdate()
}

// copyState deep-copies a task state (structs keeps its copier private).
func copyState(s *structs.TaskState) *structs.TaskState {
	if s == nil {
		return nil
	}
	c := *s
	c.Events = make([]*structs.TaskEvent, len(s.Events))
	for i, e := range s.Events {
		ec := *e
		if e.Details != nil {
			ec.Details = make(map[string]string, len(e.Details))
			for k, v := range e.Details {
				ec.Details[k] = v
			}
		}
		c.Events[i] = &ec
	}
	return &c
}
