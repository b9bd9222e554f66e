package scheduler

import (
	"fmt"
	"testing"

	"github.com/droverhq/drover/structs"
)

func TestConstraintOperators(t *testing.T) {
	n := MockNode()
	n.ID, n.Name, n.Datacenter, n.NodeClass, n.NodePool = "id-1", "web-1", "eu-west-1", "large", "prod"
	n.Attributes = map[string]string{
		"kernel.name": "linux", "cpu.numcores": "8", "kernel.version": "6.8.0", "os.name": "ubuntu",
		"drover.version": "1.2.3-beta1", "tags": "a, b,c", "semver": "1.2.3",
	}
	n.Meta = map[string]string{"rack": "r7"}
	tests := []struct {
		l, op, r string
		want     bool
	}{
		{"${attr.kernel.name}", "=", "linux", true},
		{"${attr.kernel.name}", "", "linux", true},
		{"${attr.kernel.name}", "==", "windows", false},
		{"${attr.kernel.name}", "is", "linux", true},
		{"${attr.missing}", "=", "", false},
		{"${attr.kernel.name}", "!=", "windows", true},
		{"${attr.kernel.name}", "not", "linux", false},
		{"${attr.missing}", "!=", "linux", true},
		{"${attr.cpu.numcores}", ">", "4", true},
		{"${attr.cpu.numcores}", ">", "10", false}, // numeric, not lexical ("8" > "10" as text)
		{"${attr.cpu.numcores}", ">=", "8", true},
		{"${attr.cpu.numcores}", "<", "8", false},
		{"${attr.cpu.numcores}", "<=", "8.0", true},
		{"${attr.os.name}", "<", "zebra", true}, // lexical
		{"${attr.os.name}", ">", "zebra", false},
		{"${attr.missing}", "<", "5", false},
		{"${attr.kernel.version}", "regexp", "^6\\.[0-9]+", true},
		{"${attr.kernel.version}", "regexp", "^5\\.", false},
		{"${attr.kernel.version}", "regexp", "([", false}, // invalid never matches
		{"${attr.kernel.version}", "version", ">= 6.1, < 7", true},
		{"${attr.kernel.version}", "version", "~> 5.4", false},
		{"${attr.kernel.version}", "version", "not a constraint", false},
		{"${attr.semver}", "semver", ">= 1.2.0", true},
		{"${attr.semver}", "semver", "< 1.0", false},
		{"${attr.drover.version}", "semver", ">= 1.2.0", false}, // a prerelease does not satisfy a release constraint
		{"${attr.drover.version}", "version", ">= 1.2.3-alpha", true},
		{"${attr.tags}", "set_contains", "a,c", true},
		{"${attr.tags}", "set_contains", "a,d", false},
		{"${attr.tags}", "set_contains_all", "b", true},
		{"${attr.tags}", "set_contains_any", "x,c", true},
		{"${attr.tags}", "set_contains_any", "x,y", false},
		{"${attr.kernel.name}", "is_set", "", true},
		{"${attr.missing}", "is_set", "", false},
		{"${attr.missing}", "is_not_set", "", true},
		{"${meta.rack}", "is_not_set", "", false},
		{"${meta.rack}", "=", "r7", true},
		{"${node.unique.id}", "=", "id-1", true},
		{"${node.unique.name}", "regexp", "^web-", true},
		{"${node.datacenter}", "=", "eu-west-1", true},
		{"${node.class}", "=", "large", true},
		{"${node.pool}", "=", "prod", true},
		{"${node.bogus}", "is_set", "", false},
		{"literal", "=", "literal", true},
		{"${attr.kernel.name}", "=", "${attr.kernel.name}", true},
		{"${attr.kernel.name}", "frobnicate", "linux", false},
	}
	cc := newConstraintChecker()
	for _, tt := range tests {
		name := fmt.Sprintf("%s %s %s", tt.l, tt.op, tt.r)
		t.Run(name, func(t *testing.T) {
			if got := cc.matches(tt.l, tt.op, tt.r, n); got != tt.want {
				t.Errorf("matches(%s) = %v, want %v", name, got, tt.want)
			}
		})
	}
	if len(cc.regexps) != 4 {
		t.Errorf("regexp cache has %d entries, want 4 (one per distinct expression)", len(cc.regexps))
	}
}

func TestDatacenterMatches(t *testing.T) {
	tests := []struct {
		dcs  []string
		dc   string
		want bool
	}{
		{nil, "anything", true},
		{[]string{}, "dc1", true},
		{[]string{"dc1"}, "dc1", true},
		{[]string{"dc1"}, "dc2", false},
		{[]string{"dc2", "dc1"}, "dc1", true},
		{[]string{"*"}, "eu-1", true},
		{[]string{"eu-*"}, "eu-west", true},
		{[]string{"eu-*"}, "us-east", false},
		{[]string{"dc[12]"}, "dc2", true},
		{[]string{"[bad"}, "dc1", false},
	}
	for _, tt := range tests {
		if got := datacenterMatches(tt.dcs, tt.dc); got != tt.want {
			t.Errorf("datacenterMatches(%q, %q) = %v, want %v", tt.dcs, tt.dc, got, tt.want)
		}
	}
}

// placeOne registers a one-instance job after mutate and returns the eval
// and the nodes it placed on.
func placeOne(t *testing.T, h *Harness, count int, mutate func(*structs.Job)) (*structs.Evaluation, map[string]int) {
	t.Helper()
	job := MockServiceJob()
	job.TaskGroups[0].Count = count
	mutate(job)
	h.UpsertJob(job)
	ev := process(t, h, job)
	on := map[string]int{}
	for _, a := range h.LiveAllocs(job.Namespace, job.ID) {
		on[a.NodeName]++
	}
	return ev, on
}

func TestFeasibilityFilters(t *testing.T) {
	tests := []struct {
		name       string
		nodes      func(ns []*structs.Node)
		job        func(j *structs.Job)
		wantOn     string // the one node that may be used
		wantFilter string // a ConstraintFiltered key expected when over-asked
	}{
		{
			name: "datacenter glob",
			nodes: func(ns []*structs.Node) {
				ns[0].Datacenter, ns[1].Datacenter, ns[2].Datacenter = "us-1", "eu-1", "eu-2"
			},
			job:    func(j *structs.Job) { j.Datacenters = []string{"us-*"} },
			wantOn: "node-0",
		},
		{
			name:   "node pool",
			nodes:  func(ns []*structs.Node) { ns[1].NodePool = "gpu"; ns[2].NodePool = "" },
			job:    func(j *structs.Job) { j.NodePool = "gpu" },
			wantOn: "node-1",
		},
		{
			name: "node not ready",
			nodes: func(ns []*structs.Node) {
				ns[0].Status = structs.NodeStatusInit
				ns[1].SchedulingEligibility = structs.NodeSchedulingIneligible
			},
			job:    func(j *structs.Job) {},
			wantOn: "node-2", wantFilter: "node not ready",
		},
		{
			name: "missing and unhealthy drivers",
			nodes: func(ns []*structs.Node) {
				delete(ns[0].Drivers, "exec")
				ns[1].Drivers["exec"].Healthy = false
			},
			job:    func(j *structs.Job) {},
			wantOn: "node-2", wantFilter: "missing drivers",
		},
		{
			name:  "driver attribute fallback",
			nodes: func(ns []*structs.Node) { ns[0].Attributes["driver.docker"] = "true" },
			job: func(j *structs.Job) {
				j.TaskGroups[0].Tasks[0].Driver = "docker"
			},
			wantOn: "node-0", wantFilter: "missing drivers",
		},
		{
			name:  "job constraint",
			nodes: func(ns []*structs.Node) { ns[2].Attributes["kernel.name"] = "windows" },
			job: func(j *structs.Job) {
				j.Constraints = []*structs.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "windows", Operand: "="}}
			},
			wantOn: "node-2", wantFilter: "${attr.kernel.name} = windows",
		},
		{
			name:  "group constraint",
			nodes: func(ns []*structs.Node) { ns[1].Meta["rack"] = "r9" },
			job: func(j *structs.Job) {
				j.TaskGroups[0].Constraints = []*structs.Constraint{{LTarget: "${meta.rack}", RTarget: "r9"}}
			},
			wantOn: "node-1", wantFilter: "${meta.rack} = r9",
		},
		{
			name:  "task constraint",
			nodes: func(ns []*structs.Node) { ns[0].Attributes["cpu.numcores"] = "64" },
			job: func(j *structs.Job) {
				j.TaskGroups[0].Tasks[0].Constraints = []*structs.Constraint{{LTarget: "${attr.cpu.numcores}", RTarget: "32", Operand: ">="}}
			},
			wantOn: "node-0", wantFilter: "${attr.cpu.numcores} >= 32",
		},
		{
			name: "host volume",
			nodes: func(ns []*structs.Node) {
				ns[0].HostVolumes = map[string]*structs.ClientHostVolumeConfig{"data": {Name: "data", Path: "/d", ReadOnly: true}}
				ns[1].HostVolumes = map[string]*structs.ClientHostVolumeConfig{"data": {Name: "data", Path: "/d"}}
			},
			job: func(j *structs.Job) {
				j.TaskGroups[0].Volumes = map[string]*structs.VolumeRequest{"v": {Name: "v", Type: "host", Source: "data"}}
			},
			wantOn: "node-1", wantFilter: "missing compatible host volumes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, nodes := newTestHarness(t, 3)
			tt.nodes(nodes)
			h.UpsertNodes(nodes...)
			ev, on := placeOne(t, h, 3, tt.job)
			if len(on) != 1 || on[tt.wantOn] == 0 {
				t.Fatalf("placed on %v, want only %s", on, tt.wantOn)
			}
			if tt.wantFilter != "" {
				m := ev.FailedTGAllocs["web"]
				if m != nil {
					t.Fatalf("unexpected failure %+v (3 instances fit on one node)", m)
				}
				a := h.LiveAllocs(ev.Namespace, ev.JobID)[0]
				if a.Metrics.ConstraintFiltered[tt.wantFilter] == 0 {
					t.Errorf("ConstraintFiltered = %v, want a count for %q", a.Metrics.ConstraintFiltered, tt.wantFilter)
				}
			}
		})
	}
}

func TestNoFeasibleNodeReport(t *testing.T) {
	h, nodes := newTestHarness(t, 4)
	nodes[0].NodeClass = "small"
	nodes[3].Datacenter = "elsewhere"
	h.UpsertNodes(nodes...)
	ev, on := placeOne(t, h, 2, func(j *structs.Job) {
		j.Constraints = []*structs.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "windows", Operand: "="}}
	})
	if len(on) != 0 {
		t.Fatalf("placed on %v, want nowhere", on)
	}
	m := ev.FailedTGAllocs["web"]
	if m == nil || m.NodesEvaluated != 3 || m.NodesFiltered != 3 || m.ConstraintFiltered["${attr.kernel.name} = windows"] != 3 ||
		m.ClassFiltered["small"] != 1 || m.NodesAvailable["dc1"] != 3 || m.CoalescedFailures != 1 || m.NodesInPool != 4 {
		t.Fatalf("metric = %+v, want 3 evaluated and filtered by the constraint, class small 1, 1 coalesced", m)
	}
	if b := h.Created[0]; b.ClassEligibility["v1:default"] {
		t.Errorf("ClassEligibility = %v, want v1:default ineligible", b.ClassEligibility)
	}
}

func TestDistinctHosts(t *testing.T) {
	for _, level := range []string{"job", "group"} {
		t.Run(level, func(t *testing.T) {
			h, _ := newTestHarness(t, 3)
			ev, on := placeOne(t, h, 5, func(j *structs.Job) {
				c := []*structs.Constraint{{Operand: structs.ConstraintDistinctHosts, RTarget: "true"}}
				if level == "job" {
					j.Constraints = c
				} else {
					j.TaskGroups[0].Constraints = c
				}
			})
			if len(on) != 3 {
				t.Fatalf("placed on %v, want 3 nodes with one each", on)
			}
			for n, c := range on {
				if c != 1 {
					t.Errorf("%s has %d instances, want 1", n, c)
				}
			}
			m := ev.FailedTGAllocs["web"]
			if m == nil || m.ConstraintFiltered["distinct_hosts"] != 3 || m.CoalescedFailures != 1 {
				t.Fatalf("metric = %+v, want distinct_hosts filtering 3 and 2 failures", m)
			}
		})
	}
}

func TestDistinctHostsCountsExistingAllocs(t *testing.T) {
	h, nodes := newTestHarness(t, 3)
	job := MockServiceJob()
	job.Constraints = []*structs.Constraint{{Operand: structs.ConstraintDistinctHosts}}
	job.TaskGroups[0].Count = 2
	h.UpsertJob(job)
	h.UpsertAllocs(MockAlloc(job, nodes[0], 0))
	process(t, h, job)
	placed := planned(lastPlan(t, h))
	if len(placed) != 1 || placed[0].NodeID == nodes[0].ID {
		t.Fatalf("placed %d, on %s; want 1 on a node other than node-0", len(placed), placed[0].NodeName)
	}
}

func TestDistinctProperty(t *testing.T) {
	h, nodes := newTestHarness(t, 6)
	for i, n := range nodes {
		n.Meta["rack"] = fmt.Sprintf("r%d", i%3)
	}
	delete(nodes[5].Meta, "rack")
	h.UpsertNodes(nodes...)
	ev, on := placeOne(t, h, 10, func(j *structs.Job) {
		j.TaskGroups[0].Constraints = []*structs.Constraint{{LTarget: "${meta.rack}", RTarget: "2", Operand: structs.ConstraintDistinctProperty}}
	})
	perRack := map[string]int{}
	for _, n := range nodes {
		perRack[n.Meta["rack"]] += on[n.Name]
	}
	if perRack["r0"] != 2 || perRack["r1"] != 2 || perRack["r2"] != 2 || perRack[""] != 0 {
		t.Fatalf("instances per rack = %v, want 2 on each of r0..r2 and none without a rack", perRack)
	}
	if m := ev.FailedTGAllocs["web"]; m == nil || m.CoalescedFailures != 3 {
		t.Fatalf("failure = %+v, want 4 failed placements", m)
	}
}

func TestAffinityPrefersMatchingNodes(t *testing.T) {
	h, nodes := newTestHarness(t, 20)
	nodes[7].Meta["rack"] = "fast"
	h.UpsertNodes(nodes...)
	_, on := placeOne(t, h, 3, func(j *structs.Job) {
		j.Affinities = []*structs.Affinity{{LTarget: "${meta.rack}", RTarget: "fast", Operand: "=", Weight: 100}}
		j.TaskGroups[0].Tasks[0].Resources.CPU = 100
	})
	// Affinities widen the window to every node, so all go to node-7.
	if on["node-7"] != 3 {
		t.Fatalf("placed on %v, want all on node-7 (affinity)", on)
	}
}

func TestAntiAffinitySpreadsSmallGroups(t *testing.T) {
	h, _ := newTestHarness(t, 10)
	_, on := placeOne(t, h, 3, func(j *structs.Job) {})
	if len(on) != 3 {
		t.Fatalf("3 instances placed on %v, want 3 different nodes (job anti-affinity)", on)
	}
}

// A datacenter the job names but no ready node is in is reported with 0,
// so the CLI can say "No nodes are available in datacenter".
func TestEmptyDatacenterReported(t *testing.T) {
	h, _ := newTestHarness(t, 2)
	ev, on := placeOne(t, h, 1, func(j *structs.Job) { j.Datacenters = []string{"dc9", "dc*"} })
	if len(on) != 1 {
		t.Fatalf("placed on %v, want one node (dc* matches dc1)", on)
	}
	ev, on = placeOne(t, h, 1, func(j *structs.Job) { j.ID = "only-dc9"; j.Datacenters = []string{"dc9"} })
	if len(on) != 0 {
		t.Fatalf("placed on %v, want nowhere", on)
	}
	m := ev.FailedTGAllocs["web"]
	if m == nil {
		t.Fatalf("no failure report: %+v", ev)
	}
	if n, ok := m.NodesAvailable["dc9"]; !ok || n != 0 {
		t.Fatalf("NodesAvailable = %v, want dc9: 0", m.NodesAvailable)
	}
	if _, ok := m.NodesAvailable["dc*"]; ok {
		t.Fatalf("NodesAvailable = %v, want no entry for a glob", m.NodesAvailable)
	}
}
