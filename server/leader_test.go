package server

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/server/testutil"
	"github.com/droverhq/drover/structs"
)

// TestLeadershipRebuildsQueues drops the leader loops and starts them
// again, as a leader change would, and checks the blocked set is rebuilt
// from the state store.
func TestLeadershipRebuildsQueues(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	registerJob(t, s, mockJob(1, 256)) // no nodes: the eval blocks
	waitBlocked := func() {
		testutil.WaitFor(t, func() error {
			if n := s.blocked.Stats().TotalBlocked; n != 1 {
				return fmt.Errorf("got %d blocked evals, want 1", n)
			}
			return nil
		})
	}
	waitBlocked()

	s.revokeLeadership()
	if s.broker.Enabled() || s.blocked.Stats().TotalBlocked != 0 {
		t.Fatal("leader queues still hold work after revoking leadership")
	}
	s.establishLeadership()
	waitBlocked()

	node := mockNode(8192)
	registerNode(t, dial(t, s), node)
	waitAllocs(t, s, node.ID, 1)
}

func TestWritesWithoutLeaderFail(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.BootstrapExpect = 2 // never bootstraps alone, so never leads
	cfg.LeaderWaitTimeout = 100 * time.Millisecond
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown() })

	_, err = s.JobRegister(context.Background(), &structs.JobRegisterRequest{Job: mockJob(1, 256)})
	if !errors.Is(err, structs.ErrNoLeader) {
		t.Fatalf("got %v, want ErrNoLeader", err)
	}
	var resp structs.NodeUpdateResponse
	err = rpc.Call(context.Background(), dial(t, s), rpc.NodeRegister, &structs.NodeRegisterRequest{Node: mockNode(1024)}, &resp)
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("got %v, want code Unavailable", err)
	}
}
