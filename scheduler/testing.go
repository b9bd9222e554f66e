package scheduler

import (
	"fmt"
	"math/rand"
	"sort"
	"sync"
	"time"

	"github.com/droverhq/drover/structs"
)

// This file holds test support that other packages (the server's tests,
// benchmarks, simulators) reuse: an in-memory State and a Harness that is a
// recording Planner applying plans to its own state.

// nsKey names a job in a namespace.
type nsKey struct{ ns, id string }

// MemState is an immutable State over slices, indexed for the lookups a
// scheduler makes. Build it with NewMemState; it must not be changed after.
type MemState struct {
	index        uint64
	nodes        []*structs.Node
	nodeByID     map[string]*structs.Node
	jobs         map[nsKey]*structs.Job
	allocsByJob  map[nsKey][]*structs.Allocation
	allocsByNode map[string][]*structs.Allocation
	evals        map[string]*structs.Evaluation
	config       *structs.SchedulerConfiguration
}

var (
	_ State       = (*MemState)(nil)
	_ ConfigState = (*MemState)(nil)
)

// NewMemState indexes the given objects as a snapshot at index. Nodes keep
// their order; a later job with the same namespace and ID replaces an
// earlier one. It sets each node's ComputedClass, as the server's state
// store does on every node upsert, so a fixture changed after MockNode
// never carries a stale class.
func NewMemState(index uint64, nodes []*structs.Node, jobs []*structs.Job, allocs []*structs.Allocation, evals []*structs.Evaluation) *MemState {
	s := &MemState{
		index: index, nodes: nodes, nodeByID: make(map[string]*structs.Node, len(nodes)),
		jobs: map[nsKey]*structs.Job{}, allocsByJob: map[nsKey][]*structs.Allocation{},
		allocsByNode: make(map[string][]*structs.Allocation, len(nodes)), evals: map[string]*structs.Evaluation{},
	}
	for _, n := range nodes {
		n.ComputeClass()
		s.nodeByID[n.ID] = n
	}
	for _, j := range jobs {
		s.jobs[nsKey{j.Namespace, j.ID}] = j
	}
	for _, a := range allocs {
		k := nsKey{a.Namespace, a.JobID}
		s.allocsByJob[k] = append(s.allocsByJob[k], a)
		s.allocsByNode[a.NodeID] = append(s.allocsByNode[a.NodeID], a)
	}
	for _, e := range evals {
		s.evals[e.ID] = e
	}
	return s
}

// Index implements State.
func (s *MemState) Index() uint64 { return s.index }

// Nodes implements State.
func (s *MemState) Nodes() []*structs.Node { return s.nodes }

// NodeByID implements State.
func (s *MemState) NodeByID(id string) *structs.Node { return s.nodeByID[id] }

// JobByID implements State.
func (s *MemState) JobByID(namespace, id string) *structs.Job { return s.jobs[nsKey{namespace, id}] }

// AllocsByJob implements State.
func (s *MemState) AllocsByJob(namespace, jobID string) []*structs.Allocation {
	return s.allocsByJob[nsKey{namespace, jobID}]
}

// AllocsByNode implements State.
func (s *MemState) AllocsByNode(nodeID string) []*structs.Allocation { return s.allocsByNode[nodeID] }

// EvalByID implements State.
func (s *MemState) EvalByID(id string) *structs.Evaluation { return s.evals[id] }

// SchedulerConfig implements State: nil means the defaults.
func (s *MemState) SchedulerConfig() *structs.SchedulerConfiguration { return s.config }

// WithSchedulerConfig returns a copy of the snapshot that carries the
// scheduler configuration c (nil for the defaults).
func (s *MemState) WithSchedulerConfig(c *structs.SchedulerConfiguration) *MemState {
	cp := *s
	cp.config = c
	return &cp
}

// Harness is a small cluster in memory and a Planner that records what a
// scheduler asks and applies plans to that cluster, checking each node's
// placements as the server's plan applier does: the node must be ready, and
// its allocations after the plan must pass structs.AllocsFit. Its methods
// are safe for concurrent use.
type Harness struct {
	mu     sync.Mutex
	index  uint64
	nodes  []*structs.Node
	jobs   map[nsKey]*structs.Job
	allocs map[string]*structs.Allocation
	order  []string // alloc IDs in insertion order, for stable snapshots
	evals  map[string]*structs.Evaluation
	config *structs.SchedulerConfiguration

	// Plans, Results, Updated, Created and Reblocked record the calls made
	// through the Planner interface, in order.
	Plans     []*structs.Plan
	Results   []*structs.PlanResult
	Updated   []*structs.Evaluation
	Created   []*structs.Evaluation
	Reblocked []*structs.Evaluation

	// RejectPlan, when set, is asked about each plan; true rejects the
	// whole plan with a RefreshIndex, as a lost race would.
	RejectPlan func(*structs.Plan) bool
	// RejectNode, when set, is asked about each node a plan places on;
	// true rejects that node's placements only (a partly applied plan).
	RejectNode func(plan *structs.Plan, nodeID string) bool
	// Now is the scheduler's clock (time.Now when nil). Seed seeds its
	// random choices (from the eval ID when zero).
	Now  func() time.Time
	Seed int64
}

var _ Planner = (*Harness)(nil)

// NewHarness returns an empty cluster at index 1.
func NewHarness() *Harness {
	return &Harness{
		index: 1, jobs: map[nsKey]*structs.Job{}, allocs: map[string]*structs.Allocation{},
		evals: map[string]*structs.Evaluation{},
	}
}

// UpsertNodes adds or replaces nodes by ID, computing each node's
// ComputedClass as the server does when a node registers or changes.
func (h *Harness) UpsertNodes(nodes ...*structs.Node) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.index++
	for _, n := range nodes {
		n.ComputeClass()
		replaced := false
		for i, old := range h.nodes {
			if old.ID == n.ID {
				h.nodes[i], replaced = n, true
			}
		}
		if !replaced {
			h.nodes = append(h.nodes, n)
		}
	}
}

// SetSchedulerConfig sets the cluster's scheduler configuration (nil for
// the defaults), as `operator scheduler set-config` does.
func (h *Harness) SetSchedulerConfig(c *structs.SchedulerConfiguration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.index++
	h.config = c.Copy()
	if h.config != nil {
		h.config.ModifyIndex = h.index
		if h.config.CreateIndex == 0 {
			h.config.CreateIndex = h.index
		}
	}
}

// UpsertJob stores a job version, stamping ModifyIndex and JobModifyIndex
// as registering a job does.
func (h *Harness) UpsertJob(job *structs.Job) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.index++
	job.ModifyIndex, job.JobModifyIndex = h.index, h.index
	if job.CreateIndex == 0 {
		job.CreateIndex = h.index
	}
	h.jobs[nsKey{job.Namespace, job.ID}] = job
}

// DeleteJob purges a job.
func (h *Harness) DeleteJob(namespace, id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.index++
	delete(h.jobs, nsKey{namespace, id})
}

// UpsertAllocs adds or replaces allocations by ID.
func (h *Harness) UpsertAllocs(allocs ...*structs.Allocation) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.index++
	h.putAllocs(allocs)
}

func (h *Harness) putAllocs(allocs []*structs.Allocation) {
	for _, a := range allocs {
		if _, ok := h.allocs[a.ID]; !ok {
			h.order = append(h.order, a.ID)
			a.CreateIndex = h.index
		}
		a.ModifyIndex = h.index
		h.allocs[a.ID] = a
	}
}

// Allocs returns every allocation, in insertion order.
func (h *Harness) Allocs() []*structs.Allocation {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*structs.Allocation, 0, len(h.order))
	for _, id := range h.order {
		out = append(out, h.allocs[id])
	}
	return out
}

// Eval returns a stored evaluation, or nil.
func (h *Harness) Eval(id string) *structs.Evaluation {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.evals[id]
}

// State returns a snapshot of the cluster.
func (h *Harness) State() State {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.snapshot()
}

func (h *Harness) snapshot() *MemState {
	jobs := make([]*structs.Job, 0, len(h.jobs))
	for _, j := range h.jobs {
		jobs = append(jobs, j)
	}
	allocs := make([]*structs.Allocation, 0, len(h.order))
	for _, id := range h.order {
		allocs = append(allocs, h.allocs[id])
	}
	evals := make([]*structs.Evaluation, 0, len(h.evals))
	for _, e := range h.evals {
		evals = append(evals, e)
	}
	st := NewMemState(h.index, append([]*structs.Node(nil), h.nodes...), jobs, allocs, evals)
	st.config = h.config
	return st
}

// Process runs the builtin scheduler for the evaluation's type on a fresh
// snapshot, with the harness as its planner.
func (h *Harness) Process(eval *structs.Evaluation) error {
	sched, err := NewScheduler(eval.Type, nil, h.State(), h)
	if err != nil {
		return err
	}
	if g, ok := sched.(*genericScheduler); ok {
		if h.Now != nil {
			g.now = h.Now
		}
		if h.Seed != 0 {
			g.rng = rand.New(rand.NewSource(h.Seed))
		}
	}
	return sched.Process(eval)
}

// SubmitPlan implements Planner: it applies the stops and preemptions, then each node's
// placements that still fit, and asks for a refresh if any node did not.
func (h *Harness) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, State, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Plans = append(h.Plans, plan)
	if h.RejectPlan != nil && h.RejectPlan(plan) {
		res := &structs.PlanResult{RefreshIndex: h.index}
		h.Results = append(h.Results, res)
		return res, h.snapshot(), nil
	}
	h.index++
	res := &structs.PlanResult{NodeUpdate: plan.NodeUpdate, NodePreemptions: plan.NodePreemptions,
		NodeAllocation: map[string][]*structs.Allocation{}, AllocIndex: h.index}
	for _, stops := range plan.NodeUpdate {
		h.putAllocs(stops)
	}
	for _, evicted := range plan.NodePreemptions {
		h.putAllocs(evicted)
	}
	for _, nodeID := range sortedKeys(plan.NodeAllocation) {
		placed := plan.NodeAllocation[nodeID]
		if h.RejectNode != nil && h.RejectNode(plan, nodeID) {
			res.RefreshIndex = h.index
			continue
		}
		if err := h.fits(nodeID, placed); err != nil {
			res.RefreshIndex = h.index
			continue
		}
		h.putAllocs(placed)
		res.NodeAllocation[nodeID] = placed
	}
	h.Results = append(h.Results, res)
	return res, h.snapshot(), nil
}

// fits re-checks a node's placements against what is on it now.
func (h *Harness) fits(nodeID string, placed []*structs.Allocation) error {
	var node *structs.Node
	for _, n := range h.nodes {
		if n.ID == nodeID {
			node = n
		}
	}
	if node == nil {
		return fmt.Errorf("node %q: %w", nodeID, structs.ErrNotFound)
	}
	if !node.Ready() {
		// As the server's applier: no placements or updates on such a node.
		return fmt.Errorf("node %q is not ready for placements", nodeID)
	}
	updating := map[string]bool{}
	for _, a := range placed {
		updating[a.ID] = true
	}
	all := append([]*structs.Allocation(nil), placed...)
	for _, id := range h.order {
		if a := h.allocs[id]; a.NodeID == nodeID && !updating[a.ID] {
			all = append(all, a)
		}
	}
	fit, dim, _, err := structs.AllocsFit(node, all)
	if err != nil {
		return err
	}
	if !fit {
		return fmt.Errorf("node %q: %s exhausted", nodeID, dim)
	}
	return nil
}

// UpdateEval implements Planner.
func (h *Harness) UpdateEval(eval *structs.Evaluation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Updated = append(h.Updated, eval)
	h.evals[eval.ID] = eval
	return nil
}

// CreateEval implements Planner.
func (h *Harness) CreateEval(eval *structs.Evaluation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Created = append(h.Created, eval)
	h.evals[eval.ID] = eval
	return nil
}

// ReblockEval implements Planner.
func (h *Harness) ReblockEval(eval *structs.Evaluation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Reblocked = append(h.Reblocked, eval)
	h.evals[eval.ID] = eval
	return nil
}

// LiveAllocs returns the allocations the servers still want running for a
// job, sorted by name.
func (h *Harness) LiveAllocs(namespace, jobID string) []*structs.Allocation {
	var out []*structs.Allocation
	for _, a := range h.Allocs() {
		if a.Namespace == namespace && a.JobID == jobID && !a.TerminalStatus() {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
