package rawexec

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/droverhq/drover/client/drivers"
)

// errExitUnknown is reported for recovered tasks: only the parent learns
// how a process ended, and after a client restart that parent is gone.
var errExitUnknown = errors.New("exit code unknown: the task ended while the client was not its parent (client restarted)")

// task is one process. done is closed once result is set.
type task struct {
	cfg       *drivers.TaskConfig
	pid       int
	startedAt time.Time
	now       func() time.Time
	done      chan struct{}

	mu          sync.Mutex
	result      *drivers.ExitResult // guarded by mu
	completedAt time.Time           // guarded by mu
}

func newTask(cfg *drivers.TaskConfig, pid int, started time.Time, now func() time.Time) *task {
	return &task{cfg: cfg, pid: pid, startedAt: started, now: now, done: make(chan struct{})}
}

func (t *task) finish(r *drivers.ExitResult) {
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

// signalGroup signals the task's process group; a group that is already
// gone is not an error.
func (t *task) signalGroup(sig syscall.Signal) error {
	err := syscall.Kill(-t.pid, sig)
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("raw_exec: signal %v to task %q: %w", sig, t.cfg.ID, err)
	}
	return nil
}

// pollUntilGone waits for a process that is not our child to disappear.
func (t *task) pollUntilGone(every time.Duration) {
	for alive(t.pid) {
		time.Sleep(every)
	}
	t.finish(&drivers.ExitResult{ExitCode: -1, Err: errExitUnknown})
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc: trust kill(0)
	}
	f := statFields(string(b))
	return len(f) == 0 || f[0] != "Z"
}

// statFields returns /proc/<pid>/stat fields after the command name, which
// may itself contain spaces and parentheses.
func statFields(s string) []string {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
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

// procUsage reads CPU time and RSS of pid from /proc.
func procUsage(pid int) (*drivers.TaskResourceUsage, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, err
	}
	f := statFields(string(b))
	// After the name: state(0) ... utime(11) stime(12) ... rss(21), in pages/ticks.
	if len(f) < 22 {
		return nil, fmt.Errorf("short /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseUint(f[11], 10, 64)
	stime, _ := strconv.ParseUint(f[12], 10, 64)
	rss, _ := strconv.ParseUint(f[21], 10, 64)
	const ticksPerSec = 100 // USER_HZ on Linux
	return &drivers.TaskResourceUsage{
		CPUTotalMs: float64(utime+stime) * 1000 / ticksPerSec,
		MemoryRSS:  rss * uint64(os.Getpagesize()),
		PIDs:       []int{pid},
	}, nil
}
