package fsm

import (
	"fmt"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// BenchmarkFSMApplyJobRegister applies pre-encoded JobRegister entries (a
// job and its eval; 100 jobs, each re-registered with a changed spec) to the
// FSM directly, without Raft, measuring decode plus state store write.
func BenchmarkFSMApplyJobRegister(b *testing.B) {
	store, err := state.NewStateStore()
	if err != nil {
		b.Fatal(err)
	}
	f := New(store, nil)
	entries := make([][]byte, b.N)
	for i := range entries {
		job := testJob(fmt.Sprintf("job-%03d", i%100))
		job.TaskGroups[0].Count = i / 100
		entries[i] = mustEncode(b, structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: job, Eval: testEval(job.ID)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if resp := f.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: entries[i]}); resp != nil {
			b.Fatal(resp)
		}
	}
}
