package scheduler

import (
	"fmt"
	"testing"

	"github.com/droverhq/drover/structs"
)

// perDC counts a job's live allocations per datacenter.
func perDC(h *Harness, job *structs.Job) map[string]int {
	st := h.State()
	out := map[string]int{}
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		out[st.NodeByID(a.NodeID).Datacenter]++
	}
	return out
}

func TestSpread(t *testing.T) {
	tests := []struct {
		name    string
		count   int
		targets []*structs.SpreadTarget
		want    map[string]int
	}{
		{name: "even", count: 9, want: map[string]int{"dc1": 3, "dc2": 3, "dc3": 3}},
		{name: "even uneven count", count: 10, want: nil}, // checked below: 3 or 4 each
		{name: "targets", count: 10, targets: []*structs.SpreadTarget{{Value: "dc1", Percent: 70}, {Value: "dc2", Percent: 30}},
			want: map[string]int{"dc1": 7, "dc2": 3}},
		{name: "target with rest", count: 10, targets: []*structs.SpreadTarget{{Value: "dc1", Percent: 50}},
			want: nil}, // dc1 5, dc2+dc3 5
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, nodes := newTestHarness(t, 12)
			for i, n := range nodes {
				n.Datacenter = fmt.Sprintf("dc%d", i%3+1)
			}
			h.UpsertNodes(nodes...)
			job := MockServiceJob()
			job.Datacenters = []string{"*"}
			job.TaskGroups[0].Count = tt.count
			job.TaskGroups[0].Tasks[0].Resources = &structs.Resources{CPU: 100, MemoryMB: 100}
			job.Spreads = []*structs.Spread{{Attribute: "${node.datacenter}", Weight: 100, SpreadTarget: tt.targets}}
			h.UpsertJob(job)
			process(t, h, job)
			got := perDC(h, job)
			switch tt.name {
			case "even uneven count":
				for dc, n := range got {
					if n < 3 || n > 4 {
						t.Errorf("%s has %d, want 3 or 4 (got %v)", dc, n, got)
					}
				}
			case "target with rest":
				if got["dc1"] != 5 || got["dc2"]+got["dc3"] != 5 {
					t.Errorf("per dc = %v, want dc1 5 and 5 elsewhere", got)
				}
			default:
				for dc, n := range tt.want {
					if got[dc] != n {
						t.Errorf("per dc = %v, want %v", got, tt.want)
						break
					}
				}
			}
			checkNoOvercommit(t, h)
		})
	}
}

func TestSpreadCountsExistingAllocs(t *testing.T) {
	h, nodes := newTestHarness(t, 4)
	nodes[0].Datacenter, nodes[1].Datacenter = "dc1", "dc1"
	nodes[2].Datacenter, nodes[3].Datacenter = "dc2", "dc2"
	h.UpsertNodes(nodes...)
	job := MockServiceJob()
	job.Datacenters = []string{"dc*"}
	job.TaskGroups[0].Count = 4
	job.Spreads = []*structs.Spread{{Attribute: "${node.datacenter}", Weight: 100}}
	h.UpsertJob(job)
	h.UpsertAllocs(MockAlloc(job, nodes[0], 0), MockAlloc(job, nodes[1], 1))
	process(t, h, job)
	if got := perDC(h, job); got["dc1"] != 2 || got["dc2"] != 2 {
		t.Fatalf("per dc = %v, want the two new instances in dc2", got)
	}
}
