package scheduler

import (
	"time"

	"github.com/droverhq/drover/structs"
)

// evalContext is the working memory of one planning attempt: the plan being
// built, per-node usage kept incrementally, and per-group placement state.
// It lives for one attempt; a retry starts a fresh one on the new state.
type evalContext struct {
	s   *genericScheduler
	ev  *structs.Evaluation
	job *structs.Job // nil when the job was purged
	now time.Time

	stopped map[string]bool          // IDs of allocations this plan stops
	nodes   map[string]*structs.Node // NodeByID cache
	usage   map[string]*nodeUsage    // by node ID, built on first touch
	groups  map[string]*groupState   // by task group name

	jobAllocs []*structs.Allocation // every allocation of the job
	scope     *jobScope             // nodes in the job's pool and datacenters
	cons      *constraintChecker
	jobProps  []*distinctProp // job-level distinct_property constraints

	config  *structs.SchedulerConfiguration // never nil
	preempt bool                            // preemption enabled for this job's type
	spread  bool                            // rank emptiest first (SchedulerAlgorithmSpread)

	queued        map[string]int
	classEligible map[string]bool
	escaped       bool
	specCache     map[specKey]bool
	groupIndex    map[string]int // task group name -> index in job.TaskGroups
}

// specKey caches "did this group's spec change between these job versions".
type specKey struct {
	old   *structs.Job
	group string
}

func newEvalContext(s *genericScheduler, ev *structs.Evaluation, job *structs.Job) *evalContext {
	c := &evalContext{
		s: s, ev: ev, job: job, now: s.now(),
		stopped: map[string]bool{}, nodes: map[string]*structs.Node{}, usage: map[string]*nodeUsage{},
		groups: map[string]*groupState{}, cons: s.constraints(), queued: map[string]int{},
		classEligible: map[string]bool{}, specCache: map[specKey]bool{}, groupIndex: map[string]int{},
	}
	c.config = schedulerConfig(s.state)
	c.preempt = c.config.PreemptionEnabled(s.jobType)
	c.spread = c.config.EffectiveAlgorithm() == structs.SchedulerAlgorithmSpread
	if job != nil {
		for i, tg := range job.TaskGroups {
			if tg != nil {
				c.groupIndex[tg.Name] = i
			}
		}
	}
	return c
}

// node returns the node by ID through a per-attempt cache (nil if gone).
func (c *evalContext) node(id string) *structs.Node {
	if n, ok := c.nodes[id]; ok {
		return n
	}
	n := c.s.state.NodeByID(id)
	c.nodes[id] = n
	return n
}

// nodeUsage is what one node has committed: allocations already there that
// this plan keeps, plus what this plan places. Built on first touch so an
// evaluation pays only for the nodes it looks at.
type nodeUsage struct {
	node     *structs.Node
	capacity structs.ComparableResources
	used     structs.ComparableResources
	existing []*structs.Allocation // live allocations this plan keeps
	placed   []*structs.Allocation // this plan's placements here
	ports    *structs.NetworkIndex // built on first port ask
	// jobAllocs and groupAllocs count this job's live allocations here, for
	// distinct_hosts and job anti-affinity.
	jobAllocs   int
	groupAllocs []int32 // indexed like the job's TaskGroups
	// version counts changes to used, so scores computed from it can be
	// cached until the next placement here.
	version int
}

func (c *evalContext) usageOf(n *structs.Node) *nodeUsage {
	if u, ok := c.usage[n.ID]; ok {
		return u
	}
	u := &nodeUsage{node: n, capacity: *structs.NodeCapacity(n)}
	if c.job != nil {
		u.groupAllocs = make([]int32, len(c.job.TaskGroups))
	}
	for _, a := range c.s.state.AllocsByNode(n.ID) {
		if a.TerminalStatus() || c.stopped[a.ID] {
			continue
		}
		u.existing = append(u.existing, a)
		u.used.Add(a.ComparableResources())
		if c.job != nil && a.JobID == c.job.ID && a.Namespace == c.job.Namespace {
			u.jobAllocs++
			if gi, ok := c.groupIndex[a.TaskGroup]; ok {
				u.groupAllocs[gi]++
			}
		}
	}
	c.usage[n.ID] = u
	return u
}

// portIndex returns the node's port index, built on first use (and again
// after a preemption) from the allocations the plan keeps and places there.
func (u *nodeUsage) portIndex() *structs.NetworkIndex {
	if u.ports == nil {
		u.ports = structs.NewNetworkIndex(u.node)
		u.ports.AddAllocs(u.existing)
		u.ports.AddAllocs(u.placed)
	}
	return u.ports
}

// failedMetrics returns the failure report of every group that could not
// place all its instances, or nil.
func (c *evalContext) failedMetrics() map[string]*structs.AllocMetric {
	var out map[string]*structs.AllocMetric
	for name, gs := range c.groups {
		if gs.failures == 0 {
			continue
		}
		if out == nil {
			out = map[string]*structs.AllocMetric{}
		}
		out[name] = gs.failureMetric()
	}
	return out
}
