package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/server/testutil"
	"github.com/droverhq/drover/structs"
)

// systemJob is a system (or sysbatch) job of one mock task.
func systemJob(jobType string) *structs.Job {
	j := mockJob(1, 128)
	j.Type = jobType
	j.ID = jobType + "-" + structs.ShortID(structs.GenerateUUID())
	j.Name = j.ID
	return j
}

func TestSystemJobFollowsNodes(t *testing.T) {
	for _, jobType := range []string{structs.JobTypeSystem, structs.JobTypeSysBatch} {
		t.Run(jobType, func(t *testing.T) {
			s := startServer(t, testConfig(t, t.TempDir()))
			conn := dial(t, s)
			n1, n2 := mockNode(8192), mockNode(8192)
			registerNode(t, conn, n1)
			registerNode(t, conn, n2)
			job := systemJob(jobType)
			registerJob(t, s, job)
			waitAllocs(t, s, n1.ID, 1)
			waitAllocs(t, s, n2.ID, 1)

			// A node that joins later gets the job through a node-update eval.
			n3 := mockNode(8192)
			registerNode(t, conn, n3)
			waitAllocs(t, s, n3.ID, 1)
			evals, _ := s.State().EvalsByJob(nil, job.Namespace, job.ID)
			found := false
			for _, e := range evals {
				found = found || (e.TriggeredBy == structs.EvalTriggerNodeUpdate && e.NodeID == n3.ID)
			}
			if !found {
				t.Errorf("got no node-update eval for node %s among %d evals", n3.ID, len(evals))
			}

			// A dry run of a changed task replaces the allocation on every node.
			edited := job.Copy()
			edited.TaskGroups[0].Tasks[0].Env = map[string]string{"FOO": "changed"}
			plan, err := s.JobPlan(context.Background(), &structs.JobPlanRequest{Job: edited, Diff: true})
			if err != nil {
				t.Fatal(err)
			}
			if d := plan.Annotations.DesiredTGUpdates["web"]; d == nil || d.DestructiveUpdate+d.Place+d.Stop == 0 {
				t.Errorf("plan of a changed %s job: got %+v, want the 3 allocations replaced", jobType, d)
			}
		})
	}
}

func TestNodeReregisterEvaluatesOnlyOnChange(t *testing.T) {
	s := startServer(t, testConfig(t, t.TempDir()))
	conn := dial(t, s)
	job := systemJob(structs.JobTypeSystem)
	registerJob(t, s, job)
	node := mockNode(8192)
	registerNode(t, conn, node)
	waitAllocs(t, s, node.ID, 1)
	nodeEvals := func() int {
		evals, _ := s.State().EvalsByJob(nil, job.Namespace, job.ID)
		n := 0
		for _, e := range evals {
			if e.NodeID == node.ID {
				n++
			}
		}
		return n
	}
	before := nodeEvals()
	registerNode(t, conn, node) // same node again: no new eval
	if got := nodeEvals(); got != before {
		t.Fatalf("re-registering an unchanged node: got %d node evals, want %d", got, before)
	}
	changed := node.Copy()
	changed.Attributes["kernel.version"] = "9.9.9"
	registerNode(t, conn, changed)
	if got := nodeEvals(); got != before+1 {
		t.Fatalf("re-registering a changed node: got %d node evals, want %d", got, before+1)
	}
}

// heartbeat keeps a node alive until the test ends.
func heartbeat(t *testing.T, conn *grpc.ClientConn, node *structs.Node, every time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		ticker := time.NewTicker(every)
		defer ticker.Stop()
		for {
			var resp structs.NodeUpdateResponse
			req := &structs.NodeUpdateStatusRequest{NodeID: node.ID, SecretID: node.SecretID, Status: structs.NodeStatusReady}
			_ = rpc.Call(ctx, conn, rpc.NodeUpdateStatus, req, &resp)
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()
}

// A node that stops heartbeating is marked down; its service and batch
// allocations are marked lost and replaced on a live node.
func TestNodeDownReplacesAllocs(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.HeartbeatTTL, cfg.HeartbeatGrace = 300*time.Millisecond, 200*time.Millisecond
	s := startServer(t, cfg)
	conn := dial(t, s)
	silent, alive := mockNode(8192), mockNode(8192)
	registerNode(t, conn, silent)
	service := mockJob(1, 256)
	batch := mockJob(1, 256)
	batch.Type, batch.ID, batch.Name = structs.JobTypeBatch, "batch-"+batch.ID, "batch-"+batch.ID
	registerJob(t, s, service)
	registerJob(t, s, batch)
	waitAllocs(t, s, silent.ID, 2)
	registerNode(t, conn, alive)
	heartbeat(t, conn, alive, 50*time.Millisecond)

	testutil.WaitFor(t, func() error {
		n, _ := s.State().NodeByID(nil, silent.ID)
		if n.Status != structs.NodeStatusDown {
			return fmt.Errorf("silent node is %q, want down", n.Status)
		}
		return nil
	})
	moved := waitAllocs(t, s, alive.ID, 2)
	jobs := map[string]bool{}
	for _, a := range moved {
		jobs[a.JobID] = true
	}
	if !jobs[service.ID] || !jobs[batch.ID] {
		t.Fatalf("got allocs of %v on the live node, want both %s and %s", jobs, service.ID, batch.ID)
	}
	all, _ := s.State().AllocsByNode(nil, silent.ID)
	for _, a := range all {
		if a.ClientStatus != structs.AllocClientStatusLost || a.DesiredStatus != structs.AllocDesiredStatusStop {
			t.Errorf("alloc %s on the down node: got client %q desired %q, want lost and stop", a.Name, a.ClientStatus, a.DesiredStatus)
		}
	}
	if n, _ := s.State().NodeByID(nil, alive.ID); n.Status != structs.NodeStatusReady {
		t.Fatalf("live node is %q, want ready", n.Status)
	}
}
