package scheduler

import (
	"fmt"

	"github.com/droverhq/drover/structs"
)

// Fixture builders for tests and benchmarks, here and in other packages.
// Each call returns fresh objects that the caller may change.

// MockNode returns a ready node in dc1 and the default pool: 4,000 MHz,
// 8 GiB, 100 GiB disk, with the exec and mock drivers. Its ComputedClass is
// set; NewMemState and Harness.UpsertNodes recompute it after changes.
func MockNode() *structs.Node {
	id := structs.GenerateUUID()
	n := &structs.Node{
		ID: id, SecretID: structs.GenerateUUID(), Datacenter: structs.DefaultDatacenter,
		Name: "node-" + structs.ShortID(id), NodePool: structs.DefaultNodePool,
		Attributes: map[string]string{
			"kernel.name": "linux", "cpu.arch": "amd64", "os.name": "ubuntu", "os.version": "24.04",
			"drover.version": "0.1.0", "unique.hostname": "host-" + structs.ShortID(id),
		},
		Meta: map[string]string{"rack": "r1"},
		Drivers: map[string]*structs.DriverInfo{
			"exec": {Detected: true, Healthy: true},
			"mock": {Detected: true, Healthy: true},
		},
		NodeResources: &structs.NodeResources{
			Cpu: structs.NodeCpuResources{CpuShares: 4000, TotalCpuCores: 4}, Memory: structs.NodeMemoryResources{MemoryMB: 8192},
			Disk:     structs.NodeDiskResources{DiskMB: 100 * 1024},
			Networks: []*structs.NetworkResource{{Mode: "host", Device: "eth0", IP: "192.168.0.100", CIDR: "192.168.0.100/32"}},
			// The dynamic range is Nomad's default.
			MinDynamicPort: structs.DefaultMinDynamicPort, MaxDynamicPort: structs.DefaultMaxDynamicPort,
		},
		Status: structs.NodeStatusReady, SchedulingEligibility: structs.NodeSchedulingEligible,
	}
	n.ComputeClass()
	return n
}

// MockServiceJob returns a service job with one group "web" of 10
// instances, each one exec task of 500 MHz / 256 MB with 150 MB disk.
func MockServiceJob() *structs.Job {
	id := "mock-service-" + structs.ShortID(structs.GenerateUUID())
	return &structs.Job{
		Region: structs.DefaultRegion, Namespace: structs.DefaultNamespace, ID: id, Name: id,
		Type: structs.JobTypeService, Priority: structs.JobDefaultPriority,
		Datacenters: []string{structs.DefaultDatacenter}, NodePool: structs.DefaultNodePool,
		TaskGroups: []*structs.TaskGroup{{
			Name: "web", Count: 10, EphemeralDisk: &structs.EphemeralDisk{SizeMB: 150},
			Tasks: []*structs.Task{{
				Name: "web", Driver: "exec",
				Config:    map[string]interface{}{"command": "/bin/sleep", "args": []interface{}{"1000"}},
				Env:       map[string]string{"FOO": "bar"},
				Resources: &structs.Resources{CPU: 500, MemoryMB: 256},
			}},
		}},
		Status: structs.JobStatusPending,
	}
}

// MockBatchJob returns MockServiceJob as a batch job.
func MockBatchJob() *structs.Job {
	j := MockServiceJob()
	j.Type = structs.JobTypeBatch
	j.ID = "mock-batch-" + structs.ShortID(structs.GenerateUUID())
	j.Name = j.ID
	return j
}

// MockEval returns a pending job-register evaluation for the job.
func MockEval(job *structs.Job) *structs.Evaluation {
	return &structs.Evaluation{
		ID: structs.GenerateUUID(), Namespace: job.Namespace, Priority: job.Priority, Type: job.Type,
		TriggeredBy: structs.EvalTriggerJobRegister, JobID: job.ID, JobModifyIndex: job.JobModifyIndex,
		Status: structs.EvalStatusPending,
	}
}

// MockAlloc returns a running allocation of the job's first group, index i,
// on the node, with the group's resources granted.
func MockAlloc(job *structs.Job, node *structs.Node, i int) *structs.Allocation {
	tg := job.TaskGroups[0]
	res := &structs.AllocatedResources{Tasks: map[string]*structs.AllocatedTaskResources{}}
	for _, t := range tg.Tasks {
		tr := &structs.AllocatedTaskResources{}
		if t.Resources != nil {
			tr.Cpu.CpuShares, tr.Memory.MemoryMB = int64(t.Resources.CPU), int64(t.Resources.MemoryMB)
		}
		res.Tasks[t.Name] = tr
	}
	if tg.EphemeralDisk != nil {
		res.Shared.DiskMB = int64(tg.EphemeralDisk.SizeMB)
	}
	return &structs.Allocation{
		ID: structs.GenerateUUID(), Namespace: job.Namespace, EvalID: structs.GenerateUUID(),
		Name: fmt.Sprintf("%s.%s[%d]", job.ID, tg.Name, i), NodeID: node.ID, NodeName: node.Name,
		JobID: job.ID, Job: job, TaskGroup: tg.Name, AllocatedResources: res,
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusRunning,
	}
}
