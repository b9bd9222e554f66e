package planapply

import (
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/droverhq/drover/scheduler"
	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// benchState is a real state store with n mock nodes and one job.
func benchState(b *testing.B, n int) (*state.StateStore, []*structs.Node, *structs.Job, uint64) {
	b.Helper()
	st, err := state.NewStateStore()
	if err != nil {
		b.Fatal(err)
	}
	var index uint64 = 1
	nodes := make([]*structs.Node, n)
	for i := range nodes {
		nodes[i] = scheduler.MockNode()
		if err := st.UpsertNode(index, nodes[i]); err != nil {
			b.Fatal(err)
		}
		index++
	}
	job := scheduler.MockServiceJob()
	if err := st.UpsertJob(index, job); err != nil {
		b.Fatal(err)
	}
	return st, nodes, job, index + 1
}

// benchPlan places one small allocation of job on each node.
func benchPlan(nodes []*structs.Node, job *structs.Job) *structs.Plan {
	p := &structs.Plan{EvalID: structs.GenerateUUID(), Job: job, Priority: 50}
	for i, n := range nodes {
		a := alloc(structs.GenerateUUID(), n.ID, 10, 10)
		a.JobID, a.Job, a.Name = job.ID, job, fmt.Sprintf("%s.web[%d]", job.ID, i)
		p.AppendAlloc(a)
	}
	return p
}

// BenchmarkPlanApply re-checks and commits a plan of 100 placements on 100
// nodes against a real state store (no Raft: the commit is the state
// store's UpsertPlanResults, which is what every server's FSM runs).
func BenchmarkPlanApply(b *testing.B) {
	const nodesN = 100
	var (
		st    *state.StateStore
		nodes []*structs.Node
		job   *structs.Job
		index uint64
	)
	applier := NewApplier(NewQueue(), func() State { return st.Snapshot().SchedulerState() },
		func(req *structs.ApplyPlanResultsRequest) (uint64, error) {
			index++
			return index, st.UpsertPlanResults(index, req)
		}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		// A fresh store every 50 plans keeps nodes from filling up, so
		// every iteration measures a plan that fully fits.
		if i%50 == 0 {
			b.StopTimer()
			st, nodes, job, index = benchState(b, nodesN)
			b.StartTimer()
		}
		b.StopTimer()
		p := benchPlan(nodes, job)
		b.StartTimer()
		res, err := applier.Apply(p)
		if err != nil {
			b.Fatal(err)
		}
		if res.RefreshIndex != 0 || len(res.NodeAllocation) != nodesN {
			b.Fatalf("got %d nodes placed, refresh %d; want all %d", len(res.NodeAllocation), res.RefreshIndex, nodesN)
		}
	}
}
