package server

import (
	"context"
	"fmt"

	"github.com/droverhq/drover/structs"
)

// JobRegister validates and registers a job version and, unless the job is
// periodic or parameterized (those only run when launched), creates its
// evaluation in the same Raft entry.
func (s *Server) JobRegister(ctx context.Context, req *structs.JobRegisterRequest) (*structs.JobRegisterResponse, error) {
	if req == nil || req.Job == nil {
		return nil, fmt.Errorf("register job: the request has no Job: %w", structs.ErrInvalid)
	}
	if resp, ok, err := forwarded[structs.JobRegisterResponse](ctx, s, methodJobRegister, req); ok {
		return resp, err
	}
	job := req.Job.Copy()
	if job.Namespace == "" {
		job.Namespace = req.Namespace
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		return nil, fmt.Errorf("register job %q: %w", job.ID, err)
	}
	if err := s.checkEnforceIndex(req, job); err != nil {
		return nil, err
	}
	job.SubmitTime = s.now().UnixNano()
	cmd := &structs.JobRegisterRequest{Job: job, EnforceIndex: req.EnforceIndex, JobModifyIndex: req.JobModifyIndex,
		WriteRequest: req.WriteRequest}
	if !isLaunchedLater(job) {
		cmd.Eval = s.newEval(job, structs.EvalTriggerJobRegister)
	}
	index, err := s.RaftApply(structs.JobRegisterRequestType, cmd)
	if err != nil {
		return nil, fmt.Errorf("register job %q: %w", job.ID, err)
	}
	resp := &structs.JobRegisterResponse{JobModifyIndex: index, WriteMeta: structs.WriteMeta{Index: index}}
	if stored, err := s.state.JobByID(nil, job.Namespace, job.ID); err == nil && stored != nil {
		resp.JobModifyIndex = stored.JobModifyIndex
	}
	if cmd.Eval != nil {
		resp.EvalID, resp.EvalCreateIndex = cmd.Eval.ID, index
	}
	return resp, nil
}

// isLaunchedLater reports whether a job only runs when launched (periodic
// or dispatched), so registering it evaluates nothing.
func isLaunchedLater(job *structs.Job) bool {
	return job.Periodic != nil || job.ParameterizedJob != nil
}

// checkEnforceIndex fails early (the FSM checks again at apply time) when
// the caller's view of the job is stale.
func (s *Server) checkEnforceIndex(req *structs.JobRegisterRequest, job *structs.Job) error {
	if !req.EnforceIndex {
		return nil
	}
	existing, err := s.state.JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		return err
	}
	var have uint64
	if existing != nil {
		have = existing.JobModifyIndex
	}
	if have != req.JobModifyIndex {
		return fmt.Errorf("register job %q: its JobModifyIndex is %d but the request expected %d (re-read the job and retry): %w",
			job.ID, have, req.JobModifyIndex, structs.ErrConflict)
	}
	return nil
}

// JobDeregister stops a job (or with Purge deletes it) and creates the
// evaluation that stops its allocations.
func (s *Server) JobDeregister(ctx context.Context, req *structs.JobDeregisterRequest) (*structs.JobDeregisterResponse, error) {
	if req == nil || req.JobID == "" {
		return nil, fmt.Errorf("deregister job: JobID is required: %w", structs.ErrInvalid)
	}
	if resp, ok, err := forwarded[structs.JobDeregisterResponse](ctx, s, methodJobDeregister, req); ok {
		return resp, err
	}
	ns := firstNonEmpty(req.Namespace, req.WriteRequest.Namespace, structs.DefaultNamespace)
	job, err := s.state.JobByID(nil, ns, req.JobID)
	if err != nil {
		return nil, err
	}
	if job == nil {
		return nil, fmt.Errorf("deregister job %q in namespace %q: %w", req.JobID, ns, structs.ErrNotFound)
	}
	cmd := &structs.JobDeregisterRequest{JobID: job.ID, Namespace: ns, Purge: req.Purge, WriteRequest: req.WriteRequest}
	cmd.Eval = s.newEval(job, structs.EvalTriggerJobDeregister)
	index, err := s.RaftApply(structs.JobDeregisterRequestType, cmd)
	if err != nil {
		return nil, fmt.Errorf("deregister job %q: %w", job.ID, err)
	}
	return &structs.JobDeregisterResponse{EvalID: cmd.Eval.ID, EvalCreateIndex: index, JobModifyIndex: index,
		WriteMeta: structs.WriteMeta{Index: index}}, nil
}

// JobEvaluate creates a new evaluation of a job, forcing the scheduler to
// reconcile it with the cluster.
func (s *Server) JobEvaluate(ctx context.Context, namespace, jobID string) (evalID string, index uint64, err error) {
	fwd := &structs.JobEvaluateRequest{JobID: jobID, WriteRequest: structs.WriteRequest{Namespace: namespace}}
	if resp, ok, err := forwarded[structs.JobEvaluateResponse](ctx, s, methodJobEvaluate, fwd); ok {
		if err != nil {
			return "", 0, err
		}
		return resp.EvalID, resp.Index, nil
	}
	ns := firstNonEmpty(namespace, structs.DefaultNamespace)
	job, err := s.state.JobByID(nil, ns, jobID)
	if err != nil {
		return "", 0, err
	}
	if job == nil {
		return "", 0, fmt.Errorf("evaluate job %q in namespace %q: %w", jobID, ns, structs.ErrNotFound)
	}
	if isLaunchedLater(job) {
		return "", 0, fmt.Errorf("evaluate job %q: periodic and parameterized jobs cannot be evaluated, launch them instead: %w",
			jobID, structs.ErrInvalid)
	}
	eval := s.newEval(job, structs.EvalTriggerJobRegister)
	index, err = s.RaftApply(structs.EvalUpdateRequestType, &structs.EvalUpdateRequest{Evals: []*structs.Evaluation{eval}})
	if err != nil {
		return "", 0, fmt.Errorf("evaluate job %q: %w", jobID, err)
	}
	return eval.ID, index, nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
