package agent

import (
	"context"
	"net/http"
	"time"

	"github.com/droverhq/drover/structs"
)

// nodeDrainAPI is the part of the server node drain and eligibility need;
// *server.Server implements it (asserted at run time, like jobPlanAPI).
type nodeDrainAPI interface {
	NodeUpdateDrain(ctx context.Context, req *structs.NodeUpdateDrainRequest) (*structs.NodeDrainUpdateResponse, error)
	NodeUpdateEligibility(ctx context.Context, req *structs.NodeUpdateEligibilityRequest) (*structs.NodeDrainUpdateResponse, error)
}

// DrainSpec is a drain as Nomad's API sends it: Deadline in nanoseconds
// (0 no deadline, negative force).
type DrainSpec struct {
	Deadline         time.Duration
	IgnoreSystemJobs bool
}

// NodeUpdateDrainRequest is the body of PUT/POST /v1/node/{id}/drain. A
// null DrainSpec ends the drain; MarkEligible then makes the node eligible
// again. NodeID and Meta are accepted for Nomad's clients; the URL names
// the node.
type NodeUpdateDrainRequest struct {
	NodeID       string
	DrainSpec    *DrainSpec
	MarkEligible bool
	Meta         map[string]string
	WriteRequest
}

// NodeUpdateEligibilityRequest is the body of PUT/POST
// /v1/node/{id}/eligibility.
type NodeUpdateEligibilityRequest struct {
	NodeID      string
	Eligibility string
	WriteRequest
}

// nodeDrainer returns the server's drain API or the error to answer with.
func (s *httpServer) nodeDrainer() (nodeDrainAPI, error) {
	if s.srv == nil {
		return nil, errNoServer
	}
	d, ok := s.srv.(nodeDrainAPI)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: "this server cannot drain nodes"}
	}
	return d, nil
}

// nodeDrain answers PUT/POST /v1/node/{id}/drain; a unique ID prefix will do.
func (s *httpServer) nodeDrain(w http.ResponseWriter, r *http.Request) (any, error) {
	d, err := s.nodeDrainer()
	if err != nil {
		return nil, err
	}
	var req NodeUpdateDrainRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	node, err := lookupNode(nil, s.srv.State(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if req.NodeID != "" && req.NodeID != node.ID {
		return nil, badRequest("NodeID %q in the body does not match node %q in the URL", req.NodeID, node.ID)
	}
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	cmd := &structs.NodeUpdateDrainRequest{NodeID: node.ID, MarkEligible: req.MarkEligible,
		WriteRequest: structs.WriteRequest{Region: req.Region, AuthToken: o.token}}
	if req.DrainSpec != nil {
		cmd.DrainStrategy = &structs.DrainStrategy{DrainSpec: structs.DrainSpec{
			Deadline: req.DrainSpec.Deadline, IgnoreSystemJobs: req.DrainSpec.IgnoreSystemJobs}}
	}
	resp, err := d.NodeUpdateDrain(r.Context(), cmd)
	if err != nil {
		return nil, err
	}
	return drainResponse(w, resp), nil
}

// nodeEligibility answers PUT/POST /v1/node/{id}/eligibility.
func (s *httpServer) nodeEligibility(w http.ResponseWriter, r *http.Request) (any, error) {
	d, err := s.nodeDrainer()
	if err != nil {
		return nil, err
	}
	var req NodeUpdateEligibilityRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	switch req.Eligibility {
	case structs.NodeSchedulingEligible, structs.NodeSchedulingIneligible:
	default:
		return nil, badRequest("Eligibility %q is not %q or %q", req.Eligibility,
			structs.NodeSchedulingEligible, structs.NodeSchedulingIneligible)
	}
	node, err := lookupNode(nil, s.srv.State(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if req.NodeID != "" && req.NodeID != node.ID {
		return nil, badRequest("NodeID %q in the body does not match node %q in the URL", req.NodeID, node.ID)
	}
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	resp, err := d.NodeUpdateEligibility(r.Context(), &structs.NodeUpdateEligibilityRequest{NodeID: node.ID,
		Eligibility: req.Eligibility, WriteRequest: structs.WriteRequest{Region: req.Region, AuthToken: o.token}})
	if err != nil {
		return nil, err
	}
	return drainResponse(w, resp), nil
}

// NodeDrainUpdateResponse answers drain and eligibility updates, as Nomad's.
type NodeDrainUpdateResponse struct {
	NodeModifyIndex uint64
	EvalIDs         []string
	EvalCreateIndex uint64
	Index           uint64
}

func drainResponse(w http.ResponseWriter, resp *structs.NodeDrainUpdateResponse) *NodeDrainUpdateResponse {
	setWriteIndex(w, resp.Index)
	ids := resp.EvalIDs
	if ids == nil {
		ids = []string{}
	}
	return &NodeDrainUpdateResponse{NodeModifyIndex: resp.NodeModifyIndex, EvalIDs: ids,
		EvalCreateIndex: resp.EvalCreateIndex, Index: resp.Index}
}
