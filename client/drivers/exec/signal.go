package exec

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/opencontainers/runc/libcontainer/system"
	"golang.org/x/sys/unix"
)

// errGone: the process is no longer there (or its PID was reused).
var errGone = errors.New("process is gone")

// proc names one process by PID and start time, so that a reused PID is
// never mistaken for it.
type proc struct {
	Pid   int    `json:"pid"`
	Start uint64 `json:"start"` // clock ticks since boot, /proc/<pid>/stat field 22
}

// procOf reads pid's start time.
func procOf(pid int) (proc, error) {
	st, err := system.Stat(pid)
	if err != nil {
		return proc{}, err
	}
	return proc{Pid: pid, Start: st.StartTime}, nil
}

// open returns a pidfd for the process after checking that the PID still
// names it. The pidfd then pins the process: signals through it cannot hit
// a successor.
func (p proc) open() (int, error) {
	fd, err := unix.PidfdOpen(p.Pid, unix.PIDFD_NONBLOCK)
	if errors.Is(err, unix.ESRCH) {
		return -1, errGone
	}
	if err != nil {
		return -1, fmt.Errorf("pidfd_open %d: %w", p.Pid, err)
	}
	st, err := system.Stat(p.Pid)
	if err != nil || st.StartTime != p.Start || st.State == system.Zombie || st.State == system.Dead {
		unix.Close(fd)
		return -1, errGone
	}
	return fd, nil
}

// signal sends sig to the process; errGone when it has ended.
func (p proc) signal(sig syscall.Signal) error {
	fd, err := p.open()
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil {
		if errors.Is(err, unix.ESRCH) {
			return errGone
		}
		return fmt.Errorf("signal %v to pid %d: %w", sig, p.Pid, err)
	}
	return nil
}

// alive reports whether the process still runs (a zombie does not).
func (p proc) alive() bool {
	fd, err := p.open()
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// signalInit sends sig to a container's init (its PID 1) so that it acts
// as on an ordinary process. The kernel drops a signal that a namespace's
// init neither catches nor ignores (SIGKILL excepted); when that signal's
// default action is to terminate, signalInit records the signal in
// killSigPath and sends SIGKILL instead, and the supervisor reports the
// task as ended by sig.
func signalInit(init proc, sig syscall.Signal, killSigPath string) error {
	if sig == syscall.SIGKILL || sig == syscall.SIGSTOP || !terminatesByDefault(sig) {
		return init.signal(sig)
	}
	caught, ignored, err := dispositions(init.Pid)
	if err != nil {
		return init.signal(sig)
	}
	bit := uint64(1) << (uint(sig) - 1)
	if caught&bit != 0 || ignored&bit != 0 {
		return init.signal(sig)
	}
	if err := writeKillSig(killSigPath, sig); err != nil {
		return fmt.Errorf("record signal %v: %w", sig, err)
	}
	return init.signal(syscall.SIGKILL)
}

// terminatesByDefault: the signal's default action ends the process (with
// or without a core dump), as opposed to ignore, stop or continue.
func terminatesByDefault(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGCHLD, syscall.SIGCONT, syscall.SIGURG, syscall.SIGWINCH,
		syscall.SIGSTOP, syscall.SIGTSTP, syscall.SIGTTIN, syscall.SIGTTOU:
		return false
	}
	return sig > 0 && sig <= 64 // real-time signals terminate too
}

// dispositions reads the masks of caught and ignored signals of pid.
func dispositions(pid int) (caught, ignored uint64, err error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "SigCgt" && k != "SigIgn") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("parse %s of pid %d: %w", k, pid, err)
		}
		if k == "SigCgt" {
			caught = n
		} else {
			ignored = n
		}
		found++
	}
	if found != 2 {
		return 0, 0, fmt.Errorf("no signal masks in /proc/%d/status", pid)
	}
	return caught, ignored, sc.Err()
}
