package structs

// PreemptionPriorityDelta is how much lower a job's priority must be than
// the placing job's for its allocations to be preempted (as in Nomad): a
// job of priority 50 may evict allocations of priority 40 or less.
const PreemptionPriorityDelta = 10

// CanPreempt reports whether an allocation of a job at priority victim may
// be evicted to place one of a job at priority placing.
func CanPreempt(placing, victim int) bool { return victim <= placing-PreemptionPriorityDelta }

// AppendPreemptedAlloc records that a is evicted to make room for the
// allocation preemptingID: the plan carries a copy with DesiredStatus
// evict and PreemptedByAllocation set.
func (p *Plan) AppendPreemptedAlloc(a *Allocation, preemptingID string) {
	c := *a
	c.DesiredStatus = AllocDesiredStatusEvict
	c.DesiredDescription = "Preempted by alloc ID " + preemptingID
	c.PreemptedByAllocation = preemptingID
	if p.NodePreemptions == nil {
		p.NodePreemptions = map[string][]*Allocation{}
	}
	p.NodePreemptions[a.NodeID] = append(p.NodePreemptions[a.NodeID], &c)
}
