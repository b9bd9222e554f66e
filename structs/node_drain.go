package structs

import "time"

// DrainSpec is what an operator asks of a drain, as Nomad's: Deadline is
// how long allocations may take to move off the node before the rest are
// stopped (0: no deadline, negative: stop everything now, "force");
// IgnoreSystemJobs leaves system and sysbatch allocations running.
type DrainSpec struct {
	Deadline         time.Duration
	IgnoreSystemJobs bool
}

// DrainStrategy is a drain in progress, stored on its node. ForceDeadline
// is when the leader stops whatever is left (zero: never); StartedAt is
// when the drain began. Both are the leader's clock.
type DrainStrategy struct {
	DrainSpec
	ForceDeadline time.Time
	StartedAt     time.Time
}

// DeadlineTime reports whether the drain has a deadline and when it is.
func (d *DrainStrategy) DeadlineTime() (time.Time, bool) {
	if d == nil || d.ForceDeadline.IsZero() {
		return time.Time{}, false
	}
	return d.ForceDeadline, true
}

// NodeUpdateDrainRequest starts (DrainStrategy set) or ends (nil) a node's
// drain (NodeUpdateDrainRequestType). Starting marks the node ineligible;
// ending leaves it ineligible unless MarkEligible.
type NodeUpdateDrainRequest struct {
	NodeID        string
	DrainStrategy *DrainStrategy
	MarkEligible  bool
	UpdatedAt     int64
	WriteRequest
}

// NodeDrainUpdateResponse answers a drain or eligibility change, as
// Nomad's: the node's new index and the evaluations created with it.
type NodeDrainUpdateResponse struct {
	NodeModifyIndex uint64
	EvalIDs         []string
	EvalCreateIndex uint64
	WriteMeta
}
