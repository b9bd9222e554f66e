package drivers

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/droverhq/drover/structs"
)

// TermSize is a terminal's size in characters.
type TermSize struct {
	Width, Height uint16
}

// ExecOptions describe a command to run inside a running task.
type ExecOptions struct {
	Cmd    []string
	TTY    bool // give the command a pseudo-terminal as its stdio
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer // unused with TTY: the terminal merges both
	// Resize carries terminal size changes (TTY only); may be nil.
	Resize <-chan TermSize
}

// Execer is implemented by drivers that can run a command inside a
// running task: its namespaces, cgroup and root filesystem for exec, its
// directory and environment for raw_exec. It is optional: a driver
// without it cannot serve `alloc exec`.
//
// ExecTask runs opts.Cmd until it exits and returns its exit code. It
// returns early (killing the command) when ctx ends. Stdin is read until
// EOF or the command exits; errors about the task (unknown ID: ErrTaskNotFound,
// not running) come back before anything runs.
type Execer interface {
	ExecTask(ctx context.Context, taskID string, opts *ExecOptions) (exitCode int, err error)
}

// ExecStarter starts a command with the given stdio files (the child's
// ends). It returns wait, which blocks until the command exits and gives
// its exit code, and kill, which ends it early. The files are the
// child's: the starter must not close them (RunExec does, after start).
type ExecStarter func(stdin, stdout, stderr *os.File, tty bool) (wait func() (int, error), kill func(), err error)

// outputDrain bounds how long RunExec keeps copying output after the
// command exited (a background child may hold its stdout open forever).
const outputDrain = 2 * time.Second

// RunExec runs a command for Execer implementations: it gives the command
// *os.File stdio (a pseudo-terminal with opts.TTY, else pipes), copies
// opts' streams to and from them, applies resizes, kills the command when
// ctx ends, and returns the exit code once the command exited and its
// output was copied.
func RunExec(ctx context.Context, opts *ExecOptions, start ExecStarter) (int, error) {
	if len(opts.Cmd) == 0 {
		return -1, fmt.Errorf("exec: no command given: %w", structs.ErrInvalid)
	}
	var (
		childIn, childOut, childErr *os.File
		parentIn                    io.WriteCloser
		outputs                     []*os.File // parent ends to read
		closers                     []io.Closer
	)
	if opts.TTY {
		master, slave, err := OpenPTY()
		if err != nil {
			return -1, err
		}
		childIn, childOut, childErr = slave, slave, slave
		parentIn = master
		outputs = []*os.File{master}
		closers = []io.Closer{master}
		if opts.Resize != nil {
			go func() {
				for sz := range opts.Resize {
					_ = SetPTYSize(master, sz)
				}
			}()
		}
	} else {
		inR, inW, err := os.Pipe()
		if err != nil {
			return -1, fmt.Errorf("exec: stdin pipe: %w", err)
		}
		outR, outW, err := os.Pipe()
		if err != nil {
			inR.Close()
			inW.Close()
			return -1, fmt.Errorf("exec: stdout pipe: %w", err)
		}
		errR, errW, err := os.Pipe()
		if err != nil {
			inR.Close()
			inW.Close()
			outR.Close()
			outW.Close()
			return -1, fmt.Errorf("exec: stderr pipe: %w", err)
		}
		childIn, childOut, childErr = inR, outW, errW
		parentIn = inW
		outputs = []*os.File{outR, errR}
		closers = []io.Closer{inW, outR, errR}
	}
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	wait, kill, err := start(childIn, childOut, childErr, opts.TTY)
	childIn.Close()
	if childOut != childIn {
		childOut.Close()
		childErr.Close()
	}
	if err != nil {
		return -1, err
	}
	return pump(ctx, opts, parentIn, outputs, wait, kill)
}

// RunTerminal runs a command whose terminal the starter creates itself
// (a console made inside a container) and hands back as its master; it
// then works as RunExec with TTY.
func RunTerminal(ctx context.Context, opts *ExecOptions, start func() (master *os.File, wait func() (int, error), kill func(), err error)) (int, error) {
	if len(opts.Cmd) == 0 {
		return -1, fmt.Errorf("exec: no command given: %w", structs.ErrInvalid)
	}
	master, wait, kill, err := start()
	if err != nil {
		return -1, err
	}
	defer master.Close()
	if opts.Resize != nil {
		go func() {
			for sz := range opts.Resize {
				_ = SetPTYSize(master, sz)
			}
		}()
	}
	return pump(ctx, opts, master, []*os.File{master}, wait, kill)
}

// pump copies stdin to parentIn and outputs to opts' writers while the
// command runs, kills it when ctx ends, and waits for it and its output.
func pump(ctx context.Context, opts *ExecOptions, parentIn io.WriteCloser, outputs []*os.File, wait func() (int, error), kill func()) (int, error) {
	stdout, stderr := opts.Stdout, opts.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	if opts.Stdin != nil {
		go func() {
			_, _ = io.Copy(parentIn, opts.Stdin)
			if !opts.TTY {
				parentIn.Close()
			}
		}()
	} else if !opts.TTY {
		parentIn.Close()
	}
	copied := make(chan struct{}, len(outputs))
	for i, f := range outputs {
		w := stdout
		if i == 1 {
			w = stderr
		}
		go func() {
			_, _ = io.Copy(w, f)
			copied <- struct{}{}
		}()
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			kill()
		case <-done:
		}
	}()
	code, werr := wait()
	close(done)
	timer := time.NewTimer(outputDrain)
	defer timer.Stop()
	for range outputs {
		select {
		case <-copied:
		case <-timer.C:
			return code, werr
		}
	}
	if werr == nil && ctx.Err() != nil {
		werr = ctx.Err()
	}
	return code, werr
}

// OpenPTY opens a new pseudo-terminal and returns its master and slave.
func OpenPTY() (master, slave *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open pseudo-terminal: %w", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("unlock pseudo-terminal: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("pseudo-terminal number: %w", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("open pseudo-terminal slave: %w", err)
	}
	return m, s, nil
}

// SetPTYSize sets a terminal's size.
func SetPTYSize(f *os.File, sz TermSize) error {
	if sz.Width == 0 || sz.Height == 0 {
		return nil
	}
	return unix.IoctlSetWinsize(int(f.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: sz.Height, Col: sz.Width})
}

// ExitCode turns a wait error of os/exec into an exit code: 128+signal
// for a signaled process, as shells report it.
func ExitCode(ps *os.ProcessState, err error) (int, error) {
	if ps == nil {
		return -1, err
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ps.ExitCode(), nil
}
