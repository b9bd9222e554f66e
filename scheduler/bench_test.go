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
				n.ComputeClass()
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

// benchSystemCluster is 5,000 nodes (4,000 MHz / 8 GiB) of which a tenth
// already run a low-priority service alloc, and a system job of 100 MHz /
// 128 MB.
func benchSystemCluster(nodes int) (*MemState, *structs.Job) {
	state, _ := benchCluster(nodes, 0, false)
	job := MockServiceJob()
	job.ID, job.Name, job.Type = "bench-system", "bench-system", structs.JobTypeSystem
	job.JobModifyIndex = 1
	tg := job.TaskGroups[0]
	tg.Count, tg.EphemeralDisk.SizeMB = 1, 0
	tg.Tasks[0].Resources = &structs.Resources{CPU: 100, MemoryMB: 128}
	tg.Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "metrics"}}}}
	return NewMemState(10, state.nodes, []*structs.Job{job}, nil, nil), job
}

// BenchmarkSystemPlacement5000Nodes: one evaluation of a system job over
// 5,000 nodes. "register" places on every node; "steady" re-evaluates
// with all 5,000 allocations in place (what a node-update eval costs when
// nothing changed); "node-joins" is the node-update evaluation after one
// node joined.
func BenchmarkSystemPlacement5000Nodes(b *testing.B) {
	const nodes = 5000
	b.Run("register", func(b *testing.B) {
		state, job := benchSystemCluster(nodes)
		runSystem(b, state, MockEval(job), nodes)
	})
	state, job := benchSystemCluster(nodes)
	var allocs []*structs.Allocation
	for _, n := range state.nodes {
		a := MockAlloc(job, n, 0)
		a.Job = job
		allocs = append(allocs, a)
	}
	b.Run("steady", func(b *testing.B) {
		st := NewMemState(11, state.nodes, []*structs.Job{job}, allocs, nil)
		runSystem(b, st, MockEval(job), 0)
	})
	b.Run("node-joins", func(b *testing.B) {
		joined := MockNode()
		st := NewMemState(12, append(append([]*structs.Node(nil), state.nodes...), joined), []*structs.Job{job}, allocs, nil)
		ev := MockEval(job)
		ev.TriggeredBy, ev.NodeID = structs.EvalTriggerNodeUpdate, joined.ID
		runSystem(b, st, ev, 1)
	})
}

func runSystem(b *testing.B, state *MemState, ev *structs.Evaluation, want int) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := &acceptPlanner{}
		if err := NewSystemScheduler(nil, state, p).Process(ev); err != nil {
			b.Fatal(err)
		}
		if p.placed != want {
			b.Fatalf("placed %d, want %d", p.placed, want)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/eval")
}

// BenchmarkClassCache5000Nodes measures the per-class feasibility cache:
// 5,000 nodes in 12 classes, a service job of 10,000 instances with
// version, regexp and set constraints (the kind that cost per node), with
// the cache on and off; and a system job with the same constraints.
func BenchmarkClassCache5000Nodes(b *testing.B) {
	state, job := benchCluster(5000, 10000, false)
	for i, n := range state.nodes {
		n.Attributes["kernel.version"] = []string{"5.15.0", "6.1.2", "6.8.0"}[i%3]
		n.Meta["rack"] = fmt.Sprintf("r%d", i%4)
		n.ComputeClass()
	}
	cons := []*structs.Constraint{
		{LTarget: "${attr.kernel.version}", Operand: structs.ConstraintVersion, RTarget: ">= 5.10, < 7"},
		{LTarget: "${attr.os.name}", Operand: structs.ConstraintRegex, RTarget: "^(ubuntu|debian)$"},
		{LTarget: "${meta.rack}", Operand: structs.ConstraintSetContainsAny, RTarget: "r0,r1,r2,r3"},
	}
	job.Constraints = cons
	sysJob := MockServiceJob()
	sysJob.ID, sysJob.Type, sysJob.Constraints = "bench-system", structs.JobTypeSystem, cons
	sysJob.TaskGroups[0].Tasks[0].Resources = &structs.Resources{CPU: 100, MemoryMB: 128}
	st := NewMemState(10, state.nodes, []*structs.Job{job, sysJob}, nil, nil)
	for _, noCache := range []bool{false, true} {
		name := "cache=on"
		if noCache {
			name = "cache=off"
		}
		b.Run("service/"+name, func(b *testing.B) {
			b.ReportAllocs()
			placed := 0
			for i := 0; i < b.N; i++ {
				p := &acceptPlanner{}
				s := newGenericScheduler(nil, st, p, structs.JobTypeService)
				s.noClassCache = noCache
				if err := s.Process(MockEval(job)); err != nil {
					b.Fatal(err)
				}
				placed += p.placed
			}
			b.ReportMetric(float64(placed)/b.Elapsed().Seconds(), "placements/s")
		})
		b.Run("system/"+name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				p := &acceptPlanner{}
				s := newGenericScheduler(nil, st, p, structs.JobTypeSystem)
				s.noClassCache = noCache
				if err := s.Process(MockEval(sysJob)); err != nil {
					b.Fatal(err)
				}
				if p.placed != 5000 {
					b.Fatalf("placed %d, want 5000", p.placed)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/eval")
		})
	}
}

// BenchmarkPreemption5000Nodes: 5,000 nodes full of priority-20 allocs
// (4 of 1,000 MHz / 2 GiB each), and a priority-80 service job of 5,000
// instances of 500 MHz / 256 MB with service preemption on: every
// placement must evict (one eviction makes room for two instances).
func BenchmarkPreemption5000Nodes(b *testing.B) {
	state, _ := benchCluster(5000, 0, false)
	low := MockServiceJob()
	low.Priority = 20
	var allocs []*structs.Allocation
	for _, n := range state.nodes {
		for i := 0; i < 4; i++ {
			a := MockAlloc(low, n, i)
			a.AllocatedResources.Tasks["web"].Cpu.CpuShares = 1000
			a.AllocatedResources.Tasks["web"].Memory.MemoryMB = 2048
			a.AllocatedResources.Shared.DiskMB = 0
			allocs = append(allocs, a)
		}
	}
	job := MockServiceJob()
	job.Priority, job.JobModifyIndex = 80, 1
	job.TaskGroups[0].Count = 5000
	job.TaskGroups[0].EphemeralDisk.SizeMB = 0
	job.TaskGroups[0].Tasks[0].Resources = &structs.Resources{CPU: 500, MemoryMB: 256}
	st := NewMemState(10, state.nodes, []*structs.Job{low, job}, allocs, nil).WithSchedulerConfig(
		&structs.SchedulerConfiguration{PreemptionConfig: structs.PreemptionConfig{ServiceSchedulerEnabled: true}})
	b.ReportAllocs()
	b.ResetTimer()
	placed := 0
	for i := 0; i < b.N; i++ {
		p := &acceptPlanner{}
		if err := NewServiceScheduler(nil, st, p).Process(MockEval(job)); err != nil {
			b.Fatal(err)
		}
		if p.placed != 5000 {
			b.Fatalf("placed %d, want 5000", p.placed)
		}
		placed += p.placed
	}
	b.ReportMetric(float64(placed)/b.Elapsed().Seconds(), "placements/s")
}

// BenchmarkServicePlacementSpreadUnique spreads over ${node.unique.name}:
// one spread bucket per node, the worst case for bucket ranking.
func BenchmarkServicePlacementSpreadUnique(b *testing.B) {
	state, job := benchCluster(1000, 10000, false)
	job.Spreads = []*structs.Spread{{Attribute: "${node.unique.name}", Weight: 100}}
	runPlacement(b, state, job, 10000)
}
