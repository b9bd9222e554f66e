package server

import (
	"context"
	"fmt"
	"sync"

	"github.com/droverhq/drover/scheduler"
	"github.com/droverhq/drover/structs"
)

// JobPlan is a dry run of registering req.Job: it runs the job's real
// scheduler on a snapshot of the state in which the job is upserted in
// memory only, with a planner that records the plan instead of committing
// it. Nothing is written to Raft, so any server can answer.
func (s *Server) JobPlan(ctx context.Context, req *structs.JobPlanRequest) (*structs.JobPlanResponse, error) {
	if req == nil || req.Job == nil {
		return nil, fmt.Errorf("plan job: the request has no Job: %w", structs.ErrInvalid)
	}
	job := req.Job.Copy()
	if job.Namespace == "" {
		job.Namespace = firstNonEmpty(req.Namespace, structs.DefaultNamespace)
	}
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		return nil, fmt.Errorf("plan job %q: %w", job.ID, err)
	}
	snap := s.state.Snapshot()
	existing, err := snap.JobByID(nil, job.Namespace, job.ID)
	if err != nil {
		return nil, fmt.Errorf("plan job %q: %w", job.ID, err)
	}
	view := snap.SchedulerState()
	resp := &structs.JobPlanResponse{WriteMeta: structs.WriteMeta{Index: view.Index()}}
	if existing != nil {
		resp.JobModifyIndex = existing.JobModifyIndex
	}
	planned := plannedJob(existing, job, view.Index(), s.now().UnixNano())
	if req.Diff {
		resp.Diff = structs.DiffJobs(existing, planned)
	}
	if isLaunchedLater(planned) {
		// Periodic and parameterized jobs place nothing when registered.
		return resp, nil
	}
	eval := s.newEval(planned, structs.EvalTriggerJobRegister)
	eval.ModifyIndex, eval.CreateIndex = view.Index(), view.Index()
	planner := &dryRunPlanner{}
	sched, err := scheduler.NewScheduler(planned.Type, s.logger.With("component", "job_plan", "job_id", job.ID),
		&jobOverlay{State: view, job: planned}, planner)
	if err != nil {
		return nil, fmt.Errorf("plan job %q: %w", job.ID, err)
	}
	if err := sched.Process(eval); err != nil {
		return nil, fmt.Errorf("plan job %q: %w", job.ID, err)
	}
	planner.fill(resp, planned, view)
	if resp.Diff != nil {
		for _, tg := range resp.Diff.TaskGroups {
			tg.Updates = updatesOf(resp.Annotations, tg.Name)
		}
	}
	return resp, nil
}

// plannedJob is the job as registering it would store it: unchanged (the
// registered version itself) when its specification did not change, else
// a new version at an index past the snapshot's.
func plannedJob(existing, job *structs.Job, index uint64, now int64) *structs.Job {
	if existing != nil && !existing.SpecChanged(job) {
		return existing
	}
	j := job.Copy()
	j.SubmitTime = now
	j.Status = structs.JobStatusPending
	j.CreateIndex, j.ModifyIndex, j.JobModifyIndex = index+1, index+1, index+1
	if existing != nil {
		j.CreateIndex, j.Version = existing.CreateIndex, existing.Version+1
	}
	return j
}

// updatesOf turns a group's desired updates into the diff's Updates map,
// with Nomad's keys, leaving out zero counts. Preemptions are not an
// update of the group's own allocations; the CLI reports them apart.
func updatesOf(a *structs.PlanAnnotations, group string) map[string]uint64 {
	out := map[string]uint64{}
	if a == nil || a.DesiredTGUpdates[group] == nil {
		return out
	}
	d := a.DesiredTGUpdates[group]
	for k, v := range map[string]uint64{
		structs.UpdateTypeIgnore: d.Ignore, structs.UpdateTypeCreate: d.Place, structs.UpdateTypeMigrate: d.Migrate,
		structs.UpdateTypeDestroy: d.Stop, structs.UpdateTypeInplaceUpdate: d.InPlaceUpdate,
		structs.UpdateTypeDestructiveUpdate: d.DestructiveUpdate, structs.UpdateTypeCanary: d.Canary,
	} {
		if v > 0 {
			out[k] = v
		}
	}
	return out
}

// jobOverlay is a scheduler state with one job replaced by the planned
// version, in memory only. It passes the scheduler configuration through.
type jobOverlay struct {
	scheduler.State
	job *structs.Job
}

var (
	_ scheduler.State       = (*jobOverlay)(nil)
	_ scheduler.ConfigState = (*jobOverlay)(nil)
)

// JobByID returns the planned job in its place, else the snapshot's.
func (o *jobOverlay) JobByID(namespace, id string) *structs.Job {
	if namespace == o.job.Namespace && id == o.job.ID {
		return o.job
	}
	return o.State.JobByID(namespace, id)
}

// SchedulerConfig is the snapshot's scheduler configuration.
func (o *jobOverlay) SchedulerConfig() *structs.SchedulerConfiguration {
	if cs, ok := o.State.(scheduler.ConfigState); ok {
		return cs.SchedulerConfig()
	}
	return nil
}

// dryRunPlanner records what a scheduler asks for and commits nothing.
// SubmitPlan answers as if the whole plan had been applied, so the
// scheduler finishes in one attempt.
type dryRunPlanner struct {
	mu      sync.Mutex // guards the fields below (the scheduler calls from one goroutine; tests may read)
	plans   []*structs.Plan
	evals   []*structs.Evaluation // UpdateEval calls: the eval's final state
	created []*structs.Evaluation
}

var _ scheduler.AnnotatingPlanner = (*dryRunPlanner)(nil)

// AnnotatePlan asks the scheduler to submit even a plan that changes
// nothing, for its annotations.
func (p *dryRunPlanner) AnnotatePlan() bool { return true }

func (p *dryRunPlanner) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, scheduler.State, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.plans = append(p.plans, plan)
	return &structs.PlanResult{NodeUpdate: plan.NodeUpdate, NodeAllocation: plan.NodeAllocation,
		NodePreemptions: plan.NodePreemptions, Deployment: plan.Deployment,
		DeploymentUpdates: plan.DeploymentUpdates, AllocIndex: plan.SnapshotIndex}, nil, nil
}

func (p *dryRunPlanner) UpdateEval(eval *structs.Evaluation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.evals = append(p.evals, eval.Copy())
	return nil
}

func (p *dryRunPlanner) CreateEval(eval *structs.Evaluation) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.created = append(p.created, eval.Copy())
	return nil
}

func (p *dryRunPlanner) ReblockEval(eval *structs.Evaluation) error { return p.UpdateEval(eval) }

// fill copies what the scheduler did into resp. A scheduler that submitted
// no plan (nothing to change) leaves every live allocation ignored.
func (p *dryRunPlanner) fill(resp *structs.JobPlanResponse, job *structs.Job, st scheduler.State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.plans); n > 0 && p.plans[n-1].Annotations != nil {
		resp.Annotations = p.plans[n-1].Annotations
	} else {
		resp.Annotations = ignoredAll(job, st)
	}
	if n := len(p.evals); n > 0 {
		resp.FailedTGAllocs = p.evals[n-1].FailedTGAllocs
	}
	resp.CreatedEvals = p.created
}

// ignoredAll annotates a plan that changes nothing: each group's live
// allocations are ignored.
func ignoredAll(job *structs.Job, st scheduler.State) *structs.PlanAnnotations {
	a := &structs.PlanAnnotations{DesiredTGUpdates: map[string]*structs.DesiredUpdates{}}
	for _, tg := range job.TaskGroups {
		a.DesiredTGUpdates[tg.Name] = &structs.DesiredUpdates{}
	}
	for _, alloc := range st.AllocsByJob(job.Namespace, job.ID) {
		if d := a.DesiredTGUpdates[alloc.TaskGroup]; d != nil && !alloc.TerminalStatus() {
			d.Ignore++
		}
	}
	return a
}
