package state

import (
	"fmt"
	"testing"
	"time"

	"github.com/droverhq/drover/structs"
)

// fixedNow is the clock of test stores, so stamped times are predictable.
var fixedNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newStore(t testing.TB) *StateStore {
	t.Helper()
	s, err := NewStateStore()
	if err != nil {
		t.Fatalf("NewStateStore: %v", err)
	}
	s.SetClock(func() time.Time { return fixedNow })
	return s
}

func testNode(id string) *structs.Node {
	return &structs.Node{
		ID: id, Name: "node-" + id, Datacenter: "dc1", NodePool: "default", Status: structs.NodeStatusReady,
		Attributes: map[string]string{"kernel.name": "linux", "unique.hostname": id},
		NodeResources: &structs.NodeResources{
			Cpu:    structs.NodeCpuResources{CpuShares: 4000, TotalCpuCores: 4},
			Memory: structs.NodeMemoryResources{MemoryMB: 8192},
			Disk:   structs.NodeDiskResources{DiskMB: 100000},
		},
	}
}

func testJob(id string) *structs.Job {
	return &structs.Job{
		Namespace: structs.DefaultNamespace, ID: id, Name: id, Type: structs.JobTypeService,
		Priority: 50, Datacenters: []string{"dc1"},
		TaskGroups: []*structs.TaskGroup{{
			Name: "web", Count: 2,
			Tasks: []*structs.Task{{
				Name: "server", Driver: "exec",
				Env:       map[string]string{"PORT": "8080"},
				Resources: &structs.Resources{CPU: 100, MemoryMB: 128},
			}},
		}},
	}
}

func testEval(job *structs.Job) *structs.Evaluation {
	return &structs.Evaluation{
		ID: structs.GenerateUUID(), Namespace: job.Namespace, JobID: job.ID, Type: job.Type,
		Priority: job.Priority, TriggeredBy: structs.EvalTriggerJobRegister, Status: structs.EvalStatusPending,
	}
}

func testAlloc(job *structs.Job, nodeID string, i int) *structs.Allocation {
	return &structs.Allocation{
		ID: structs.GenerateUUID(), Namespace: job.Namespace, EvalID: "eval-1", NodeID: nodeID,
		Name: fmt.Sprintf("%s.web[%d]", job.ID, i), JobID: job.ID, Job: job, TaskGroup: "web",
		DesiredStatus: structs.AllocDesiredStatusRun,
		AllocatedResources: &structs.AllocatedResources{Tasks: map[string]*structs.AllocatedTaskResources{
			"server": {Cpu: structs.AllocatedCpuResources{CpuShares: 100}, Memory: structs.AllocatedMemoryResources{MemoryMB: 128}},
		}},
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// get fails the test on a read error.
func get[T any](t testing.TB) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		return v
	}
}
