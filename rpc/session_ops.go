package rpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/droverhq/drover/structs"
)

// Operations a server sends to a client over the reverse session.
const (
	OpFSList   = "fs.ls"
	OpFSStat   = "fs.stat"
	OpFSRead   = "fs.readat" // fs.cat is a read from offset 0 without limit
	OpLogs     = "logs"
	OpStats    = "stats"
	OpRestart  = "restart"
	OpSignal   = "signal"
	OpExec     = "exec"
	OpFSCatAka = "fs.cat"
)

// FSRequest names a path in an allocation's directory.
type FSRequest struct {
	AllocID string
	Path    string
	Offset  int64
	Limit   int64 // 0: to the end
}

// AllocFileInfo describes one file of an allocation directory (Nomad's
// shape).
type AllocFileInfo struct {
	Name     string
	IsDir    bool
	Size     int64
	FileMode string
	ModTime  time.Time
}

// LogsRequest asks for a task's stdout or stderr.
type LogsRequest struct {
	AllocID string
	Task    string
	Type    string // "stdout" or "stderr"
	Origin  string // "start" or "end"
	Offset  int64  // from Origin
	Follow  bool
}

// StreamFrame is a chunk of a file or log stream.
type StreamFrame struct {
	Data      []byte
	File      string
	Offset    int64
	FileEvent string
}

// AllocRequest names an allocation and optionally one of its tasks.
type AllocRequest struct {
	AllocID  string
	Task     string
	AllTasks bool
	Signal   string
}

// TaskUsage is one task's resource usage.
type TaskUsage struct {
	Timestamp   time.Time
	CPUTotalMs  float64
	CPUPercent  float64
	MemoryRSS   uint64
	MemoryUsage uint64
	PIDs        int
}

// AllocStats is an allocation's resource usage, per task and summed.
type AllocStats struct {
	Timestamp time.Time
	Total     TaskUsage
	Tasks     map[string]*TaskUsage
}

// ExecRequest runs a command in a task's environment.
type ExecRequest struct {
	AllocID string
	Task    string
	Cmd     []string
	TTY     bool
}

// ExecInput is what the caller sends an exec: stdin bytes, the end of
// stdin, or a terminal size.
type ExecInput struct {
	Stdin    []byte
	StdinEOF bool
	Width    uint16
	Height   uint16
}

// ExecOutput is what an exec sends back: output, or its exit.
type ExecOutput struct {
	Stdout   []byte
	Stderr   []byte
	Exited   bool
	ExitCode int
}

// AllocOps is what can be done to a client's allocations. The client
// implements it; the server reaches a remote client's implementation
// through the session (RemoteAllocOps). Every method may block; streaming
// methods call emit for each chunk (from the calling goroutine) until the
// stream ends, ctx ends or emit fails.
type AllocOps interface {
	FSList(ctx context.Context, req *FSRequest) ([]*AllocFileInfo, error)
	FSStat(ctx context.Context, req *FSRequest) (*AllocFileInfo, error)
	FSRead(ctx context.Context, req *FSRequest, emit func(*StreamFrame) error) error
	Logs(ctx context.Context, req *LogsRequest, emit func(*StreamFrame) error) error
	AllocStats(ctx context.Context, req *AllocRequest) (*AllocStats, error)
	Restart(ctx context.Context, req *AllocRequest) error
	Signal(ctx context.Context, req *AllocRequest) error
	// Exec runs a command; input carries stdin and resizes (closed by the
	// caller when it has no more), emit gets output. It returns the exit
	// code.
	Exec(ctx context.Context, req *ExecRequest, input <-chan *ExecInput, emit func(*ExecOutput) error) (int, error)
}

// ServeAllocOps is a SessionHandler that serves ops (the client side).
func ServeAllocOps(ops AllocOps) SessionHandler {
	return func(ctx context.Context, op string, decode func(interface{}) error, st *Stream) error {
		bad := func(err error) error { return fmt.Errorf("decode %s request: %v: %w", op, err, structs.ErrInvalid) }
		switch op {
		case OpFSList:
			var req FSRequest
			if err := decode(&req); err != nil {
				return bad(err)
			}
			out, err := ops.FSList(ctx, &req)
			if err != nil {
				return err
			}
			return st.Send(out)
		case OpFSStat:
			var req FSRequest
			if err := decode(&req); err != nil {
				return bad(err)
			}
			out, err := ops.FSStat(ctx, &req)
			if err != nil {
				return err
			}
			return st.Send(out)
		case OpFSRead, OpFSCatAka:
			var req FSRequest
			if err := decode(&req); err != nil {
				return bad(err)
			}
			return ops.FSRead(ctx, &req, func(f *StreamFrame) error { return st.Send(f) })
		case OpLogs:
			var req LogsRequest
			if err := decode(&req); err != nil {
				return bad(err)
			}
			return ops.Logs(ctx, &req, func(f *StreamFrame) error { return st.Send(f) })
		case OpStats:
			var req AllocRequest
			if err := decode(&req); err != nil {
				return bad(err)
			}
			out, err := ops.AllocStats(ctx, &req)
			if err != nil {
				return err
			}
			return st.Send(out)
		case OpRestart, OpSignal:
			var req AllocRequest
			if err := decode(&req); err != nil {
				return bad(err)
			}
			if op == OpRestart {
				return ops.Restart(ctx, &req)
			}
			return ops.Signal(ctx, &req)
		case OpExec:
			var req ExecRequest
			if err := decode(&req); err != nil {
				return bad(err)
			}
			return serveExec(ctx, ops, &req, st)
		}
		return fmt.Errorf("unknown session operation %q (is the client newer than the server?): %w", op, structs.ErrInvalid)
	}
}

func serveExec(ctx context.Context, ops AllocOps, req *ExecRequest, st *Stream) error {
	input := make(chan *ExecInput, 16)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(input)
		for {
			in := new(ExecInput)
			if err := st.Recv(in); err != nil {
				return
			}
			select {
			case input <- in:
			case <-ctx.Done():
				return
			}
		}
	}()
	code, err := ops.Exec(ctx, req, input, func(o *ExecOutput) error { return st.Send(o) })
	if err != nil {
		return err
	}
	return st.Send(&ExecOutput{Exited: true, ExitCode: code})
}

// RemoteAllocOps reaches a client's AllocOps over its session (the server
// side).
func RemoteAllocOps(s *Session) AllocOps { return remoteOps{s: s} }

type remoteOps struct{ s *Session }

var _ AllocOps = remoteOps{}

// call runs a request that answers with one message.
func (r remoteOps) call(ctx context.Context, op string, req, out interface{}) error {
	st, err := r.s.Open(ctx, op, req)
	if err != nil {
		return err
	}
	defer st.Close()
	if out == nil {
		if err := st.Recv(&struct{}{}); !errors.Is(err, io.EOF) {
			return err
		}
		return nil
	}
	if err := st.Recv(out); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: the client ended the stream without an answer", op)
		}
		return err
	}
	return nil
}

// stream runs a request that answers with StreamFrames.
func (r remoteOps) stream(ctx context.Context, op string, req interface{}, emit func(*StreamFrame) error) error {
	st, err := r.s.Open(ctx, op, req)
	if err != nil {
		return err
	}
	defer st.Close()
	for {
		f := new(StreamFrame)
		if err := st.Recv(f); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := emit(f); err != nil {
			return err
		}
	}
}

func (r remoteOps) FSList(ctx context.Context, req *FSRequest) ([]*AllocFileInfo, error) {
	var out []*AllocFileInfo
	err := r.call(ctx, OpFSList, req, &out)
	return out, err
}

func (r remoteOps) FSStat(ctx context.Context, req *FSRequest) (*AllocFileInfo, error) {
	var out AllocFileInfo
	if err := r.call(ctx, OpFSStat, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (r remoteOps) FSRead(ctx context.Context, req *FSRequest, emit func(*StreamFrame) error) error {
	return r.stream(ctx, OpFSRead, req, emit)
}

func (r remoteOps) Logs(ctx context.Context, req *LogsRequest, emit func(*StreamFrame) error) error {
	return r.stream(ctx, OpLogs, req, emit)
}

func (r remoteOps) AllocStats(ctx context.Context, req *AllocRequest) (*AllocStats, error) {
	var out AllocStats
	if err := r.call(ctx, OpStats, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (r remoteOps) Restart(ctx context.Context, req *AllocRequest) error {
	return r.call(ctx, OpRestart, req, nil)
}

func (r remoteOps) Signal(ctx context.Context, req *AllocRequest) error {
	return r.call(ctx, OpSignal, req, nil)
}

func (r remoteOps) Exec(ctx context.Context, req *ExecRequest, input <-chan *ExecInput, emit func(*ExecOutput) error) (int, error) {
	st, err := r.s.Open(ctx, OpExec, req)
	if err != nil {
		return -1, err
	}
	defer st.Close()
	go func() {
		for {
			select {
			case in, ok := <-input:
				if !ok {
					return
				}
				if err := st.Send(in); err != nil {
					return
				}
			case <-st.Context().Done():
				return
			}
		}
	}()
	for {
		o := new(ExecOutput)
		if err := st.Recv(o); err != nil {
			if errors.Is(err, io.EOF) {
				return -1, errors.New("exec: the client ended the stream without an exit code")
			}
			return -1, err
		}
		if o.Exited {
			return o.ExitCode, nil
		}
		if err := emit(o); err != nil {
			return -1, err
		}
	}
}
