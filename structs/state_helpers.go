package structs

// Raft command bodies used by the state store's FSM that the API-level
// requests in rpc.go do not cover.

// NodeUpdateEligibilityRequest marks a node eligible or ineligible for new
// placements (NodeUpdateEligibilityRequestType).
type NodeUpdateEligibilityRequest struct {
	NodeID      string
	Eligibility string // NodeSchedulingEligible or NodeSchedulingIneligible
	WriteRequest
}

// NodeDeregisterRequest removes nodes from the state (NodeDeregisterRequestType).
type NodeDeregisterRequest struct {
	NodeIDs []string
	WriteRequest
}

// DeploymentStatusUpdateRequest changes a deployment's status and may, for
// an auto-revert, register a job version and an evaluation with it
// (DeploymentStatusUpdateRequestType).
type DeploymentStatusUpdateRequest struct {
	DeploymentUpdate *DeploymentStatusUpdate
	Job              *Job
	Eval             *Evaluation
	WriteRequest
}

// JobStabilityRequest marks a job version stable (or not), as a successful
// deployment does, so auto-revert knows where to go back to
// (JobStabilityRequestType).
type JobStabilityRequest struct {
	Namespace  string
	JobID      string
	JobVersion uint64
	Stable     bool
	WriteRequest
}
