package scheduler

import (
	"sync"

	"github.com/droverhq/drover/structs"
)

// DryRunPlanner is the Planner for `job plan`: it records what the
// scheduler would do and commits nothing. SubmitPlan answers as if the
// whole plan were applied, so the scheduler finishes in one attempt; it
// asks for every plan, even one that changes nothing, so the annotations
// (DesiredTGUpdates) always come back. Safe for concurrent use.
type DryRunPlanner struct {
	mu sync.Mutex
	// Plan is the last plan submitted (nil before Process).
	Plan *structs.Plan
	// Eval is the evaluation as the scheduler finished it: its
	// FailedTGAllocs and QueuedAllocations say what would not be placed.
	Eval *structs.Evaluation
	// Created are the follow-up or blocked evaluations it would create.
	Created []*structs.Evaluation
}

var _ AnnotatingPlanner = (*DryRunPlanner)(nil)

// AnnotatePlan implements AnnotatingPlanner.
func (p *DryRunPlanner) AnnotatePlan() bool { return true }

// SubmitPlan implements Planner: it records the plan and reports it fully
// applied, without a new state.
func (p *DryRunPlanner) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, State, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Plan = plan
	return &structs.PlanResult{
		NodeUpdate: plan.NodeUpdate, NodeAllocation: plan.NodeAllocation, NodePreemptions: plan.NodePreemptions,
	}, nil, nil
}

// UpdateEval implements Planner.
func (p *DryRunPlanner) UpdateEval(eval *structs.Evaluation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Eval = eval
	return nil
}

// CreateEval implements Planner.
func (p *DryRunPlanner) CreateEval(eval *structs.Evaluation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Created = append(p.Created, eval)
	return nil
}

// ReblockEval implements Planner.
func (p *DryRunPlanner) ReblockEval(eval *structs.Evaluation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Eval = eval
	return nil
}

// OverlayJob returns a view of state in which job is registered (for `job
// plan`). When the job's spec differs from the stored version (or there is
// none), JobByID returns a copy stamped with JobModifyIndex state.Index()+1,
// so that the running allocations are seen as an older version; when it
// does not, the copy keeps the stored version's indexes, so nothing looks
// changed, as registering the same job again changes nothing. Everything
// else, the scheduler configuration included, is read from state.
func OverlayJob(state State, job *structs.Job) State {
	cp := *job
	if old := state.JobByID(job.Namespace, job.ID); old != nil && !old.SpecChanged(job) {
		cp.Version, cp.CreateIndex, cp.ModifyIndex, cp.JobModifyIndex = old.Version, old.CreateIndex, old.ModifyIndex, old.JobModifyIndex
	} else {
		cp.JobModifyIndex = state.Index() + 1
	}
	return &overlayState{State: state, job: &cp}
}

type overlayState struct {
	State
	job *structs.Job
}

var _ State = (*overlayState)(nil)

func (o *overlayState) JobByID(namespace, id string) *structs.Job {
	if namespace == o.job.Namespace && id == o.job.ID {
		return o.job
	}
	return o.State.JobByID(namespace, id)
}
