// Package rawexec is the raw_exec task driver: it runs the task's command
// as a plain process of the client's user, with no isolation. It is off
// unless the client enables it, because a job can then run anything as the
// agent's user.
//
// Config keys: command (required), args (list of strings). The task's
// `user` is honoured when the client runs as root.
//
// Each task runs in its own process group so that stopping it signals the
// whole tree the command started.
//
// Logs: with TaskConfig.Logs set, the task's stdout and stderr are pipes
// read by a log collector, the drover binary re-executed as
// `drover __drover_logmon` and detached with setsid (package logmon), which
// writes rotated files. The task and its collector are both independent of
// the agent, so a killed agent leaves the task running and logging; a
// restarted one recovers the task by PID. In a test binary (no binary to
// re-execute) the copying happens in the agent's process instead.
//
// Volume mounts (TaskConfig.Mounts) are ignored: a raw_exec task sees the
// host's whole filesystem anyway, so it reads a host volume at its host
// path.
package rawexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/client/logmon"
	"github.com/droverhq/drover/structs"
)

// Name is the driver's name in job files.
const Name = "raw_exec"

// DisabledDescription tells the operator how to turn the driver on.
const DisabledDescription = `disabled; enable with client { options { "driver.raw_exec.enable" = "1" } } or -dev`

// recoverPoll is how often a recovered task (not our child, so not
// waitable) is checked for liveness.
const recoverPoll = 500 * time.Millisecond

var _ drivers.Driver = (*Driver)(nil)

// Driver is the raw_exec driver. Create it with New.
type Driver struct {
	enabled bool
	now     func() time.Time
	// logExe is the binary re-executed as a log collector; "" copies logs
	// in this process.
	logExe string

	mu    sync.Mutex
	tasks map[string]*task // guarded by mu
}

// New returns the driver; it refuses tasks unless enabled. now may be nil.
func New(enabled bool, now func() time.Time) *Driver {
	return NewWithOptions(Options{Enabled: enabled, Now: now})
}

// Options configure the driver.
type Options struct {
	Enabled bool
	Now     func() time.Time // nil is time.Now
	// LogCollector is the binary (drover) re-executed as each task's log
	// collector, so that logging outlives the agent; "" copies logs in
	// this process (tests).
	LogCollector string
}

// NewWithOptions returns the driver configured by opts.
func NewWithOptions(opts Options) *Driver {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Driver{enabled: opts.Enabled, now: opts.Now, logExe: opts.LogCollector, tasks: map[string]*task{}}
}

// Name implements drivers.Driver.
func (d *Driver) Name() string { return Name }

// Fingerprint implements drivers.Driver.
func (d *Driver) Fingerprint() *structs.DriverInfo {
	if !d.enabled {
		return &structs.DriverInfo{Detected: false, Healthy: false, HealthDescription: DisabledDescription, UpdateTime: d.now()}
	}
	return &structs.DriverInfo{Detected: true, Healthy: true, HealthDescription: "Healthy", UpdateTime: d.now()}
}

// driverState is persisted in the TaskHandle to find the process again.
type driverState struct {
	Pid       int
	StartedAt time.Time
}

// StartTask implements drivers.Driver.
func (d *Driver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	if !d.enabled {
		return nil, fmt.Errorf("raw_exec: %w: %s", drivers.ErrDisabled, DisabledDescription)
	}
	command, err := drivers.ConfigString(cfg.Config, "command")
	if err != nil {
		return nil, fmt.Errorf("raw_exec: %w", err)
	}
	if command == "" {
		return nil, fmt.Errorf("raw_exec: config \"command\" is required: %w", structs.ErrInvalid)
	}
	args, err := drivers.ConfigStringList(cfg.Config, "args")
	if err != nil {
		return nil, fmt.Errorf("raw_exec: %w", err)
	}
	d.mu.Lock()
	_, dup := d.tasks[cfg.ID]
	d.mu.Unlock()
	if dup {
		return nil, fmt.Errorf("raw_exec: task %q already started", cfg.ID)
	}

	t, err := startProcess(cfg, command, args, d.now, d.logExe)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.tasks[cfg.ID] = t
	d.mu.Unlock()

	state, _ := json.Marshal(driverState{Pid: t.pid, StartedAt: t.startedAt})
	return &drivers.TaskHandle{Driver: Name, Config: cfg, State: drivers.TaskStateRunning,
		StartedAt: t.startedAt, DriverState: state}, nil
}

// startProcess starts the command and a goroutine that waits for it.
func startProcess(cfg *drivers.TaskConfig, command string, args []string, now func() time.Time, logExe string) (*task, error) {
	stdout, stderr, drained, err := taskOutput(cfg, logExe)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(command, args...)
	cmd.Dir = cfg.TaskDir
	cmd.Env = cfg.EnvList()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// A process group of its own: StopTask signals everything the task forked.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if cfg.User != "" {
		cred, err := credential(cfg.User)
		if err != nil {
			stdout.Close()
			stderr.Close()
			return nil, err
		}
		cmd.SysProcAttr.Credential = cred
	}
	if err := cmd.Start(); err != nil {
		stdout.Close()
		stderr.Close()
		return nil, fmt.Errorf("raw_exec: start %q: %w", command, err)
	}
	// The task has its copies: a collector sees EOF when the task's
	// side closes, not when ours does.
	stdout.Close()
	stderr.Close()
	t := newTask(cfg, cmd.Process.Pid, now(), now)
	go func() {
		werr := cmd.Wait()
		waitDrained(drained)
		t.finish(exitResult(cmd.ProcessState, werr))
	}()
	return t, nil
}

// taskOutput returns the task's stdout and stderr: pipes to a log
// collector with cfg.Logs, else the files at StdoutPath and StderrPath.
// drained, when not nil, is closed once the collector has written all
// the task's output.
func taskOutput(cfg *drivers.TaskConfig, logExe string) (stdout, stderr *os.File, drained <-chan struct{}, err error) {
	if l := cfg.Logs; l != nil && l.Dir != "" {
		lc := logmon.Config{Dir: l.Dir, Task: cfg.Name, MaxFiles: l.MaxFiles, MaxFileSizeMB: l.MaxFileSizeMB}
		stdout, stderr, drained, err = logmon.StartCollector(logExe, lc)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("raw_exec: %w", err)
		}
		return stdout, stderr, drained, nil
	}
	stdout, err = openLog(cfg.StdoutPath)
	if err != nil {
		return nil, nil, nil, err
	}
	stderr, err = openLog(cfg.StderrPath)
	if err != nil {
		stdout.Close()
		return nil, nil, nil, err
	}
	return stdout, stderr, nil, nil
}

// logDrainTimeout bounds how long an exit waits for the task's last log
// lines: a child the task left running may hold its pipes open for ever.
const logDrainTimeout = 5 * time.Second

// waitDrained waits until the log collector has written everything, so a
// reported exit comes with complete logs.
func waitDrained(drained <-chan struct{}) {
	if drained == nil {
		return
	}
	select {
	case <-drained:
	case <-time.After(logDrainTimeout):
	}
}

// credential looks up the task's `user`; switching users needs root.
func credential(name string) (*syscall.Credential, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, drivers.Unrecoverable(fmt.Errorf("raw_exec: task user %q: %w", name, err))
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if os.Geteuid() != 0 && int(uid) != os.Geteuid() {
		return nil, drivers.Unrecoverable(fmt.Errorf("raw_exec: task user %q: the client must run as root to run tasks as another user", name))
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// openLog opens a log file for appending; "" means discard.
func openLog(path string) (*os.File, error) {
	if path == "" {
		path = os.DevNull
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("raw_exec: open log: %w", err)
	}
	return f, nil
}

// exitResult turns a wait status into an ExitResult; a signal death is
// reported as the signal and, like a shell, exit code 128+signal.
func exitResult(ps *os.ProcessState, werr error) *drivers.ExitResult {
	if ps == nil {
		return &drivers.ExitResult{ExitCode: -1, Err: fmt.Errorf("wait: %w", werr)}
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return &drivers.ExitResult{ExitCode: 128 + int(ws.Signal()), Signal: int(ws.Signal())}
	}
	return &drivers.ExitResult{ExitCode: ps.ExitCode()}
}

func (d *Driver) get(id string) (*task, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tasks[id]
	if !ok {
		return nil, fmt.Errorf("raw_exec: task %q: %w", id, drivers.ErrTaskNotFound)
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
	if t.exited() {
		return nil
	}
	return drivers.StopWithKill(t.done, timeout, sig, t.signalGroup)
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
		return fmt.Errorf("raw_exec: destroy task %q: %w", id, drivers.ErrTaskRunning)
	}
	delete(d.tasks, id)
	d.mu.Unlock()
	// Also reaps children the leader left behind in its group.
	_ = t.signalGroup(syscall.SIGKILL)
	<-t.done
	return nil
}

// RecoverTask implements drivers.Driver. The process is not our child, so
// its exit is detected by polling and its exit code is unknown.
func (d *Driver) RecoverTask(h *drivers.TaskHandle) error {
	if h == nil || h.Config == nil {
		return errors.New("raw_exec: recover: handle has no task config")
	}
	var st driverState
	if err := json.Unmarshal(h.DriverState, &st); err != nil || st.Pid <= 0 {
		return fmt.Errorf("raw_exec: recover task %q: bad driver state: %v", h.Config.ID, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.tasks[h.Config.ID]; ok {
		return nil
	}
	t := newTask(h.Config, st.Pid, st.StartedAt, d.now)
	d.tasks[h.Config.ID] = t
	go t.pollUntilGone(recoverPoll)
	return nil
}

// InspectTask implements drivers.Driver.
func (d *Driver) InspectTask(id string) (*drivers.TaskStatus, error) {
	t, err := d.get(id)
	if err != nil {
		return nil, err
	}
	return t.status(), nil
}

// TaskStats implements drivers.Driver; it samples the leader process only.
func (d *Driver) TaskStats(_ context.Context, id string) (*drivers.TaskResourceUsage, error) {
	t, err := d.get(id)
	if err != nil {
		return nil, err
	}
	u, err := procUsage(t.pid)
	if err != nil {
		return nil, fmt.Errorf("raw_exec: stats of task %q: %w", id, err)
	}
	u.Timestamp = d.now()
	return u, nil
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
	return t.signalGroup(sig)
}
