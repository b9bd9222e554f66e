package structs

// Plan is a scheduler's proposed change for one evaluation: allocations to
// stop, place or preempt, per node. The plan applier re-checks it against
// the newest state before committing it.
type Plan struct {
	EvalID    string
	EvalToken string
	Priority  int
	AllAtOnce bool
	Job       *Job
	// NodeUpdate holds allocations to stop, by node ID.
	NodeUpdate map[string][]*Allocation
	// NodeAllocation holds allocations to place or update in place, by node ID.
	NodeAllocation map[string][]*Allocation
	// NodePreemptions holds allocations evicted to make room, by node ID.
	NodePreemptions   map[string][]*Allocation
	Deployment        *Deployment
	DeploymentUpdates []*DeploymentStatusUpdate
	Annotations       *PlanAnnotations
	SnapshotIndex     uint64
}

// PlanAnnotations describe a plan for `job plan`.
type PlanAnnotations struct {
	DesiredTGUpdates map[string]*DesiredUpdates
	// PreemptedAllocs are the allocations the plan would evict (filled in
	// for `job plan` from the plan's NodePreemptions).
	PreemptedAllocs []*AllocListStub
}

// DesiredUpdates counts what a plan does to one task group.
type DesiredUpdates struct {
	Ignore            uint64
	Place             uint64
	Migrate           uint64
	Stop              uint64
	InPlaceUpdate     uint64
	DestructiveUpdate uint64
	Canary            uint64
	Preemptions       uint64
}

// PlanResult is what the plan applier committed.
type PlanResult struct {
	NodeUpdate        map[string][]*Allocation
	NodeAllocation    map[string][]*Allocation
	NodePreemptions   map[string][]*Allocation
	Deployment        *Deployment
	DeploymentUpdates []*DeploymentStatusUpdate
	// RefreshIndex, when non-zero, means part of the plan was rejected and the
	// scheduler must refresh its state to at least this index and retry.
	RefreshIndex uint64
	AllocIndex   uint64
}

// IsNoOp reports whether the plan changes nothing.
func (p *Plan) IsNoOp() bool {
	return len(p.NodeUpdate) == 0 && len(p.NodeAllocation) == 0 && len(p.NodePreemptions) == 0 &&
		p.Deployment == nil && len(p.DeploymentUpdates) == 0
}

// AppendAlloc adds a placement.
func (p *Plan) AppendAlloc(a *Allocation) {
	if p.NodeAllocation == nil {
		p.NodeAllocation = map[string][]*Allocation{}
	}
	p.NodeAllocation[a.NodeID] = append(p.NodeAllocation[a.NodeID], a)
}

// AppendStoppedAlloc adds a stop of an existing allocation.
func (p *Plan) AppendStoppedAlloc(a *Allocation, desc, clientStatus string) {
	c := *a
	c.DesiredStatus = AllocDesiredStatusStop
	c.DesiredDescription = desc
	if clientStatus != "" {
		c.ClientStatus = clientStatus
	}
	if p.NodeUpdate == nil {
		p.NodeUpdate = map[string][]*Allocation{}
	}
	p.NodeUpdate[a.NodeID] = append(p.NodeUpdate[a.NodeID], &c)
}
