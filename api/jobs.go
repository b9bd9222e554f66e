package api

import (
	"net/http"
	"strconv"
)

// JobListStub is a job in listings.
type JobListStub struct {
	ID                string
	ParentID          string
	Name              string
	Namespace         string
	Datacenters       []string
	NodePool          string
	Type              string
	Priority          int
	Periodic          bool
	ParameterizedJob  bool
	Stop              bool
	Status            string
	StatusDescription string
	JobSummary        *JobSummary
	CreateIndex       uint64
	ModifyIndex       uint64
	JobModifyIndex    uint64
	SubmitTime        int64
	Version           uint64
	Meta              map[string]string `json:",omitempty"`
}

// JobSummary counts a job's allocations by status, per task group.
type JobSummary struct {
	JobID       string
	Namespace   string
	Summary     map[string]TaskGroupSummary
	CreateIndex uint64
	ModifyIndex uint64
}

// TaskGroupSummary counts one group's allocations.
type TaskGroupSummary struct {
	Queued   int
	Complete int
	Failed   int
	Running  int
	Starting int
	Lost     int
	Unknown  int
}

// JobRegisterRequest is the body of POST /v1/jobs.
type JobRegisterRequest struct {
	Job *Job
	// EnforceIndex makes the register fail unless the job's JobModifyIndex
	// equals JobModifyIndex (0: the job must not exist).
	EnforceIndex   bool   `json:",omitempty"`
	JobModifyIndex uint64 `json:",omitempty"`
}

// JobRegisterResponse answers a job registration.
type JobRegisterResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	JobModifyIndex  uint64
	Warnings        string
	Index           uint64
}

// JobDeregisterResponse answers a job deregistration.
type JobDeregisterResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	JobModifyIndex  uint64
	Index           uint64
}

// JobsParseRequest is the body of POST /v1/jobs/parse.
type JobsParseRequest struct {
	JobHCL       string
	Canonicalize bool
}

// JobValidateRequest is the body of POST /v1/validate/job.
type JobValidateRequest struct {
	Job *Job
}

// JobValidateResponse lists what is wrong with a job; problems come back
// with status 200.
type JobValidateResponse struct {
	DriverConfigValidated bool
	ValidationErrors      []string
	Error                 string
	Warnings              string
}

// JobVersionsResponse is the answer of GET /v1/job/:id/versions.
type JobVersionsResponse struct {
	Versions []*Job
}

// Jobs is the jobs endpoint group.
type Jobs struct{ c *Client }

// Jobs returns the jobs endpoints.
func (c *Client) Jobs() *Jobs { return &Jobs{c: c} }

// List lists jobs; q.Prefix filters by ID prefix.
func (j *Jobs) List(q *QueryOptions) ([]*JobListStub, *QueryMeta, error) {
	var out []*JobListStub
	qm, err := j.c.query("/v1/jobs", &out, q)
	return out, qm, err
}

// PrefixList lists the jobs whose ID starts with prefix.
func (j *Jobs) PrefixList(prefix string) ([]*JobListStub, *QueryMeta, error) {
	return j.List(&QueryOptions{Prefix: prefix})
}

// Register creates or updates a job.
func (j *Jobs) Register(job *Job, w *WriteOptions) (*JobRegisterResponse, *WriteMeta, error) {
	return j.register(&JobRegisterRequest{Job: job}, w)
}

// EnforceRegister registers job only if its current JobModifyIndex equals
// modifyIndex (0: only if it does not exist yet).
func (j *Jobs) EnforceRegister(job *Job, modifyIndex uint64, w *WriteOptions) (*JobRegisterResponse, *WriteMeta, error) {
	return j.register(&JobRegisterRequest{Job: job, EnforceIndex: true, JobModifyIndex: modifyIndex}, w)
}

func (j *Jobs) register(req *JobRegisterRequest, w *WriteOptions) (*JobRegisterResponse, *WriteMeta, error) {
	var out JobRegisterResponse
	wm, err := j.c.write(http.MethodPost, "/v1/jobs", req, &out, w)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// ParseHCL asks the agent to turn a job file into a Job.
func (j *Jobs) ParseHCL(hcl string, canonicalize bool) (*Job, error) {
	var out Job
	_, err := j.c.write(http.MethodPost, "/v1/jobs/parse", &JobsParseRequest{JobHCL: hcl, Canonicalize: canonicalize}, &out, nil)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// Validate asks the agent to check job without registering it.
func (j *Jobs) Validate(job *Job, w *WriteOptions) (*JobValidateResponse, *WriteMeta, error) {
	var out JobValidateResponse
	wm, err := j.c.write(http.MethodPost, "/v1/validate/job", &JobValidateRequest{Job: job}, &out, w)
	if err != nil {
		return nil, nil, err
	}
	return &out, wm, nil
}

// Info reads one job.
func (j *Jobs) Info(id string, q *QueryOptions) (*Job, *QueryMeta, error) {
	var out Job
	qm, err := j.c.query("/v1/job/"+escape(id), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Versions lists a job's versions, newest first.
func (j *Jobs) Versions(id string, q *QueryOptions) ([]*Job, *QueryMeta, error) {
	var out JobVersionsResponse
	qm, err := j.c.query("/v1/job/"+escape(id)+"/versions", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return out.Versions, qm, nil
}

// Allocations lists a job's allocations; all includes those of older
// versions of a job that was purged and re-registered.
func (j *Jobs) Allocations(id string, all bool, q *QueryOptions) ([]*AllocationListStub, *QueryMeta, error) {
	q = withParam(q, "all", strconv.FormatBool(all))
	var out []*AllocationListStub
	qm, err := j.c.query("/v1/job/"+escape(id)+"/allocations", &out, q)
	return out, qm, err
}

// Evaluations lists a job's evaluations.
func (j *Jobs) Evaluations(id string, q *QueryOptions) ([]*Evaluation, *QueryMeta, error) {
	var out []*Evaluation
	qm, err := j.c.query("/v1/job/"+escape(id)+"/evaluations", &out, q)
	return out, qm, err
}

// Summary reads a job's allocation counts per group.
func (j *Jobs) Summary(id string, q *QueryOptions) (*JobSummary, *QueryMeta, error) {
	var out JobSummary
	qm, err := j.c.query("/v1/job/"+escape(id)+"/summary", &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, qm, nil
}

// Deregister stops a job (purge also deletes it) and returns the ID of the
// evaluation that stops its allocations.
func (j *Jobs) Deregister(id string, purge bool, w *WriteOptions) (string, *WriteMeta, error) {
	r := j.c.newRequest(http.MethodDelete, "/v1/job/"+escape(id))
	r.setWrite(w)
	if purge {
		r.params.Set("purge", "true")
	}
	var out JobDeregisterResponse
	wm, err := j.c.send(r, &out)
	if err != nil {
		return "", nil, err
	}
	return out.EvalID, wm, nil
}

// withParam returns a copy of q with one more query parameter.
func withParam(q *QueryOptions, key, val string) *QueryOptions {
	out := &QueryOptions{}
	if q != nil {
		*out = *q
	}
	params := make(map[string]string, len(out.Params)+1)
	for k, v := range out.Params {
		params[k] = v
	}
	params[key] = val
	out.Params = params
	return out
}
