package logmon

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

// CollectorArg is os.Args[1] of a log collector process.
const CollectorArg = "__drover_logmon"

// mib is a megabyte as logs { max_file_size } counts it.
const mib = 1 << 20

// Config says where one task's logs go and how they rotate.
type Config struct {
	Dir           string // the alloc's logs dir
	Task          string // the task's name: files are <Task>.stdout.N
	MaxFiles      int
	MaxFileSizeMB int
}

func (c Config) args() []string {
	return []string{c.Dir, c.Task, strconv.Itoa(c.MaxFiles), strconv.Itoa(c.MaxFileSizeMB)}
}

// Open opens the task's stdout and stderr rotators.
func (c Config) Open() (stdout, stderr *Rotator, err error) {
	stdout, err = NewRotator(c.Dir, c.Task+".stdout", c.MaxFiles, int64(c.MaxFileSizeMB)*mib)
	if err != nil {
		return nil, nil, err
	}
	stderr, err = NewRotator(c.Dir, c.Task+".stderr", c.MaxFiles, int64(c.MaxFileSizeMB)*mib)
	if err != nil {
		stdout.Close()
		return nil, nil, err
	}
	return stdout, stderr, nil
}

// SelfExecutable is the binary to re-execute as a collector (or any other
// helper process): this process's, except in a Go test binary, which
// would run its tests instead; there it is "" and callers fall back to
// in-process work.
func SelfExecutable() string {
	if testing.Testing() {
		return ""
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return exe
}

// StartCollector starts `exe __drover_logmon ...` in a session of its own
// and returns the write ends of its pipes, for the task's stdout and
// stderr, and a channel closed once the collector has written everything
// (both pipes closed by every writer), while this process still watches it.
// The caller passes the write ends to the task and then closes its copies.
// With exe "" the copying runs in this process instead (tests): it then ends
// with this process.
func StartCollector(exe string, cfg Config) (stdout, stderr *os.File, drained <-chan struct{}, err error) {
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("log pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, nil, nil, fmt.Errorf("log pipe: %w", err)
	}
	closeAll := func() { outR.Close(); outW.Close(); errR.Close(); errW.Close() }
	if exe == "" {
		so, se, err := cfg.Open()
		if err != nil {
			closeAll()
			return nil, nil, nil, err
		}
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); copyAndClose(so, outR) }()
		go func() { defer wg.Done(); copyAndClose(se, errR) }()
		go func() { wg.Wait(); close(done) }()
		return outW, errW, done, nil
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	defer devnull.Close()
	cmd := exec.Command(exe, append([]string{CollectorArg}, cfg.args()...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = outR, devnull, devnull
	cmd.ExtraFiles = []*os.File{errR}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, nil, nil, fmt.Errorf("start log collector %s: %w", exe, err)
	}
	outR.Close()
	errR.Close()
	// Reap it if it ends while this process lives; after an agent restart
	// init does.
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	return outW, errW, done, nil
}

func copyAndClose(r *Rotator, src *os.File) {
	Copy(r, src)
	src.Close()
	r.Close()
}

// RunCollector is the collector process's main: args are DIR TASK
// MAX_FILES MAX_FILE_SIZE_MB; fd 0 carries stdout and fd 3 stderr. It
// returns once both pipes are closed by every writer.
func RunCollector(args []string) int {
	if len(args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: "+CollectorArg+" DIR TASK MAX_FILES MAX_FILE_SIZE_MB")
		return 2
	}
	maxFiles, err1 := strconv.Atoi(args[2])
	maxMB, err2 := strconv.Atoi(args[3])
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, CollectorArg+": MAX_FILES and MAX_FILE_SIZE_MB must be integers")
		return 2
	}
	// The collector ends with its pipes, not on a signal sent to a group
	// it once shared.
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGPIPE)
	cfg := Config{Dir: args[0], Task: args[1], MaxFiles: maxFiles, MaxFileSizeMB: maxMB}
	so, se, err := cfg.Open()
	if err != nil {
		fmt.Fprintln(os.Stderr, CollectorArg+":", err)
		return 1
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); copyAndClose(so, os.Stdin) }()
	go func() { defer wg.Done(); copyAndClose(se, os.NewFile(3, "stderr-pipe")) }()
	wg.Wait()
	return 0
}
