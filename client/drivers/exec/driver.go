package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	osexec "os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/client/logmon"
	"github.com/droverhq/drover/structs"
)

// Name is the driver's name in job files.
const Name = "exec"

// DefaultPidsLimit caps the processes of one task when Options.PidsLimit
// is 0: a fork bomb stays inside its container.
const DefaultPidsLimit = 1024

// startTimeout bounds how long StartTask waits for the supervisor to say
// that the container runs.
const startTimeout = 60 * time.Second

var _ drivers.Driver = (*Driver)(nil)

// Options configure the driver.
type Options struct {
	// StateDir holds libcontainer's state (containers/) and the tasks' root
	// directories (rootfs/), e.g. <data_dir>/exec. Required.
	StateDir string
	// ChrootEnv maps host paths to container paths, as Nomad's chroot_env;
	// nil means /bin /etc /lib /lib64 /sbin /usr at the same paths.
	ChrootEnv map[string]string
	// Executable is the binary re-executed as supervisor and container
	// init; it must call Main first thing. "" means this process's binary,
	// unless that is a Go test binary (it would run its tests instead): the
	// driver is then unusable and its fingerprint says so.
	Executable string
	// Logger; nil discards.
	Logger *slog.Logger
	// PidsLimit caps a task's processes; 0 means DefaultPidsLimit, -1 none.
	PidsLimit int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Driver is the exec driver. Create it with New.
type Driver struct {
	stateDir  string
	chrootEnv map[string]string
	exe       string
	log       *slog.Logger
	pidsLimit int64
	now       func() time.Time
	probe     prober

	mu       sync.Mutex
	tasks    map[string]*task // guarded by mu
	starting map[string]bool  // IDs in StartTask; guarded by mu
}

// New returns the driver and removes what stopped containers of earlier
// runs left in StateDir. Running ones are kept for RecoverTask.
func New(opts Options) *Driver {
	d := &Driver{
		stateDir: opts.StateDir, chrootEnv: opts.ChrootEnv, exe: opts.Executable,
		log: opts.Logger, pidsLimit: opts.PidsLimit, now: opts.Now,
		tasks: map[string]*task{}, starting: map[string]bool{},
	}
	if d.chrootEnv == nil {
		d.chrootEnv = defaultChrootEnv
	}
	if d.log == nil {
		d.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if d.exe == "" {
		d.exe = logmon.SelfExecutable() // "" in a test binary: see checkHost
	}
	switch {
	case d.pidsLimit == 0:
		d.pidsLimit = DefaultPidsLimit
	case d.pidsLimit < 0:
		d.pidsLimit = 0
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.stateDir != "" {
		d.cleanStale()
	}
	return d
}

func (d *Driver) containersDir() string { return filepath.Join(d.stateDir, "containers") }
func (d *Driver) rootfsDir() string     { return filepath.Join(d.stateDir, "rootfs") }

// Name implements drivers.Driver.
func (d *Driver) Name() string { return Name }

// StartTask implements drivers.Driver: it starts the task's supervisor and
// returns once the container runs.
func (d *Driver) StartTask(cfg *drivers.TaskConfig) (*drivers.TaskHandle, error) {
	if d.stateDir == "" {
		return nil, drivers.Unrecoverable(errors.New("exec: the driver has no state dir (Options.StateDir)"))
	}
	cmd, err := parseTaskCommand(cfg.Config)
	if err != nil {
		return nil, err
	}
	if err := d.reserve(cfg.ID); err != nil {
		return nil, err
	}
	defer d.release(cfg.ID)
	spec, err := d.buildSpec(cfg, cmd)
	if err != nil {
		return nil, err
	}
	t, err := d.launch(cfg, spec)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.tasks[cfg.ID] = t
	d.mu.Unlock()
	state, _ := json.Marshal(t.state)
	return &drivers.TaskHandle{Driver: Name, Config: cfg, State: drivers.TaskStateRunning,
		StartedAt: t.state.StartedAt, DriverState: state}, nil
}

// reserve claims a task ID for a start in progress, so that two starts of
// one ID cannot both launch a container.
func (d *Driver) reserve(id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, dup := d.tasks[id]; dup || d.starting[id] {
		return fmt.Errorf("exec: task %q already started: %w", id, structs.ErrConflict)
	}
	d.starting[id] = true
	return nil
}

func (d *Driver) release(id string) {
	d.mu.Lock()
	delete(d.starting, id)
	d.mu.Unlock()
}

// launch starts the supervisor and waits for its ready message. On error
// nothing of the task is left.
func (d *Driver) launch(cfg *drivers.TaskConfig, spec *launchSpec) (*task, error) {
	log := d.log.With("task_id", cfg.ID, "container", spec.ContainerID)
	if err := writeSpec(spec); err != nil {
		return nil, err
	}
	cmd, readyR, err := d.startSupervisor(spec)
	if err != nil {
		d.cleanup(spec, log)
		return nil, err
	}
	msg, err := readReady(readyR, startTimeout)
	readyR.Close()
	if err != nil {
		// No word from the supervisor: its log is all there is to go by.
		_ = cmd.Process.Kill() // only if it hangs; normally it has exited
		_ = cmd.Wait()
		err = fmt.Errorf("exec: start task %q: %w%s", cfg.ID, err, supervisorLogTail(spec))
		d.cleanup(spec, log)
		return nil, err
	}
	if msg.Error != "" {
		// The supervisor said why; its log would only repeat it (with
		// unrelated warnings) in the task's Driver Failure event.
		_ = cmd.Process.Kill() // it exits right after telling; never hang on it
		_ = cmd.Wait()
		err = fmt.Errorf("exec: start task %q: %s", cfg.ID, msg.Error)
		if msg.Unrecoverable {
			err = drivers.Unrecoverable(err)
		}
		d.cleanup(spec, log)
		return nil, err
	}
	sup, _ := procOf(cmd.Process.Pid)
	st := driverState{Supervisor: sup, Init: msg.Init, SpecPath: spec.specPath(), StartedAt: d.now()}
	t := newTask(cfg, spec, st, d.now)
	go func() {
		_ = cmd.Wait() // our child: reap it, then read what it recorded
		t.finish()
	}()
	log.Debug("task started", "supervisor_pid", sup.Pid, "init_pid", msg.Init.Pid)
	return t, nil
}

// startSupervisor starts `<exe> __drover_task_supervisor <spec>` in a
// session of its own, with supervisor.log as stdout and stderr (a file, so
// that the supervisor outlives the agent) and the ready pipe as fd 3.
func (d *Driver) startSupervisor(spec *launchSpec) (*osexec.Cmd, *os.File, error) {
	logf, err := os.OpenFile(spec.logPath(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("exec: open supervisor log: %w", err)
	}
	defer logf.Close()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("exec: pipe: %w", err)
	}
	defer readyW.Close() // the child has its copy; EOF comes when it exits
	cmd := osexec.Command(d.exe, supervisorArg, spec.specPath())
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{readyW}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		readyR.Close()
		return nil, nil, fmt.Errorf("exec: start supervisor %s: %w", d.exe, err)
	}
	return cmd, readyR, nil
}

// readReady reads the supervisor's one message, or fails after timeout.
func readReady(r *os.File, timeout time.Duration) (*readyMsg, error) {
	_ = r.SetReadDeadline(time.Now().Add(timeout))
	var m readyMsg
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("supervisor exited before the task started")
		}
		return nil, fmt.Errorf("waiting for the supervisor: %w", err)
	}
	return &m, nil
}

// supervisorLogTail returns the end of supervisor.log for an error message.
func supervisorLogTail(spec *launchSpec) string {
	b, err := os.ReadFile(spec.logPath())
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return "\nsupervisor log:\n" + string(b)
}

func (d *Driver) get(id string) (*task, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tasks[id]
	if !ok {
		return nil, fmt.Errorf("exec: task %q: %w", id, drivers.ErrTaskNotFound)
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
		return fmt.Errorf("exec: stop task %q: %w: %w", id, err, structs.ErrInvalid)
	}
	if err := drivers.StopWithKill(t.done, timeout, sig, t.signal); err != nil {
		return fmt.Errorf("exec: stop task %q: %w", id, err)
	}
	return nil
}

// DestroyTask implements drivers.Driver: it kills the task if force, then
// removes the container, its cgroups, the secrets tmpfs, the root directory
// and the supervisor's files.
func (d *Driver) DestroyTask(id string, force bool) error {
	d.mu.Lock()
	t, ok := d.tasks[id]
	if !ok {
		d.mu.Unlock()
		return nil
	}
	if !t.exited() && !force {
		d.mu.Unlock()
		return fmt.Errorf("exec: destroy task %q: %w", id, drivers.ErrTaskRunning)
	}
	delete(d.tasks, id)
	d.mu.Unlock()
	if !t.exited() {
		_ = t.signal(syscall.SIGKILL)
		select {
		case <-t.done:
		case <-time.After(30 * time.Second):
			d.log.Warn("supervisor did not exit after its task was killed", "task_id", id)
		}
	}
	return d.cleanup(t.spec, d.log.With("task_id", id))
}

// RecoverTask implements drivers.Driver: it re-attaches to the supervisor
// of a task started by an earlier agent. A supervisor that is gone has
// left status.json, which then gives the exit.
func (d *Driver) RecoverTask(h *drivers.TaskHandle) error {
	if h == nil || h.Config == nil {
		return errors.New("exec: recover: handle has no task config")
	}
	var st driverState
	if err := json.Unmarshal(h.DriverState, &st); err != nil || st.SpecPath == "" {
		return fmt.Errorf("exec: recover task %q: bad driver state (%v)", h.Config.ID, err)
	}
	spec, err := readSpec(st.SpecPath)
	if err != nil {
		return fmt.Errorf("exec: recover task %q: %w", h.Config.ID, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.tasks[h.Config.ID]; ok {
		return nil
	}
	t := newTask(h.Config, spec, st, d.now)
	d.tasks[h.Config.ID] = t
	if isSupervisor(st.Supervisor, st.SpecPath) {
		go t.waitForeign()
	} else {
		t.finish()
	}
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

// SignalTask implements drivers.Driver. A signal the task does not catch
// and whose default action terminates ends the task, as it would end any
// process (see signalInit).
func (d *Driver) SignalTask(id string, signal string) error {
	t, err := d.get(id)
	if err != nil {
		return err
	}
	sig, err := drivers.ParseSignal(signal, syscall.SIGTERM)
	if err != nil {
		return fmt.Errorf("exec: signal task %q: %w: %w", id, err, structs.ErrInvalid)
	}
	if err := t.signal(sig); err != nil {
		return fmt.Errorf("exec: signal task %q: %w", id, err)
	}
	return nil
}
