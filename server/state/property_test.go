package state

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// TestPropertyRandomWrites applies random sequences of writes and checks,
// after each, the invariants others rely on:
//   - "allocations share kept job versions": an allocation whose job version
//     is kept points at that very value (unless the job was purged and
//     registered again since);
//   - "versions bounded": a job keeps at most jobVersionLimit versions, the
//     newest being the head's;
//   - "persist round-trips": restoring a persisted store reproduces it.
func TestPropertyRandomWrites(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 1))
			s := newStore(t)
			w := &randomWriter{t: t, s: s, rng: rng}
			for step := range 60 {
				w.index = uint64(step + 1)
				w.step()
				checkInvariants(t, s)
			}
			checkRoundTrip(t, s)
		})
	}
}

type randomWriter struct {
	t      *testing.T
	s      *StateStore
	rng    *rand.Rand
	index  uint64
	allocs []string
}

func (w *randomWriter) step() {
	t, s, rng := w.t, w.s, w.rng
	jobID := fmt.Sprint("job-", rng.IntN(3))
	switch rng.IntN(6) {
	case 0, 1: // register, maybe changing the spec
		j := testJob(jobID)
		j.TaskGroups[0].Count = rng.IntN(3)
		must(t, s.UpsertJob(w.index, j))
	case 2, 3: // place allocations carrying a decoded copy of the current job
		head := get[*structs.Job](t)(s.JobByID(nil, "default", jobID))
		if head == nil {
			return
		}
		var batch []*structs.Allocation
		for i := range rng.IntN(4) + 1 {
			a := testAlloc(head, fmt.Sprint("n", rng.IntN(3)), i)
			w.allocs = append(w.allocs, a.ID)
			batch = append(batch, a)
		}
		must(t, s.UpsertAllocs(w.index, roundTrip(t, batch)))
	case 4: // a client reports
		if len(w.allocs) == 0 {
			return
		}
		id := w.allocs[rng.IntN(len(w.allocs))]
		status := []string{structs.AllocClientStatusRunning, structs.AllocClientStatusComplete}[rng.IntN(2)]
		must(t, s.UpdateAllocsFromClient(w.index, []*structs.Allocation{{ID: id, ClientStatus: status}}))
	case 5:
		if rng.IntN(4) == 0 {
			must(t, s.DeleteJob(w.index, "default", jobID))
		} else {
			must(t, s.UpsertEvals(w.index, []*structs.Evaluation{testEval(testJob(jobID))}))
		}
	}
}

func roundTrip(t *testing.T, allocs []*structs.Allocation) []*structs.Allocation {
	b, err := rpc.Encode(allocs)
	must(t, err)
	var out []*structs.Allocation
	must(t, rpc.Decode(b, &out))
	return out
}

func checkInvariants(t *testing.T, s *StateStore) {
	t.Helper()
	for _, a := range get[[]*structs.Allocation](t)(s.AllocsList(nil, "*")) {
		v := get[*structs.Job](t)(s.JobByIDAndVersion(nil, a.Namespace, a.JobID, a.Job.Version))
		// Same CreateIndex: the same incarnation of the job, not one purged and registered again.
		if v != nil && v != a.Job && v.CreateIndex == a.Job.CreateIndex {
			t.Fatalf("allocations share kept job versions: alloc %s holds its own copy of version %d (created %d, kept %d)", a.ID, a.Job.Version, a.Job.CreateIndex, v.CreateIndex)
		}
	}
	for _, j := range get[[]*structs.Job](t)(s.JobsList(nil, "*")) {
		vs := get[[]*structs.Job](t)(s.JobVersionsByID(nil, j.Namespace, j.ID))
		if len(vs) == 0 || len(vs) > jobVersionLimit || vs[0].Version != j.Version {
			t.Fatalf("versions bounded: job %s has %d versions, head version %d", j.ID, len(vs), j.Version)
		}
	}
}

func checkRoundTrip(t *testing.T, s *StateStore) {
	t.Helper()
	var buf bytes.Buffer
	must(t, s.Persist(&buf))
	dst := newStore(t)
	must(t, dst.Restore(&buf))
	if want, got := contents(t, s), contents(t, dst); !reflect.DeepEqual(got, want) {
		t.Fatalf("persist round-trips: restored store differs")
	}
}
