package command

import (
	"strings"
	"testing"
	"time"

	"github.com/droverhq/drover/api"
)

func TestEvalStatus(t *testing.T) {
	f, addr := newFakeAgent(t)
	f.evals = []*api.Evaluation{{
		ID: "abcdef12-3456", JobID: "web", Namespace: "default", Priority: 50, Type: "service",
		TriggeredBy: "job-register", Status: "complete", BlockedEval: "fedcba98-7654",
		FailedTGAllocs: map[string]*api.AllocMetric{"app": {
			NodesEvaluated: 0, NodesAvailable: map[string]int{"dc9": 0},
		}},
	}}
	r := runCLI(t, addr, "", "eval", "status", "abc")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout,
		"ID                 = abcdef12\n",
		"TriggeredBy        = job-register\n",
		"Placement Failures = true\n",
		"Failed Placements\nTask Group \"app\" (failed to place 1 allocation):\n"+
			"  * No nodes were eligible for evaluation\n  * No nodes are available in datacenter \"dc9\"\n",
		`Evaluation "fedcba98" waiting for additional capacity to place remainder`)

	r = runCLI(t, addr, "", "eval", "list")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "Placement Failures", "abcdef12  50")

	r = runCLI(t, addr, "", "eval", "list", "-job", "other")
	wantCode(t, r, 0)
	if r.stdout != "No evals found\n" {
		t.Errorf("filtered list: got %q", r.stdout)
	}

	r = runCLI(t, addr, "", "eval", "status", "zzz")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, `Error getting evaluation status: evaluation "zzz" not found`)
}

func TestAllocStatus(t *testing.T) {
	f, addr := newFakeAgent(t)
	f.allocs = []*api.Allocation{{
		ID: "a1b2c3d4-0000", EvalID: "e1e2e3e4-0000", Name: "web.app[0]", NodeID: "n1n2n3n4-0000", NodeName: "host1",
		JobID: "web", Job: &api.Job{Version: 4}, TaskGroup: "app", DesiredStatus: "run", ClientStatus: "running",
		CreateTime: nanos(10 * time.Second), ModifyTime: nanos(5 * time.Second),
		TaskStates: map[string]*api.TaskState{"server": {State: "running", Events: []*api.TaskEvent{
			{Type: api.TaskReceived, Time: nanos(9 * time.Second), DisplayMessage: "Task received by client"},
			{Type: api.TaskStarted, Time: nanos(6 * time.Second), DisplayMessage: "Task started by client"},
		}}},
		Metrics: &api.AllocMetric{NodesEvaluated: 1},
	}}
	r := runCLI(t, addr, "", "alloc", "status", "-verbose", "a1b2")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout,
		"ID                  = a1b2c3d4-0000\n",
		"Job Version         = 4\n",
		"Created             = 10s ago\n",
		`Task "server" is "running"`,
		"Placement Metrics\n")
	started := strings.Index(r.stdout, "Task started by client")
	received := strings.Index(r.stdout, "Task received by client")
	if started < 0 || received < 0 || started > received {
		t.Errorf("events not newest first:\n%s", r.stdout)
	}
}

func TestNodeStatus(t *testing.T) {
	f, addr := newFakeAgent(t)
	f.nodes = []*api.Node{{
		ID: "node1234-abcd", Name: "host1", Datacenter: "dc1", NodePool: "default", Status: "ready",
		SchedulingEligibility: "eligible", Attributes: map[string]string{"kernel.name": "linux"},
		Drivers:       map[string]*api.DriverInfo{"exec": {Detected: true, Healthy: true}, "qemu": {}},
		NodeResources: &api.NodeResources{Cpu: api.NodeCpuResources{CpuShares: 4000}, Memory: api.NodeMemoryResources{MemoryMB: 8192}, Disk: api.NodeDiskResources{DiskMB: 10000}},
	}}
	f.allocs = []*api.Allocation{{ID: "alloc-1", NodeID: "node1234-abcd", ClientStatus: "running", DesiredStatus: "run",
		AllocatedResources: &api.AllocatedResources{
			Tasks:  map[string]*api.AllocatedTaskResources{"t": {Cpu: api.AllocatedCpuResources{CpuShares: 500}, Memory: api.AllocatedMemoryResources{MemoryMB: 256}}},
			Shared: api.AllocatedSharedResources{DiskMB: 300},
		}}}
	r := runCLI(t, addr, "", "node", "status")
	wantCode(t, r, 0)
	want := "ID        Node Pool  DC   Name   Class   Drain  Eligibility  Status\n" +
		"node1234  default    dc1  host1  <none>  false  eligible     ready\n"
	if r.stdout != want {
		t.Errorf("list:\ngot:\n%s\nwant:\n%s", r.stdout, want)
	}
	r = runCLI(t, addr, "", "node", "status", "-verbose", "node")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "Drivers     = exec\n", "500/4000 MHz", "256/8192 MiB", "300/10000 MiB",
		"Attributes\nkernel.name = linux\n")
}
