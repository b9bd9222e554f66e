package api

import (
	"net/http"
	"time"
)

// DrainSpec is a drain as an operator asks for it: Deadline is how long
// allocations may take to move off (0 no deadline, negative force: stop
// everything now); IgnoreSystemJobs leaves system allocations running.
type DrainSpec struct {
	Deadline         time.Duration
	IgnoreSystemJobs bool
}

// DrainStrategy is a drain in progress, as the node carries it.
type DrainStrategy struct {
	DrainSpec
	ForceDeadline time.Time
	StartedAt     time.Time
}

// NodeUpdateDrainRequest is the body of PUT /v1/node/:id/drain; a nil
// DrainSpec ends the drain.
type NodeUpdateDrainRequest struct {
	NodeID       string
	DrainSpec    *DrainSpec
	MarkEligible bool
}

// NodeUpdateEligibilityRequest is the body of PUT /v1/node/:id/eligibility.
type NodeUpdateEligibilityRequest struct {
	NodeID      string
	Eligibility string
}

// NodeDrainUpdateResponse answers a drain change.
type NodeDrainUpdateResponse struct {
	NodeModifyIndex uint64
	EvalIDs         []string
	EvalCreateIndex uint64
	WriteMeta
}

// NodeEligibilityUpdateResponse answers an eligibility change.
type NodeEligibilityUpdateResponse = NodeDrainUpdateResponse

// UpdateDrain starts (spec non-nil) or ends a node's drain. Ending it with
// markEligible makes the node eligible for new work again.
func (n *Nodes) UpdateDrain(nodeID string, spec *DrainSpec, markEligible bool, w *WriteOptions) (*NodeDrainUpdateResponse, error) {
	req := &NodeUpdateDrainRequest{NodeID: nodeID, DrainSpec: spec, MarkEligible: markEligible}
	var out NodeDrainUpdateResponse
	wm, err := n.c.write(http.MethodPut, "/v1/node/"+escape(nodeID)+"/drain", req, &out, w)
	if err != nil {
		return nil, err
	}
	out.WriteMeta = *wm
	return &out, nil
}

// ToggleEligibility marks a node eligible or ineligible for new work.
func (n *Nodes) ToggleEligibility(nodeID string, eligible bool, w *WriteOptions) (*NodeEligibilityUpdateResponse, error) {
	e := NodeSchedulingIneligible
	if eligible {
		e = NodeSchedulingEligible
	}
	var out NodeDrainUpdateResponse
	wm, err := n.c.write(http.MethodPut, "/v1/node/"+escape(nodeID)+"/eligibility",
		&NodeUpdateEligibilityRequest{NodeID: nodeID, Eligibility: e}, &out, w)
	if err != nil {
		return nil, err
	}
	out.WriteMeta = *wm
	return &out, nil
}
