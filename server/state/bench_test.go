package state

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// benchAllocs builds n allocations of job spread over nodes nodes, each with
// its own decoded-like copy of the job, as they arrive over Raft.
func benchAllocs(job *structs.Job, n, nodes int) []*structs.Allocation {
	allocs := make([]*structs.Allocation, n)
	for i := range allocs {
		allocs[i] = testAlloc(job, fmt.Sprintf("node-%04d", i%nodes), i)
	}
	return allocs
}

func BenchmarkUpsertAllocs(b *testing.B) {
	s := newStore(b)
	job := testJob("web")
	must(b, s.UpsertJob(1, job))
	batches := make([][]*structs.Allocation, b.N)
	for i := range batches {
		batches[i] = benchAllocs(job, 100, 1000)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := s.UpsertAllocs(uint64(i+2), batches[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/alloc")
}

func BenchmarkSnapshotAllocsByNode(b *testing.B) {
	const nodes, allocs = 1000, 50_000
	s := newStore(b)
	job := testJob("web")
	must(b, s.UpsertJob(1, job))
	all := benchAllocs(job, allocs, nodes)
	for i := 0; i < len(all); i += 1000 {
		must(b, s.UpsertAllocs(uint64(i+2), all[i:i+1000]))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		view := s.Snapshot().SchedulerState()
		if got := view.AllocsByNode(fmt.Sprintf("node-%04d", i%nodes)); len(got) != allocs/nodes {
			b.Fatalf("got %d allocs, want %d", len(got), allocs/nodes)
		}
	}
}

// BenchmarkAllocMemory reports the heap one stored allocation costs, all
// in (its fields, task resources, indexes), when it arrives msgpack-encoded
// with its own copy of the job as over Raft. A million allocations cost a
// million times heap-bytes/alloc.
func BenchmarkAllocMemory(b *testing.B) {
	const n, batch = 100_000, 1000
	for range b.N {
		s := newStore(b)
		for i := range 5000 {
			must(b, s.UpsertNode(1, testNode(fmt.Sprintf("node-%04d", i))))
		}
		job := testJob("web")
		must(b, s.UpsertJob(2, job))
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := 0; i < n; i += batch {
			must(b, s.UpsertAllocs(uint64(i+3), decoded(b, benchAllocs(job, batch, 5000))))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-bytes/alloc")
		runtime.KeepAlive(s)
	}
}

// decoded round-trips allocs through the Raft encoding.
func decoded(b *testing.B, allocs []*structs.Allocation) []*structs.Allocation {
	buf, err := rpc.Encode(allocs)
	must(b, err)
	var out []*structs.Allocation
	must(b, rpc.Decode(buf, &out))
	return out
}

func BenchmarkPersistRestore(b *testing.B) {
	const n = 20_000
	s := newStore(b)
	job := testJob("web")
	must(b, s.UpsertJob(1, job))
	all := benchAllocs(job, n, 500)
	for i := 0; i < n; i += 1000 {
		must(b, s.UpsertAllocs(uint64(i+2), all[i:i+1000]))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		var buf bytes.Buffer
		must(b, s.Persist(&buf))
		b.ReportMetric(float64(buf.Len())/n, "snapshot-bytes/alloc")
		dst := newStore(b)
		must(b, dst.Restore(&buf))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/alloc")
}

// BenchmarkUpsertPlanResults50000 commits one plan result of 50,000 new
// allocations on 5,000 nodes, as the plan applier builds it (grouped by
// node, Job dropped where it is the plan's job): the commit half of
// `scheduler-benchmark -nodes 5000 -count 50000`; then the same into a
// store that already holds 200,000 allocations.
func BenchmarkUpsertPlanResults50000(b *testing.B) {
	for _, existing := range []int{0, 200_000} {
		b.Run(fmt.Sprintf("existing=%d", existing), func(b *testing.B) { benchUpsertPlanResults(b, existing) })
	}
}

func benchUpsertPlanResults(b *testing.B, existing int) {
	const nodes, n = 5000, 50_000
	for range b.N {
		b.StopTimer()
		s := newStore(b)
		for i := range nodes {
			must(b, s.UpsertNode(1, testNode(fmt.Sprintf("node-%04d", i))))
		}
		other := testJob("other")
		must(b, s.UpsertJob(2, other))
		for i := 0; i < existing; i += 10_000 {
			must(b, s.UpsertAllocs(3, benchAllocs(other, 10_000, nodes)))
		}
		job := testJob("web")
		must(b, s.UpsertJob(4, job))
		stored := get[*structs.Job](b)(s.JobByID(nil, job.Namespace, job.ID))
		allocs := make([]*structs.Allocation, 0, n)
		for node := range nodes {
			for i := range n / nodes {
				a := testAlloc(stored, fmt.Sprintf("node-%04d", node), node*(n/nodes)+i)
				a.Job = nil
				allocs = append(allocs, a)
			}
		}
		req := &structs.ApplyPlanResultsRequest{Job: stored, EvalID: "eval-1", AllocsUpdated: allocs}
		runtime.GC()
		b.StartTimer()
		must(b, s.UpsertPlanResults(5, req))
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/alloc")
}
