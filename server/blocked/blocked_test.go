package blocked

import (
	"slices"
	"testing"

	"github.com/droverhq/drover/structs"
)

// recorder is a fake broker that records what was enqueued.
type recorder struct{ ids []string }

func (r *recorder) enqueue(e *structs.Evaluation) { r.ids = append(r.ids, e.ID) }

func blockedEval(id, job string, createIndex uint64, classes map[string]bool, escaped bool) *structs.Evaluation {
	return &structs.Evaluation{ID: id, Namespace: "default", JobID: job, Status: structs.EvalStatusBlocked,
		CreateIndex: createIndex, SnapshotIndex: createIndex, ClassEligibility: classes, EscapedComputedClass: escaped}
}

func TestUnblockByClass(t *testing.T) {
	tests := []struct {
		name  string
		eval  *structs.Evaluation
		class string
		want  bool
	}{
		{"eligible class", blockedEval("e", "j", 5, map[string]bool{"c1": true}, false), "c1", true},
		{"ineligible class", blockedEval("e", "j", 5, map[string]bool{"c1": false}, false), "c1", false},
		{"unknown class", blockedEval("e", "j", 5, map[string]bool{"c1": false}, false), "c2", true},
		{"escaped", blockedEval("e", "j", 5, map[string]bool{"c1": false}, true), "c1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			b := New(r.enqueue)
			b.SetEnabled(true)
			b.Block(tt.eval)
			b.Unblock(tt.class, 10)
			got := slices.Contains(r.ids, "e")
			if got != tt.want {
				t.Fatalf("unblocked: got %v, want %v", got, tt.want)
			}
			if left := b.Stats().TotalBlocked; (left == 0) != tt.want {
				t.Fatalf("still blocked: got %d evals, want unblocked=%v", left, tt.want)
			}
		})
	}
}

func TestNewestBlockedEvalWins(t *testing.T) {
	b := New((&recorder{}).enqueue)
	b.SetEnabled(true)
	if old := b.Block(blockedEval("old", "j", 5, nil, false)); old != nil {
		t.Fatalf("got replaced %s, want none", old.ID)
	}
	if old := b.Block(blockedEval("new", "j", 7, nil, false)); old == nil || old.ID != "old" {
		t.Fatalf("got replaced %v, want old", old)
	}
	if lost := b.Block(blockedEval("older", "j", 2, nil, false)); lost == nil || lost.ID != "older" {
		t.Fatalf("got %v, want the older eval rejected", lost)
	}
	if got := b.Untrack("default", "j"); got == nil || got.ID != "new" {
		t.Fatalf("got %v, want new kept", got)
	}
}

func TestMissedUnblockEnqueuesAtOnce(t *testing.T) {
	r := &recorder{}
	b := New(r.enqueue)
	b.SetEnabled(true)
	b.Unblock("c1", 20)
	b.Block(blockedEval("stale", "j", 10, map[string]bool{"c1": true}, false))
	if !slices.Contains(r.ids, "stale") {
		t.Fatalf("got enqueued %v, want stale enqueued at once", r.ids)
	}
	b.Block(blockedEval("fresh", "k", 30, map[string]bool{"c1": true}, false))
	if slices.Contains(r.ids, "fresh") {
		t.Fatalf("got enqueued %v, want fresh kept blocked", r.ids)
	}
}

func TestDisabledIgnoresEverything(t *testing.T) {
	r := &recorder{}
	b := New(r.enqueue)
	b.Block(blockedEval("e", "j", 5, nil, false))
	b.Unblock("c1", 10)
	if len(r.ids) != 0 || b.Stats().TotalBlocked != 0 {
		t.Fatalf("got enqueued %v, stats %+v; want nothing while disabled", r.ids, b.Stats())
	}
}
