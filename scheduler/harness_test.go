package scheduler

import (
	"fmt"
	"testing"
	"time"

	"github.com/droverhq/drover/structs"
)

// testNow is the fixed clock of scheduler tests.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newTestHarness returns a harness with a fixed clock and seed and n mock
// nodes.
func newTestHarness(t *testing.T, n int) (*Harness, []*structs.Node) {
	t.Helper()
	h := NewHarness()
	h.Now = func() time.Time { return testNow }
	h.Seed = 42
	nodes := make([]*structs.Node, n)
	for i := range nodes {
		nodes[i] = MockNode()
		nodes[i].Name = fmt.Sprintf("node-%d", i)
	}
	h.UpsertNodes(nodes...)
	return h, nodes
}

// process runs an eval for the job and fails the test on error.
func process(t *testing.T, h *Harness, job *structs.Job) *structs.Evaluation {
	t.Helper()
	ev := MockEval(job)
	if err := h.Process(ev); err != nil {
		t.Fatalf("Process: %v", err)
	}
	return lastUpdated(t, h)
}

func lastUpdated(t *testing.T, h *Harness) *structs.Evaluation {
	t.Helper()
	if len(h.Updated) == 0 {
		t.Fatalf("the scheduler never called UpdateEval")
	}
	return h.Updated[len(h.Updated)-1]
}

// lastPlan returns the most recent plan, failing if none was submitted.
func lastPlan(t *testing.T, h *Harness) *structs.Plan {
	t.Helper()
	if len(h.Plans) == 0 {
		t.Fatalf("no plan was submitted")
	}
	return h.Plans[len(h.Plans)-1]
}

func planned(p *structs.Plan) []*structs.Allocation {
	var out []*structs.Allocation
	for _, allocs := range p.NodeAllocation {
		out = append(out, allocs...)
	}
	return out
}

func stoppedIn(p *structs.Plan) []*structs.Allocation {
	var out []*structs.Allocation
	for _, allocs := range p.NodeUpdate {
		out = append(out, allocs...)
	}
	return out
}

// names returns the allocations' names as a set.
func names(allocs []*structs.Allocation) map[string]bool {
	out := map[string]bool{}
	for _, a := range allocs {
		out[a.Name] = true
	}
	return out
}

func wantNames(t *testing.T, what string, allocs []*structs.Allocation, job *structs.Job, group string, idx ...int) {
	t.Helper()
	got := names(allocs)
	if len(got) != len(allocs) {
		t.Errorf("%s: duplicate names in %v", what, got)
	}
	want := map[string]bool{}
	for _, i := range idx {
		want[fmt.Sprintf("%s.%s[%d]", job.ID, group, i)] = true
	}
	if len(got) != len(want) {
		t.Fatalf("%s: got names %v, want %v", what, got, want)
	}
	for n := range want {
		if !got[n] {
			t.Fatalf("%s: got names %v, want %v", what, got, want)
		}
	}
}

// checkNoOvercommit asserts the safety property "no node overcommitted":
// every node's live allocations fit, ports included.
func checkNoOvercommit(t *testing.T, h *Harness) {
	t.Helper()
	byNode := map[string][]*structs.Allocation{}
	for _, a := range h.Allocs() {
		byNode[a.NodeID] = append(byNode[a.NodeID], a)
	}
	st := h.State()
	for id, allocs := range byNode {
		fit, dim, _, err := structs.AllocsFit(st.NodeByID(id), allocs)
		if err != nil || !fit {
			t.Fatalf("node %s overcommitted: %s (%v)", id, dim, err)
		}
	}
}

// checkUniqueNames asserts "no alloc placed twice": live allocations of a
// job have distinct names.
func checkUniqueNames(t *testing.T, h *Harness, job *structs.Job) {
	t.Helper()
	seen := map[string]string{}
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		if other, dup := seen[a.Name]; dup {
			t.Fatalf("name %s held by allocs %s and %s", a.Name, other, a.ID)
		}
		seen[a.Name] = a.ID
	}
}
