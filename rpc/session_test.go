package rpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/droverhq/drover/structs"
)

// pipeConn is one end of an in-memory FrameConn pair.
type pipeConn struct {
	out    chan<- *Frame
	in     <-chan *Frame
	closed chan struct{}
	once   *sync.Once
}

func framePipe() (*pipeConn, *pipeConn) {
	a, b := make(chan *Frame, 1024), make(chan *Frame, 1024)
	closed, once := make(chan struct{}), &sync.Once{}
	return &pipeConn{out: a, in: b, closed: closed, once: once}, &pipeConn{out: b, in: a, closed: closed, once: once}
}

func (p *pipeConn) Send(f *Frame) error {
	select {
	case p.out <- f:
		return nil
	case <-p.closed:
		return io.ErrClosedPipe
	}
}

func (p *pipeConn) Recv() (*Frame, error) {
	select {
	case f := <-p.in:
		return f, nil
	case <-p.closed:
		return nil, io.EOF
	}
}

func (p *pipeConn) cut() { p.once.Do(func() { close(p.closed) }) }

// sessionPair runs a caller session and a handler session over a pipe.
func sessionPair(t *testing.T, h SessionHandler) (*Session, *pipeConn) {
	t.Helper()
	a, b := framePipe()
	caller, handler := NewSession(a, nil), NewSession(b, h)
	go caller.Serve()
	go handler.Serve()
	t.Cleanup(func() { caller.Close(); handler.Close(); a.cut() })
	return caller, a
}

// counter answers "count" with N numbered messages, and "wait" by waiting
// for cancellation.
func counterHandler(canceled chan<- string) SessionHandler {
	return func(ctx context.Context, op string, decode func(interface{}) error, st *Stream) error {
		var n int
		if err := decode(&n); err != nil {
			return err
		}
		switch op {
		case "count":
			for i := 0; i < n; i++ {
				if err := st.Send(fmt.Sprintf("m%d", i)); err != nil {
					return err
				}
			}
			return nil
		case "wait":
			<-ctx.Done()
			canceled <- "wait"
			return ctx.Err()
		case "notfound":
			return fmt.Errorf("alloc %q: %w", "x", structs.ErrNotFound)
		}
		return errors.New("unknown op")
	}
}

func recvAll(t *testing.T, st *Stream) []string {
	t.Helper()
	var out []string
	for {
		var s string
		err := st.Recv(&s)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("recv: %v", err)
		}
		out = append(out, s)
	}
}

func TestSessionMultiplexesStreams(t *testing.T) {
	caller, _ := sessionPair(t, counterHandler(make(chan string, 1)))
	ctx := context.Background()
	// More messages than the window: flow control must keep both going.
	const n = 5 * sessionWindow
	a, err := caller.Open(ctx, "count", n)
	if err != nil {
		t.Fatal(err)
	}
	b, err := caller.Open(ctx, "count", 3)
	if err != nil {
		t.Fatal(err)
	}
	// Read b completely while a is unread: a full window on a must not
	// stall b.
	if got := recvAll(t, b); len(got) != 3 || got[2] != "m2" {
		t.Fatalf("stream b: got %v, want [m0 m1 m2]", got)
	}
	got := recvAll(t, a)
	if len(got) != n || got[n-1] != fmt.Sprintf("m%d", n-1) {
		t.Fatalf("stream a: got %d messages, want %d in order", len(got), n)
	}
	for i, s := range got {
		if s != fmt.Sprintf("m%d", i) {
			t.Fatalf("stream a message %d: got %q, want m%d", i, s, i)
		}
	}
}

func TestSessionCancelReachesHandler(t *testing.T) {
	canceled := make(chan string, 1)
	caller, _ := sessionPair(t, counterHandler(canceled))
	ctx, cancel := context.WithCancel(context.Background())
	st, err := caller.Open(ctx, "wait", 0)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-canceled:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's context was not canceled after the caller's context ended")
	}
	var s string
	if err := st.Recv(&s); !errors.Is(err, context.Canceled) {
		t.Fatalf("recv after cancel: got %v, want context.Canceled", err)
	}
}

func TestSessionErrorKeepsCategory(t *testing.T) {
	caller, _ := sessionPair(t, counterHandler(make(chan string, 1)))
	st, err := caller.Open(context.Background(), "notfound", 0)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	err = st.Recv(&s)
	if !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("got %v, want an error wrapping structs.ErrNotFound", err)
	}
}

func TestSessionEndsStreamsWhenConnectionDrops(t *testing.T) {
	caller, conn := sessionPair(t, counterHandler(make(chan string, 1)))
	st, err := caller.Open(context.Background(), "wait", 0)
	if err != nil {
		t.Fatal(err)
	}
	conn.cut()
	var s string
	if err := st.Recv(&s); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("recv after the connection dropped: got %v, want ErrSessionClosed", err)
	}
	select {
	case <-caller.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("session did not end after its connection dropped")
	}
	if _, err := caller.Open(context.Background(), "count", 1); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("open on an ended session: got %v, want ErrSessionClosed", err)
	}
}

// fakeOps records calls and answers with fixed data.
type fakeOps struct {
	mu      sync.Mutex
	signals []string
}

func (f *fakeOps) FSList(ctx context.Context, req *FSRequest) ([]*AllocFileInfo, error) {
	return []*AllocFileInfo{{Name: "alloc", IsDir: true}, {Name: req.Path}}, nil
}
func (f *fakeOps) FSStat(ctx context.Context, req *FSRequest) (*AllocFileInfo, error) {
	return nil, fmt.Errorf("path %q: %w", req.Path, structs.ErrNotFound)
}
func (f *fakeOps) FSRead(ctx context.Context, req *FSRequest, emit func(*StreamFrame) error) error {
	return emit(&StreamFrame{Data: []byte("hello"), File: req.Path})
}
func (f *fakeOps) Logs(ctx context.Context, req *LogsRequest, emit func(*StreamFrame) error) error {
	for i := 0; ; i++ {
		if err := emit(&StreamFrame{Data: []byte(fmt.Sprintf("line %d\n", i))}); err != nil {
			return err
		}
		if !req.Follow && i == 2 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}
func (f *fakeOps) AllocStats(ctx context.Context, req *AllocRequest) (*AllocStats, error) {
	return &AllocStats{Tasks: map[string]*TaskUsage{"web": {MemoryRSS: 42}}}, nil
}
func (f *fakeOps) Restart(ctx context.Context, req *AllocRequest) error { return nil }
func (f *fakeOps) Signal(ctx context.Context, req *AllocRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signals = append(f.signals, req.Task+":"+req.Signal)
	return nil
}
func (f *fakeOps) Exec(ctx context.Context, req *ExecRequest, input <-chan *ExecInput, emit func(*ExecOutput) error) (int, error) {
	for in := range input {
		if in.StdinEOF {
			return 3, nil
		}
		if err := emit(&ExecOutput{Stdout: in.Stdin}); err != nil {
			return -1, err
		}
	}
	return 3, nil
}

// TestRemoteAllocOpsOverGRPC runs the ops through a real gRPC session
// stream: server side opens requests, client side serves fakeOps.
func TestRemoteAllocOpsOverGRPC(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sessions := make(chan *Session, 1)
	srv := grpc.NewServer()
	srv.RegisterService(SessionServiceDesc(func(stream grpc.ServerStream) error {
		fc := ServerFrames(stream)
		h, err := ReadHello(fc)
		if err != nil || h.NodeID != "node-1" {
			return fmt.Errorf("bad hello %+v: %v", h, err)
		}
		s := NewSession(fc, nil)
		sessions <- s
		return s.Serve()
	}, nil), nil)
	go srv.Serve(lis)
	defer srv.Stop()

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fc, err := DialSession(ctx, conn, &SessionHello{NodeID: "node-1"})
	if err != nil {
		t.Fatal(err)
	}
	ops := &fakeOps{}
	clientSide := NewSession(fc, ServeAllocOps(ops))
	go clientSide.Serve()
	defer clientSide.Close()

	var sess *Session
	select {
	case sess = <-sessions:
	case <-time.After(5 * time.Second):
		t.Fatal("server never saw the session")
	}
	remote := RemoteAllocOps(sess)

	files, err := remote.FSList(ctx, &FSRequest{AllocID: "a", Path: "x"})
	if err != nil || len(files) != 2 || files[1].Name != "x" {
		t.Fatalf("FSList: got %v, %v; want [alloc x]", files, err)
	}
	if _, err := remote.FSStat(ctx, &FSRequest{Path: "nope"}); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("FSStat: got %v, want ErrNotFound", err)
	}
	st, err := remote.AllocStats(ctx, &AllocRequest{AllocID: "a"})
	if err != nil || st.Tasks["web"].MemoryRSS != 42 {
		t.Fatalf("Stats: got %+v, %v", st, err)
	}
	if err := remote.Signal(ctx, &AllocRequest{Task: "web", Signal: "SIGHUP"}); err != nil {
		t.Fatal(err)
	}
	if len(ops.signals) != 1 || ops.signals[0] != "web:SIGHUP" {
		t.Fatalf("signals: got %v, want [web:SIGHUP]", ops.signals)
	}

	// Follow logs, read three lines, then cancel: the handler must end.
	lctx, lcancel := context.WithCancel(ctx)
	lines := 0
	err = remote.Logs(lctx, &LogsRequest{Follow: true}, func(f *StreamFrame) error {
		lines++
		if lines == 3 {
			lcancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || lines < 3 {
		t.Fatalf("follow logs: got %d lines and %v, want >= 3 and context.Canceled", lines, err)
	}

	// Exec echoes stdin and exits 3 at EOF.
	in := make(chan *ExecInput, 2)
	in <- &ExecInput{Stdin: []byte("hi")}
	in <- &ExecInput{StdinEOF: true}
	var out []byte
	code, err := remote.Exec(ctx, &ExecRequest{Cmd: []string{"cat"}}, in, func(o *ExecOutput) error {
		out = append(out, o.Stdout...)
		return nil
	})
	if err != nil || code != 3 || string(out) != "hi" {
		t.Fatalf("exec: got code %d, output %q, err %v; want 3, \"hi\", nil", code, out, err)
	}
}
