package scheduler

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/droverhq/drover/structs"
)

// randomNode is a node of random size, datacenter and reserved ports.
func randomNode(rng *rand.Rand, i int) *structs.Node {
	n := MockNode()
	n.Name = fmt.Sprintf("node-%d", i)
	n.Datacenter = []string{"dc1", "dc2", "eu-1"}[rng.Intn(3)]
	n.NodeResources.Cpu.CpuShares = int64(500 + rng.Intn(8000))
	n.NodeResources.Memory.MemoryMB = int64(512 + rng.Intn(16384))
	n.NodeResources.Disk.DiskMB = int64(1000 + rng.Intn(20000))
	n.NodeResources.MinDynamicPort, n.NodeResources.MaxDynamicPort = 20000, 20000+rng.Intn(8)
	n.ReservedResources = &structs.NodeReservedResources{
		Cpu: structs.NodeCpuResources{CpuShares: int64(rng.Intn(300))}, Memory: structs.NodeMemoryResources{MemoryMB: int64(rng.Intn(512))},
		Networks: structs.NodeReservedNetworkResources{ReservedHostPorts: "22,20001"},
	}
	if rng.Intn(10) == 0 {
		n.Status = structs.NodeStatusDown
	}
	n.Meta["rack"] = fmt.Sprintf("r%d", rng.Intn(4))
	return n
}

// randomJob is a service or batch job with 1-2 groups of random size,
// ports and constraints.
func randomJob(rng *rand.Rand) *structs.Job {
	job := MockServiceJob()
	if rng.Intn(3) == 0 {
		job.Type = structs.JobTypeBatch
	}
	job.Datacenters = [][]string{nil, {"dc1"}, {"dc*"}, {"eu-1", "dc2"}}[rng.Intn(4)]
	groups := 1 + rng.Intn(2)
	job.TaskGroups = nil
	for g := 0; g < groups; g++ {
		tg := MockServiceJob().TaskGroups[0]
		tg.Name = fmt.Sprintf("g%d", g)
		tg.Count = rng.Intn(30)
		tg.EphemeralDisk.SizeMB = rng.Intn(2000)
		tg.Tasks[0].Resources = &structs.Resources{CPU: 50 + rng.Intn(2000), MemoryMB: 32 + rng.Intn(4000)}
		switch rng.Intn(4) {
		case 0:
			tg.Networks = []*structs.NetworkResource{{DynamicPorts: []structs.Port{{Label: "http"}}}}
		case 1:
			tg.Networks = []*structs.NetworkResource{{ReservedPorts: []structs.Port{{Label: "admin", Value: 9000 + rng.Intn(3)}}}}
		}
		switch rng.Intn(5) {
		case 0:
			tg.Constraints = []*structs.Constraint{{Operand: structs.ConstraintDistinctHosts}}
		case 1:
			tg.Constraints = []*structs.Constraint{{LTarget: "${meta.rack}", RTarget: "r0", Operand: "!="}}
		case 2:
			tg.Constraints = []*structs.Constraint{{LTarget: "${meta.rack}", RTarget: "3", Operand: structs.ConstraintDistinctProperty}}
		}
		job.TaskGroups = append(job.TaskGroups, tg)
	}
	return job
}

// TestPropertyNoOvercommitNoDuplicates schedules random jobs on random
// clusters, with count changes, spec changes, node failures and client
// failures between evaluations, and checks after every evaluation that:
//   - no node is overcommitted (cpu, memory, disk, ports: structs.AllocsFit);
//   - no two live allocations of a job share a name;
//   - no group runs more live allocations than its count;
//   - the plan applier never had to reject a placement (the scheduler's own
//     bookkeeping matches the applier's check).
func TestPropertyNoOvercommitNoDuplicates(t *testing.T) {
	cases := 40
	if testing.Short() {
		cases = 10
	}
	for c := 0; c < cases; c++ {
		seed := int64(c + 1)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			h, _ := newTestHarness(t, 0)
			h.Seed = seed
			nodes := make([]*structs.Node, 5+rng.Intn(40))
			for i := range nodes {
				nodes[i] = randomNode(rng, i)
			}
			h.UpsertNodes(nodes...)
			var jobs []*structs.Job
			for step := 0; step < 12; step++ {
				job := mutateCluster(rng, h, nodes, jobs)
				if job == nil {
					job = randomJob(rng)
					jobs = append(jobs, job)
				}
				h.UpsertJob(job)
				if err := h.Process(MockEval(job)); err != nil {
					t.Fatalf("step %d: Process: %v", step, err)
				}
				checkInvariants(t, h, job)
				runFollowUps(t, h, jobs)
			}
			placed, stopped, blocked := 0, 0, len(h.Created)
			for _, p := range h.Plans {
				placed += len(planned(p))
				stopped += len(stoppedIn(p))
			}
			t.Logf("placed %d stopped %d blocked %d plans %d", placed, stopped, blocked, len(h.Plans))
		})
	}
}

// mutateCluster makes a random change and returns a new version of an
// existing job to evaluate, or nil to register a new job.
func mutateCluster(rng *rand.Rand, h *Harness, nodes []*structs.Node, jobs []*structs.Job) *structs.Job {
	if len(jobs) == 0 || rng.Intn(3) == 0 {
		return nil
	}
	job := jobs[rng.Intn(len(jobs))]
	next := *job
	next.TaskGroups = nil
	for _, tg := range job.TaskGroups {
		cp := *tg
		next.TaskGroups = append(next.TaskGroups, &cp)
	}
	switch rng.Intn(5) {
	case 0:
		next.TaskGroups[0].Count = rng.Intn(40)
	case 1:
		task := *next.TaskGroups[0].Tasks[0]
		task.Env = map[string]string{"V": fmt.Sprint(rng.Int())}
		next.TaskGroups[0].Tasks = []*structs.Task{&task}
	case 2:
		down := *nodes[rng.Intn(len(nodes))]
		down.Status = structs.NodeStatusDown
		h.UpsertNodes(&down)
	case 3:
		live := h.LiveAllocs(job.Namespace, job.ID)
		for _, a := range live {
			if rng.Intn(3) == 0 {
				cp := *a
				cp.ClientStatus = []string{structs.AllocClientStatusFailed, structs.AllocClientStatusComplete}[rng.Intn(2)]
				finished := testNow.Add(-time.Duration(rng.Intn(60)) * time.Second)
				cp.TaskStates = map[string]*structs.TaskState{"web": {State: structs.TaskStateDead, FinishedAt: finished}}
				h.UpsertAllocs(&cp)
			}
		}
	case 4:
		next.Stop = rng.Intn(4) == 0
	}
	for i, j := range jobs {
		if j == job {
			jobs[i] = &next
		}
	}
	return &next
}

func checkInvariants(t *testing.T, h *Harness, job *structs.Job) {
	t.Helper()
	checkNoOvercommit(t, h)
	checkUniqueNames(t, h, job)
	perGroup := map[string]int{}
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		perGroup[a.TaskGroup]++
	}
	for _, tg := range job.TaskGroups {
		want := tg.Count
		if job.Stop {
			want = 0
		}
		if perGroup[tg.Name] > want {
			t.Fatalf("group %s runs %d live allocs, count is %d", tg.Name, perGroup[tg.Name], want)
		}
	}
	for i, r := range h.Results {
		if r.RefreshIndex != 0 {
			t.Fatalf("plan %d was partly rejected by the applier's fit check: the scheduler overcommitted", i)
		}
	}
}

// runFollowUps processes the delayed-reschedule evaluations created so far,
// as the broker would once they are due, and checks the invariants again.
func runFollowUps(t *testing.T, h *Harness, jobs []*structs.Job) {
	t.Helper()
	for _, e := range append([]*structs.Evaluation(nil), h.Created...) {
		if e.TriggeredBy != structs.EvalTriggerRetryFailedAlloc || h.Eval(e.ID).Status != structs.EvalStatusPending {
			continue
		}
		if err := h.Process(e); err != nil {
			t.Fatalf("follow-up eval: %v", err)
		}
		for _, j := range jobs {
			if j.ID == e.JobID {
				checkInvariants(t, h, j)
			}
		}
	}
}
