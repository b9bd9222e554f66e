package api

import "net/http"

// JobDispatchRequest is the body of POST /v1/job/:id/dispatch.
type JobDispatchRequest struct {
	JobID            string
	Payload          []byte            `json:",omitempty"`
	Meta             map[string]string `json:",omitempty"`
	IdempotencyToken string            `json:",omitempty"`
}

// JobDispatchResponse names the dispatched child job and its evaluation.
type JobDispatchResponse struct {
	DispatchedJobID string
	EvalID          string
	EvalCreateIndex uint64
	JobCreateIndex  uint64
	Index           uint64
}

// PeriodicForceResponse names the child a forced periodic launch created
// and its evaluation.
type PeriodicForceResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	ChildJobID      string
	Index           uint64
}

// Dispatch launches a child of the parameterized job jobID with meta and
// payload. A non-empty idempotencyToken makes a retry return the child the
// first call created.
func (j *Jobs) Dispatch(jobID string, meta map[string]string, payload []byte, idempotencyToken string,
	w *WriteOptions) (*JobDispatchResponse, *WriteMeta, error) {
	var out JobDispatchResponse
	req := &JobDispatchRequest{JobID: jobID, Payload: payload, Meta: meta, IdempotencyToken: idempotencyToken}
	wm, err := j.c.write(http.MethodPost, "/v1/job/"+escape(jobID)+"/dispatch", req, &out, w)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// PeriodicForce launches the periodic job jobID now.
func (j *Jobs) PeriodicForce(jobID string, w *WriteOptions) (*PeriodicForceResponse, *WriteMeta, error) {
	var out PeriodicForceResponse
	wm, err := j.c.write(http.MethodPost, "/v1/job/"+escape(jobID)+"/periodic/force", nil, &out, w)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}
