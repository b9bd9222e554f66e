package rawexec

import (
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"syscall"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/structs"
)

var _ drivers.Execer = (*Driver)(nil)

// ExecTask runs a command beside a running task: in its directory, with
// its environment and user. raw_exec does not isolate, so nothing is
// joined.
func (d *Driver) ExecTask(ctx context.Context, taskID string, opts *drivers.ExecOptions) (int, error) {
	t, err := d.get(taskID)
	if err != nil {
		return -1, err
	}
	if t.exited() {
		return -1, fmt.Errorf("raw_exec: task %q has exited: %w", taskID, structs.ErrConflict)
	}
	cfg := t.cfg
	var cred *syscall.Credential
	if cfg.User != "" {
		if cred, err = credential(cfg.User); err != nil {
			return -1, err
		}
	}
	return drivers.RunExec(ctx, opts, func(stdin, stdout, stderr *os.File, tty bool) (func() (int, error), func(), error) {
		cmd := osexec.Command(opts.Cmd[0], opts.Cmd[1:]...)
		cmd.Dir = cfg.TaskDir
		cmd.Env = append(os.Environ(), cfg.EnvList()...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: tty, Credential: cred}
		if err := cmd.Start(); err != nil {
			return nil, nil, fmt.Errorf("raw_exec: exec %q: %w", opts.Cmd[0], err)
		}
		wait := func() (int, error) {
			err := cmd.Wait()
			return drivers.ExitCode(cmd.ProcessState, err)
		}
		kill := func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		return wait, kill, nil
	})
}
