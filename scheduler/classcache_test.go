package scheduler

import (
	"fmt"
	"math/rand"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/droverhq/drover/structs"
)

// classNode is a node drawn from a few classes (attributes, meta,
// drivers, datacenter), with unique fields of its own.
func classNode(rng *rand.Rand, i int) *structs.Node {
	n := MockNode()
	n.Name = fmt.Sprintf("node-%d", i)
	n.Datacenter = []string{"dc1", "dc2"}[rng.Intn(2)]
	n.Attributes["kernel.version"] = []string{"5.15.0", "6.1.2", "6.8.0"}[rng.Intn(3)]
	n.Attributes["unique.network.ip-address"] = fmt.Sprintf("10.0.0.%d", i)
	n.Meta["rack"] = fmt.Sprintf("r%d", rng.Intn(3))
	n.Meta["tags"] = []string{"a,b", "b,c", "c"}[rng.Intn(3)]
	if rng.Intn(5) == 0 {
		n.Drivers["exec"] = &structs.DriverInfo{Detected: true, Healthy: false}
	}
	if rng.Intn(8) == 0 {
		n.Status = structs.NodeStatusDown
	}
	n.NodeResources.Cpu.CpuShares = int64(1000 + 1000*rng.Intn(4))
	return n
}

// classConstraints are constraints on class-level fields and on unique ones.
var classConstraints = []*structs.Constraint{
	{LTarget: "${meta.rack}", Operand: "!=", RTarget: "r0"},
	{LTarget: "${attr.kernel.version}", Operand: structs.ConstraintVersion, RTarget: ">= 6.0"},
	{LTarget: "${meta.tags}", Operand: structs.ConstraintSetContainsAny, RTarget: "a,c"},
	{LTarget: "${node.datacenter}", Operand: structs.ConstraintRegex, RTarget: "^dc[12]$"},
	{LTarget: "${attr.unique.network.ip-address}", Operand: structs.ConstraintRegex, RTarget: "[13579]$"},
	{LTarget: "${node.unique.name}", Operand: "!=", RTarget: "node-3"},
}

// TestPropertyClassCacheSameResult: with the per-class feasibility cache on
// or off, every evaluation of random jobs (every type, class-level and
// unique constraints) on random nodes produces the same placements, stops,
// preemptions, failure reports and class eligibility.
func TestPropertyClassCacheSameResult(t *testing.T) {
	cases := 60
	if testing.Short() {
		cases = 15
	}
	for c := 0; c < cases; c++ {
		seed := int64(c + 1)
		rng := rand.New(rand.NewSource(seed))
		nodes := make([]*structs.Node, 10+rng.Intn(60))
		for i := range nodes {
			nodes[i] = classNode(rng, i)
		}
		job := MockServiceJob()
		job.Type = []string{structs.JobTypeService, structs.JobTypeBatch, structs.JobTypeSystem, structs.JobTypeSysBatch}[rng.Intn(4)]
		job.JobModifyIndex = 5
		job.TaskGroups[0].Count = 1 + rng.Intn(40)
		for _, con := range classConstraints {
			if rng.Intn(3) == 0 {
				job.TaskGroups[0].Constraints = append(job.TaskGroups[0].Constraints, con)
			}
		}
		st := NewMemState(10, nodes, []*structs.Job{job}, nil, nil)
		on, off := runCached(t, st, job, seed, false), runCached(t, st, job, seed, true)
		if !reflect.DeepEqual(on, off) {
			t.Fatalf("seed %d (%s job, %d nodes, constraints %v): cache on and off differ:\n on: %+v\noff: %+v",
				seed, job.Type, len(nodes), job.TaskGroups[0].Constraints, on, off)
		}
	}
}

// cachedOutcome is what must not depend on the class cache.
type cachedOutcome struct {
	Placed      []string // "name@node"
	Stopped     int
	Failed      map[string]structs.AllocMetric
	Eligibility map[string]bool
	Escaped     bool
}

func runCached(t *testing.T, st State, job *structs.Job, seed int64, noCache bool) cachedOutcome {
	t.Helper()
	p := &DryRunPlanner{}
	s := newGenericScheduler(nil, st, p, job.Type)
	s.noClassCache = noCache
	s.now = func() time.Time { return testNow }
	s.rng = rand.New(rand.NewSource(seed))
	if err := s.Process(MockEval(job)); err != nil {
		t.Fatalf("Process: %v", err)
	}
	var out cachedOutcome
	if p.Plan != nil {
		for _, a := range planned(p.Plan) {
			out.Placed = append(out.Placed, a.Name+"@"+a.NodeID)
		}
		out.Stopped = len(stoppedIn(p.Plan))
	}
	sort.Strings(out.Placed)
	for name, m := range p.Eval.FailedTGAllocs {
		if out.Failed == nil {
			out.Failed = map[string]structs.AllocMetric{}
		}
		cp := *m
		cp.AllocationTime = 0
		out.Failed[name] = cp
	}
	out.Eligibility, out.Escaped = p.Eval.ClassEligibility, p.Eval.EscapedComputedClass
	return out
}

// The cache asks each class once: nodes of one class share the answer.
func TestClassCacheEvaluatesOncePerClass(t *testing.T) {
	nodes := make([]*structs.Node, 50)
	for i := range nodes {
		nodes[i] = MockNode()
		nodes[i].Meta["rack"] = fmt.Sprintf("r%d", i%2)
	}
	job := MockServiceJob()
	job.TaskGroups[0].Constraints = []*structs.Constraint{{LTarget: "${meta.rack}", RTarget: "r1"}}
	st := NewMemState(10, nodes, []*structs.Job{job}, nil, nil)
	s := newGenericScheduler(nil, st, &DryRunPlanner{}, job.Type)
	s.rng = rand.New(rand.NewSource(1))
	ctx := newEvalContext(s, MockEval(job), job)
	gs := ctx.group(job.TaskGroups[0])
	feasible := 0
	for _, n := range nodes {
		if gs.checkSpec(n) == "" {
			feasible++
		}
	}
	if feasible != 25 || len(gs.classCache) != 2 {
		t.Errorf("feasible %d, cache entries %d; want 25 and 2 (one per class)", feasible, len(gs.classCache))
	}
}
