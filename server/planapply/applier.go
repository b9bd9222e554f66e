package planapply

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/droverhq/drover/structs"
)

// Applier takes plans off a Queue one at a time and commits them.
type Applier struct {
	queue *Queue
	// snapshot returns the newest committed state.
	snapshot func() State
	// apply commits a plan result through Raft and returns its index.
	apply  func(*structs.ApplyPlanResultsRequest) (uint64, error)
	now    func() time.Time
	logger *slog.Logger
}

// NewApplier wires an applier; now may be nil (time.Now).
func NewApplier(queue *Queue, snapshot func() State, apply func(*structs.ApplyPlanResultsRequest) (uint64, error),
	now func() time.Time, logger *slog.Logger) *Applier {
	if now == nil {
		now = time.Now
	}
	return &Applier{queue: queue, snapshot: snapshot, apply: apply, now: now, logger: logger}
}

// Run applies plans until ctx ends or the queue is disabled.
func (a *Applier) Run(ctx context.Context) {
	for {
		f, err := a.queue.Dequeue(ctx)
		if err != nil {
			return
		}
		f.respond(a.Apply(f.plan))
	}
}

// Apply evaluates one plan against the newest state and commits what fits.
// If nothing fits, nothing is written and AllocIndex is the state's index.
func (a *Applier) Apply(plan *structs.Plan) (*structs.PlanResult, error) {
	state := a.snapshot()
	result, rejected := Evaluate(state, plan)
	if len(rejected) > 0 {
		a.logger.Debug("plan partly rejected", "eval_id", plan.EvalID, "rejected_nodes", rejected,
			"refresh_index", result.RefreshIndex)
	}
	if isNoOp(result) {
		result.AllocIndex = state.Index()
		return result, nil
	}
	index, err := a.apply(a.request(plan, result))
	if err != nil {
		return nil, fmt.Errorf("apply plan of eval %s: %w", plan.EvalID, err)
	}
	result.AllocIndex = index
	return result, nil
}

func isNoOp(r *structs.PlanResult) bool {
	return len(r.NodeUpdate) == 0 && len(r.NodeAllocation) == 0 && len(r.NodePreemptions) == 0 &&
		r.Deployment == nil && len(r.DeploymentUpdates) == 0
}

// request builds the Raft command for a result. Placements running the
// plan's job version drop their Job pointer: the state store fills it in
// from the request's Job, so the log holds the job once, not per alloc.
func (a *Applier) request(plan *structs.Plan, r *structs.PlanResult) *structs.ApplyPlanResultsRequest {
	now := a.now().UnixNano()
	req := &structs.ApplyPlanResultsRequest{
		Job: plan.Job, EvalID: plan.EvalID, Deployment: r.Deployment, DeploymentUpdates: r.DeploymentUpdates,
	}
	for _, nodeID := range planNodes(plan) {
		req.AllocsStopped = append(req.AllocsStopped, stamp(r.NodeUpdate[nodeID], nil, now)...)
		req.AllocsUpdated = append(req.AllocsUpdated, stamp(r.NodeAllocation[nodeID], plan.Job, now)...)
		req.AllocsPreempted = append(req.AllocsPreempted, stamp(r.NodePreemptions[nodeID], nil, now)...)
	}
	return req
}

// stamp copies allocs with the leader's time, so every replica stores the
// same times, and drops Job where it is the plan's job.
func stamp(allocs []*structs.Allocation, job *structs.Job, now int64) []*structs.Allocation {
	out := make([]*structs.Allocation, 0, len(allocs))
	for _, alloc := range allocs {
		c := *alloc
		c.ModifyTime = now
		if c.CreateTime == 0 {
			c.CreateTime = now
		}
		if job != nil && c.Job != nil && c.Job.ID == job.ID && c.Job.Namespace == job.Namespace && c.Job.Version == job.Version {
			c.Job = nil
		}
		out = append(out, &c)
	}
	return out
}

// IsNotEnabled reports whether err means the server stopped being leader.
func IsNotEnabled(err error) bool { return errors.Is(err, ErrNotEnabled) }
