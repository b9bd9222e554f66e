package scheduler

import (
	"sort"
	"testing"

	"github.com/droverhq/drover/structs"
)

// lowJob returns a service job of the given priority whose allocations
// use cpu MHz and mem MB each.
func lowJob(priority int) *structs.Job {
	j := MockServiceJob()
	j.Priority = priority
	j.TaskGroups[0].EphemeralDisk = nil
	return j
}

// allocOf is an allocation of job on node using cpu MHz and mem MB.
func allocOf(job *structs.Job, node *structs.Node, i int, cpu, mem int64) *structs.Allocation {
	a := MockAlloc(job, node, i)
	a.AllocatedResources.Tasks["web"].Cpu.CpuShares = cpu
	a.AllocatedResources.Tasks["web"].Memory.MemoryMB = mem
	return a
}

func sortedIDs(allocs []*structs.Allocation) []string {
	var out []string
	for _, a := range allocs {
		out = append(out, a.ID)
	}
	sort.Strings(out)
	return out
}

func preempted(p *structs.Plan) []*structs.Allocation {
	var out []*structs.Allocation
	for _, allocs := range p.NodePreemptions {
		out = append(out, allocs...)
	}
	return out
}

func TestPreemption(t *testing.T) {
	type existing struct {
		priority int
		cpu, mem int64
	}
	tests := []struct {
		name    string
		jobType string
		config  *structs.SchedulerConfiguration
		ask     structs.Resources
		on      []existing // on a 4,000 MHz / 8,192 MB node
		want    []int      // indexes into on that are evicted; nil = no placement
		placed  bool
	}{
		{
			name: "system evicts one lower-priority alloc", jobType: structs.JobTypeSystem,
			ask:  structs.Resources{CPU: 500, MemoryMB: 256},
			on:   []existing{{20, 1000, 2048}, {20, 1000, 2048}, {20, 1000, 2048}, {20, 1000, 2048}},
			want: []int{0}, placed: true,
		},
		{
			name: "lowest priority tier first", jobType: structs.JobTypeSystem,
			ask:  structs.Resources{CPU: 1000, MemoryMB: 256},
			on:   []existing{{10, 500, 100}, {30, 3000, 100}, {10, 500, 100}},
			want: []int{0, 2}, placed: true,
		},
		{
			name: "fewest within a tier", jobType: structs.JobTypeSystem,
			ask:  structs.Resources{CPU: 1000, MemoryMB: 256},
			on:   []existing{{10, 250, 100}, {10, 250, 100}, {10, 250, 100}, {10, 250, 100}, {10, 1000, 100}, {45, 2000, 100}},
			want: []int{4}, placed: true,
		},
		{
			name: "memory dimension, pruned to what is needed", jobType: structs.JobTypeSystem,
			ask:  structs.Resources{CPU: 100, MemoryMB: 3000},
			on:   []existing{{20, 100, 1000}, {20, 100, 4000}, {20, 100, 3192}},
			want: []int{1}, placed: true,
		},
		{
			name: "never within 10 of the job's priority", jobType: structs.JobTypeSystem,
			ask: structs.Resources{CPU: 500, MemoryMB: 256},
			on:  []existing{{41, 2000, 100}, {50, 2000, 100}},
		},
		{
			name: "never a higher priority", jobType: structs.JobTypeSystem,
			ask: structs.Resources{CPU: 500, MemoryMB: 256},
			on:  []existing{{90, 4000, 100}},
		},
		{
			name: "not enough even after evicting all it may", jobType: structs.JobTypeSystem,
			ask: structs.Resources{CPU: 2000, MemoryMB: 256},
			on:  []existing{{10, 1000, 100}, {60, 3000, 100}},
		},
		{
			name: "off for service jobs by default", jobType: structs.JobTypeService,
			ask: structs.Resources{CPU: 500, MemoryMB: 256},
			on:  []existing{{20, 4000, 100}},
		},
		{
			name: "service jobs when enabled", jobType: structs.JobTypeService,
			config: &structs.SchedulerConfiguration{PreemptionConfig: structs.PreemptionConfig{ServiceSchedulerEnabled: true}},
			ask:    structs.Resources{CPU: 500, MemoryMB: 256},
			on:     []existing{{20, 2000, 100}, {20, 2000, 100}},
			want:   []int{0}, placed: true,
		},
		{
			name: "off for system jobs when disabled", jobType: structs.JobTypeSystem,
			config: &structs.SchedulerConfiguration{},
			ask:    structs.Resources{CPU: 500, MemoryMB: 256},
			on:     []existing{{20, 4000, 100}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, nodes := newTestHarness(t, 1)
			h.SetSchedulerConfig(tt.config)
			var on []*structs.Allocation
			for i, e := range tt.on {
				j := lowJob(e.priority)
				h.UpsertJob(j)
				on = append(on, allocOf(j, nodes[0], i, e.cpu, e.mem))
			}
			h.UpsertAllocs(on...)
			job := mockSystemJob(tt.jobType)
			job.Priority = 50
			job.TaskGroups[0].EphemeralDisk = nil
			job.TaskGroups[0].Tasks[0].Resources = &tt.ask
			h.UpsertJob(job)
			ev := process(t, h, job)

			live := h.LiveAllocs(job.Namespace, job.ID)
			if got := len(live) == 1; got != tt.placed {
				t.Fatalf("placed = %v (%d live), want %v; failures %v", got, len(live), tt.placed, ev.FailedTGAllocs)
			}
			if !tt.placed {
				for _, p := range h.Plans {
					if len(p.NodePreemptions) != 0 {
						t.Fatalf("plan preempted %d allocs, want none", len(preempted(p)))
					}
				}
				if ev.FailedTGAllocs["web"] == nil {
					t.Errorf("FailedTGAllocs = %v, want a failure for web", ev.FailedTGAllocs)
				}
				return
			}
			p := lastPlan(t, h)
			var want []*structs.Allocation
			for _, i := range tt.want {
				want = append(want, on[i])
			}
			got := preempted(p)
			if g, w := sortedIDs(got), sortedIDs(want); len(g) != len(w) || (len(g) > 0 && g[0] != w[0]) || (len(g) > 1 && g[1] != w[1]) {
				t.Fatalf("preempted %v, want %v", g, w)
			}
			placed := live[0]
			if g, w := len(placed.PreemptedAllocations), len(want); g != w {
				t.Errorf("PreemptedAllocations has %d IDs, want %d", g, w)
			}
			for _, v := range got {
				if v.DesiredStatus != structs.AllocDesiredStatusEvict || v.PreemptedByAllocation != placed.ID {
					t.Errorf("preempted alloc = status %q by %q, want evict by %s", v.DesiredStatus, v.PreemptedByAllocation, placed.ID)
				}
			}
			if d := p.Annotations.DesiredTGUpdates["web"]; d.Preemptions != uint64(len(want)) {
				t.Errorf("DesiredTGUpdates.Preemptions = %d, want %d", d.Preemptions, len(want))
			}
			checkNoOvercommit(t, h)
		})
	}
}

func TestPreemptionFreesStaticPort(t *testing.T) {
	h, nodes := newTestHarness(t, 1)
	low := lowJob(20)
	h.UpsertJob(low)
	holder := allocOf(low, nodes[0], 0, 100, 100)
	holder.AllocatedResources.Shared.Ports = []structs.AllocatedPortMapping{{Label: "http", Value: 80}}
	other := allocOf(low, nodes[0], 1, 3000, 100)
	h.UpsertAllocs(holder, other)
	job := mockSystemJob(structs.JobTypeSystem)
	job.TaskGroups[0].Networks = []*structs.NetworkResource{{ReservedPorts: []structs.Port{{Label: "http", Value: 80}}}}
	h.UpsertJob(job)
	process(t, h, job)
	got := preempted(lastPlan(t, h))
	if len(got) != 1 || got[0].ID != holder.ID {
		t.Fatalf("preempted %v, want only the holder of port 80", sortedIDs(got))
	}
	checkNoOvercommit(t, h)
}

// Service preemption picks, across nodes, the one whose evictions cost
// least.
func TestServicePreemptionPicksCheapestNode(t *testing.T) {
	h, nodes := newTestHarness(t, 3)
	h.SetSchedulerConfig(&structs.SchedulerConfiguration{PreemptionConfig: structs.PreemptionConfig{ServiceSchedulerEnabled: true}})
	var allocs []*structs.Allocation
	for i, prio := range []int{30, 10, 25} {
		j := lowJob(prio)
		h.UpsertJob(j)
		allocs = append(allocs, allocOf(j, nodes[i], 0, 4000, 100))
	}
	h.UpsertAllocs(allocs...)
	job := lowJob(80)
	job.TaskGroups[0].Count = 1
	job.TaskGroups[0].Tasks[0].Resources = &structs.Resources{CPU: 1000, MemoryMB: 100}
	h.UpsertJob(job)
	process(t, h, job)
	got := preempted(lastPlan(t, h))
	if len(got) != 1 || got[0].ID != allocs[1].ID {
		t.Fatalf("preempted %v, want the priority-10 alloc on node-1", sortedIDs(got))
	}
	checkNoOvercommit(t, h)
}
