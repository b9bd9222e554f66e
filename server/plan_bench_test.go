package server

import (
	"context"
	"fmt"
	"testing"

	"github.com/droverhq/drover/structs"
)

// BenchmarkPlanApplyRaft is BenchmarkPlanApply (server/planapply) through
// the whole leader path: plan queue, evaluation against the newest state,
// and commit through Raft with its on-disk log.
func BenchmarkPlanApplyRaft(b *testing.B) {
	const nodesN = 100
	s := startServer(b, testConfig(b, b.TempDir()))
	nodes := make([]*structs.Node, nodesN)
	for i := range nodes {
		nodes[i] = s.readyNode(mockNode(1 << 20))
		if _, err := s.RaftApply(structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{Node: nodes[i]}); err != nil {
			b.Fatal(err)
		}
	}
	job := mockJob(nodesN, 1)
	job.Canonicalize()
	if _, err := s.RaftApply(structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: job}); err != nil {
		b.Fatal(err)
	}
	job, _ = s.State().JobByID(nil, job.Namespace, job.ID)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		p := benchPlan(nodes, job)
		b.StartTimer()
		f, err := s.planQueue.Enqueue(p)
		if err != nil {
			b.Fatal(err)
		}
		res, err := f.Wait(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if res.RefreshIndex != 0 {
			b.Fatalf("plan %d partly rejected", i)
		}
	}
}

// benchPlan places one tiny allocation of job on each node.
func benchPlan(nodes []*structs.Node, job *structs.Job) *structs.Plan {
	p := &structs.Plan{EvalID: structs.GenerateUUID(), Job: job, Priority: 50}
	for i, n := range nodes {
		p.AppendAlloc(&structs.Allocation{
			ID: structs.GenerateUUID(), Namespace: job.Namespace, JobID: job.ID, Job: job, NodeID: n.ID,
			TaskGroup: "web", Name: fmt.Sprintf("%s.web[%d]", job.ID, i), DesiredStatus: structs.AllocDesiredStatusRun,
			AllocatedResources: &structs.AllocatedResources{Tasks: map[string]*structs.AllocatedTaskResources{
				"web": {Cpu: structs.AllocatedCpuResources{CpuShares: 1}, Memory: structs.AllocatedMemoryResources{MemoryMB: 1}},
			}},
		})
	}
	return p
}
