package planapply

import (
	"math/rand"
	"testing"

	"github.com/droverhq/drover/structs"
)

func TestEvaluate(t *testing.T) {
	down := node("down")
	down.Status = structs.NodeStatusDown
	tests := []struct {
		name         string
		existing     []*structs.Allocation
		plan         *structs.Plan
		wantPlaced   int
		wantRejected []string
	}{
		{
			name:       "fits",
			plan:       plan(false, alloc("a", "n1", 500, 512), alloc("b", "n2", 500, 512)),
			wantPlaced: 2,
		},
		{
			name:         "overcommitted node dropped",
			existing:     []*structs.Allocation{alloc("old", "n1", 600, 600)},
			plan:         plan(false, alloc("a", "n1", 500, 512), alloc("b", "n2", 500, 512)),
			wantPlaced:   1,
			wantRejected: []string{"n1"},
		},
		{
			name:         "all at once drops everything",
			existing:     []*structs.Allocation{alloc("old", "n1", 600, 600)},
			plan:         plan(true, alloc("a", "n1", 500, 512), alloc("b", "n2", 500, 512)),
			wantPlaced:   0,
			wantRejected: []string{"n1"},
		},
		{
			name:       "stop in the same plan frees room",
			existing:   []*structs.Allocation{alloc("old", "n1", 600, 600)},
			plan:       withStop(plan(false, alloc("a", "n1", 500, 512)), alloc("old", "n1", 600, 600)),
			wantPlaced: 1,
		},
		{
			name:       "in-place update is not counted twice",
			existing:   []*structs.Allocation{alloc("a", "n1", 600, 600)},
			plan:       plan(false, alloc("a", "n1", 700, 700)),
			wantPlaced: 1,
		},
		{
			name:         "down node rejected",
			plan:         plan(false, alloc("a", "down", 1, 1)),
			wantRejected: []string{"down"},
		},
		{
			name:         "unknown node rejected",
			plan:         plan(false, alloc("a", "ghost", 1, 1)),
			wantRejected: []string{"ghost"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newFakeState(42, node("n1"), node("n2"), down)
			for _, a := range tt.existing {
				st.allocs[a.NodeID] = append(st.allocs[a.NodeID], a)
			}
			res, rejected := Evaluate(st, tt.plan)
			if got := countAllocs(res.NodeAllocation); got != tt.wantPlaced {
				t.Errorf("placed: got %d, want %d", got, tt.wantPlaced)
			}
			if len(rejected) != len(tt.wantRejected) {
				t.Fatalf("rejected: got %v, want %v", rejected, tt.wantRejected)
			}
			for _, id := range tt.wantRejected {
				if _, ok := rejected[id]; !ok {
					t.Errorf("rejected: got %v, want %s among them", rejected, id)
				}
			}
			if wantRefresh := len(tt.wantRejected) > 0; (res.RefreshIndex == 42) != wantRefresh {
				t.Errorf("RefreshIndex: got %d, want set=%v", res.RefreshIndex, wantRefresh)
			}
		})
	}
}

// TestPropertyNoNodeOvercommitted applies random plans one after another to
// a shared state and checks the safety property after each: no node's
// committed allocations exceed its capacity.
func TestPropertyNoNodeOvercommitted(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	st := newFakeState(1, node("n0"), node("n1"), node("n2"), node("n3"))
	for round := 0; round < 500; round++ {
		p := &structs.Plan{EvalID: "e"}
		for i := 0; i < 1+rng.Intn(4); i++ {
			nodeID := []string{"n0", "n1", "n2", "n3"}[rng.Intn(4)]
			p.AppendAlloc(alloc(structs.GenerateUUID(), nodeID, int64(50+rng.Intn(400)), int64(50+rng.Intn(400))))
		}
		if rng.Intn(3) == 0 {
			stopRandom(rng, st, p)
		}
		res, _ := Evaluate(st, p)
		commit(st, res)
		for id, n := range st.nodes {
			if fit, dim, _, _ := structs.AllocsFit(n, st.allocs[id]); !fit {
				t.Fatalf("round %d: node %s overcommitted on %s", round, id, dim)
			}
		}
	}
}

func stopRandom(rng *rand.Rand, st *fakeState, p *structs.Plan) {
	for _, allocs := range st.allocs {
		for _, a := range allocs {
			if !a.TerminalStatus() && rng.Intn(2) == 0 {
				p.AppendStoppedAlloc(a, "stop", "")
				return
			}
		}
	}
}

// commit writes a result into the fake state as the state store would.
func commit(st *fakeState, res *structs.PlanResult) {
	for nodeID, stops := range res.NodeUpdate {
		for _, s := range stops {
			for i, a := range st.allocs[nodeID] {
				if a.ID == s.ID {
					st.allocs[nodeID][i] = s
				}
			}
		}
	}
	for nodeID, placed := range res.NodeAllocation {
		st.allocs[nodeID] = append(st.allocs[nodeID], placed...)
	}
	st.index++
}

func plan(allAtOnce bool, allocs ...*structs.Allocation) *structs.Plan {
	p := &structs.Plan{EvalID: "e1", AllAtOnce: allAtOnce, Priority: 50}
	for _, a := range allocs {
		p.AppendAlloc(a)
	}
	return p
}

func withStop(p *structs.Plan, a *structs.Allocation) *structs.Plan {
	p.AppendStoppedAlloc(a, "replaced", "")
	return p
}

func countAllocs(m map[string][]*structs.Allocation) int {
	n := 0
	for _, l := range m {
		n += len(l)
	}
	return n
}
