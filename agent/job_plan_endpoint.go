package agent

import (
	"context"
	"net/http"

	"github.com/droverhq/drover/api"
	"github.com/droverhq/drover/structs"
)

// jobPlanAPI is the part of the server `job plan` needs; *server.Server
// implements it. It is asserted at run time so that test fakes of
// serverAPI need not implement it.
type jobPlanAPI interface {
	JobPlan(ctx context.Context, req *structs.JobPlanRequest) (*structs.JobPlanResponse, error)
}

// JobPlanRequest is the body of PUT/POST /v1/job/{id}/plan. PolicyOverride
// is accepted for Nomad's clients and not used.
type JobPlanRequest struct {
	Job            *api.Job
	Diff           bool
	PolicyOverride bool
	WriteRequest
}

// jobPlan answers PUT/POST /v1/job/{id}/plan: a dry run of registering the
// job, with the scheduler's annotations and (with Diff) the field-by-field
// difference from the registered version. Nothing is written.
func (s *httpServer) jobPlan(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.srv == nil {
		return nil, errNoServer
	}
	planner, ok := s.srv.(jobPlanAPI)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: "this server cannot plan jobs"}
	}
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	var req JobPlanRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Job == nil {
		return nil, badRequest("the request has no Job: send {\"Job\": {...}, \"Diff\": true}")
	}
	if req.Job.ID != r.PathValue("id") {
		return nil, badRequest("job ID %q in the body does not match %q in the URL", req.Job.ID, r.PathValue("id"))
	}
	job, err := apiJobToStructs(req.Job)
	if err != nil {
		return nil, err
	}
	if job.Namespace == "" {
		job.Namespace = o.ns(req.Namespace)
	}
	if job.Namespace == "" {
		job.Namespace = structs.DefaultNamespace
	}
	resp, err := planner.JobPlan(r.Context(), &structs.JobPlanRequest{Job: job, Diff: req.Diff,
		WriteRequest: structs.WriteRequest{Region: req.Region, Namespace: job.Namespace, AuthToken: o.token}})
	if err != nil {
		return nil, err
	}
	setWriteIndex(w, resp.Index)
	if resp.CreatedEvals == nil {
		resp.CreatedEvals = []*structs.Evaluation{}
	}
	return resp, nil
}
