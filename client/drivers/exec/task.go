package exec

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/droverhq/drover/client/drivers"
)

// driverState is TaskHandle.DriverState (JSON): enough to find the
// supervisor and the container again after an agent restart.
type driverState struct {
	Supervisor proc      `json:"supervisor"`
	Init       proc      `json:"init"`
	SpecPath   string    `json:"spec_path"`
	StartedAt  time.Time `json:"started_at"`
}

// task is the agent's view of one task attempt. done is closed once result
// is set, when the supervisor has exited.
type task struct {
	cfg   *drivers.TaskConfig
	spec  *launchSpec
	state driverState
	now   func() time.Time
	done  chan struct{}

	mu          sync.Mutex
	result      *drivers.ExitResult // guarded by mu
	completedAt time.Time           // guarded by mu
}

func newTask(cfg *drivers.TaskConfig, spec *launchSpec, st driverState, now func() time.Time) *task {
	return &task{cfg: cfg, spec: spec, state: st, now: now, done: make(chan struct{})}
}

// finish records the exit from status.json; called once, when the
// supervisor is gone.
func (t *task) finish() {
	r := readStatus(t.spec.statusPath())
	t.mu.Lock()
	t.result, t.completedAt = r, t.now()
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
	st := &drivers.TaskStatus{ID: t.cfg.ID, Name: t.cfg.Name, State: drivers.TaskStateRunning, StartedAt: t.state.StartedAt}
	if t.exited() {
		t.mu.Lock()
		r := *t.result
		st.State, st.CompletedAt, st.ExitResult = drivers.TaskStateExited, t.completedAt, &r
		t.mu.Unlock()
	}
	return st
}

// signal delivers sig to the task's PID 1 (see signalInit). A task that
// has already ended is not an error.
func (t *task) signal(sig syscall.Signal) error {
	if t.exited() {
		return nil
	}
	err := signalInit(t.state.Init, sig, t.spec.killSigPath())
	if err == errGone {
		return nil
	}
	return err
}

// waitForeign waits for a supervisor that is not our child (recovered
// after a restart) to exit, through a pidfd in Go's poller: no thread is
// blocked and no polling loop runs.
func (t *task) waitForeign() {
	defer t.finish()
	fd, err := t.state.Supervisor.open()
	if err != nil {
		return // already gone
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		t.pollGone()
		return
	}
	// A pidfd becomes readable when the process exits; the callback
	// returning false parks the goroutine until the poller says so.
	werr := rc.Read(func(fd uintptr) bool {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, _ := unix.Poll(pfd, 0)
		return n > 0
	})
	if werr != nil {
		t.pollGone()
	}
}

// pollGone is the fallback when the poller cannot watch the pidfd.
func (t *task) pollGone() {
	for t.state.Supervisor.alive() {
		time.Sleep(250 * time.Millisecond)
	}
}

// isSupervisor checks through /proc/<pid>/cmdline that p is the
// supervisor of the spec at specPath, not a process that reused its PID.
func isSupervisor(p proc, specPath string) bool {
	if !p.alive() {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid) + "/cmdline")
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	return len(args) == 3 && args[1] == supervisorArg && args[2] == specPath
}
