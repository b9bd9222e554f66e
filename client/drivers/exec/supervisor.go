package exec

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/runc/libcontainer"

	"github.com/droverhq/drover/client/logmon"
)

// readyFD is the supervisor's fd on which it tells the agent that the task
// runs (or why it could not start): the agent's cmd.ExtraFiles[0].
const readyFD = 3

// readyMsg is the one JSON message on the ready pipe.
type readyMsg struct {
	Init  proc   `json:"init"`
	Error string `json:"error,omitempty"`
	// Unrecoverable: starting again cannot help (the command is missing
	// or not executable in the container), so no restart is attempted.
	Unrecoverable bool `json:"unrecoverable,omitempty"`
}

// supervisor runs one task's container from start to recorded exit.
type supervisor struct {
	spec *launchSpec
	log  *slog.Logger

	container *libcontainer.Container
	process   *libcontainer.Process
	oomSeen   atomic.Bool // set by the OOM watcher goroutine

	// With spec.Logs: the task's ends of its stdout and stderr pipes
	// (closed here once the container has them) and the copiers' end.
	taskOut, taskErr *os.File
	logsDone         chan struct{} // closed when both copiers hit EOF
}

// runSupervisor is the supervisor process's main. Its stderr is
// supervisor.log, opened by the agent.
func runSupervisor(specPath string) int {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("spec", specPath)
	ready := os.NewFile(readyFD, "ready")
	// Caught, not ignored: an ignored disposition would be inherited by the
	// task. The supervisor ends when its container does, not on a signal.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		for s := range sigs {
			log.Warn("supervisor ignores signal; stop the task through the driver", "signal", s)
		}
	}()

	s, err := readSpec(specPath)
	if err != nil {
		sendReady(ready, readyMsg{Error: err.Error()}, log)
		return 1
	}
	sv := &supervisor{spec: s, log: log.With("container", s.ContainerID)}
	if err := sv.start(); err != nil {
		sv.log.Error("start failed", "err", err)
		m := readyMsg{Error: err.Error()}
		if commandNotRunnable(err, s.Args) {
			m.Unrecoverable = true
			m.Error += commandHint
		}
		sendReady(ready, m, log)
		return 1
	}
	pid, _ := sv.process.Pid()
	init, err := procOf(pid)
	if err != nil { // it already ended: the start time no longer matters
		init = proc{Pid: pid}
	}
	sendReady(ready, readyMsg{Init: init}, log)
	sv.waitAndRecord()
	return 0
}

// commandHint follows the error of a command the container cannot run.
const commandHint = ": the command must exist and be executable inside the container " +
	"(the client's chroot_env directories, or the task's local/ dir as /local)"

// commandNotRunnable reports whether a start error is the container's init
// failing to find or execute the task's command: libcontainer reports it as
// Go's exec.Error, `exec: "<command>": <reason>`, from inside the container,
// so only its text reaches the supervisor.
func commandNotRunnable(err error, args []string) bool {
	if err == nil || len(args) == 0 {
		return false
	}
	return strings.Contains(err.Error(), "exec: "+strconv.Quote(args[0])+": ")
}

// sendReady writes the message and closes the pipe. An agent that went
// away meanwhile is not an error for the task.
func sendReady(ready *os.File, m readyMsg, log *slog.Logger) {
	if err := json.NewEncoder(ready).Encode(m); err != nil {
		log.Warn("tell the agent", "err", err)
	}
	ready.Close()
}

// start prepares the root directory, creates the container and execs the
// task's command in it.
func (sv *supervisor) start() (err error) {
	s := sv.spec
	if err := mountSecrets(s.SecretsDir, s.UID, s.GID); err != nil {
		return err
	}
	if s.UID != 0 {
		// The task's working directory must be writable by its user.
		_ = os.Chown(s.LocalDir, s.UID, s.GID)
	}
	binds, err := prepareRootfs(s)
	if err != nil {
		return err
	}
	cfg := containerConfig(s, binds)
	cfg.OomScoreAdj = protectFromOOM(sv.log)
	c, err := libcontainer.Create(s.StateRoot, s.ContainerID, cfg)
	if err != nil {
		return fmt.Errorf("create container: %w", err)
	}
	defer func() {
		if err != nil {
			// A failed start leaves state behind that would block the ID.
			_ = c.Destroy()
		}
	}()
	p, err := sv.newProcess()
	if err != nil {
		return err
	}
	err = c.Start(p)
	sv.closeTaskEnds() // the container has its copies, or failed
	if err != nil {
		return fmt.Errorf("start container: %w", err)
	}
	sv.container, sv.process = c, p
	// The cgroup exists only from Start on, and the task runs only after
	// Exec, so no OOM can be missed.
	sv.watchOOM()
	pid, _ := p.Pid()
	initExe, _ := exeID(pid)
	if err := c.Exec(); err != nil {
		_ = p.Signal(syscall.SIGKILL)
		_, _ = p.Wait()
		return fmt.Errorf("exec %q in container: %w", s.Args[0], err)
	}
	waitExecve(pid, initExe, 10*time.Second)
	return nil
}

// waitExecve waits until pid runs another binary than initExe. Exec
// returns when libcontainer's init is released, a moment before it execs
// the task; a signal in that window would reach the init (a Go program
// that catches everything) instead of the task.
func waitExecve(pid int, initExe string, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		cur, err := exeID(pid)
		if err != nil || cur != initExe {
			return // exec'd, or already ended
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// exeID identifies the binary pid runs, by device and inode.
func exeID(pid int) (string, error) {
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/"+strconv.Itoa(pid)+"/exe", &st); err != nil {
		return "", err
	}
	return strconv.FormatUint(st.Dev, 10) + ":" + strconv.FormatUint(st.Ino, 10), nil
}

// newProcess describes the task's command. Its stdout and stderr are
// *os.File values: the write ends of pipes this supervisor copies into
// rotated files (spec.Logs), or else the log files themselves. Any other
// writer would make libcontainer pump a pipe, and a nil *os.File would
// close the task's fd 1 or 2.
func (sv *supervisor) newProcess() (*libcontainer.Process, error) {
	s := sv.spec
	p := &libcontainer.Process{
		Args: s.Args, Env: s.Env, Cwd: s.Cwd,
		UID: s.UID, GID: s.GID, AdditionalGroups: s.Groups,
		Init: true,
	}
	if s.Logs != nil {
		out, errw, err := sv.startLogCopiers()
		if err != nil {
			return nil, err
		}
		p.Stdout, p.Stderr = out, errw
		return p, nil
	}
	stdout, err := openLog(s.StdoutPath)
	if err != nil {
		return nil, err
	}
	stderr, err := openLog(s.StderrPath)
	if err != nil {
		stdout.Close()
		return nil, err
	}
	// The supervisor keeps them open until it exits; the task has its own
	// copies from the fork.
	p.Stdout, p.Stderr = stdout, stderr
	return p, nil
}

// startLogCopiers opens the task's rotated log files and two pipes, and
// copies each pipe into its files until every writer (the task and
// whatever it forked) has closed it. It returns the task's write ends.
func (sv *supervisor) startLogCopiers() (stdout, stderr *os.File, err error) {
	so, se, err := sv.spec.Logs.Open()
	if err != nil {
		return nil, nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		so.Close()
		se.Close()
		return nil, nil, fmt.Errorf("log pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		so.Close()
		se.Close()
		outR.Close()
		outW.Close()
		return nil, nil, fmt.Errorf("log pipe: %w", err)
	}
	sv.taskOut, sv.taskErr = outW, errW
	sv.logsDone = make(chan struct{})
	var copying sync.WaitGroup
	copying.Add(2)
	for _, c := range []struct {
		r   *logmon.Rotator
		src *os.File
	}{{so, outR}, {se, errR}} {
		go func() {
			defer copying.Done()
			logmon.Copy(c.r, c.src)
			c.src.Close()
			c.r.Close()
		}()
	}
	go func() { copying.Wait(); close(sv.logsDone) }()
	return outW, errW, nil
}

// closeTaskEnds closes the supervisor's copies of the task's pipe ends, so
// that the copiers see EOF when the task's side closes.
func (sv *supervisor) closeTaskEnds() {
	for _, f := range []*os.File{sv.taskOut, sv.taskErr} {
		if f != nil {
			f.Close()
		}
	}
	sv.taskOut, sv.taskErr = nil, nil
}

// logDrainTimeout bounds the wait for the last log lines after the task
// ended: a process that escaped the PID namespace could hold a pipe open.
const logDrainTimeout = 5 * time.Second

// waitLogs waits until the copiers have written everything the task
// printed, so that its logs are complete before its exit is reported.
func (sv *supervisor) waitLogs() {
	if sv.logsDone == nil {
		return
	}
	select {
	case <-sv.logsDone:
	case <-time.After(logDrainTimeout):
		sv.log.Warn("task logs still open after the task ended; not waiting for them")
	}
}

// openLog opens a log file for appending; "" means discard.
func openLog(path string) (*os.File, error) {
	if path == "" {
		path = os.DevNull
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return f, nil
}

// watchOOM drains libcontainer's OOM events; the kernel's oom_kill counter
// is read too at exit, since an event can arrive after the wait returns.
func (sv *supervisor) watchOOM() {
	ch, err := sv.container.NotifyOOM()
	if err != nil {
		sv.log.Warn("OOM notifications unavailable; relying on the oom_kill counter", "err", err)
		return
	}
	go func() {
		for range ch {
			sv.oomSeen.Store(true)
		}
	}()
}

// waitAndRecord waits for the task, writes status.json and destroys the
// container. When PID 1 of a PID namespace ends, the kernel kills the rest
// of it, so nothing of the task survives the wait.
func (sv *supervisor) waitAndRecord() {
	ps, werr := sv.process.Wait()
	sv.waitLogs()
	oom := sv.oomSeen.Load() || sv.oomKillCount() > 0
	st := statusFromWait(ps, werr, readKillSig(sv.spec.killSigPath()), oom)
	st.FinishedAt = time.Now()
	if err := writeStatus(sv.spec.statusPath(), st); err != nil {
		sv.log.Error("record exit status", "err", err)
	}
	sv.log.Info("task ended", "exit_code", st.ExitCode, "signal", st.Signal, "oom_killed", st.OOMKilled)
	if err := destroyContainer(sv.container, 10*time.Second); err != nil {
		sv.log.Warn("destroy container; the driver retries on DestroyTask", "err", err)
	}
}

// oomKillCount reads the kernel's count of OOM kills in the task's cgroup
// (v1: memory.oom_control, v2: memory.events).
func (sv *supervisor) oomKillCount() int {
	st, err := sv.container.State()
	if err != nil {
		return 0
	}
	file := filepath.Join(st.CgroupPaths["memory"], "memory.oom_control")
	if cgroups.IsCgroup2UnifiedMode() {
		file = filepath.Join(st.CgroupPaths[""], "memory.events")
	}
	return readKeyedInt(file, "oom_kill")
}

// readKeyedInt reads "key N" from a cgroup file of such lines.
func readKeyedInt(file, key string) int {
	f, err := os.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), " ")
		if ok && k == key {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// destroyContainer kills what is left of a container, waits until it is
// stopped (libcontainer refuses to destroy a running one) and destroys it:
// state dir and cgroups.
func destroyContainer(c *libcontainer.Container, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		st, err := c.Status()
		if err != nil {
			return err
		}
		if st == libcontainer.Stopped {
			return c.Destroy()
		}
		if err := c.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, libcontainer.ErrNotRunning) {
			return fmt.Errorf("kill container: %w", err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("container %s still %s after %v", c.ID(), st, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// supervisorOOMScoreAdj keeps the kernel's OOM killer, when the whole node
// runs out of memory, away from supervisors: killing one loses the task's
// exit status, and a supervisor is small.
const supervisorOOMScoreAdj = -999

// protectFromOOM lowers the supervisor's OOM score and returns the score it
// had, for the task: the task must not inherit the protection.
func protectFromOOM(log *slog.Logger) *int {
	const file = "/proc/self/oom_score_adj"
	b, err := os.ReadFile(file)
	if err != nil {
		return nil
	}
	orig, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return nil
	}
	if err := os.WriteFile(file, []byte(strconv.Itoa(supervisorOOMScoreAdj)), 0); err != nil {
		log.Warn("cannot lower the supervisor's OOM score", "err", err)
	}
	return &orig
}
