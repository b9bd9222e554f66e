package scheduler

import (
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand"
	"time"

	"github.com/droverhq/drover/structs"
)

// maxPlanAttempts bounds how often one evaluation re-plans after the plan
// applier rejected part of its plan.
const maxPlanAttempts = 5

// maxPlanAttemptsWait is how long the follow-up evaluation created after
// maxPlanAttempts waits, to let contention settle.
const maxPlanAttemptsWait = 5 * time.Second

// BuiltinSchedulers maps an evaluation type to the factory of the scheduler
// that handles it.
var BuiltinSchedulers = map[string]Factory{
	structs.JobTypeService:  NewServiceScheduler,
	structs.JobTypeBatch:    NewBatchScheduler,
	structs.JobTypeSystem:   NewSystemScheduler,
	structs.JobTypeSysBatch: NewSysBatchScheduler,
}

// NewScheduler returns the builtin scheduler called name ("service",
// "batch", "system" or "sysbatch"), or an ErrInvalid error for an unknown
// name.
func NewScheduler(name string, logger *slog.Logger, state State, planner Planner) (Scheduler, error) {
	f, ok := BuiltinSchedulers[name]
	if !ok {
		return nil, fmt.Errorf("scheduler %q: unknown scheduler type (want service, batch, system or sysbatch): %w", name, structs.ErrInvalid)
	}
	return f(logger, state, planner), nil
}

// NewServiceScheduler returns the scheduler for long-running service jobs.
func NewServiceScheduler(logger *slog.Logger, state State, planner Planner) Scheduler {
	return newGenericScheduler(logger, state, planner, structs.JobTypeService)
}

// NewBatchScheduler returns the scheduler for batch jobs, whose completed
// allocations are never replaced.
func NewBatchScheduler(logger *slog.Logger, state State, planner Planner) Scheduler {
	return newGenericScheduler(logger, state, planner, structs.JobTypeBatch)
}

// NewSystemScheduler returns the scheduler for system jobs: one allocation
// of each group on every feasible node, following nodes as they come, go
// and change.
func NewSystemScheduler(logger *slog.Logger, state State, planner Planner) Scheduler {
	return newGenericScheduler(logger, state, planner, structs.JobTypeSystem)
}

// NewSysBatchScheduler returns the scheduler for sysbatch jobs: one run to
// completion of each group on every feasible node.
func NewSysBatchScheduler(logger *slog.Logger, state State, planner Planner) Scheduler {
	return newGenericScheduler(logger, state, planner, structs.JobTypeSysBatch)
}

// genericScheduler schedules every job type. batch changes how finished
// allocations count and how many candidates are scored; sys (system and
// sysbatch) replaces count-based reconciliation with one allocation per
// feasible node (system.go).
type genericScheduler struct {
	logger  *slog.Logger
	state   State
	planner Planner
	jobType string
	batch   bool // batch or sysbatch: finished allocations are done
	sys     bool // system or sysbatch: one allocation per feasible node
	// noClassCache turns off the per-class feasibility cache (tests and
	// benchmarks compare both ways).
	noClassCache bool

	// now and rng are injected so tests are deterministic. When rng is nil
	// Process seeds one from the evaluation ID.
	now func() time.Time
	rng *rand.Rand
	// cc caches compiled regexps and version constraints across attempts.
	cc   *constraintChecker
	uuid uuidSource
}

// constraints returns the scheduler's constraint checker, creating it once.
func (s *genericScheduler) constraints() *constraintChecker {
	if s.cc == nil {
		s.cc = newConstraintChecker()
	}
	return s.cc
}

var _ Scheduler = (*genericScheduler)(nil)

func newGenericScheduler(logger *slog.Logger, state State, planner Planner, jobType string) *genericScheduler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &genericScheduler{
		logger: logger, state: state, planner: planner, jobType: jobType, now: time.Now,
		batch: jobType == structs.JobTypeBatch || jobType == structs.JobTypeSysBatch,
		sys:   jobType == structs.JobTypeSystem || jobType == structs.JobTypeSysBatch,
	}
}

// attemptResult is what one planning attempt produced.
type attemptResult struct {
	done bool // the plan was fully applied (or there was nothing to do)
	// progress: a partly rejected plan still committed something, so a
	// retry is not a wasted attempt.
	progress bool
	// placed and stopped count the plan's allocations and stops, for logs.
	placed, stopped int
	failed          map[string]*structs.AllocMetric
	queued          map[string]int
	// eligibility is the node classes found feasible, for the blocked eval.
	eligibility map[string]bool
	escaped     bool
}

// Process reconciles the evaluation's job with the cluster, submits the
// plan, and records the evaluation's outcome through the planner. It returns
// an error only when it could not do its work (state or planner failures);
// the evaluation is then marked failed as well, when possible.
func (s *genericScheduler) Process(eval *structs.Evaluation) error {
	ev := *eval // never mutate the caller's (possibly shared) evaluation
	logger := s.logger.With("eval_id", ev.ID, "job_id", ev.JobID, "namespace", ev.Namespace)
	if s.rng == nil {
		s.rng = rand.New(rand.NewSource(seedFrom(ev.ID)))
	}
	var res *attemptResult
	// Only attempts that commit nothing count against maxPlanAttempts, as
	// in Nomad: under contention a plan may be partly rejected many times
	// while it still moves forward. Each counted-out retry commits some
	// allocations, so the loop ends.
	for attempt := 1; attempt <= maxPlanAttempts; attempt++ {
		var err error
		res, err = s.attempt(&ev)
		if err != nil {
			logger.Error("scheduling failed", "error", err)
			return s.setFailed(&ev, err)
		}
		if res.done {
			logger.Debug("evaluation planned", "attempt", attempt, "placed", res.placed, "stopped", res.stopped,
				"failed_groups", len(res.failed))
			return s.finish(&ev, res)
		}
		logger.Debug("plan partially rejected, retrying on refreshed state", "attempt", attempt, "progress", res.progress)
		if res.progress {
			attempt = 0
		}
	}
	logger.Warn("maximum plan attempts reached", "attempts", maxPlanAttempts)
	return s.maxAttemptsReached(&ev)
}

// wantsEveryPlan reports whether the planner asked for no-op plans too.
func wantsEveryPlan(p Planner) bool {
	ap, ok := p.(AnnotatingPlanner)
	return ok && ap.AnnotatePlan()
}

// seedFrom derives a per-evaluation seed, so a retried evaluation makes the
// same random choices (reproducible logs), while different evaluations do not.
func seedFrom(id string) int64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return int64(h.Sum64() >> 1)
}

// attempt does one reconcile-place-submit round against s.state.
func (s *genericScheduler) attempt(ev *structs.Evaluation) (*attemptResult, error) {
	if s.state == nil {
		return nil, errors.New("no state snapshot")
	}
	job := s.state.JobByID(ev.Namespace, ev.JobID)
	allocs := s.state.AllocsByJob(ev.Namespace, ev.JobID)
	ctx := newEvalContext(s, ev, job)
	var rec *reconcileResult
	if s.sys {
		rec = ctx.reconcileSystem(allocs)
	} else {
		rec = ctx.reconcile(allocs)
	}
	plan := ctx.buildPlan(rec)
	for _, e := range ctx.delayFollowUps(rec.delayed, plan) {
		if err := s.planner.CreateEval(e); err != nil {
			return nil, fmt.Errorf("create follow-up eval for delayed reschedule: %w", err)
		}
	}
	res := &attemptResult{failed: ctx.failedMetrics(), queued: ctx.queued, eligibility: ctx.classEligible, escaped: ctx.escaped}
	for _, allocs := range plan.NodeAllocation {
		res.placed += len(allocs)
	}
	for _, allocs := range plan.NodeUpdate {
		res.stopped += len(allocs)
	}
	if plan.IsNoOp() && !wantsEveryPlan(s.planner) {
		res.done = true
		return res, nil
	}
	result, newState, err := s.planner.SubmitPlan(plan)
	if err != nil {
		return nil, fmt.Errorf("submit plan: %w", err)
	}
	if result == nil || result.RefreshIndex == 0 {
		res.done = true
		return res, nil
	}
	if newState == nil {
		// Re-planning on the old snapshot would place again what the
		// applier did commit.
		return nil, fmt.Errorf("plan partially rejected (refresh to index %d) but the planner returned no refreshed state", result.RefreshIndex)
	}
	s.state = newState
	res.progress = committedAny(result)
	return res, nil
}

// committedAny reports whether a partly rejected plan's result still
// committed placements, stops or preemptions.
func committedAny(r *structs.PlanResult) bool {
	for _, m := range []map[string][]*structs.Allocation{r.NodeAllocation, r.NodeUpdate, r.NodePreemptions} {
		for _, allocs := range m {
			if len(allocs) > 0 {
				return true
			}
		}
	}
	return false
}

// finish records a fully applied attempt: a blocked eval for what did not
// fit, then the evaluation's final status.
func (s *genericScheduler) finish(ev *structs.Evaluation, res *attemptResult) error {
	ev.QueuedAllocations = res.queued
	ev.FailedTGAllocs = res.failed
	if len(res.failed) > 0 && s.sys {
		// As in Nomad, system jobs are not blocked: a node that joins or
		// changes triggers their next evaluation.
		ev.ClassEligibility, ev.EscapedComputedClass = res.eligibility, res.escaped
	} else if len(res.failed) > 0 {
		ev.ClassEligibility, ev.EscapedComputedClass = res.eligibility, res.escaped
		if ev.Status == structs.EvalStatusBlocked {
			// A retried blocked eval that still cannot place goes back to
			// the blocked set rather than spawning another blocked eval.
			return s.planner.ReblockEval(ev)
		}
		blocked := s.followUp(ev, structs.EvalTriggerQueuedAllocs, structs.EvalStatusBlocked)
		blocked.StatusDescription = "created to place remaining allocations"
		blocked.ClassEligibility, blocked.EscapedComputedClass = res.eligibility, res.escaped
		if err := s.planner.CreateEval(blocked); err != nil {
			return s.setFailed(ev, fmt.Errorf("create blocked eval: %w", err))
		}
		ev.BlockedEval = blocked.ID
	}
	ev.Status = structs.EvalStatusComplete
	ev.StatusDescription = ""
	return s.updateEval(ev)
}

// maxAttemptsReached fails the evaluation and leaves a delayed follow-up
// that will try again once the contention has passed.
func (s *genericScheduler) maxAttemptsReached(ev *structs.Evaluation) error {
	next := s.followUp(ev, structs.EvalTriggerMaxPlans, structs.EvalStatusPending)
	next.Wait = maxPlanAttemptsWait
	next.WaitUntil = s.now().Add(maxPlanAttemptsWait)
	next.StatusDescription = "created after the maximum plan attempts were reached"
	if err := s.planner.CreateEval(next); err != nil {
		return s.setFailed(ev, fmt.Errorf("create follow-up eval: %w", err))
	}
	ev.NextEval = next.ID
	ev.Status = structs.EvalStatusFailed
	ev.StatusDescription = fmt.Sprintf("maximum attempts reached (%d)", maxPlanAttempts)
	return s.updateEval(ev)
}

// followUp builds an evaluation that continues ev's work.
func (s *genericScheduler) followUp(ev *structs.Evaluation, trigger, status string) *structs.Evaluation {
	now := s.now().UnixNano()
	return &structs.Evaluation{
		ID: structs.GenerateUUID(), Namespace: ev.Namespace, Priority: ev.Priority, Type: ev.Type,
		TriggeredBy: trigger, JobID: ev.JobID, JobModifyIndex: ev.JobModifyIndex, Status: status,
		PreviousEval: ev.ID, CreateTime: now, ModifyTime: now,
	}
}

// setFailed marks the evaluation failed and returns cause (joined with any
// error recording it).
func (s *genericScheduler) setFailed(ev *structs.Evaluation, cause error) error {
	ev.Status = structs.EvalStatusFailed
	ev.StatusDescription = cause.Error()
	if err := s.updateEval(ev); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

func (s *genericScheduler) updateEval(ev *structs.Evaluation) error {
	ev.ModifyTime = s.now().UnixNano()
	if err := s.planner.UpdateEval(ev); err != nil {
		return fmt.Errorf("update eval %q: %w", ev.ID, err)
	}
	return nil
}
