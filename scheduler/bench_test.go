package scheduler

import (
	"fmt"
	"testing"

	"github.com/droverhq/drover/structs"
)

// acceptPlanner accepts every plan in full and records nothing, so that a
// benchmark measures the scheduler alone.
type acceptPlanner struct{ placed int }

func (p *acceptPlanner) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, State, error) {
	for _, allocs := range plan.NodeAllocation {
		p.placed += len(allocs)
	}
	return &structs.PlanResult{NodeAllocation: plan.NodeAllocation, NodeUpdate: plan.NodeUpdate}, nil, nil
}
func (p *acceptPlanner) UpdateEval(*structs.Evaluation) error  { return nil }
func (p *acceptPlanner) CreateEval(*structs.Evaluation) error  { return nil }
func (p *acceptPlanner) ReblockEval(*structs.Evaluation) error { return nil }

// benchCluster is the setup of Nomad's measurement in
// notes/nomad-reference.md: nodes of 4,000 MHz / 8 GiB, one service job
// whose instances ask 100 MHz / 128 MB.
func benchCluster(nodes, count int, ports bool) (*MemState, *structs.Job) {
	ns := make([]*structs.Node, nodes)
	for i := range ns {
		ns[i] = MockNode()
		ns[i].NodeResources.Memory.MemoryMB = 8192
	}
	job := MockServiceJob()
	job.JobModifyIndex = 1
	tg := job.TaskGroups[0]
	tg.Count = count
	tg.EphemeralDisk.SizeMB = 0
	tg.Tasks[0].Resources = &structs.Resources{CPU: 100, MemoryMB: 128}
	if ports {
		tg.Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "http"}}}}
	}
	return NewMemState(10, ns, []*structs.Job{job}, nil, nil), job
}

// benchPlacement runs one full evaluation (reconcile, feasibility, ranking,
// plan) per iteration on an empty cluster and reports placements/s.
func benchPlacement(b *testing.B, nodes, count int, ports bool) {
	state, job := benchCluster(nodes, count, ports)
	runPlacement(b, state, job, count)
}

func runPlacement(b *testing.B, state *MemState, job *structs.Job, count int) {
	b.ReportAllocs()
	b.ResetTimer()
	placed := 0
	for i := 0; i < b.N; i++ {
		p := &acceptPlanner{}
		s := NewServiceScheduler(nil, state, p)
		if err := s.Process(MockEval(job)); err != nil {
			b.Fatal(err)
		}
		if p.placed != count {
			b.Fatalf("placed %d, want %d", p.placed, count)
		}
		placed += p.placed
	}
	b.ReportMetric(float64(placed)/b.Elapsed().Seconds(), "placements/s")
}

func BenchmarkServicePlacement1000Nodes(b *testing.B) {
	for _, count := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("allocs=%d", count), func(b *testing.B) { benchPlacement(b, 1000, count, false) })
	}
	b.Run("allocs=10000/ports", func(b *testing.B) { benchPlacement(b, 1000, 10000, true) })
}

func BenchmarkServicePlacement5000Nodes(b *testing.B) {
	for _, count := range []int{10000, 50000} {
		b.Run(fmt.Sprintf("allocs=%d", count), func(b *testing.B) { benchPlacement(b, 5000, count, false) })
	}
}

// BenchmarkServicePlacementSpread3DC is Nomad's "spread over 3
// datacenters" case: nodes split over dc1..dc3 and a spread block on
// ${node.datacenter}, which makes every placement score every node.
func BenchmarkServicePlacementSpread3DC(b *testing.B) {
	for _, tc := range []struct{ nodes, count int }{{100, 1000}, {1000, 10000}} {
		b.Run(fmt.Sprintf("nodes=%d/allocs=%d", tc.nodes, tc.count), func(b *testing.B) {
			state, job := benchCluster(tc.nodes, tc.count, false)
			for i, n := range state.nodes {
				n.Datacenter = fmt.Sprintf("dc%d", i%3+1)
			}
			job.Datacenters = []string{"dc1", "dc2", "dc3"}
			job.Spreads = []*structs.Spread{{Attribute: "${node.datacenter}", Weight: 100}}
			runPlacement(b, state, job, tc.count)
		})
	}
}

func BenchmarkServicePlacement100Nodes(b *testing.B) {
	b.Run("allocs=1000", func(b *testing.B) { benchPlacement(b, 100, 1000, false) })
}

// BenchmarkReconcileSteadyState measures an evaluation of a job whose 10,000
// allocations are all up to date: the cost of deciding to do nothing.
func BenchmarkReconcileSteadyState(b *testing.B) {
	state, job := benchCluster(1000, 10000, false)
	var allocs []*structs.Allocation
	for i := 0; i < 10000; i++ {
		allocs = append(allocs, MockAlloc(job, state.nodes[i%1000], i))
	}
	state = NewMemState(11, state.nodes, []*structs.Job{job}, allocs, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := &acceptPlanner{}
		if err := NewServiceScheduler(nil, state, p).Process(MockEval(job)); err != nil {
			b.Fatal(err)
		}
	}
}
