package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/scheduler"
	"github.com/droverhq/drover/server/testutil"
	"github.com/droverhq/drover/structs"
)

// testLogger logs to stderr when DROVER_TEST_LOG is set, else nowhere.
func testLogger() *slog.Logger {
	if os.Getenv("DROVER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testConfig is a single server on loopback with free ports and fast Raft.
func testConfig(t testing.TB, dataDir string) *Config {
	rc := raft.DefaultConfig()
	rc.HeartbeatTimeout = 50 * time.Millisecond
	rc.ElectionTimeout = 50 * time.Millisecond
	rc.LeaderLeaseTimeout = 50 * time.Millisecond
	rc.CommitTimeout = 5 * time.Millisecond
	return &Config{
		NodeName: "s1", DataDir: dataDir, RPCAddr: "127.0.0.1:0", BootstrapExpect: 1,
		NumSchedulers: 2, Logger: testLogger(), RaftConfig: rc,
	}
}

// startServer starts a server, shuts it down at the test's end, and waits
// until it leads.
func startServer(t testing.TB, cfg *Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { s.Shutdown() })
	testutil.WaitFor(t, func() error {
		if !s.IsLeader() {
			return fmt.Errorf("server is not leader yet")
		}
		if !s.broker.Enabled() {
			return fmt.Errorf("leader loops not running yet")
		}
		return nil
	})
	return s
}

// dial opens a gRPC connection to the server.
func dial(t *testing.T, s *Server) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(s.RPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// registerNode registers node over gRPC.
func registerNode(t *testing.T, conn *grpc.ClientConn, node *structs.Node) *structs.NodeUpdateResponse {
	t.Helper()
	var resp structs.NodeUpdateResponse
	if err := rpc.Call(context.Background(), conn, rpc.NodeRegister, &structs.NodeRegisterRequest{Node: node}, &resp); err != nil {
		t.Fatalf("register node: %v", err)
	}
	return &resp
}

// mockNode is a node with the mock driver and memMB of memory.
func mockNode(memMB int64) *structs.Node {
	n := scheduler.MockNode()
	n.Status, n.ComputedClass = "", ""
	n.NodeResources.Memory.MemoryMB = memMB
	return n
}

// mockJob is a service job of count instances of a mock task of memMB.
func mockJob(count int, memMB int) *structs.Job {
	j := scheduler.MockServiceJob()
	j.TaskGroups[0].Count = count
	task := j.TaskGroups[0].Tasks[0]
	task.Driver = "mock"
	task.Config = map[string]interface{}{"run_for": "1h"}
	task.Resources = &structs.Resources{CPU: 100, MemoryMB: memMB}
	return j
}

func registerJob(t *testing.T, s *Server, job *structs.Job) *structs.JobRegisterResponse {
	t.Helper()
	resp, err := s.JobRegister(context.Background(), &structs.JobRegisterRequest{Job: job})
	if err != nil {
		t.Fatalf("register job: %v", err)
	}
	return resp
}

// liveAllocs returns the node's allocations that are not terminal.
func liveAllocs(t *testing.T, s *Server, nodeID string) []*structs.Allocation {
	t.Helper()
	all, err := s.State().AllocsByNode(nil, nodeID)
	if err != nil {
		t.Fatal(err)
	}
	var out []*structs.Allocation
	for _, a := range all {
		if !a.TerminalStatus() {
			out = append(out, a)
		}
	}
	return out
}

// waitAllocs waits until the node runs want live allocations.
func waitAllocs(t *testing.T, s *Server, nodeID string, want int) []*structs.Allocation {
	t.Helper()
	var got []*structs.Allocation
	testutil.WaitFor(t, func() error {
		got = liveAllocs(t, s, nodeID)
		if len(got) != want {
			return fmt.Errorf("got %d live allocs on node, want %d", len(got), want)
		}
		return nil
	})
	return got
}
