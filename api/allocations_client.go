package api

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// Resource usage, in Nomad's JSON shape.
type (
	// AllocResourceUsage is an allocation's usage: summed and per task.
	AllocResourceUsage struct {
		ResourceUsage *ResourceUsage
		Tasks         map[string]*TaskResourceUsage
		Timestamp     int64
	}
	// TaskResourceUsage is one task's usage.
	TaskResourceUsage struct {
		ResourceUsage *ResourceUsage
		Timestamp     int64
	}
	// ResourceUsage is memory and CPU.
	ResourceUsage struct {
		MemoryStats *MemoryStats
		CpuStats    *CpuStats
	}
	// MemoryStats is memory in bytes.
	MemoryStats struct {
		RSS   uint64
		Usage uint64
	}
	// CpuStats is CPU time: TotalTicks in ms, Percent of one core.
	CpuStats struct {
		TotalTicks float64
		Percent    float64
	}
)

// AllocStopResponse is the answer to a stop: the eval that replaces it.
type AllocStopResponse struct {
	EvalID string
	Index  uint64
}

// Stats reads an allocation's resource usage from its client.
func (a *Allocations) Stats(allocID string, q *QueryOptions) (*AllocResourceUsage, error) {
	var out AllocResourceUsage
	if _, err := a.c.query("/v1/client/allocation/"+escape(allocID)+"/stats", &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}

// Restart restarts one task of the allocation, or all its running tasks
// when task is "" or allTasks.
func (a *Allocations) Restart(allocID, task string, allTasks bool, w *WriteOptions) error {
	body := map[string]interface{}{"TaskName": task, "AllTasks": allTasks}
	_, err := a.c.write("PUT", "/v1/client/allocation/"+escape(allocID)+"/restart", body, nil, w)
	return err
}

// Signal sends a signal to one task, or to all running tasks when task is "".
func (a *Allocations) Signal(allocID, task, signal string, w *WriteOptions) error {
	body := map[string]string{"Task": task, "Signal": signal}
	_, err := a.c.write("PUT", "/v1/client/allocation/"+escape(allocID)+"/signal", body, nil, w)
	return err
}

// Stop stops the allocation; the scheduler replaces it. It returns the
// evaluation to monitor.
func (a *Allocations) Stop(allocID string, w *WriteOptions) (*AllocStopResponse, error) {
	var out AllocStopResponse
	if _, err := a.c.write("PUT", "/v1/allocation/"+escape(allocID)+"/stop", nil, &out, w); err != nil {
		return nil, err
	}
	return &out, nil
}

// The exec protocol. GET /v1/client/allocation/{id}/exec with
// "Connection: Upgrade" and "Upgrade: drover-exec" is answered with 101,
// after which both sides exchange frames over the raw connection: one
// type byte, a 4-byte big-endian length, the payload.
const (
	ExecUpgradeProtocol = "drover-exec"

	ExecFrameStdin    byte = 'i' // client -> agent: stdin bytes
	ExecFrameStdinEOF byte = 'e' // client -> agent: no more stdin
	ExecFrameResize   byte = 'r' // client -> agent: width, height (2+2 bytes)
	ExecFrameStdout   byte = 'o' // agent -> client: stdout bytes
	ExecFrameStderr   byte = 'E' // agent -> client: stderr bytes
	ExecFrameExit     byte = 'x' // agent -> client: exit code (4 bytes), last frame
	ExecFrameError    byte = '!' // agent -> client: error message, last frame

	maxExecFrame = 1 << 20
)

// WriteExecFrame writes one exec frame.
func WriteExecFrame(w io.Writer, typ byte, payload []byte) error {
	if len(payload) > maxExecFrame {
		return fmt.Errorf("exec frame of %d bytes exceeds %d", len(payload), maxExecFrame)
	}
	hdr := [5]byte{typ}
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(payload)))
	if _, err := w.Write(append(hdr[:], payload...)); err != nil {
		return err
	}
	return nil
}

// ReadExecFrame reads one exec frame.
func ReadExecFrame(r io.Reader) (typ byte, payload []byte, err error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxExecFrame {
		return 0, nil, fmt.Errorf("exec frame of %d bytes exceeds %d", n, maxExecFrame)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	return hdr[0], payload, nil
}

// ExecSize encodes a terminal size for ExecFrameResize.
func ExecSize(width, height uint16) []byte {
	b := make([]byte, 4)
	binary.BigEndian.PutUint16(b, width)
	binary.BigEndian.PutUint16(b[2:], height)
	return b
}

// TerminalSize is a terminal's size in characters.
type TerminalSize struct{ Width, Height uint16 }

// ExecOptions are the streams of an exec.
type ExecOptions struct {
	Task   string
	TTY    bool
	Stdin  io.Reader // nil: no input
	Stdout io.Writer
	Stderr io.Writer
	// Resize carries terminal size changes; may be nil.
	Resize <-chan TerminalSize
}

// Exec runs command inside a task of the allocation and returns its exit
// code once it ended. Cancel q's context to kill it.
func (a *Allocations) Exec(allocID string, command []string, opts *ExecOptions, q *QueryOptions) (int, error) {
	cmdJSON, err := json.Marshal(command)
	if err != nil {
		return -1, err
	}
	r := a.c.newRequest("GET", "/v1/client/allocation/"+escape(allocID)+"/exec")
	r.setQuery(withParams(q, map[string]string{"task": opts.Task, "command": string(cmdJSON), "tty": fmt.Sprint(opts.TTY)}))
	u := a.c.requestURL(r)
	ctx := r.ctx
	conn, err := a.c.dialUpgrade(ctx, &u)
	if err != nil {
		return -1, fmt.Errorf("exec: connect to agent: %w", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	req, err := http.NewRequest("GET", u.String(), nil)
	if err != nil {
		return -1, err
	}
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", ExecUpgradeProtocol)
	if r.token != "" {
		req.Header.Set(HeaderToken, r.token)
	}
	if err := req.Write(conn); err != nil {
		return -1, fmt.Errorf("exec: send request: %w", err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return -1, fmt.Errorf("exec: read response: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return -1, &UnexpectedResponseError{StatusCode: resp.StatusCode, Body: string(msg)}
	}

	var wmu sync.Mutex
	send := func(typ byte, p []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return WriteExecFrame(conn, typ, p)
	}
	done := make(chan struct{})
	defer close(done)
	if opts.Stdin != nil {
		go func() {
			buf := make([]byte, 32<<10)
			for {
				n, err := opts.Stdin.Read(buf)
				if n > 0 && send(ExecFrameStdin, buf[:n]) != nil {
					return
				}
				if err != nil {
					_ = send(ExecFrameStdinEOF, nil)
					return
				}
			}
		}()
	} else {
		_ = send(ExecFrameStdinEOF, nil)
	}
	if opts.Resize != nil {
		go func() {
			for {
				select {
				case sz, ok := <-opts.Resize:
					if !ok {
						return
					}
					_ = send(ExecFrameResize, ExecSize(sz.Width, sz.Height))
				case <-done:
					return
				}
			}
		}()
	}
	stdout, stderr := opts.Stdout, opts.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	for {
		typ, p, err := ReadExecFrame(br)
		if err != nil {
			if ctx.Err() != nil {
				return -1, ctx.Err()
			}
			if errors.Is(err, io.EOF) {
				return -1, errors.New("exec: the agent closed the connection before the command exited")
			}
			return -1, fmt.Errorf("exec: %w", err)
		}
		switch typ {
		case ExecFrameStdout:
			_, _ = stdout.Write(p)
		case ExecFrameStderr:
			_, _ = stderr.Write(p)
		case ExecFrameExit:
			if len(p) != 4 {
				return -1, errors.New("exec: malformed exit frame")
			}
			return int(int32(binary.BigEndian.Uint32(p))), nil
		case ExecFrameError:
			return -1, errors.New(string(p))
		}
	}
}
