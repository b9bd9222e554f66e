package state

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/droverhq/drover/structs"
)

// populated returns a store with every kind of object, two versions of
// "web", allocations on both, and allocations of a job version no longer
// kept.
func populated(t *testing.T) *StateStore {
	t.Helper()
	s := newStore(t)
	must(t, s.UpsertNode(1, testNode("n1")))
	must(t, s.UpsertNode(2, testNode("n2")))
	web := testJob("web")
	must(t, s.UpsertJob(3, web))
	must(t, s.UpsertEvals(4, []*structs.Evaluation{testEval(web)}))
	must(t, s.UpsertAllocs(5, []*structs.Allocation{testAlloc(web, "n1", 0), testAlloc(web, "n2", 1)}))
	web1 := testJob("web")
	web1.TaskGroups[0].Count = 3
	must(t, s.UpsertJob(6, web1))
	v1 := get[*structs.Job](t)(s.JobByIDAndVersion(nil, "default", "web", 1))
	running := testAlloc(v1, "n1", 2)
	must(t, s.UpsertAllocs(7, []*structs.Allocation{running}))
	must(t, s.UpdateAllocsFromClient(8, []*structs.Allocation{{
		ID: running.ID, ClientStatus: structs.AllocClientStatusRunning,
		TaskStates: map[string]*structs.TaskState{"server": {State: structs.TaskStateRunning, StartedAt: fixedNow}},
	}}))
	must(t, s.UpsertDeployment(9, &structs.Deployment{ID: "dep-1", Namespace: "default", JobID: "web", JobVersion: 1,
		TaskGroups: map[string]*structs.DeploymentState{"web": {DesiredTotal: 3}}, Status: structs.DeploymentStatusRunning}))

	// A batch job whose version 0 is pruned while allocations still run it.
	batch := testJob("batch")
	must(t, s.UpsertJob(10, batch))
	must(t, s.UpsertAllocs(11, []*structs.Allocation{testAlloc(batch, "n2", 0), testAlloc(batch, "n2", 1)}))
	for i := range jobVersionLimit {
		b := testJob("batch")
		b.Priority = 60 + i
		must(t, s.UpsertJob(uint64(12+i), b))
	}
	return s
}

// contents lists every table's objects, for comparing stores.
func contents(t *testing.T, s *StateStore) map[string][]interface{} {
	t.Helper()
	out := map[string][]interface{}{}
	txn := s.db.Txn(false)
	for _, p := range persistOrder {
		it, err := txn.Get(p.table, "id")
		must(t, err)
		for raw := it.Next(); raw != nil; raw = it.Next() {
			out[p.table] = append(out[p.table], raw)
		}
	}
	return out
}

func TestPersistRestoreRoundTrip(t *testing.T) {
	src := populated(t)
	var buf bytes.Buffer
	must(t, src.Persist(&buf))

	dst := newStore(t)
	must(t, dst.UpsertNode(1, testNode("stale"))) // Restore replaces, not merges
	must(t, dst.Restore(bytes.NewReader(buf.Bytes())))

	want, got := contents(t, src), contents(t, dst)
	for _, p := range persistOrder {
		t.Run(p.table, func(t *testing.T) {
			if len(got[p.table]) != len(want[p.table]) {
				t.Fatalf("got %d objects, want %d", len(got[p.table]), len(want[p.table]))
			}
			for i := range want[p.table] {
				if !reflect.DeepEqual(got[p.table][i], want[p.table][i]) {
					t.Errorf("object %d differs:\n got %+v\nwant %+v", i, got[p.table][i], want[p.table][i])
				}
			}
		})
	}
	if dst.LatestIndex() != src.LatestIndex() {
		t.Errorf("LatestIndex = %d, want %d", dst.LatestIndex(), src.LatestIndex())
	}

	// Allocations share Job values again after restore.
	for _, a := range get[[]*structs.Allocation](t)(dst.AllocsByJob(nil, "default", "web")) {
		v := get[*structs.Job](t)(dst.JobByIDAndVersion(nil, "default", "web", a.Job.Version))
		if a.Job != v {
			t.Errorf("restored alloc %s does not point at stored version %d", a.Name, a.Job.Version)
		}
	}
	orphans := get[[]*structs.Allocation](t)(dst.AllocsByJob(nil, "default", "batch"))
	if len(orphans) != 2 || orphans[0].Job == nil || orphans[0].Job != orphans[1].Job {
		t.Errorf("allocations of a pruned version do not share one restored Job")
	}
}

func TestRestoreRejectsGarbage(t *testing.T) {
	s := newStore(t)
	if err := s.Restore(bytes.NewReader([]byte{0xc1, 0xc1, 0xc1})); err == nil {
		t.Error("restore of garbage: got nil error")
	}
	if err := s.Restore(bytes.NewReader([]byte{0x7f})); err == nil {
		t.Error("restore of an unknown record kind: got nil error")
	}
}
