package state

import (
	"testing"

	"github.com/droverhq/drover/structs"
)

func TestEvals(t *testing.T) {
	s := newStore(t)
	job := testJob("web")
	e1, e2 := testEval(job), testEval(job)
	e2.Status = structs.EvalStatusBlocked
	other := testEval(testJob("db"))
	other.Namespace = "ops"
	must(t, s.UpsertEvals(5, []*structs.Evaluation{e1, e2, other}))

	updated := *e1
	updated.Status = structs.EvalStatusComplete
	must(t, s.UpsertEvals(6, []*structs.Evaluation{&updated}))
	got := get[*structs.Evaluation](t)(s.EvalByID(nil, e1.ID))
	if got.CreateIndex != 5 || got.ModifyIndex != 6 || got.Status != structs.EvalStatusComplete {
		t.Errorf("updated eval: create %d modify %d status %q, want 5, 6, complete", got.CreateIndex, got.ModifyIndex, got.Status)
	}

	count := func(evals []*structs.Evaluation, err error) int {
		t.Helper()
		must(t, err)
		return len(evals)
	}
	tests := []struct {
		name      string
		got, want int
	}{
		{"by job", count(s.EvalsByJob(nil, "default", "web")), 2},
		{"list namespace", count(s.EvalsList(nil, "default")), 2},
		{"list all", count(s.EvalsList(nil, "*")), 3},
		{"prefix", count(s.EvalsByIDPrefix(nil, "*", e2.ID[:6])), 1},
		{"prefix wrong namespace", count(s.EvalsByIDPrefix(nil, "ops", e2.ID)), 0},
		{"blocked", count(s.EvalsByStatus(nil, structs.EvalStatusBlocked)), 1},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %d evals, want %d", tt.name, tt.got, tt.want)
		}
	}

	must(t, s.DeleteEvals(7, []string{e1.ID, "missing"}, nil))
	if e := get[*structs.Evaluation](t)(s.EvalByID(nil, e1.ID)); e != nil {
		t.Errorf("deleted eval still readable")
	}
	if got := s.Index(TableEvals); got != 7 {
		t.Errorf("Index(evals) = %d, want 7", got)
	}
}
