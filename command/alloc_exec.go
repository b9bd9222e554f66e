package command

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"unsafe"

	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
)

func (m *Meta) allocExecCommand() *cobra.Command {
	var task string
	var stdin, tty bool
	cmd := &cobra.Command{
		Use:   "exec [-i] [-t] [-task <task>] <allocation> <command> [<args>...]",
		Short: "Run a command inside a running task",
		Long: `Run a command inside a task of the allocation: for the exec driver, in its
container (namespaces, cgroup, root filesystem). -i passes stdin (on by
default); -t gives the command a terminal (on by default when stdin is
one). Put -- before a command whose arguments look like drover flags.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("t") && !cmd.Flags().Changed("tty") {
				tty = stdin && isTerminal(m.Stdin)
			}
			return m.allocExec(args[0], task, args[1:], stdin, tty)
		},
	}
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVar(&task, "task", "", "the task (default: the group's only task)")
	cmd.Flags().BoolVarP(&stdin, "stdin", "i", true, "pass stdin to the command")
	cmd.Flags().BoolVarP(&tty, "tty", "t", false, "allocate a terminal (default: when stdin is a terminal)")
	return cmd
}

// isTerminal reports whether r is a terminal (TCGETS succeeds on it;
// /dev/null is a character device but no terminal).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	var t syscall.Termios
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return errno == 0
}

func (m *Meta) allocExec(prefix, task string, command []string, withStdin, tty bool) error {
	const doing = "running command in allocation"
	c, alloc, task, err := m.allocAndTask(prefix, task, doing)
	if err != nil {
		return err
	}
	opts := &api.ExecOptions{Task: task, TTY: tty, Stdout: m.Stdout, Stderr: m.Stderr}
	if withStdin {
		opts.Stdin = m.Stdin
	}
	if tty {
		if f, ok := m.Stdin.(*os.File); ok && isTerminal(f) {
			restore, err := rawTerminal(f)
			if err != nil {
				return m.fail(doing, err)
			}
			defer restore()
			resize := make(chan api.TerminalSize, 1)
			if w, h, err := terminalSize(f); err == nil {
				resize <- api.TerminalSize{Width: w, Height: h}
			}
			winch := make(chan os.Signal, 1)
			signal.Notify(winch, syscall.SIGWINCH)
			defer signal.Stop(winch)
			go func() {
				for range winch {
					if w, h, err := terminalSize(f); err == nil {
						select {
						case resize <- api.TerminalSize{Width: w, Height: h}:
						default:
						}
					}
				}
			}()
			opts.Resize = resize
		}
	}
	// In raw mode ^C reaches the remote terminal as a byte; without a
	// terminal, SIGINT here ends the command there (closing the stream).
	var ctx context.Context
	var cancel context.CancelFunc
	if tty {
		ctx, cancel = context.WithCancel(context.Background())
	} else {
		ctx, cancel = interruptContext()
	}
	defer cancel()
	code, err := c.Allocations().Exec(alloc.ID, command, opts, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return m.fail(doing, err)
	}
	return exit(code)
}

// rawTerminal puts the terminal in raw mode without echo (stty, since the
// module has no terminal library) and returns how to restore it.
func rawTerminal(f *os.File) (func(), error) {
	saved, err := stty(f, "-g")
	if err != nil {
		return nil, fmt.Errorf("read terminal mode: %w", err)
	}
	if _, err := stty(f, "raw", "-echo"); err != nil {
		return nil, fmt.Errorf("set terminal raw mode: %w", err)
	}
	return func() { _, _ = stty(f, strings.TrimSpace(saved)) }, nil
}

// terminalSize asks stty for the terminal's columns and rows.
func terminalSize(f *os.File) (width, height uint16, err error) {
	out, err := stty(f, "size")
	if err != nil {
		return 0, 0, err
	}
	fields := strings.Fields(out)
	if len(fields) != 2 {
		return 0, 0, fmt.Errorf("stty size: unexpected output %q", out)
	}
	rows, err1 := strconv.Atoi(fields[0])
	cols, err2 := strconv.Atoi(fields[1])
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("stty size: unexpected output %q", out)
	}
	return uint16(cols), uint16(rows), nil
}

func stty(f *os.File, args ...string) (string, error) {
	cmd := exec.Command("stty", args...)
	cmd.Stdin = f
	out, err := cmd.Output()
	return string(out), err
}
