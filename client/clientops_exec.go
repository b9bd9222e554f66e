package client

import (
	"context"
	"fmt"
	"io"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// Exec runs a command inside a running task through its driver's Execer.
// input carries stdin and terminal sizes; emit gets the output.
func (c *Client) Exec(ctx context.Context, req *rpc.ExecRequest, input <-chan *rpc.ExecInput, emit func(*rpc.ExecOutput) error) (int, error) {
	if len(req.Cmd) == 0 {
		return -1, fmt.Errorf("exec: no command given: %w", structs.ErrInvalid)
	}
	tr, err := c.taskRunner(req.AllocID, req.Task)
	if err != nil {
		return -1, err
	}
	h := tr.Running()
	if h == nil {
		return -1, fmt.Errorf("exec: task %q is not running: %w", tr.Name(), structs.ErrConflict)
	}
	ex, ok := tr.Driver().(drivers.Execer)
	if !ok {
		return -1, fmt.Errorf("exec: driver %s of task %q: %w", tr.Driver().Name(), tr.Name(), drivers.ErrNotSupported)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stdinR, stdinW := io.Pipe()
	resize := make(chan drivers.TermSize, 4)
	go func() {
		defer close(resize)
		defer stdinW.Close()
		for {
			select {
			case in, ok := <-input:
				if !ok {
					return
				}
				if in.Width > 0 && in.Height > 0 {
					select {
					case resize <- drivers.TermSize{Width: in.Width, Height: in.Height}:
					default:
					}
				}
				if len(in.Stdin) > 0 {
					if _, err := stdinW.Write(in.Stdin); err != nil {
						return
					}
				}
				if in.StdinEOF {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	opts := &drivers.ExecOptions{
		Cmd: req.Cmd, TTY: req.TTY, Stdin: stdinR, Resize: resize,
		Stdout: emitWriter(func(b []byte) error { return emit(&rpc.ExecOutput{Stdout: b}) }),
		Stderr: emitWriter(func(b []byte) error { return emit(&rpc.ExecOutput{Stderr: b}) }),
	}
	code, err := ex.ExecTask(ctx, h.Config.ID, opts)
	stdinR.Close()
	return code, err
}

// emitWriter is an io.Writer that hands each write (copied) to f.
type emitWriter func([]byte) error

func (w emitWriter) Write(p []byte) (int, error) {
	if err := w(append([]byte(nil), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}
