package scheduler

import (
	"fmt"
	"slices"
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

// spreadCase is a cluster of nodes round-robin over dc1..dcN and one job
// of count instances of 100 MHz / 100 MB (40 fit on a node).
type spreadCase struct {
	nodes, dcs, count int
	spreads           []*structs.Spread
	algorithm         string
	// fullDC1 fills every dc1 node half with another job first, so that
	// bin-packing prefers dc1.
	fullDC1 bool
}

// run places the job and returns its instances per datacenter.
func (sc spreadCase) run(t *testing.T) map[string]int {
	t.Helper()
	h, nodes := newTestHarness(t, sc.nodes)
	for i, n := range nodes {
		n.Datacenter = fmt.Sprintf("dc%d", i%sc.dcs+1)
	}
	h.UpsertNodes(nodes...)
	if sc.algorithm != "" {
		h.SetSchedulerConfig(&structs.SchedulerConfiguration{SchedulerAlgorithm: sc.algorithm})
	}
	if sc.fullDC1 {
		other := lowJob(50)
		h.UpsertJob(other)
		for i, n := range nodes {
			if n.Datacenter == "dc1" {
				h.UpsertAllocs(allocOf(other, n, i, 2000, 4096))
			}
		}
	}
	job := MockServiceJob()
	job.Datacenters = []string{"*"}
	job.TaskGroups[0].Count = sc.count
	job.TaskGroups[0].Tasks[0].Resources = &structs.Resources{CPU: 100, MemoryMB: 100}
	job.Spreads = sc.spreads
	h.UpsertJob(job)
	process(t, h, job)
	checkNoOvercommit(t, h)
	got := perDC(h, job)
	total := 0
	for _, n := range got {
		total += n
	}
	if total != sc.count {
		t.Fatalf("placed %d (%v), want %d", total, got, sc.count)
	}
	return got
}

func evenSpread(weight int8) []*structs.Spread {
	return []*structs.Spread{{Attribute: "${node.datacenter}", Weight: weight}}
}

func targetSpread(weight int8, targets ...*structs.SpreadTarget) []*structs.Spread {
	return []*structs.Spread{{Attribute: "${node.datacenter}", Weight: weight, SpreadTarget: targets}}
}

// within reports whether every dc's count is within tol of want.
func within(got, want map[string]int, tol int) bool {
	for dc, n := range want {
		if d := got[dc] - n; d < -tol || d > tol {
			return false
		}
	}
	return true
}

// TestSpreadSplits checks the split a spread produces, exactly where it
// is determined.
func TestSpreadSplits(t *testing.T) {
	tests := []struct {
		name string
		sc   spreadCase
		want map[string]int
		tol  int // allowed difference per dc
	}{
		{name: "even 300 over 3 dcs", sc: spreadCase{nodes: 30, dcs: 3, count: 300, spreads: evenSpread(100)},
			want: map[string]int{"dc1": 100, "dc2": 100, "dc3": 100}, tol: 1},
		{name: "even 9 over 3 dcs", sc: spreadCase{nodes: 12, dcs: 3, count: 9, spreads: evenSpread(100)},
			want: map[string]int{"dc1": 3, "dc2": 3, "dc3": 3}},
		{name: "even 300 over 3 dcs, spread algorithm", sc: spreadCase{nodes: 30, dcs: 3, count: 300, spreads: evenSpread(100),
			algorithm: structs.SchedulerAlgorithmSpread}, want: map[string]int{"dc1": 100, "dc2": 100, "dc3": 100}, tol: 1},
		{name: "even 300 over 3 dcs, dc1 preferred by bin-pack", sc: spreadCase{nodes: 30, dcs: 3, count: 300, spreads: evenSpread(100), fullDC1: true},
			want: map[string]int{"dc1": 100, "dc2": 100, "dc3": 100}, tol: 1},
		{name: "even 400 over 4 dcs", sc: spreadCase{nodes: 40, dcs: 4, count: 400, spreads: evenSpread(100)},
			want: map[string]int{"dc1": 100, "dc2": 100, "dc3": 100, "dc4": 100}, tol: 1},
		{name: "targets 50/25/25", sc: spreadCase{nodes: 30, dcs: 3, count: 300, spreads: targetSpread(100,
			&structs.SpreadTarget{Value: "dc1", Percent: 50}, &structs.SpreadTarget{Value: "dc2", Percent: 25}, &structs.SpreadTarget{Value: "dc3", Percent: 25})},
			want: map[string]int{"dc1": 150, "dc2": 75, "dc3": 75}, tol: 6}, // ±2%
		{name: "targets 70/30 of 10", sc: spreadCase{nodes: 12, dcs: 3, count: 10, spreads: targetSpread(100,
			&structs.SpreadTarget{Value: "dc1", Percent: 70}, &structs.SpreadTarget{Value: "dc2", Percent: 30})},
			want: map[string]int{"dc1": 7, "dc2": 3, "dc3": 0}},
		{name: "targets 20/30/50, dc1 preferred by bin-pack", sc: spreadCase{nodes: 30, dcs: 3, count: 300, fullDC1: true, spreads: targetSpread(100,
			&structs.SpreadTarget{Value: "dc1", Percent: 20}, &structs.SpreadTarget{Value: "dc2", Percent: 30}, &structs.SpreadTarget{Value: "dc3", Percent: 50})},
			want: map[string]int{"dc1": 60, "dc2": 90, "dc3": 150}, tol: 6},
		{name: "target 60 and the rest", sc: spreadCase{nodes: 30, dcs: 3, count: 300, spreads: targetSpread(100,
			&structs.SpreadTarget{Value: "dc1", Percent: 60})},
			want: map[string]int{"dc1": 180}, tol: 6},
		{name: "zero target gets none", sc: spreadCase{nodes: 30, dcs: 3, count: 100, spreads: targetSpread(100,
			&structs.SpreadTarget{Value: "dc1", Percent: 50}, &structs.SpreadTarget{Value: "dc2", Percent: 50}, &structs.SpreadTarget{Value: "dc3", Percent: 0})},
			want: map[string]int{"dc1": 50, "dc2": 50, "dc3": 0}, tol: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sc.run(t); !within(got, tt.want, tt.tol) {
				t.Errorf("per dc = %v, want %v (±%d)", got, tt.want, tt.tol)
			}
		})
	}
}

// Ten instances over three datacenters: 4/3/3 in some order.
func TestSpreadUnevenCount(t *testing.T) {
	got := spreadCase{nodes: 12, dcs: 3, count: 10, spreads: evenSpread(100)}.run(t)
	counts := []int{got["dc1"], got["dc2"], got["dc3"]}
	slices.Sort(counts)
	if !slices.Equal(counts, []int{3, 3, 4}) {
		t.Errorf("per dc = %v, want 4/3/3 in some order", got)
	}
}

// With targets that leave a rest, the unlisted values share it as one.
func TestSpreadTargetRestPooled(t *testing.T) {
	got := spreadCase{nodes: 12, dcs: 3, count: 10, spreads: targetSpread(100, &structs.SpreadTarget{Value: "dc1", Percent: 50})}.run(t)
	if got["dc1"] != 5 || got["dc2"]+got["dc3"] != 5 {
		t.Errorf("per dc = %v, want dc1 5 and 5 elsewhere", got)
	}
}

// A lower weight blends with bin-packing: with dc1's nodes half full (so
// bin-pack prefers them), dc1's part shrinks as the weight grows, never
// leaves the band of ±(100-weight)% around its share, and weight 100 is
// exact.
func TestSpreadWeightBlendsWithBinPack(t *testing.T) {
	const count = 150 // dc1 alone has room for 200
	share := count / 3
	dc1 := map[string]int{}
	for _, tc := range []struct {
		name    string
		spreads []*structs.Spread
	}{
		{"binpack", nil},
		{"weight 25", evenSpread(25)},
		{"weight 50", evenSpread(50)},
		{"weight 100", evenSpread(100)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := spreadCase{nodes: 30, dcs: 3, count: count, spreads: tc.spreads, fullDC1: true}.run(t)
			dc1[tc.name] = got["dc1"]
			if tc.spreads == nil {
				return
			}
			band := float64(100-tc.spreads[0].Weight) / 100 * float64(share)
			for dc, n := range got {
				if d := float64(n - share); d > band+1 || d < -band-1 {
					t.Errorf("%s has %d, want %d ± %.0f (per dc %v)", dc, n, share, band, got)
				}
			}
		})
	}
	t.Logf("dc1 counts: %v", dc1)
	if dc1["binpack"] < 2*share {
		t.Errorf("bin-pack alone put %d in dc1, want most of the %d", dc1["binpack"], count)
	}
	if !(dc1["binpack"] > dc1["weight 25"] && dc1["weight 25"] > dc1["weight 50"] && dc1["weight 50"] > dc1["weight 100"]) {
		t.Errorf("dc1 counts %v, want them falling as the weight grows", dc1)
	}
	if d := dc1["weight 100"] - share; d < -1 || d > 1 {
		t.Errorf("weight 100 put %d in dc1, want %d", dc1["weight 100"], share)
	}
}

// Two spread blocks: datacenter (even) and rack (targets) at once.
func TestSpreadTwoBlocks(t *testing.T) {
	h, nodes := newTestHarness(t, 24)
	for i, n := range nodes {
		n.Datacenter = fmt.Sprintf("dc%d", i%2+1)
		n.Meta["rack"] = fmt.Sprintf("r%d", i/2%3+1)
	}
	h.UpsertNodes(nodes...)
	job := MockServiceJob()
	job.Datacenters = []string{"*"}
	job.TaskGroups[0].Count = 120
	job.TaskGroups[0].Tasks[0].Resources = &structs.Resources{CPU: 100, MemoryMB: 100}
	job.Spreads = evenSpread(100)
	job.TaskGroups[0].Spreads = []*structs.Spread{{Attribute: "${meta.rack}", Weight: 100, SpreadTarget: []*structs.SpreadTarget{
		{Value: "r1", Percent: 50}, {Value: "r2", Percent: 25}, {Value: "r3", Percent: 25}}}}
	h.UpsertJob(job)
	process(t, h, job)
	st := h.State()
	dc, rack := map[string]int{}, map[string]int{}
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		n := st.NodeByID(a.NodeID)
		dc[n.Datacenter]++
		rack[n.Meta["rack"]]++
	}
	if !within(dc, map[string]int{"dc1": 60, "dc2": 60}, 1) || !within(rack, map[string]int{"r1": 60, "r2": 30, "r3": 30}, 2) {
		t.Errorf("per dc %v, per rack %v; want 60/60 and 60/30/30", dc, rack)
	}
}

// Nodes without the attribute are the last resort.
func TestSpreadMissingAttribute(t *testing.T) {
	h, nodes := newTestHarness(t, 4)
	nodes[0].Meta["zone"], nodes[1].Meta["zone"] = "a", "b"
	h.UpsertNodes(nodes...)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 4
	job.Spreads = []*structs.Spread{{Attribute: "${meta.zone}", Weight: 100}}
	h.UpsertJob(job)
	process(t, h, job)
	per := liveByNode(h, job)
	if len(per[nodes[0].ID]) != 2 || len(per[nodes[1].ID]) != 2 {
		t.Errorf("zone a has %d, zone b %d, want 2 and 2", len(per[nodes[0].ID]), len(per[nodes[1].ID]))
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

// A system job with a spread still places one instance per node (the
// spread has nothing to choose) and reports no spread score.
func TestSpreadIgnoredBySystemJobs(t *testing.T) {
	h, nodes := newTestHarness(t, 3)
	job := mockSystemJob(structs.JobTypeSystem)
	job.Spreads = evenSpread(100)
	h.UpsertJob(job)
	process(t, h, job)
	checkOnePerNode(t, h, job, nodes)
}

// The spread score of a value against its share, part by part.
func TestSpreadTrackerScore(t *testing.T) {
	tests := []struct {
		name   string
		weight float64
		counts map[string]int
		value  string
		want   float64
	}{
		{"nothing placed yet", 100, map[string]int{}, "a", (1.0 / 3) / 0.5},
		{"one behind at weight 100", 100, map[string]int{"a": 1, "b": 1}, "c", 1},
		{"one ahead at weight 100", 100, map[string]int{"a": 1}, "a", (2.0/3 - 1) / 0.5},
		{"at its share, weight 50", 50, map[string]int{"a": 10, "b": 9, "c": 10}, "c", 0},
		{"half ahead at weight 50", 50, map[string]int{"a": 46, "b": 22, "c": 21}, "a", -1},
		{"unseen value", 100, map[string]int{}, "z", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &spreadTracker{weight: tt.weight, tolerance: 1 - tt.weight/100, even: true,
				seen: map[string]bool{"a": true, "b": true, "c": true}, counts: tt.counts}
			for _, n := range tt.counts {
				st.total += n
			}
			if got := st.score(spreadValue{tt.value, true}); got-tt.want > 1e-9 || tt.want-got > 1e-9 {
				t.Errorf("score(%s) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}
