package server

import (
	"context"
	"fmt"

	"github.com/droverhq/drover/structs"
)

// maxScaleCount bounds a task group's count set through scaling.
const maxScaleCount = 1 << 20

// JobScale sets one task group's count: it registers a new version of the
// job with that count (and an evaluation, in the same Raft entry), as
// registering the edited job would. A stopped, periodic or parameterized
// job cannot be scaled.
func (s *Server) JobScale(ctx context.Context, req *structs.JobScaleRequest) (*structs.JobRegisterResponse, error) {
	if req == nil || req.JobID == "" {
		return nil, fmt.Errorf("scale job: JobID is required: %w", structs.ErrInvalid)
	}
	if req.Count == nil {
		return nil, fmt.Errorf("scale job %q: Count is required (scaling policies without a count are not supported): %w",
			req.JobID, structs.ErrInvalid)
	}
	if *req.Count < 0 || *req.Count > maxScaleCount {
		return nil, fmt.Errorf("scale job %q: Count %d must be between 0 and %d: %w", req.JobID, *req.Count, maxScaleCount, structs.ErrInvalid)
	}
	if resp, ok, err := forwarded[structs.JobRegisterResponse](ctx, s, methodJobScale, req); ok {
		return resp, err
	}
	ns := firstNonEmpty(req.Namespace, req.WriteRequest.Namespace, structs.DefaultNamespace)
	existing, err := s.state.JobByID(nil, ns, req.JobID)
	if err != nil {
		return nil, err
	}
	if existing == nil {
		return nil, fmt.Errorf("scale job %q in namespace %q: %w", req.JobID, ns, structs.ErrNotFound)
	}
	switch {
	case existing.Stop:
		return nil, fmt.Errorf("scale job %q: the job is stopped; run it again before scaling: %w", req.JobID, structs.ErrInvalid)
	case isLaunchedLater(existing):
		return nil, fmt.Errorf("scale job %q: periodic and parameterized jobs cannot be scaled: %w", req.JobID, structs.ErrInvalid)
	}
	job := existing.Copy()
	tg := job.LookupTaskGroup(req.Group)
	if tg == nil {
		return nil, fmt.Errorf("scale job %q: task group %q does not exist (groups: %s): %w",
			req.JobID, req.Group, groupList(job), structs.ErrInvalid)
	}
	tg.Count = int(*req.Count)
	return s.JobRegister(ctx, &structs.JobRegisterRequest{
		Job: job, EnforceIndex: req.EnforceIndex, JobModifyIndex: req.JobModifyIndex,
		WriteRequest: structs.WriteRequest{Region: req.Region, Namespace: ns, AuthToken: req.AuthToken},
	})
}

// groupList names the job's task groups, for error messages.
func groupList(job *structs.Job) string {
	out := ""
	for i, tg := range job.TaskGroups {
		if i > 0 {
			out += ", "
		}
		out += fmt.Sprintf("%q", tg.Name)
	}
	return out
}
