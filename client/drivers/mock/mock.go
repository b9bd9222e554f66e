// Package mock is a task driver that simulates tasks with timers: no
// process is started. It is for tests and for the scale simulator, which
// runs thousands of clients in one process.
//
// Config keys (all optional):
//
//	run_for                 duration the task runs, then exits ("0" exits at once)
//	exit_code               exit code when run_for ends
//	exit_signal             signal number reported when run_for ends
//	start_error             StartTask fails with this message, unrecoverable
//	                        (no restarts) unless start_error_recoverable is true
//	kill_after              after a stop signal, the task exits this much later
//	                        (longer than the stop timeout means SIGKILL ends it)
//	stdout_string           written to the task's stdout file at start
//	stdout_repeat           write stdout_string this many more times...
//	stdout_repeat_duration  ...this far apart
package mock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/structs"
)

// Name is the driver's name in job files.
const Name = "mock"

var _ drivers.Driver = (*Driver)(nil)

// Driver is the mock driver. The zero value is not usable; call New.
type Driver struct {
	now func() time.Time

	mu    sync.Mutex
	tasks map[string]*task // guarded by mu
}

// New returns a mock driver; now may be nil for time.Now.
func New(now func() time.Time) *Driver {
	if now == nil {
		now = time.Now
	}
	return &Driver{now: now, tasks: map[string]*task{}}
}

// taskConfig is the parsed `config` block.
type taskConfig struct {
	RunFor        time.Duration
	ExitCode      int
	ExitSignal    int
	StartError    string
	StartErrRecov bool
	KillAfter     time.Duration
	Stdout        string
	StdoutRepeat  int
	StdoutRepeatD time.Duration
}

func parseConfig(m map[string]interface{}) (*taskConfig, error) {
	var c taskConfig
	var errs []error
	var err error
	c.RunFor, err = drivers.ConfigDuration(m, "run_for")
	errs = append(errs, err)
	c.ExitCode, err = drivers.ConfigInt(m, "exit_code")
	errs = append(errs, err)
	c.ExitSignal, err = drivers.ConfigInt(m, "exit_signal")
	errs = append(errs, err)
	c.StartError, err = drivers.ConfigString(m, "start_error")
	errs = append(errs, err)
	recov, err := drivers.ConfigString(m, "start_error_recoverable")
	if err != nil {
		var b bool
		b, err = configBool(m, "start_error_recoverable")
		recov = fmt.Sprint(b)
	}
	c.StartErrRecov = recov == "true" || recov == "1"
	errs = append(errs, err)
	c.KillAfter, err = drivers.ConfigDuration(m, "kill_after")
	errs = append(errs, err)
	c.Stdout, err = drivers.ConfigString(m, "stdout_string")
	errs = append(errs, err)
	c.StdoutRepeat, err = drivers.ConfigInt(m, "stdout_repeat")
	errs = append(errs, err)
	c.StdoutRepeatD, err = drivers.ConfigDuration(m, "stdout_repeat_duration")
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("mock driver: %w", err)
	}
	return &c, nil
}

func configBool(m map[string]interface{}, key string) (bool, error) {
	if b, ok := m[key].(bool); ok {
		return b, nil
	}
	return false, fmt.Errorf("config %q: got %T, want a bool", key, m[key])
}

// Name implements drivers.Driver.
func (d *Driver) Name() string { return Name }

// Fingerprint implements drivers.Driver: the mock driver is always healthy.
func (d *Driver) Fingerprint() *structs.DriverInfo {
	return &structs.DriverInfo{Detected: true, Healthy: true, HealthDescription: "Healthy", UpdateTime: d.now()}
}

// StartTask implements drivers.Driver.
func (d *Driver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	tc, err := parseConfig(cfg.Config)
	if err != nil {
		return nil, err
	}
	if tc.StartError != "" {
		if tc.StartErrRecov {
			return nil, errors.New(tc.StartError)
		}
		return nil, drivers.Unrecoverable(errors.New(tc.StartError))
	}
	d.mu.Lock()
	if _, ok := d.tasks[cfg.ID]; ok {
		d.mu.Unlock()
		return nil, fmt.Errorf("mock driver: task %q already started", cfg.ID)
	}
	t := newTask(cfg, tc, d.now, d.now(), tc.RunFor)
	d.tasks[cfg.ID] = t
	d.mu.Unlock()
	go t.run()
	return &drivers.TaskHandle{Driver: Name, Config: cfg, State: drivers.TaskStateRunning, StartedAt: t.startedAt}, nil
}

func (d *Driver) get(id string) (*task, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tasks[id]
	if !ok {
		return nil, fmt.Errorf("mock driver: task %q: %w", id, drivers.ErrTaskNotFound)
	}
	return t, nil
}

// WaitTask implements drivers.Driver.
func (d *Driver) WaitTask(ctx context.Context, id string) (<-chan *drivers.ExitResult, error) {
	t, err := d.get(id)
	if err != nil {
		return nil, err
	}
	return drivers.WaitResult(ctx, t.done, t.exitResult), nil
}

// StopTask implements drivers.Driver.
func (d *Driver) StopTask(id string, timeout time.Duration, signal string) error {
	t, err := d.get(id)
	if err != nil {
		return err
	}
	sig, err := drivers.ParseSignal(signal, syscall.SIGTERM)
	if err != nil {
		return err
	}
	return drivers.StopWithKill(t.done, timeout, sig, func(s syscall.Signal) error { t.signal(s); return nil })
}

// DestroyTask implements drivers.Driver.
func (d *Driver) DestroyTask(id string, force bool) error {
	d.mu.Lock()
	t, ok := d.tasks[id]
	if !ok {
		d.mu.Unlock()
		return nil
	}
	if !t.exited() && !force {
		d.mu.Unlock()
		return fmt.Errorf("mock driver: destroy task %q: %w", id, drivers.ErrTaskRunning)
	}
	delete(d.tasks, id)
	d.mu.Unlock()
	t.signal(syscall.SIGKILL)
	<-t.done
	return nil
}

// RecoverTask implements drivers.Driver: the simulated task resumes with
// whatever is left of run_for, measured from its original start.
func (d *Driver) RecoverTask(h *drivers.TaskHandle) error {
	if h == nil || h.Config == nil {
		return errors.New("mock driver: recover: handle has no task config")
	}
	tc, err := parseConfig(h.Config.Config)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.tasks[h.Config.ID]; ok {
		return nil
	}
	remaining := tc.RunFor - d.now().Sub(h.StartedAt)
	if remaining < 0 {
		remaining = 0
	}
	t := newTask(h.Config, tc, d.now, h.StartedAt, remaining)
	d.tasks[h.Config.ID] = t
	go t.run()
	return nil
}

// Shutdown ends every simulated task without an exit result reaching
// anyone who cares: a client that shuts down leaves its tasks "running",
// and for simulated tasks that means their goroutines just end.
func (d *Driver) Shutdown() {
	d.mu.Lock()
	tasks := d.tasks
	d.tasks = map[string]*task{}
	d.mu.Unlock()
	for _, t := range tasks {
		t.signal(syscall.SIGKILL)
	}
}

// InspectTask implements drivers.Driver.
func (d *Driver) InspectTask(id string) (*drivers.TaskStatus, error) {
	t, err := d.get(id)
	if err != nil {
		return nil, err
	}
	return t.status(), nil
}

// TaskStats implements drivers.Driver: a simulated task uses nothing.
func (d *Driver) TaskStats(_ context.Context, id string) (*drivers.TaskResourceUsage, error) {
	if _, err := d.get(id); err != nil {
		return nil, err
	}
	return &drivers.TaskResourceUsage{Timestamp: d.now()}, nil
}

// SignalTask implements drivers.Driver.
func (d *Driver) SignalTask(id string, signal string) error {
	t, err := d.get(id)
	if err != nil {
		return err
	}
	sig, err := drivers.ParseSignal(signal, syscall.SIGTERM)
	if err != nil {
		return err
	}
	t.signal(sig)
	return nil
}

// task is one simulated task; its goroutine (run) owns the timeline, others
// talk to it through sigCh and read the result after done is closed.
type task struct {
	cfg       *drivers.TaskConfig
	tc        *taskConfig
	now       func() time.Time
	startedAt time.Time
	runFor    time.Duration
	sigCh     chan syscall.Signal
	done      chan struct{}

	mu          sync.Mutex
	result      *drivers.ExitResult // set before done is closed
	completedAt time.Time
}

func newTask(cfg *drivers.TaskConfig, tc *taskConfig, now func() time.Time, started time.Time, runFor time.Duration) *task {
	return &task{cfg: cfg, tc: tc, now: now, startedAt: started, runFor: runFor,
		sigCh: make(chan syscall.Signal, 4), done: make(chan struct{})}
}

// signal never blocks: a task that already ended ignores signals.
func (t *task) signal(s syscall.Signal) {
	select {
	case t.sigCh <- s:
	default:
	}
}

func (t *task) run() {
	stopOutput := t.writeStdout()
	defer stopOutput()
	runTimer := time.NewTimer(t.runFor)
	defer runTimer.Stop()
	var killTimer <-chan time.Time
	var killSig syscall.Signal
	for {
		select {
		case <-runTimer.C:
			t.finish(&drivers.ExitResult{ExitCode: t.tc.ExitCode, Signal: t.tc.ExitSignal})
			return
		case <-killTimer:
			t.finish(&drivers.ExitResult{ExitCode: 128 + int(killSig), Signal: int(killSig)})
			return
		case s := <-t.sigCh:
			if s == syscall.SIGKILL || t.tc.KillAfter <= 0 {
				t.finish(&drivers.ExitResult{ExitCode: 128 + int(s), Signal: int(s)})
				return
			}
			if killTimer == nil {
				killSig = s
				killTimer = time.After(t.tc.KillAfter)
			}
		}
	}
}

// writeStdout writes stdout_string now and repeats it if asked; the
// returned func stops the repeats.
func (t *task) writeStdout() func() {
	if t.tc.Stdout == "" || t.cfg.StdoutPath == "" {
		return func() {}
	}
	write := func() {
		f, err := os.OpenFile(t.cfg.StdoutPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return // a simulated task has nowhere to report this; the log file just stays empty
		}
		_, _ = f.WriteString(t.tc.Stdout)
		_ = f.Close()
	}
	write()
	if t.tc.StdoutRepeat <= 0 || t.tc.StdoutRepeatD <= 0 {
		return func() {}
	}
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(t.tc.StdoutRepeatD)
		defer tick.Stop()
		for i := 0; i < t.tc.StdoutRepeat; i++ {
			select {
			case <-tick.C:
				write()
			case <-stop:
				return
			}
		}
	}()
	return func() { close(stop) }
}

func (t *task) finish(r *drivers.ExitResult) {
	t.mu.Lock()
	t.result = r
	t.completedAt = t.now()
	t.mu.Unlock()
	close(t.done)
}

func (t *task) exited() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

func (t *task) exitResult() *drivers.ExitResult {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := *t.result
	return &r
}

func (t *task) status() *drivers.TaskStatus {
	st := &drivers.TaskStatus{ID: t.cfg.ID, Name: t.cfg.Name, State: drivers.TaskStateRunning, StartedAt: t.startedAt}
	if t.exited() {
		t.mu.Lock()
		r := *t.result
		st.State, st.CompletedAt, st.ExitResult = drivers.TaskStateExited, t.completedAt, &r
		t.mu.Unlock()
	}
	return st
}
