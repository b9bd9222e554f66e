package server

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/droverhq/drover/server/testutil"
	"github.com/droverhq/drover/structs"
)

// TestConcurrentSchedulingStress runs four schedulers on one real server
// (Raft on disk) while jobs of many sizes are registered, scaled and
// stopped from concurrent goroutines on a cluster tight enough that
// workers race for the same nodes. Once every evaluation has settled it
// checks the safety properties over the final state.
func TestConcurrentSchedulingStress(t *testing.T) {
	if testing.Short() {
		t.Skip("stress test")
	}
	const (
		numNodes = 50
		numJobs  = 40
	)
	cfg := testConfig(t, t.TempDir())
	cfg.NumSchedulers = 4
	cfg.HeartbeatTTL, cfg.HeartbeatGrace = 10*time.Minute, time.Minute // nodes stay ready without heartbeats
	s := startServer(t, cfg)
	ctx := context.Background()

	for i := 0; i < numNodes; i++ {
		n := mockNode(int64(1024 * (1 + i%3))) // 1, 2 or 3 GiB
		if _, err := s.nodeRegister(ctx, &structs.NodeRegisterRequest{Node: n}); err != nil {
			t.Fatalf("register node %d: %v", i, err)
		}
	}

	// Demand is about 80% of the cluster's memory, in allocations of 128
	// to 768 MB, so nodes fill up while several workers place at once.
	jobs := make([]*structs.Job, numJobs)
	for i := range jobs {
		j := mockJob(1+i%8, 128*(1+i%6))
		j.ID, j.Name = fmt.Sprintf("stress-%02d", i), fmt.Sprintf("stress-%02d", i)
		if i%5 == 4 {
			j.Type = structs.JobTypeBatch
		}
		jobs[i] = j
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*numJobs)
	for i, job := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.JobRegister(ctx, &structs.JobRegisterRequest{Job: job.Copy()}); err != nil {
				errs <- fmt.Errorf("register %s: %w", job.ID, err)
				return
			}
			// Mid-way changes while the other jobs are still being placed.
			switch {
			case i%7 == 3:
				if _, err := s.JobDeregister(ctx, &structs.JobDeregisterRequest{JobID: job.ID, Namespace: job.Namespace}); err != nil {
					errs <- fmt.Errorf("stop %s: %w", job.ID, err)
				}
			case i%4 == 1:
				scaled := job.Copy()
				scaled.TaskGroups[0].Count = max(1, job.TaskGroups[0].Count+(i%3)*2-2)
				if _, err := s.JobRegister(ctx, &structs.JobRegisterRequest{Job: scaled}); err != nil {
					errs <- fmt.Errorf("scale %s: %w", job.ID, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitSettled(t, s)

	st := s.State()
	nodes, err := st.NodesList(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("no node overcommitted", func(t *testing.T) {
		for _, n := range nodes {
			allocs, err := st.AllocsByNode(nil, n.ID)
			if err != nil {
				t.Fatal(err)
			}
			if fit, dim, used, err := structs.AllocsFit(n, allocs); err != nil || !fit {
				t.Errorf("node %s: got fit=%v (%s exhausted, used %+v, err %v), want its allocs to fit", n.ID, fit, dim, used, err)
			}
		}
	})
	t.Run("no alloc placed twice", func(t *testing.T) {
		onNode := map[string]string{}
		for _, n := range nodes {
			allocs, _ := st.AllocsByNode(nil, n.ID)
			for _, a := range allocs {
				if prev, ok := onNode[a.ID]; ok {
					t.Errorf("alloc %s is on node %s and on node %s", a.ID, prev, n.ID)
				}
				onNode[a.ID] = n.ID
				if a.NodeID != n.ID {
					t.Errorf("alloc %s listed on node %s has NodeID %s", a.ID, n.ID, a.NodeID)
				}
			}
		}
		for _, job := range jobs {
			names := map[string]string{}
			for _, a := range liveJobAllocs(t, s, job) {
				if prev, ok := names[a.Name]; ok {
					t.Errorf("job %s: name %s is held by live allocs %s and %s", job.ID, a.Name, prev, a.ID)
				}
				names[a.Name] = a.ID
			}
		}
	})
	placed := 0
	t.Run("every placed count <= desired count", func(t *testing.T) {
		for _, job := range jobs {
			stored, err := st.JobByID(nil, job.Namespace, job.ID)
			if err != nil || stored == nil {
				t.Fatalf("job %s: got %v, %v; want it stored", job.ID, stored, err)
			}
			want := stored.TaskGroups[0].Count
			if stored.Stop {
				want = 0
			}
			live := liveJobAllocs(t, s, job)
			placed += len(live)
			if len(live) > want {
				t.Errorf("job %s: %d live allocs, want at most %d", job.ID, len(live), want)
			}
		}
	})
	t.Run("plan rejections were retried", func(t *testing.T) {
		submitted, rejected := s.PlanStats()
		t.Logf("%d allocs placed by %d plans, %d of them partly rejected and retried", placed, submitted, rejected)
		if rejected == 0 {
			t.Errorf("got 0 partly rejected plans out of %d, want the workers to have raced", submitted)
		}
		// An eval whose plans were rejected maxPlanAttempts times in a row
		// fails with a follow-up eval, which must have finished the work.
		evals, _ := st.EvalsList(nil, allNamespaces)
		for _, e := range evals {
			if e.Status != structs.EvalStatusFailed {
				continue
			}
			next, _ := st.EvalByID(nil, e.NextEval)
			if next == nil {
				t.Errorf("eval %s of %s failed (%s) with no follow-up eval, want it retried", e.ID, e.JobID, e.StatusDescription)
				continue
			}
			t.Logf("eval %s of %s failed (%s); follow-up %s is %s", e.ID, e.JobID, e.StatusDescription, next.ID, next.Status)
		}
	})
}

// liveJobAllocs are the job's allocations that are not terminal.
func liveJobAllocs(t *testing.T, s *Server, job *structs.Job) []*structs.Allocation {
	t.Helper()
	all, err := s.State().AllocsByJob(nil, job.Namespace, job.ID)
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

// waitSettled waits until no evaluation is pending or being processed:
// every one is complete, failed, canceled or blocked, and the broker and
// plan queue are empty.
func waitSettled(t *testing.T, s *Server) {
	t.Helper()
	testutil.WaitForTimeout(t, 60*time.Second, func() error {
		evals, err := s.State().EvalsList(nil, allNamespaces)
		if err != nil {
			return err
		}
		for _, e := range evals {
			if e.Status == structs.EvalStatusPending {
				return fmt.Errorf("eval %s of %s is pending", e.ID, e.JobID)
			}
		}
		b := s.broker.Stats()
		if n := b.TotalReady + b.TotalUnacked + b.TotalPending + b.TotalWaiting; n > 0 {
			return fmt.Errorf("broker holds %d evals", n)
		}
		if n := s.planQueue.Len(); n > 0 {
			return fmt.Errorf("plan queue holds %d plans", n)
		}
		return nil
	})
}
