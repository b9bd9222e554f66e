package fsm

import (
	"fmt"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// command decodes and applies one message type.
type command struct {
	newMsg func() interface{}
	apply  func(s *state.StateStore, index uint64, msg interface{}) error
}

// handle builds a command for request type T.
func handle[T any](apply func(s *state.StateStore, index uint64, req *T) error) command {
	return command{
		newMsg: func() interface{} { return new(T) },
		apply: func(s *state.StateStore, index uint64, msg interface{}) error {
			return apply(s, index, msg.(*T))
		},
	}
}

// commands maps each known message type to its handler.
var commands = map[structs.MessageType]command{
	structs.NodeRegisterRequestType:                 handle(applyNodeRegister),
	structs.NodeDeregisterRequestType:               handle(applyNodeDeregister),
	structs.NodeUpdateStatusRequestType:             handle(applyNodeStatus),
	structs.NodeUpdateEligibilityRequestType:        handle(applyNodeEligibility),
	structs.NodeUpdateDrainRequestType:              handle(applyNodeDrain),
	structs.JobRegisterRequestType:                  handle(applyJobRegister),
	structs.JobDeregisterRequestType:                handle(applyJobDeregister),
	structs.EvalUpdateRequestType:                   handle(applyEvalUpdate),
	structs.EvalDeleteRequestType:                   handle(applyEvalDelete),
	structs.AllocClientUpdateRequestType:            handle(applyAllocClientUpdate),
	structs.ApplyPlanResultsRequestType:             handle(applyPlanResults),
	structs.DeploymentStatusUpdateRequestType:       handle(applyDeploymentStatus),
	structs.JobStabilityRequestType:                 handle(applyJobStability),
	structs.AllocUpdateDesiredTransitionRequestType: handle(applyAllocDesiredTransition),
	structs.SchedulerConfigRequestType:              handle(applySchedulerConfig),
}

func applyNodeRegister(s *state.StateStore, index uint64, req *structs.NodeRegisterRequest) error {
	if req.Node == nil {
		return fmt.Errorf("register node: missing Node: %w", structs.ErrInvalid)
	}
	return s.UpsertNode(index, req.Node)
}

func applyNodeDeregister(s *state.StateStore, index uint64, req *structs.NodeDeregisterRequest) error {
	return s.DeleteNodes(index, req.NodeIDs)
}

func applyNodeStatus(s *state.StateStore, index uint64, req *structs.NodeUpdateStatusRequest) error {
	return s.UpdateNodeStatus(index, req.NodeID, req.Status, req.UpdatedAt)
}

func applyNodeEligibility(s *state.StateStore, index uint64, req *structs.NodeUpdateEligibilityRequest) error {
	return s.UpdateNodeEligibility(index, req.NodeID, req.Eligibility)
}

// applyJobRegister upserts the job and its evaluation. With EnforceIndex it
// first checks, at apply time, that the job is still at the version the
// caller saw.
func applyJobRegister(s *state.StateStore, index uint64, req *structs.JobRegisterRequest) error {
	if req.Job == nil {
		return fmt.Errorf("register job: missing Job: %w", structs.ErrInvalid)
	}
	if req.EnforceIndex {
		if err := checkJobModifyIndex(s, req); err != nil {
			return err
		}
	}
	return s.RegisterJob(index, req.Job, req.Eval)
}

func checkJobModifyIndex(s *state.StateStore, req *structs.JobRegisterRequest) error {
	existing, err := s.JobByID(nil, jobNamespace(req.Job.Namespace, ""), req.Job.ID)
	if err != nil {
		return err
	}
	var have uint64
	if existing != nil {
		have = existing.JobModifyIndex
	}
	if have != req.JobModifyIndex {
		return fmt.Errorf("register job %q: JobModifyIndex is %d, request expected %d: %w",
			req.Job.ID, have, req.JobModifyIndex, structs.ErrConflict)
	}
	return nil
}

func jobNamespace(namespaces ...string) string {
	for _, ns := range namespaces {
		if ns != "" {
			return ns
		}
	}
	return structs.DefaultNamespace
}

// applyJobDeregister purges the job, or stops it as a new version.
func applyJobDeregister(s *state.StateStore, index uint64, req *structs.JobDeregisterRequest) error {
	ns := jobNamespace(req.Namespace, req.WriteRequest.Namespace)
	if req.Purge {
		return s.PurgeJob(index, ns, req.JobID, req.Eval)
	}
	return s.StopJob(index, ns, req.JobID, req.Eval)
}

func applyEvalUpdate(s *state.StateStore, index uint64, req *structs.EvalUpdateRequest) error {
	return s.UpsertEvals(index, req.Evals)
}

func applyEvalDelete(s *state.StateStore, index uint64, req *structs.EvalDeleteRequest) error {
	return s.DeleteEvals(index, req.Evals, req.Allocs)
}

func applyAllocClientUpdate(s *state.StateStore, index uint64, req *structs.AllocUpdateRequest) error {
	return s.ApplyAllocClientUpdate(index, req.Alloc, req.Evals)
}

func applyPlanResults(s *state.StateStore, index uint64, req *structs.ApplyPlanResultsRequest) error {
	return s.UpsertPlanResults(index, req)
}

func applyDeploymentStatus(s *state.StateStore, index uint64, req *structs.DeploymentStatusUpdateRequest) error {
	return s.ApplyDeploymentStatusUpdate(index, req)
}

func applyJobStability(s *state.StateStore, index uint64, req *structs.JobStabilityRequest) error {
	return s.UpdateJobStability(index, jobNamespace(req.Namespace, req.WriteRequest.Namespace), req.JobID, req.JobVersion, req.Stable)
}
