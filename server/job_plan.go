package server

import (
	"context"
	"fmt"
	"maps"
	"slices"

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
	view := s.state.Snapshot().SchedulerState()
	existing := view.JobByID(job.Namespace, job.ID)
	resp := &structs.JobPlanResponse{WriteMeta: structs.WriteMeta{Index: view.Index()}}
	if existing != nil {
		resp.JobModifyIndex = existing.JobModifyIndex
	}
	planned := scheduler.PlannedJob(view, job, s.now())
	if req.Diff {
		resp.Diff = structs.DiffJobs(existing, planned)
	}
	if isLaunchedLater(planned) {
		// Periodic and parameterized jobs place nothing when registered.
		return resp, nil
	}
	eval := s.newEval(planned, structs.EvalTriggerJobRegister)
	eval.ModifyIndex, eval.CreateIndex = view.Index(), view.Index()
	planner := &scheduler.DryRunPlanner{}
	sched, err := scheduler.NewScheduler(planned.Type, s.logger.With("component", "job_plan", "job_id", job.ID),
		scheduler.OverlayJob(view, planned), planner)
	if err != nil {
		return nil, fmt.Errorf("plan job %q: %w", job.ID, err)
	}
	if err := sched.Process(eval); err != nil {
		return nil, fmt.Errorf("plan job %q: %w", job.ID, err)
	}
	fill(resp, planner, planned, view)
	if resp.Diff != nil {
		for _, tg := range resp.Diff.TaskGroups {
			tg.Updates = updatesOf(resp.Annotations, tg.Name)
		}
	}
	return resp, nil
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

// fill copies what the scheduler did into resp: the plan's annotations,
// with the allocations it would preempt listed node by node. A scheduler
// that submitted no plan (nothing to change) leaves every live allocation
// ignored.
func fill(resp *structs.JobPlanResponse, p *scheduler.DryRunPlanner, job *structs.Job, st scheduler.State) {
	if p.Plan != nil && p.Plan.Annotations != nil {
		resp.Annotations = p.Plan.Annotations
		for _, node := range slices.Sorted(maps.Keys(p.Plan.NodePreemptions)) {
			for _, a := range p.Plan.NodePreemptions[node] {
				resp.Annotations.PreemptedAllocs = append(resp.Annotations.PreemptedAllocs, a.Stub())
			}
		}
	} else {
		resp.Annotations = ignoredAll(job, st)
	}
	if p.Eval != nil {
		resp.FailedTGAllocs = p.Eval.FailedTGAllocs
	}
	resp.CreatedEvals = p.Created
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
