package agent

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/api"
	"github.com/droverhq/drover/jobspec"
	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// WriteRequest holds the fields Nomad's clients add to every write body.
// Namespace is used when the job names none; the others are accepted and
// not used yet.
type WriteRequest struct {
	Region           string
	Namespace        string
	SecretID         string
	IdempotencyToken string
}

// JobRegisterRequest is the body of POST /v1/jobs and /v1/job/{id}.
// PolicyOverride, PreserveCounts, EvalPriority and Submission are accepted
// for compatibility with Nomad's clients and not used yet.
type JobRegisterRequest struct {
	Job            *api.Job
	EnforceIndex   bool
	JobModifyIndex uint64
	PolicyOverride bool
	PreserveCounts bool
	EvalPriority   int
	Submission     any
	WriteRequest
}

// JobsParseRequest is the body of POST /v1/jobs/parse.
type JobsParseRequest struct {
	JobHCL string
	// Variables is the content of a variables file.
	Variables    string
	Canonicalize bool
	HCLv1        bool `json:"hclv1,omitempty"`
}

// JobValidateRequest is the body of POST /v1/validate/job.
type JobValidateRequest struct {
	Job *api.Job
	WriteRequest
}

// JobValidateResponse answers POST /v1/validate/job.
type JobValidateResponse struct {
	DriverConfigValidated bool
	ValidationErrors      []string
	Error                 string
	Warnings              string
}

// JobEvaluateRequest is the optional body of POST /v1/job/{id}/evaluate.
type JobEvaluateRequest struct {
	JobID       string
	EvalOptions struct{ ForceReschedule bool }
	WriteRequest
}

// JobVersionsResponse answers GET /v1/job/{id}/versions.
type JobVersionsResponse struct {
	Versions []*structs.Job
	Diffs    []any
}

// JobListStub is a job in GET /v1/jobs.
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
	JobSummary        *structs.JobSummary
	CreateIndex       uint64
	ModifyIndex       uint64
	JobModifyIndex    uint64
	SubmitTime        int64
	Version           uint64
	Meta              map[string]string `json:",omitempty"`
}

// newJobListStub summarizes j.
func newJobListStub(j *structs.Job, sum *structs.JobSummary) *JobListStub {
	return &JobListStub{
		ID: j.ID, ParentID: j.ParentID, Name: j.Name, Namespace: j.Namespace, Datacenters: j.Datacenters,
		NodePool: j.NodePool, Type: j.Type, Priority: j.Priority, Periodic: j.Periodic != nil,
		ParameterizedJob: j.ParameterizedJob != nil, Stop: j.Stop, Status: j.Status,
		StatusDescription: j.StatusDescription, JobSummary: sum, CreateIndex: j.CreateIndex,
		ModifyIndex: j.ModifyIndex, JobModifyIndex: j.JobModifyIndex, SubmitTime: j.SubmitTime, Version: j.Version,
	}
}

// jobsList answers GET /v1/jobs: stubs with summaries, ?prefix, ?namespace.
func (s *httpServer) jobsList(w http.ResponseWriter, r *http.Request) (any, error) {
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	ns := o.ns(structs.DefaultNamespace)
	return s.blockingRead(w, r, o, func(ws memdb.WatchSet, st *state.StateStore) (any, error) {
		jobs, err := st.JobsByIDPrefix(ws, ns, o.prefix)
		if err != nil {
			return nil, err
		}
		out := make([]*JobListStub, 0, len(jobs))
		for _, j := range jobs {
			sum, err := st.JobSummary(ws, j.Namespace, j.ID)
			if err != nil {
				return nil, err
			}
			out = append(out, newJobListStub(j, sum))
		}
		return out, nil
	}, state.TableJobs, state.TableAllocs)
}

// jobsRegister answers POST /v1/jobs.
func (s *httpServer) jobsRegister(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.register(w, r, "")
}

// jobRegister answers POST /v1/job/{id}; the body's job ID must match.
func (s *httpServer) jobRegister(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.register(w, r, r.PathValue("id"))
}

// register decodes a JobRegisterRequest and registers its job. pathID, if
// set, must equal the job's ID.
func (s *httpServer) register(w http.ResponseWriter, r *http.Request, pathID string) (any, error) {
	if s.srv == nil {
		return nil, errNoServer
	}
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	var req JobRegisterRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Job == nil {
		return nil, badRequest("the request has no Job: send {\"Job\": {...}}")
	}
	if pathID != "" && req.Job.ID != pathID {
		return nil, badRequest("job ID %q in the body does not match %q in the URL", req.Job.ID, pathID)
	}
	job, err := apiJobToStructs(req.Job)
	if err != nil {
		return nil, err
	}
	if job.Namespace == "" {
		job.Namespace = o.ns(req.Namespace)
	}
	resp, err := s.srv.JobRegister(r.Context(), &structs.JobRegisterRequest{
		Job: job, EnforceIndex: req.EnforceIndex, JobModifyIndex: req.JobModifyIndex,
		WriteRequest: structs.WriteRequest{Region: req.Region, Namespace: job.Namespace, AuthToken: o.token},
	})
	if err != nil {
		return nil, err
	}
	setWriteIndex(w, resp.Index)
	return resp, nil
}

// jobsParse answers POST /v1/jobs/parse: HCL in, job JSON out.
func (s *httpServer) jobsParse(w http.ResponseWriter, r *http.Request) (any, error) {
	var req JobsParseRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.HCLv1 {
		return nil, badRequest("hclv1 is not supported: drover parses HCL2 job files only")
	}
	cfg := &jobspec.ParseConfig{Path: "input.hcl", Body: []byte(req.JobHCL), Strict: true}
	if req.Variables != "" {
		path, cleanup, err := writeVarFile(req.Variables)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		cfg.VarFiles = []string{path}
	}
	job, err := jobspec.Parse(cfg)
	if err != nil {
		if errors.Is(err, jobspec.ErrInvalid) {
			return nil, badRequest("%v", err)
		}
		return nil, err
	}
	if !req.Canonicalize {
		return job, nil
	}
	sj, err := apiJobToStructs(job)
	if err != nil {
		return nil, err
	}
	sj.Canonicalize()
	return structsJobToAPI(sj)
}

// writeVarFile writes variables-file content to a temporary .hcl file for
// jobspec, which reads variable files by path.
func writeVarFile(content string) (string, func(), error) {
	f, err := os.CreateTemp("", "drover-vars-*.hcl")
	if err != nil {
		return "", nil, fmt.Errorf("store variables: %w", err)
	}
	cleanup := func() { os.Remove(f.Name()) }
	_, werr := f.WriteString(content)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		cleanup()
		return "", nil, fmt.Errorf("store variables: %w", werr)
	}
	return f.Name(), cleanup, nil
}

// jobValidate answers POST /v1/validate/job. Problems come back in the
// body with status 200, as Nomad's.
func (s *httpServer) jobValidate(w http.ResponseWriter, r *http.Request) (any, error) {
	var req JobValidateRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if req.Job == nil {
		return nil, badRequest("the request has no Job: send {\"Job\": {...}}")
	}
	resp := &JobValidateResponse{DriverConfigValidated: false, ValidationErrors: []string{}}
	job, err := apiJobToStructs(req.Job)
	if err == nil {
		job.Canonicalize()
		err = job.Validate()
	}
	var verr *structs.ValidationError
	switch {
	case errors.As(err, &verr):
		resp.ValidationErrors = verr.Errors
		resp.Error = err.Error()
	case err != nil:
		resp.ValidationErrors = []string{err.Error()}
		resp.Error = err.Error()
	}
	return resp, nil
}

// jobGet answers GET /v1/job/{id}.
func (s *httpServer) jobGet(w http.ResponseWriter, r *http.Request) (any, error) {
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, o, func(ws memdb.WatchSet, st *state.StateStore) (any, error) {
		return lookupJob(ws, st, o.ns(structs.DefaultNamespace), r.PathValue("id"))
	}, state.TableJobs)
}

// lookupJob finds a job by exact ID, else by a unique ID prefix.
func lookupJob(ws memdb.WatchSet, st *state.StateStore, ns, id string) (*structs.Job, error) {
	job, err := st.JobByID(ws, ns, id)
	if err != nil || job != nil {
		return job, err
	}
	jobs, err := st.JobsByIDPrefix(ws, ns, id)
	if err != nil {
		return nil, err
	}
	return resolvePrefix("job", id, jobs, func(j *structs.Job) string { return j.ID })
}

// jobDeregister answers DELETE /v1/job/{id}?purge=true.
func (s *httpServer) jobDeregister(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.srv == nil {
		return nil, errNoServer
	}
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	purge, err := boolParam(r, "purge")
	if err != nil {
		return nil, err
	}
	ns := o.ns(structs.DefaultNamespace)
	resp, err := s.srv.JobDeregister(r.Context(), &structs.JobDeregisterRequest{
		JobID: r.PathValue("id"), Namespace: ns, Purge: purge,
		WriteRequest: structs.WriteRequest{Namespace: ns, AuthToken: o.token},
	})
	if err != nil {
		return nil, err
	}
	setWriteIndex(w, resp.Index)
	return resp, nil
}

// boolParam reads an optional boolean query parameter; "?purge" alone is true.
func boolParam(r *http.Request, name string) (bool, error) {
	q := r.URL.Query()
	if !q.Has(name) {
		return false, nil
	}
	v := q.Get(name)
	if v == "" {
		return true, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest("%s=%q is not a boolean: use %s=true or %s=false", name, v, name, name)
	}
	return b, nil
}

// jobAllocations answers GET /v1/job/{id}/allocations.
func (s *httpServer) jobAllocations(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.jobRead(w, r, state.TableAllocs, func(ws memdb.WatchSet, st *state.StateStore, job *structs.Job) (any, error) {
		allocs, err := st.AllocsByJob(ws, job.Namespace, job.ID)
		return allocStubs(allocs), err
	})
}

// jobEvaluations answers GET /v1/job/{id}/evaluations.
func (s *httpServer) jobEvaluations(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.jobRead(w, r, state.TableEvals, func(ws memdb.WatchSet, st *state.StateStore, job *structs.Job) (any, error) {
		evals, err := st.EvalsByJob(ws, job.Namespace, job.ID)
		return emptyIfNil(evals), err
	})
}

// jobVersions answers GET /v1/job/{id}/versions.
func (s *httpServer) jobVersions(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.jobRead(w, r, state.TableJobs, func(ws memdb.WatchSet, st *state.StateStore, job *structs.Job) (any, error) {
		versions, err := st.JobVersionsByID(ws, job.Namespace, job.ID)
		return &JobVersionsResponse{Versions: emptyIfNil(versions)}, err
	})
}

// jobSummary answers GET /v1/job/{id}/summary.
func (s *httpServer) jobSummary(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.jobRead(w, r, state.TableAllocs, func(ws memdb.WatchSet, st *state.StateStore, job *structs.Job) (any, error) {
		return st.JobSummary(ws, job.Namespace, job.ID)
	})
}

// jobRead runs a blocking read about the job named in the path; it
// answers 404 when the job does not exist.
func (s *httpServer) jobRead(w http.ResponseWriter, r *http.Request, table string,
	read func(memdb.WatchSet, *state.StateStore, *structs.Job) (any, error)) (any, error) {
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	ns := o.ns(structs.DefaultNamespace)
	return s.blockingRead(w, r, o, func(ws memdb.WatchSet, st *state.StateStore) (any, error) {
		job, err := lookupJob(ws, st, ns, r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		return read(ws, st, job)
	}, state.TableJobs, table)
}

// jobEvaluate answers POST /v1/job/{id}/evaluate with a new evaluation.
func (s *httpServer) jobEvaluate(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.srv == nil {
		return nil, errNoServer
	}
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	var req JobEvaluateRequest
	if err := decodeOptionalBody(r, &req); err != nil {
		return nil, err
	}
	evalID, index, err := s.srv.JobEvaluate(r.Context(), o.ns(structs.DefaultNamespace), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	setWriteIndex(w, index)
	return &structs.JobRegisterResponse{EvalID: evalID, EvalCreateIndex: index, WriteMeta: structs.WriteMeta{Index: index}}, nil
}
