package exec

import (
	"context"
	"fmt"
	"os"
	"syscall"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/utils"
	"golang.org/x/sys/unix"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/structs"
)

var _ drivers.Execer = (*Driver)(nil)

// ExecTask runs a command inside a running task's container: libcontainer
// loads the container from its state and starts a process that joins its
// namespaces and cgroup, with the task's environment, user and working
// directory. The agent's binary is re-executed as the joining init, as
// for the task itself (Main handles it).
func (d *Driver) ExecTask(ctx context.Context, taskID string, opts *drivers.ExecOptions) (int, error) {
	t, err := d.get(taskID)
	if err != nil {
		return -1, err
	}
	if t.exited() {
		return -1, fmt.Errorf("exec: task %q has exited: %w", taskID, structs.ErrConflict)
	}
	s := t.spec
	c, err := libcontainer.Load(s.StateRoot, s.ContainerID)
	if err != nil {
		return -1, fmt.Errorf("exec: load container of task %q: %w", taskID, err)
	}
	if st, err := c.Status(); err != nil || st != libcontainer.Running {
		return -1, fmt.Errorf("exec: the container of task %q is not running: %w", taskID, structs.ErrConflict)
	}
	newProcess := func() *libcontainer.Process {
		return &libcontainer.Process{
			Args: opts.Cmd, Env: s.Env, Cwd: s.Cwd,
			UID: s.UID, GID: s.GID, AdditionalGroups: s.Groups,
			Init: false,
		}
	}
	run := func(p *libcontainer.Process) (func() (int, error), func(), error) {
		if err := c.Run(p); err != nil {
			return nil, nil, fmt.Errorf("exec %q in the container of task %q: %w", opts.Cmd[0], taskID, err)
		}
		wait := func() (int, error) {
			ps, err := p.Wait()
			return drivers.ExitCode(ps, err)
		}
		kill := func() { _ = p.Signal(syscall.SIGKILL) }
		return wait, kill, nil
	}
	if opts.TTY {
		// The terminal is made inside the container (its own devpts), so
		// the command has a controlling terminal there; libcontainer
		// sends its master back over a socket.
		return drivers.RunTerminal(ctx, opts, func() (*os.File, func() (int, error), func(), error) {
			fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("exec: console socket: %w", err)
			}
			parent, child := os.NewFile(uintptr(fds[0]), "console-parent"), os.NewFile(uintptr(fds[1]), "console-child")
			defer parent.Close()
			p := newProcess()
			p.ConsoleSocket = child
			wait, kill, err := run(p)
			child.Close()
			if err != nil {
				return nil, nil, nil, err
			}
			master, err := utils.RecvFile(parent)
			if err != nil {
				kill()
				_, _ = wait()
				return nil, nil, nil, fmt.Errorf("exec: receive the container's terminal: %w", err)
			}
			return master, wait, kill, nil
		})
	}
	return drivers.RunExec(ctx, opts, func(stdin, stdout, stderr *os.File, tty bool) (func() (int, error), func(), error) {
		p := newProcess()
		p.Stdin, p.Stdout, p.Stderr = stdin, stdout, stderr
		return run(p)
	})
}
