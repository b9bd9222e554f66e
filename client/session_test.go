package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// sessionServer serves the client RPCs of a fakeServer and the session
// service on one address, and records the sessions clients open.
type sessionServer struct {
	f    *fakeServer
	grpc *grpc.Server

	mu       sync.Mutex
	sessions map[string]*rpc.Session // by node ID; guarded by mu
}

func startSessionServer(t *testing.T, f *fakeServer, addr string) *sessionServer {
	t.Helper()
	var lis net.Listener
	var err error
	// The address may still be held briefly by a stopped server.
	waitFor(t, func() error {
		lis, err = net.Listen("tcp", addr)
		return err
	})
	s := &sessionServer{f: f, grpc: grpc.NewServer(), sessions: map[string]*rpc.Session{}}
	s.grpc.RegisterService(rpc.ServiceDesc(map[string]rpc.Handler{
		rpc.NodeRegister:        f.register,
		rpc.NodeUpdateStatus:    f.heartbeat,
		rpc.NodeGetClientAllocs: f.getClientAllocs,
		rpc.AllocGetAllocs:      f.getAllocs,
		rpc.NodeUpdateAlloc:     f.updateAlloc,
	}), nil)
	s.grpc.RegisterService(rpc.SessionServiceDesc(func(stream grpc.ServerStream) error {
		fc := rpc.ServerFrames(stream)
		hello, err := rpc.ReadHello(fc)
		if err != nil {
			return err
		}
		sess := rpc.NewSession(fc, nil)
		s.mu.Lock()
		s.sessions[hello.NodeID] = sess
		s.mu.Unlock()
		return sess.Serve()
	}, nil), nil)
	go s.grpc.Serve(lis)
	t.Cleanup(s.grpc.Stop)
	return s
}

// ops waits for a live session of nodeID and returns its remote ops.
func (s *sessionServer) ops(t *testing.T, nodeID string) rpc.AllocOps {
	t.Helper()
	var sess *rpc.Session
	waitFor(t, func() error {
		s.mu.Lock()
		sess = s.sessions[nodeID]
		s.mu.Unlock()
		if sess == nil {
			return errors.New("no session yet")
		}
		select {
		case <-sess.Done():
			return errors.New("session ended")
		default:
			return nil
		}
	})
	return rpc.RemoteAllocOps(sess)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestSessionReconnects: the client opens a session, serves requests over
// it, and opens a new one when its server restarts.
func TestSessionReconnects(t *testing.T) {
	f := newFakeServer(t)
	addr := freeAddr(t)
	f.addr = addr // the only server clients learn of
	s1 := startSessionServer(t, f, addr)
	c := newTestClient(t, t.TempDir(), addr)
	ops := s1.ops(t, c.NodeID())
	_, err := ops.FSList(context.Background(), &rpc.FSRequest{AllocID: "nope"})
	if !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("ls of an unknown alloc: got %v, want ErrNotFound over the session", err)
	}

	s1.grpc.Stop()
	s2 := startSessionServer(t, f, addr)
	ops = s2.ops(t, c.NodeID())
	if _, err := ops.FSList(context.Background(), &rpc.FSRequest{AllocID: "nope"}); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("after reconnect: got %v, want ErrNotFound", err)
	}
}

// TestSessionOpsOnMockAlloc: fs, logs (with rotation and follow), stats,
// restart and signal on a mock alloc through the session.
func TestSessionOpsOnMockAlloc(t *testing.T) {
	f := newFakeServer(t)
	addr := freeAddr(t)
	f.addr = addr // the only server clients learn of
	s := startSessionServer(t, f, addr)
	c := newTestClient(t, t.TempDir(), addr)
	ops := s.ops(t, c.NodeID())
	a := mockAlloc(c.NodeID(), structs.JobTypeService, map[string]interface{}{"run_for": "1h"})
	f.putAlloc(a)
	waitFor(t, func() error {
		ar, err := c.allocRunner(a.ID)
		if err != nil {
			return err
		}
		if ar.TaskRunner("t").Running() == nil {
			return errors.New("task not running yet")
		}
		return nil
	})
	ctx := context.Background()

	// Escapes are refused.
	for _, p := range []string{"..", "../..", "alloc/../../x"} {
		if _, err := ops.FSList(ctx, &rpc.FSRequest{AllocID: a.ID, Path: p}); !errors.Is(err, structs.ErrInvalid) {
			t.Errorf("ls %q: got %v, want ErrInvalid", p, err)
		}
	}
	ar, _ := c.allocRunner(a.ID)
	if err := os.Symlink("/etc", filepath.Join(ar.Dir(), "alloc", "data", "etc")); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.FSStat(ctx, &rpc.FSRequest{AllocID: a.ID, Path: "alloc/data/etc/passwd"}); !errors.Is(err, structs.ErrInvalid) {
		t.Errorf("stat through a symlink out: got %v, want ErrInvalid", err)
	}
	files, err := ops.FSList(ctx, &rpc.FSRequest{AllocID: a.ID, Path: "/"})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, fi := range files {
		names = append(names, fi.Name)
	}
	if !strings.Contains(strings.Join(names, ","), "alloc") {
		t.Errorf("ls /: got %v, want alloc among them", names)
	}

	// Logs: two rotated files are read in order; follow moves on to a
	// third that appears later.
	logs := filepath.Join(ar.Dir(), "alloc", "logs")
	os.WriteFile(filepath.Join(logs, "t.stdout.0"), []byte("one\n"), 0o644)
	os.WriteFile(filepath.Join(logs, "t.stdout.1"), []byte("two\n"), 0o644)
	var buf strings.Builder
	emit := func(fr *rpc.StreamFrame) error { buf.Write(fr.Data); return nil }
	if err := ops.Logs(ctx, &rpc.LogsRequest{AllocID: a.ID, Task: "t", Type: "stdout"}, emit); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "one\ntwo\n" {
		t.Errorf("logs: got %q, want \"one\\ntwo\\n\"", buf.String())
	}
	buf.Reset()
	if err := ops.Logs(ctx, &rpc.LogsRequest{AllocID: a.ID, Task: "t", Type: "stdout", Origin: "end", Offset: 6}, emit); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "e\ntwo\n" {
		t.Errorf("logs from the end, offset 6: got %q, want \"e\\ntwo\\n\"", buf.String())
	}
	fctx, cancel := context.WithCancel(ctx)
	got := make(chan string, 16)
	done := make(chan error, 1)
	go func() {
		done <- ops.Logs(fctx, &rpc.LogsRequest{AllocID: a.ID, Task: "t", Type: "stdout", Follow: true},
			func(fr *rpc.StreamFrame) error { got <- string(fr.Data); return nil })
	}()
	want := "one\ntwo\nthree\n"
	var seen string
	wrote := false
	for seen != want {
		select {
		case d := <-got:
			seen += d
		case <-time.After(10 * time.Second):
			t.Fatalf("follow: got %q, want %q", seen, want)
		}
		if seen == "one\ntwo\n" && !wrote {
			os.WriteFile(filepath.Join(logs, "t.stdout.2"), []byte("three\n"), 0o644)
			wrote = true
		}
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("follow after cancel: got %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("follow did not end after cancel")
	}

	// Stats reach the mock driver; exec is not supported.
	if _, err := ops.AllocStats(ctx, &rpc.AllocRequest{AllocID: a.ID}); err != nil {
		t.Errorf("stats: %v", err)
	}
	if _, err := ops.Exec(ctx, &rpc.ExecRequest{AllocID: a.ID, Task: "t", Cmd: []string{"true"}}, nil, nil); err == nil ||
		!strings.Contains(err.Error(), "not supported") {
		t.Errorf("exec on mock: got %v, want not supported", err)
	}

	// Restart: Restart Signaled, then running again with one restart.
	if err := ops.Restart(ctx, &rpc.AllocRequest{AllocID: a.ID, Task: "t"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() error {
		st := ar.TaskRunner("t").State()
		if st.Restarts != 1 || st.State != structs.TaskStateRunning {
			return fmt.Errorf("task %s with %d restarts, want running after 1", st.State, st.Restarts)
		}
		var types []string
		for _, e := range st.Events {
			types = append(types, e.Type)
		}
		if !strings.Contains(strings.Join(types, ","), structs.TaskRestartSignal+","+structs.TaskTerminated) &&
			!strings.Contains(strings.Join(types, ","), structs.TaskRestartSignal) {
			return fmt.Errorf("events %v, want Restart Signaled", types)
		}
		return nil
	})

	// Signal reaches the mock task (which ends on it).
	if err := ops.Signal(ctx, &rpc.AllocRequest{AllocID: a.ID, Task: "t", Signal: "SIGHUP"}); err != nil {
		t.Errorf("signal: %v", err)
	}
	waitFor(t, func() error {
		for _, e := range ar.TaskRunner("t").State().Events {
			if e.Type == structs.TaskSignaling {
				return nil
			}
		}
		return errors.New("no Signaling event")
	})
}

// TestSessionFailsOver: when its server dies, the client's session moves
// to the next server along with its heartbeats.
func TestSessionFailsOver(t *testing.T) {
	f := newFakeServer(t)
	addr1, addr2 := freeAddr(t), freeAddr(t)
	f.addr = addr1
	s1 := startSessionServer(t, f, addr1)
	s2 := startSessionServer(t, f, addr2)
	c := newTestClient(t, t.TempDir(), addr1, addr2)
	s1.ops(t, c.NodeID())
	s1.grpc.Stop()
	ops := s2.ops(t, c.NodeID())
	if _, err := ops.FSList(context.Background(), &rpc.FSRequest{AllocID: "nope"}); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("after failover: got %v, want ErrNotFound from the client", err)
	}
}
