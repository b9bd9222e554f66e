package state

import (
	"context"
	"errors"
	"testing"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/structs"
)

// nodeQuery reads one node and the nodes table's index.
func nodeQuery(id string) QueryFn {
	return func(ws memdb.WatchSet, s *StateStore) (interface{}, uint64, error) {
		n, err := s.NodeByID(ws, id)
		return n, s.IndexWatch(ws, TableNodes), err
	}
}

func TestBlockingQueryWakesOnWrite(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNode(5, testNode("n1")))

	type result struct {
		resp  interface{}
		index uint64
		err   error
	}
	done := make(chan result, 1)
	go func() {
		resp, index, err := s.BlockingQuery(context.Background(), 5, time.Minute, nodeQuery("n1"))
		done <- result{resp, index, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("query at the current index returned at once with index %d", r.index)
	case <-time.After(50 * time.Millisecond): // the query should be blocked
	}
	must(t, s.UpdateNodeStatus(6, "n1", structs.NodeStatusDown, 1))
	select {
	case r := <-done:
		if r.err != nil || r.index != 6 || r.resp.(*structs.Node).Status != structs.NodeStatusDown {
			t.Errorf("woken query: index %d err %v, want index 6 and the down node", r.index, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("blocking query did not wake after a write")
	}
}

func TestBlockingQueryReturns(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNode(5, testNode("n1")))
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		ctx      context.Context
		minIndex uint64
		wait     time.Duration
	}{
		{"min index 0", context.Background(), 0, time.Minute},
		{"index already past", context.Background(), 4, time.Minute},
		{"wait elapses", context.Background(), 5, 20 * time.Millisecond},
		{"context ends", canceled, 5, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, index, err := s.BlockingQuery(tt.ctx, tt.minIndex, tt.wait, nodeQuery("n1"))
			if err != nil || index != 5 || resp.(*structs.Node).ID != "n1" {
				t.Errorf("got index %d err %v, want the node at index 5", index, err)
			}
		})
	}
	boom := errors.New("boom")
	_, _, err := s.BlockingQuery(context.Background(), 5, time.Minute, func(memdb.WatchSet, *StateStore) (interface{}, uint64, error) {
		return nil, 0, boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("query error: got %v, want boom", err)
	}
}

func TestSnapshotMinIndex(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNode(3, testNode("n1")))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got := make(chan *StateSnapshot, 1)
	go func() {
		snap, err := s.SnapshotMinIndex(ctx, 4)
		if err != nil {
			t.Error(err)
		}
		got <- snap
	}()
	must(t, s.UpsertNode(4, testNode("n2")))
	if snap := <-got; snap == nil || snap.LatestIndex() < 4 {
		t.Fatalf("snapshot below the index waited for")
	}
	short, cancelShort := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancelShort()
	if _, err := s.SnapshotMinIndex(short, 100); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting for an index never reached: got %v, want DeadlineExceeded", err)
	}
}

func TestSchedulerView(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNode(1, testNode("n2")))
	must(t, s.UpsertNode(2, testNode("n1")))
	job := testJob("web")
	must(t, s.UpsertJob(3, job))
	eval := testEval(job)
	must(t, s.UpsertEvals(4, []*structs.Evaluation{eval}))
	must(t, s.UpsertAllocs(5, []*structs.Allocation{testAlloc(job, "n1", 0)}))

	view := s.Snapshot().SchedulerState()
	must(t, s.UpsertAllocs(6, []*structs.Allocation{testAlloc(job, "n1", 1)})) // after the snapshot

	if view.Index() != 5 {
		t.Errorf("Index = %d, want 5", view.Index())
	}
	nodes := view.Nodes()
	if len(nodes) != 2 || nodes[0].ID != "n1" {
		t.Errorf("Nodes: got %d, want n1 then n2", len(nodes))
	}
	if view.NodeByID("n2") == nil || view.NodeByID("nope") != nil {
		t.Errorf("NodeByID: wrong presence")
	}
	if view.JobByID("default", "web") == nil || view.EvalByID(eval.ID) == nil {
		t.Errorf("JobByID or EvalByID: missing")
	}
	if got := len(view.AllocsByNode("n1")); got != 1 {
		t.Errorf("AllocsByNode = %d allocs, want 1 (the snapshot's)", got)
	}
	if got := len(view.AllocsByJob("default", "web")); got != 1 {
		t.Errorf("AllocsByJob = %d allocs, want 1", got)
	}
}

// TestConcurrentReadsDuringWrites reads snapshots and the live store while
// writes land; under -race it checks that writes never mutate what readers
// hold.
func TestConcurrentReadsDuringWrites(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNode(1, testNode("n1")))
	job := testJob("web")
	must(t, s.UpsertJob(2, job))
	first := testAlloc(job, "n1", 0)
	must(t, s.UpsertAllocs(3, []*structs.Allocation{first}))

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			view := s.Snapshot().SchedulerState()
			for _, a := range view.AllocsByNode("n1") {
				_ = a.ClientStatus + a.Job.ID
				for _, ts := range a.TaskStates {
					_ = ts.State
				}
			}
			if j, _ := s.JobByID(nil, "default", "web"); j != nil {
				_ = j.Status
			}
		}
	}()
	for i := range 200 {
		index := uint64(4 + 2*i)
		must(t, s.UpsertAllocs(index, []*structs.Allocation{testAlloc(job, "n1", i+1)}))
		must(t, s.UpdateAllocsFromClient(index+1, []*structs.Allocation{{
			ID: first.ID, ClientStatus: structs.AllocClientStatusRunning,
			TaskStates: map[string]*structs.TaskState{"server": {State: structs.TaskStateRunning, Restarts: uint64(i)}},
		}}))
	}
	close(stop)
	<-done
	if got := len(get[[]*structs.Allocation](t)(s.AllocsByNode(nil, "n1"))); got != 201 {
		t.Errorf("got %d allocs, want 201", got)
	}
}
