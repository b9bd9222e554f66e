package scheduler

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/droverhq/drover/structs"
)

// mockSystemJob is MockServiceJob as a system job (count is ignored).
func mockSystemJob(typ string) *structs.Job {
	j := MockServiceJob()
	j.Type = typ
	j.ID = "mock-" + typ + "-" + structs.ShortID(structs.GenerateUUID())
	j.Name = j.ID
	j.TaskGroups[0].Count = 1
	return j
}

// liveByNode maps node ID -> the job's live allocations there.
func liveByNode(h *Harness, job *structs.Job) map[string][]*structs.Allocation {
	out := map[string][]*structs.Allocation{}
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		out[a.NodeID] = append(out[a.NodeID], a)
	}
	return out
}

// checkOnePerNode asserts that the job runs exactly one live alloc of its
// group on each node in want and none elsewhere.
func checkOnePerNode(t *testing.T, h *Harness, job *structs.Job, want []*structs.Node) {
	t.Helper()
	got := liveByNode(h, job)
	wantIDs := map[string]bool{}
	for _, n := range want {
		wantIDs[n.ID] = true
		if len(got[n.ID]) != 1 {
			t.Errorf("node %s runs %d live allocs, want 1", n.Name, len(got[n.ID]))
			continue
		}
		if a := got[n.ID][0]; a.Name != job.ID+".web[0]" {
			t.Errorf("alloc on %s is named %q, want %q", n.Name, a.Name, job.ID+".web[0]")
		}
	}
	for id, allocs := range got {
		if !wantIDs[id] {
			t.Errorf("node %s runs %d live allocs, want none", id, len(allocs))
		}
	}
}

func TestSystemOneAllocPerEligibleNode(t *testing.T) {
	tests := []struct {
		name  string
		setup func(nodes []*structs.Node, job *structs.Job)
		want  []int // indexes of the nodes that must run one alloc
	}{
		{"every ready node", func([]*structs.Node, *structs.Job) {}, []int{0, 1, 2, 3, 4}},
		{"constraint filters nodes", func(nodes []*structs.Node, job *structs.Job) {
			nodes[1].Meta["rack"], nodes[3].Meta["rack"] = "r2", "r2"
			job.Constraints = []*structs.Constraint{{LTarget: "${meta.rack}", Operand: "=", RTarget: "r1"}}
		}, []int{0, 2, 4}},
		{"unique constraint filters one node", func(nodes []*structs.Node, job *structs.Job) {
			job.TaskGroups[0].Constraints = []*structs.Constraint{{LTarget: "${node.unique.name}", Operand: "!=", RTarget: nodes[2].Name}}
		}, []int{0, 1, 3, 4}},
		{"down, ineligible and draining nodes get none", func(nodes []*structs.Node, _ *structs.Job) {
			nodes[0].Status = structs.NodeStatusDown
			nodes[1].SchedulingEligibility = structs.NodeSchedulingIneligible
			nodes[2].Drain = true
		}, []int{3, 4}},
		{"datacenters and pool", func(nodes []*structs.Node, job *structs.Job) {
			nodes[0].Datacenter = "dc2"
			nodes[1].NodePool = "gpu"
			job.Datacenters = []string{"dc1"}
		}, []int{2, 3, 4}},
		{"missing driver", func(nodes []*structs.Node, _ *structs.Job) {
			delete(nodes[4].Drivers, "exec")
		}, []int{0, 1, 2, 3}},
	}
	for _, typ := range []string{structs.JobTypeSystem, structs.JobTypeSysBatch} {
		for _, tt := range tests {
			t.Run(typ+"/"+tt.name, func(t *testing.T) {
				h, nodes := newTestHarness(t, 5)
				job := mockSystemJob(typ)
				tt.setup(nodes, job)
				h.UpsertNodes(nodes...)
				h.UpsertJob(job)
				ev := process(t, h, job)
				var want []*structs.Node
				for _, i := range tt.want {
					want = append(want, nodes[i])
				}
				checkOnePerNode(t, h, job, want)
				if ev.Status != structs.EvalStatusComplete || len(ev.FailedTGAllocs) != 0 || len(h.Created) != 0 {
					t.Errorf("eval status %q failed %v created %d, want complete, no failures, no blocked eval", ev.Status, ev.FailedTGAllocs, len(h.Created))
				}
				d := lastPlan(t, h).Annotations.DesiredTGUpdates["web"]
				if d == nil || d.Place != uint64(len(tt.want)) {
					t.Errorf("DesiredTGUpdates[web] = %+v, want Place %d", d, len(tt.want))
				}
				checkNoOvercommit(t, h)
				// Re-evaluating changes nothing.
				plans := len(h.Plans)
				process(t, h, job)
				if len(h.Plans) != plans {
					t.Errorf("re-evaluation submitted a plan: %+v", lastPlan(t, h).NodeAllocation)
				}
			})
		}
	}
}

// nodeUpdateEval is the evaluation the server creates for a system job
// when a node registers or changes.
func nodeUpdateEval(job *structs.Job, node *structs.Node) *structs.Evaluation {
	ev := MockEval(job)
	ev.TriggeredBy, ev.NodeID = structs.EvalTriggerNodeUpdate, node.ID
	return ev
}

func processEval(t *testing.T, h *Harness, ev *structs.Evaluation) *structs.Evaluation {
	t.Helper()
	if err := h.Process(ev); err != nil {
		t.Fatalf("Process: %v", err)
	}
	return lastUpdated(t, h)
}

func TestSystemFollowsNodes(t *testing.T) {
	tests := []struct {
		name string
		// change alters node 1 and returns whether the job must still run there.
		change    func(n *structs.Node)
		wantThere bool
		wantStop  string // the stopped alloc's description, "" for no stop
		wantLost  bool
	}{
		{"becomes infeasible", func(n *structs.Node) { n.Attributes["kernel.name"] = "windows" }, false, descNodeInfeasible, false},
		{"loses its driver", func(n *structs.Node) { n.Drivers["exec"].Healthy = false }, false, descNodeInfeasible, false},
		{"goes down", func(n *structs.Node) { n.Status = structs.NodeStatusDown }, false, descLost, true},
		{"marked ineligible keeps running", func(n *structs.Node) { n.SchedulingEligibility = structs.NodeSchedulingIneligible }, true, "", false},
		{"draining keeps running", func(n *structs.Node) { n.Drain = true }, true, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, nodes := newTestHarness(t, 3)
			job := mockSystemJob(structs.JobTypeSystem)
			job.Constraints = []*structs.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux"}}
			h.UpsertJob(job)
			process(t, h, job)
			checkOnePerNode(t, h, job, nodes)

			changed := *nodes[1]
			changed.Attributes = copyStrings(nodes[1].Attributes)
			changed.Drivers = map[string]*structs.DriverInfo{"exec": {Detected: true, Healthy: true}}
			tt.change(&changed)
			h.UpsertNodes(&changed)
			plans := len(h.Plans)
			processEval(t, h, nodeUpdateEval(job, &changed))
			var stopped []*structs.Allocation
			if len(h.Plans) > plans {
				stopped = stoppedIn(lastPlan(t, h))
				if placed := planned(lastPlan(t, h)); len(placed) != 0 {
					t.Errorf("placed %d allocs, want none", len(placed))
				}
			}
			if tt.wantStop == "" {
				if len(stopped) != 0 {
					t.Fatalf("stopped %d allocs, want none", len(stopped))
				}
			} else {
				if len(stopped) != 1 || stopped[0].NodeID != changed.ID || stopped[0].DesiredDescription != tt.wantStop {
					t.Fatalf("stopped %v, want one alloc on node-1 stopped with %q", stopped, tt.wantStop)
				}
				if got := stopped[0].ClientStatus == structs.AllocClientStatusLost; got != tt.wantLost {
					t.Errorf("stopped alloc client status %q, want lost=%v", stopped[0].ClientStatus, tt.wantLost)
				}
			}
			want := []*structs.Node{nodes[0], nodes[2]}
			if tt.wantThere {
				want = nodes
			}
			checkOnePerNode(t, h, job, want)
		})
	}
}

func copyStrings(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestSystemNodeJoins(t *testing.T) {
	h, nodes := newTestHarness(t, 3)
	job := mockSystemJob(structs.JobTypeSystem)
	h.UpsertJob(job)
	process(t, h, job)
	joined := MockNode()
	joined.Name = "node-new"
	h.UpsertNodes(joined)
	ev := processEval(t, h, nodeUpdateEval(job, joined))
	p := lastPlan(t, h)
	placed := planned(p)
	if len(placed) != 1 || placed[0].NodeID != joined.ID || len(stoppedIn(p)) != 0 {
		t.Fatalf("placed %d (stopped %d), want exactly one alloc on the new node", len(placed), len(stoppedIn(p)))
	}
	if d := p.Annotations.DesiredTGUpdates["web"]; d.Place != 1 || d.Ignore != 3 {
		t.Errorf("DesiredTGUpdates[web] = %+v, want Place 1 Ignore 3", d)
	}
	if ev.Status != structs.EvalStatusComplete {
		t.Errorf("eval status %q, want complete", ev.Status)
	}
	checkOnePerNode(t, h, job, append(nodes, joined))
}

func TestSystemJobUpdates(t *testing.T) {
	h, nodes := newTestHarness(t, 3)
	job := mockSystemJob(structs.JobTypeSystem)
	h.UpsertJob(job)
	process(t, h, job)

	// A priority change updates in place.
	next := *job
	next.Priority = 60
	h.UpsertJob(&next)
	process(t, h, &next)
	if d := lastPlan(t, h).Annotations.DesiredTGUpdates["web"]; d.InPlaceUpdate != 3 || d.Place != 0 || d.Stop != 0 {
		t.Errorf("after a priority change DesiredTGUpdates = %+v, want 3 in-place updates", d)
	}
	// A task change replaces on the same nodes.
	third := next
	tg := *next.TaskGroups[0]
	task := *tg.Tasks[0]
	task.Env = map[string]string{"V": "2"}
	tg.Tasks = []*structs.Task{&task}
	third.TaskGroups = []*structs.TaskGroup{&tg}
	h.UpsertJob(&third)
	process(t, h, &third)
	p := lastPlan(t, h)
	if d := p.Annotations.DesiredTGUpdates["web"]; d.DestructiveUpdate != 3 {
		t.Errorf("after a task change DesiredTGUpdates = %+v, want 3 destructive updates", d)
	}
	for _, a := range planned(p) {
		if a.PreviousAllocation == "" {
			t.Errorf("replacement %s has no PreviousAllocation", a.ID)
		}
	}
	checkOnePerNode(t, h, &third, nodes)
	// Stopping the job stops everything.
	stopped := third
	stopped.Stop = true
	h.UpsertJob(&stopped)
	process(t, h, &stopped)
	if n := len(h.LiveAllocs(job.Namespace, job.ID)); n != 0 {
		t.Errorf("%d live allocs after stop, want 0", n)
	}
}

func TestSystemDuplicatesStopped(t *testing.T) {
	h, nodes := newTestHarness(t, 2)
	job := mockSystemJob(structs.JobTypeSystem)
	h.UpsertJob(job)
	h.UpsertAllocs(MockAlloc(job, nodes[0], 0), MockAlloc(job, nodes[0], 0))
	process(t, h, job)
	checkOnePerNode(t, h, job, nodes)
}

func TestSysBatchRunsOnce(t *testing.T) {
	h, nodes := newTestHarness(t, 3)
	job := mockSystemJob(structs.JobTypeSysBatch)
	h.UpsertJob(job)
	process(t, h, job)
	checkOnePerNode(t, h, job, nodes)

	// Two runs complete, one fails: none runs again.
	for i, a := range h.LiveAllocs(job.Namespace, job.ID) {
		cp := *a
		cp.ClientStatus = []string{structs.AllocClientStatusComplete, structs.AllocClientStatusComplete, structs.AllocClientStatusFailed}[i]
		h.UpsertAllocs(&cp)
	}
	plans := len(h.Plans)
	process(t, h, job)
	if len(h.Plans) != plans {
		t.Fatalf("re-evaluation after completion submitted a plan placing %d", len(planned(lastPlan(t, h))))
	}
	// A new node gets one run.
	joined := MockNode()
	h.UpsertNodes(joined)
	processEval(t, h, nodeUpdateEval(job, joined))
	p := lastPlan(t, h)
	if placed := planned(p); len(placed) != 1 || placed[0].NodeID != joined.ID {
		t.Fatalf("placed %d, want one run on the new node", len(placed))
	}
	if d := p.Annotations.DesiredTGUpdates["web"]; d.Ignore != 3 || d.Place != 1 {
		t.Errorf("DesiredTGUpdates = %+v, want Place 1 Ignore 3", d)
	}
	// A new spec runs again everywhere it finished.
	next := *job
	tg := *job.TaskGroups[0]
	task := *tg.Tasks[0]
	task.Env = map[string]string{"V": "2"}
	tg.Tasks = []*structs.Task{&task}
	next.TaskGroups = []*structs.TaskGroup{&tg}
	h.UpsertJob(&next)
	process(t, h, &next)
	p = lastPlan(t, h)
	if d := p.Annotations.DesiredTGUpdates["web"]; len(planned(p)) != 4 || d.Place != 3 || d.DestructiveUpdate != 1 {
		t.Errorf("after a spec change placed %d (%+v), want 4: the 3 finished nodes run again, the running one is replaced", len(planned(p)), d)
	}
}

func TestSystemFailedPlacementNoBlockedEval(t *testing.T) {
	h, nodes := newTestHarness(t, 3)
	nodes[0].NodeResources.Memory.MemoryMB = 100
	h.UpsertNodes(nodes...)
	job := mockSystemJob(structs.JobTypeSystem)
	h.UpsertJob(job)
	ev := process(t, h, job)
	checkOnePerNode(t, h, job, nodes[1:])
	m := ev.FailedTGAllocs["web"]
	if m == nil || m.DimensionExhausted[structs.DimensionMemory] != 1 || m.NodesExhausted != 1 {
		t.Fatalf("FailedTGAllocs[web] = %+v, want one node exhausted on memory", m)
	}
	if ev.QueuedAllocations["web"] != 1 || len(h.Created) != 0 || ev.BlockedEval != "" {
		t.Errorf("queued %d created %d blocked %q, want 1 queued and no blocked eval", ev.QueuedAllocations["web"], len(h.Created), ev.BlockedEval)
	}
}

func TestSystemManyNodes(t *testing.T) {
	h, nodes := newTestHarness(t, 300)
	for i, n := range nodes {
		n.Meta["rack"] = fmt.Sprintf("r%d", i%3)
	}
	h.UpsertNodes(nodes...)
	job := mockSystemJob(structs.JobTypeSystem)
	job.Constraints = []*structs.Constraint{{LTarget: "${meta.rack}", Operand: "!=", RTarget: "r0"}}
	h.UpsertJob(job)
	process(t, h, job)
	var want []*structs.Node
	for i, n := range nodes {
		if i%3 != 0 {
			want = append(want, n)
		}
	}
	checkOnePerNode(t, h, job, want)
}

// TestPropertySystemWithPreemption runs random service and batch jobs of
// random priorities and system jobs on random clusters that change between
// evaluations, and checks after every evaluation that:
//   - no node is overcommitted and the applier never rejected a placement;
//   - no node runs two live allocations of one system group;
//   - every system group runs on every ready node it is feasible for and
//     fits on (or preempts its way onto), and nowhere else;
//   - no preemption evicts an allocation within 10 priority of the placer.
func TestPropertySystemWithPreemption(t *testing.T) {
	cases := 30
	if testing.Short() {
		cases = 8
	}
	for c := 0; c < cases; c++ {
		seed := int64(c + 100)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			h, _ := newTestHarness(t, 0)
			h.Seed = seed
			if rng.Intn(2) == 0 {
				h.SetSchedulerConfig(&structs.SchedulerConfiguration{PreemptionConfig: structs.PreemptionConfig{
					SystemSchedulerEnabled: true, ServiceSchedulerEnabled: true, BatchSchedulerEnabled: true}})
			}
			nodes := make([]*structs.Node, 5+rng.Intn(30))
			for i := range nodes {
				nodes[i] = randomNode(rng, i)
			}
			h.UpsertNodes(nodes...)
			for step := 0; step < 10; step++ {
				var job *structs.Job
				switch rng.Intn(3) {
				case 0:
					job = mockSystemJob([]string{structs.JobTypeSystem, structs.JobTypeSysBatch}[rng.Intn(2)])
					job.TaskGroups[0].Tasks[0].Resources = &structs.Resources{CPU: 100 + rng.Intn(1500), MemoryMB: 64 + rng.Intn(2000)}
					if rng.Intn(3) == 0 {
						job.Constraints = []*structs.Constraint{{LTarget: "${meta.rack}", Operand: "!=", RTarget: "r1"}}
					}
				default:
					job = randomJob(rng)
				}
				job.Priority = 10 + rng.Intn(90)
				if rng.Intn(4) == 0 {
					n := *nodes[rng.Intn(len(nodes))]
					n.Status = []string{structs.NodeStatusDown, structs.NodeStatusReady}[rng.Intn(2)]
					h.UpsertNodes(&n)
				}
				h.UpsertJob(job)
				plans := len(h.Plans)
				if err := h.Process(MockEval(job)); err != nil {
					t.Fatalf("step %d: Process: %v", step, err)
				}
				checkNoOvercommit(t, h)
				for i, r := range h.Results {
					if r.RefreshIndex != 0 {
						t.Fatalf("plan %d partly rejected by the applier's fit check", i)
					}
				}
				for _, p := range h.Plans[plans:] {
					for _, allocs := range p.NodePreemptions {
						for _, v := range allocs {
							if !structs.CanPreempt(p.Job.Priority, v.Job.Priority) {
								t.Fatalf("job of priority %d preempted an alloc of priority %d", p.Job.Priority, v.Job.Priority)
							}
						}
					}
				}
				if job.Type == structs.JobTypeSystem {
					for id, allocs := range liveByNode(h, job) {
						if len(allocs) > 1 {
							t.Fatalf("node %s runs %d live allocs of system job %s", id, len(allocs), job.ID)
						}
					}
				}
			}
		})
	}
}

func TestSystemFailedAllocReplacedOnItsNode(t *testing.T) {
	h, nodes := newTestHarness(t, 2)
	job := mockSystemJob(structs.JobTypeSystem)
	h.UpsertJob(job)
	process(t, h, job)
	failed := *liveByNode(h, job)[nodes[0].ID][0]
	failed.ClientStatus = structs.AllocClientStatusFailed
	h.UpsertAllocs(&failed)
	process(t, h, job)
	placed := planned(lastPlan(t, h))
	if len(placed) != 1 || placed[0].NodeID != nodes[0].ID || placed[0].PreviousAllocation != failed.ID {
		t.Fatalf("placed %+v, want one replacement on node-0 linked to the failed alloc", placed)
	}
	checkOnePerNode(t, h, job, nodes)
}
