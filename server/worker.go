package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/droverhq/drover/scheduler"
	"github.com/droverhq/drover/server/broker"
	"github.com/droverhq/drover/structs"
)

const (
	// dequeueTimeout bounds one wait on the broker, so workers notice
	// leadership loss promptly.
	dequeueTimeout = 500 * time.Millisecond
	// indexWaitTimeout bounds how long a worker waits for the state store
	// to reach an eval's (or a plan's) index.
	indexWaitTimeout = 5 * time.Second
)

// worker runs schedulers on evals from the broker, one at a time, and is
// the scheduler's Planner. A worker lives on the leader for one term.
type worker struct {
	s      *Server
	id     int
	ctx    context.Context
	logger *slog.Logger

	// The eval being processed; set and read only by the worker's goroutine
	// (the scheduler calls the Planner methods from it).
	eval          *structs.Evaluation
	token         string
	snapshotIndex uint64
	createdBlock  bool
}

var _ scheduler.Planner = (*worker)(nil)

func newWorker(s *Server, id int) *worker {
	return &worker{s: s, id: id, logger: s.logger.With("component", "worker", "worker_id", id)}
}

// run processes evals until ctx ends or the broker is disabled.
func (w *worker) run(ctx context.Context) {
	w.ctx = ctx
	for ctx.Err() == nil {
		eval, token, err := w.s.broker.Dequeue(schedulerTypes, dequeueTimeout)
		if errors.Is(err, broker.ErrNotEnabled) {
			return
		}
		if err != nil {
			w.logger.Error("dequeue eval", "error", err)
			continue
		}
		if eval != nil {
			w.process(eval, token)
		}
	}
}

// process runs one eval and Acks it, or Nacks it so it is retried.
func (w *worker) process(eval *structs.Evaluation, token string) {
	w.eval, w.token, w.createdBlock = eval, token, false
	logger := w.logger.With("eval_id", eval.ID, "job_id", eval.JobID, "triggered_by", eval.TriggeredBy)
	err := w.invokeScheduler(eval, logger)
	if err != nil {
		logger.Error("evaluation failed, will retry", "error", err)
		if err := w.s.broker.Nack(eval.ID, token); err != nil {
			logger.Warn("nack eval", "error", err)
		}
		return
	}
	if err := w.s.broker.Ack(eval.ID, token); err != nil {
		logger.Warn("ack eval", "error", err)
	}
	w.untrackStaleBlocked(eval)
}

// invokeScheduler runs the eval's scheduler on a snapshot at least as new
// as the eval. An eval type no scheduler handles is failed, not retried.
func (w *worker) invokeScheduler(eval *structs.Evaluation, logger *slog.Logger) error {
	snap, err := w.snapshotAt(eval.ModifyIndex)
	if err != nil {
		return err
	}
	w.snapshotIndex = snap.Index()
	sched, err := scheduler.NewScheduler(eval.Type, logger, snap, w)
	if err != nil {
		logger.Warn("no scheduler for the eval's type, failing it", "type", eval.Type, "error", err)
		return w.failEval(eval, err)
	}
	if err := sched.Process(eval); err != nil {
		return fmt.Errorf("process eval: %w", err)
	}
	return nil
}

// snapshotAt waits (bounded) for the state store to reach index.
func (w *worker) snapshotAt(index uint64) (scheduler.State, error) {
	ctx, cancel := context.WithTimeout(w.ctx, indexWaitTimeout)
	defer cancel()
	snap, err := w.s.state.SnapshotMinIndex(ctx, index)
	if err != nil {
		return nil, err
	}
	return snap.SchedulerState(), nil
}

// failEval marks an eval no scheduler can process as failed.
func (w *worker) failEval(eval *structs.Evaluation, cause error) error {
	failed := eval.Copy()
	failed.Status = structs.EvalStatusFailed
	failed.StatusDescription = fmt.Sprintf("no scheduler for this evaluation: %v", cause)
	return w.UpdateEval(failed)
}

// untrackStaleBlocked cancels the job's older blocked eval once an eval of
// the job completed without blocking: the job was just reconciled in full
// at a newer state, so the blocked eval has nothing left to do.
func (w *worker) untrackStaleBlocked(eval *structs.Evaluation) {
	if w.createdBlock {
		return
	}
	stored, err := w.s.state.EvalByID(nil, eval.ID)
	if err != nil || stored == nil || stored.Status != structs.EvalStatusComplete {
		return
	}
	if old := w.s.blocked.Untrack(eval.Namespace, eval.JobID); old != nil {
		if old.ID == eval.ID || old.CreateIndex > stored.ModifyIndex {
			w.s.blocked.Block(old)
			return
		}
		w.s.cancelEval(old)
	}
}

// SubmitPlan queues the plan for the applier and waits for the result,
// then returns a snapshot that includes what was committed (and at least
// RefreshIndex, when part of the plan was rejected).
func (w *worker) SubmitPlan(plan *structs.Plan) (*structs.PlanResult, scheduler.State, error) {
	plan.EvalToken, plan.SnapshotIndex = w.token, w.snapshotIndex
	// A worker whose eval was handed to another worker (Nack, leader
	// change) must not commit a plan for it.
	if token, ok := w.s.broker.Outstanding(plan.EvalID); !ok || token != w.token {
		return nil, nil, fmt.Errorf("submit plan for eval %s: the eval is no longer outstanding with this worker", plan.EvalID)
	}
	future, err := w.s.planQueue.Enqueue(plan)
	if err != nil {
		return nil, nil, err
	}
	result, err := future.Wait(w.ctx)
	if err != nil {
		return nil, nil, err
	}
	w.s.planStats.record(result)
	snap, err := w.snapshotAt(max(result.RefreshIndex, result.AllocIndex))
	if err != nil {
		return nil, nil, err
	}
	w.snapshotIndex = snap.Index()
	return result, snap, nil
}

// UpdateEval records the eval's status through Raft.
func (w *worker) UpdateEval(eval *structs.Evaluation) error {
	return w.writeEval(eval)
}

// CreateEval creates a follow-up or blocked eval through Raft; the apply
// hook routes it to the broker or blocked set.
func (w *worker) CreateEval(eval *structs.Evaluation) error {
	eval.SnapshotIndex = w.snapshotIndex
	if eval.Status == structs.EvalStatusBlocked {
		w.createdBlock = true
	}
	return w.writeEval(eval)
}

// ReblockEval writes the eval back as blocked; the apply hook puts it in
// the blocked set again (or straight back in the broker if capacity
// appeared while it was being scheduled).
func (w *worker) ReblockEval(eval *structs.Evaluation) error {
	eval.SnapshotIndex = w.snapshotIndex
	eval.Status = structs.EvalStatusBlocked
	w.createdBlock = true
	return w.writeEval(eval)
}

func (w *worker) writeEval(eval *structs.Evaluation) error {
	now := w.s.now().UnixNano()
	eval.ModifyTime = now
	if eval.CreateTime == 0 {
		eval.CreateTime = now
	}
	req := &structs.EvalUpdateRequest{Evals: []*structs.Evaluation{eval}, EvalToken: w.token}
	if _, err := w.s.RaftApply(structs.EvalUpdateRequestType, req); err != nil {
		return fmt.Errorf("write eval %s: %w", eval.ID, err)
	}
	return nil
}
