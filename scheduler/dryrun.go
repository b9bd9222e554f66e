package scheduler

import (
	"sync"
	"time"

	"github.com/droverhq/drover/structs"
)

// A dry run (`job plan`) runs the job's real scheduler on a snapshot in
// which the job is registered in memory only (OverlayJob of PlannedJob),
// with a DryRunPlanner that records the plan instead of committing it:
//
//	planned := PlannedJob(snapshot, job, now)
//	sched, _ := NewScheduler(planned.Type, logger, OverlayJob(snapshot, planned), p)
//	sched.Process(eval)   // p.Plan, p.Eval, p.Created say what would happen
//
// The server's JobPlan endpoint is its one user; tests use it too.

// DryRunPlanner is the Planner for a dry run: it records what the
// scheduler would do and commits nothing. SubmitPlan answers as if the
// whole plan were applied, so the scheduler finishes in one attempt; it
// asks for every plan, even one that changes nothing, so the annotations
// (DesiredTGUpdates) always come back. The scheduler calls it from its one
// goroutine; the mutex lets a test read it meanwhile.
type DryRunPlanner struct {
	mu sync.Mutex
	// Plan is the last plan submitted (nil before Process).
	Plan *structs.Plan
	// Eval is a copy of the evaluation as the scheduler finished it: its
	// FailedTGAllocs and QueuedAllocations say what would not be placed.
	Eval *structs.Evaluation
	// Created are copies of the follow-up or blocked evaluations it would
	// create.
	Created []*structs.Evaluation
}

var _ AnnotatingPlanner = (*DryRunPlanner)(nil)

// AnnotatePlan implements AnnotatingPlanner.
func (p *DryRunPlanner) AnnotatePlan() bool { return true }

// SubmitPlan implements Planner: it records the plan and reports all of it
// applied at the plan's snapshot index, without a new state.
func (p *DryRunPlanner) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, State, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Plan = plan
	return &structs.PlanResult{
		NodeUpdate: plan.NodeUpdate, NodeAllocation: plan.NodeAllocation, NodePreemptions: plan.NodePreemptions,
		Deployment: plan.Deployment, DeploymentUpdates: plan.DeploymentUpdates, AllocIndex: plan.SnapshotIndex,
	}, nil, nil
}

// UpdateEval implements Planner.
func (p *DryRunPlanner) UpdateEval(eval *structs.Evaluation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Eval = eval.Copy()
	return nil
}

// CreateEval implements Planner.
func (p *DryRunPlanner) CreateEval(eval *structs.Evaluation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Created = append(p.Created, eval.Copy())
	return nil
}

// ReblockEval implements Planner.
func (p *DryRunPlanner) ReblockEval(eval *structs.Evaluation) error { return p.UpdateEval(eval) }

// PlannedJob returns job as registering it on state would store it. When
// its specification equals the stored version's, that is the stored version
// itself: registering the same job again changes nothing. Otherwise it is a
// copy stamped as the next version, at an index past the snapshot's
// (state.Index()+1), so that the running allocations are seen as an older
// version: Version one past the stored one (0 for a new job), CreateIndex
// kept (new job: the next index), ModifyIndex and JobModifyIndex the next
// index, Status pending and SubmitTime now.
func PlannedJob(state State, job *structs.Job, now time.Time) *structs.Job {
	existing := state.JobByID(job.Namespace, job.ID)
	if existing != nil && !existing.SpecChanged(job) {
		return existing
	}
	next := state.Index() + 1
	j := job.Copy()
	j.SubmitTime = now.UnixNano()
	j.Status = structs.JobStatusPending
	j.Version, j.CreateIndex, j.ModifyIndex, j.JobModifyIndex = 0, next, next, next
	if existing != nil {
		j.CreateIndex, j.Version = existing.CreateIndex, existing.Version+1
	}
	return j
}

// OverlayJob returns a view of state in which planned (usually PlannedJob's
// answer) is the job's newest version, in memory only. Everything else,
// the scheduler configuration included, is read from state.
func OverlayJob(state State, planned *structs.Job) State {
	return &overlayState{State: state, job: planned}
}

type overlayState struct {
	State
	job *structs.Job
}

var _ State = (*overlayState)(nil)

// JobByID returns the planned job in its place, else state's.
func (o *overlayState) JobByID(namespace, id string) *structs.Job {
	if namespace == o.job.Namespace && id == o.job.ID {
		return o.job
	}
	return o.State.JobByID(namespace, id)
}

// SchedulerConfig is the underlying state's scheduler configuration: a dry
// run schedules with the algorithm and preemption settings the real run
// would use.
func (o *overlayState) SchedulerConfig() *structs.SchedulerConfiguration {
	return o.State.SchedulerConfig()
}
