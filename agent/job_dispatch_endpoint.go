package agent

import (
	"context"
	"net/http"

	"github.com/droverhq/drover/structs"
)

// jobLaunchAPI is the part of the server `job dispatch` and `job periodic
// force` need; *server.Server implements it (asserted at run time, like
// jobScaleAPI).
type jobLaunchAPI interface {
	JobDispatch(ctx context.Context, req *structs.JobDispatchRequest) (*structs.JobDispatchResponse, error)
	PeriodicForce(ctx context.Context, req *structs.PeriodicForceRequest) (*structs.PeriodicForceResponse, error)
}

// JobDispatchRequest is the body of POST /v1/job/{id}/dispatch, as Nomad's:
// Payload is base64 in JSON.
type JobDispatchRequest struct {
	JobID            string
	Payload          []byte
	Meta             map[string]string
	IdempotencyToken string
	WriteRequest
}

// registerLaunchRoutes adds the dispatch and periodic force endpoints.
func (s *httpServer) registerLaunchRoutes(handle func(string, handlerFunc)) {
	for _, m := range []string{"POST", "PUT"} {
		handle(m+" /v1/job/{id}/dispatch", s.jobDispatch)
		handle(m+" /v1/job/{id}/periodic/force", s.jobPeriodicForce)
	}
}

func (s *httpServer) launcher() (jobLaunchAPI, error) {
	if s.srv == nil {
		return nil, errNoServer
	}
	l, ok := s.srv.(jobLaunchAPI)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: "this server cannot launch jobs"}
	}
	return l, nil
}

// jobDispatch answers POST /v1/job/{id}/dispatch with the dispatched
// child's ID and evaluation.
func (s *httpServer) jobDispatch(w http.ResponseWriter, r *http.Request) (any, error) {
	l, err := s.launcher()
	if err != nil {
		return nil, err
	}
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	var req JobDispatchRequest
	if err := decodeOptionalBody(r, &req); err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	if req.JobID != "" && req.JobID != id {
		return nil, badRequest("JobID %q in the body does not match %q in the URL", req.JobID, id)
	}
	ns := o.ns(req.Namespace)
	resp, err := l.JobDispatch(r.Context(), &structs.JobDispatchRequest{
		JobID: id, Payload: req.Payload, Meta: req.Meta, IdempotencyToken: req.IdempotencyToken,
		WriteRequest: structs.WriteRequest{Region: req.Region, Namespace: ns, AuthToken: o.token},
	})
	if err != nil {
		return nil, err
	}
	setWriteIndex(w, resp.Index)
	return resp, nil
}

// jobPeriodicForce answers POST /v1/job/{id}/periodic/force: the periodic
// job is launched now.
func (s *httpServer) jobPeriodicForce(w http.ResponseWriter, r *http.Request) (any, error) {
	l, err := s.launcher()
	if err != nil {
		return nil, err
	}
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	var body WriteRequest
	if err := decodeOptionalBody(r, &body); err != nil {
		return nil, err
	}
	ns := o.ns(body.Namespace)
	resp, err := l.PeriodicForce(r.Context(), &structs.PeriodicForceRequest{JobID: r.PathValue("id"),
		WriteRequest: structs.WriteRequest{Region: body.Region, Namespace: ns, AuthToken: o.token}})
	if err != nil {
		return nil, err
	}
	setWriteIndex(w, resp.Index)
	return resp, nil
}
