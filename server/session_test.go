package server

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/server/testutil"
	"github.com/droverhq/drover/structs"
)

// echoOps answers FSStat with the path it was asked for and echoes an
// exec's stdin back, exiting 9 at its end.
type echoOps struct{ rpc.AllocOps }

func (echoOps) FSStat(ctx context.Context, req *rpc.FSRequest) (*rpc.AllocFileInfo, error) {
	return &rpc.AllocFileInfo{Name: req.AllocID + ":" + req.Path}, nil
}

func (echoOps) Exec(ctx context.Context, req *rpc.ExecRequest, input <-chan *rpc.ExecInput, emit func(*rpc.ExecOutput) error) (int, error) {
	for in := range input {
		if in.StdinEOF {
			break
		}
		if err := emit(&rpc.ExecOutput{Stdout: in.Stdin}); err != nil {
			return -1, err
		}
	}
	return 9, nil
}

// openSession opens a client session for node over a real gRPC stream,
// served by ops.
func openSession(t *testing.T, s *Server, node *structs.Node, ops rpc.AllocOps) (*rpc.Session, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	fc, err := rpc.DialSession(ctx, dial(t, s), &rpc.SessionHello{NodeID: node.ID, SecretID: node.SecretID})
	if err != nil {
		return nil, err
	}
	sess := rpc.NewSession(fc, rpc.ServeAllocOps(ops))
	go sess.Serve()
	t.Cleanup(sess.Close)
	return sess, nil
}

func TestSessionRegistryRelaysAndReplaces(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	node := mockNode(4096)
	registerNode(t, dial(t, s), node)

	none, err := s.ClientOps(node.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := none.FSStat(context.Background(), &rpc.FSRequest{AllocID: "a1"}); !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("an op without a session: got %v, want ErrNotFound", err)
	}
	first, err := openSession(t, s, node, echoOps{})
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, func() error {
		if s.ClientSessions() != 1 {
			return fmt.Errorf("no session yet")
		}
		return nil
	})
	ops, err := s.ClientOps(node.ID)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := ops.FSStat(context.Background(), &rpc.FSRequest{AllocID: "a1", Path: "alloc"})
	if err != nil || fi.Name != "a1:alloc" {
		t.Fatalf("FSStat through the session: got %+v, %v; want a1:alloc", fi, err)
	}

	// A second session of the node (a reconnect) replaces the first.
	if _, err := openSession(t, s, node, echoOps{}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, func() error {
		select {
		case <-first.Done():
			return nil
		default:
			return fmt.Errorf("the replaced session is still open")
		}
	})
	if n := s.ClientSessions(); n != 1 {
		t.Errorf("got %d sessions, want 1", n)
	}
}

func TestSessionRejectsWrongSecret(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	node := mockNode(4096)
	registerNode(t, dial(t, s), node)
	bad := node.Copy()
	bad.SecretID = "wrong"
	sess, err := openSession(t, s, bad, echoOps{})
	if err == nil {
		<-sess.Done() // the server ends the stream after reading the hello
	}
	if s.ClientSessions() != 0 {
		t.Fatalf("a session with the wrong secret was registered")
	}
}

func TestAllocStopCreatesReplacement(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	node := mockNode(4096)
	registerNode(t, dial(t, s), node)
	registerJob(t, s, mockJob(1, 64))
	allocs := waitAllocs(t, s, node.ID, 1)
	old := allocs[0]

	evalID, index, err := s.AllocStop(context.Background(), old.ID)
	if err != nil || evalID == "" || index == 0 {
		t.Fatalf("AllocStop: got %q, %d, %v", evalID, index, err)
	}
	stopped, _ := s.State().AllocByID(nil, old.ID)
	if stopped.DesiredStatus != structs.AllocDesiredStatusStop || stopped.AllocModifyIndex != index {
		t.Errorf("stopped alloc: desired %q at %d, want stop at %d", stopped.DesiredStatus, stopped.AllocModifyIndex, index)
	}
	testutil.WaitFor(t, func() error {
		live := liveAllocs(t, s, node.ID)
		if len(live) != 1 || live[0].ID == old.ID {
			return fmt.Errorf("got %d live allocs, want one replacement", len(live))
		}
		return nil
	})
	if _, _, err := s.AllocStop(context.Background(), "no-such-alloc"); !errors.Is(err, structs.ErrNotFound) {
		t.Errorf("AllocStop of an unknown alloc: got %v, want ErrNotFound", err)
	}
}

// TestSessionRelayedBetweenServers: a node's session is with one server;
// the others reach it through that one.
func TestSessionRelayedBetweenServers(t *testing.T) {
	servers := newCluster(t, 2)
	holder, other := servers[0], servers[1]
	node := mockNode(4096)
	if _, err := openSession(t, holder, node, echoOps{}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, func() error {
		if holder.ClientSessions() != 1 || len(other.serverRPCAddrs()) != 2 {
			return fmt.Errorf("session or membership not there yet")
		}
		return nil
	})
	ops, err := other.ClientOps(node.ID)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := ops.FSStat(context.Background(), &rpc.FSRequest{AllocID: "a1", Path: "x"})
	if err != nil || fi.Name != "a1:x" {
		t.Fatalf("relayed FSStat: got %+v, %v; want a1:x", fi, err)
	}
	in := make(chan *rpc.ExecInput, 3)
	in <- &rpc.ExecInput{Stdin: []byte("ab")}
	in <- &rpc.ExecInput{Stdin: []byte("c")}
	in <- &rpc.ExecInput{StdinEOF: true}
	var out []byte
	code, err := ops.Exec(context.Background(), &rpc.ExecRequest{Cmd: []string{"cat"}}, in, func(o *rpc.ExecOutput) error {
		out = append(out, o.Stdout...)
		return nil
	})
	if err != nil || code != 9 || string(out) != "abc" {
		t.Fatalf("relayed exec: got code %d, output %q, err %v; want 9, \"abc\"", code, out, err)
	}
	unknown, _ := other.ClientOps("no-such-node")
	if _, err := unknown.FSStat(context.Background(), &rpc.FSRequest{}); !errors.Is(err, structs.ErrNotFound) {
		t.Errorf("relay to a node without a session: got %v, want ErrNotFound", err)
	}
}
