package server

import (
	"context"
	"sync"
	"time"

	"github.com/droverhq/drover/scheduler"
	"github.com/droverhq/drover/server/broker"
	"github.com/droverhq/drover/server/planapply"
	"github.com/droverhq/drover/structs"
)

// allNamespaces is the state store's namespace wildcard.
const allNamespaces = "*"

// barrierTimeout bounds one wait for the FSM to catch up with the log.
const barrierTimeout = time.Minute

// monitorLeadership starts the leader loops when Raft makes this server
// leader and stops them when it stops being leader.
func (s *Server) monitorLeadership() {
	for {
		select {
		case isLeader := <-s.parts.notifyCh:
			if isLeader {
				s.establishLeadership()
			} else {
				s.revokeLeadership()
			}
		case <-s.ctx.Done():
			return
		}
	}
}

// establishLeadership enables the leader's queues and starts its loops.
// The queues are enabled before the barrier so that evals committed while
// catching up are not missed; restoring from state afterwards adds the rest
// (the broker and blocked set ignore duplicates).
func (s *Server) establishLeadership() {
	s.leaderMu.Lock()
	defer s.leaderMu.Unlock()
	if s.leaderCancel != nil || s.ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	s.leaderCancel = cancel
	done := &sync.WaitGroup{}
	s.leaderDone = done
	s.broker.SetEnabled(true)
	s.blocked.SetEnabled(true)
	s.planQueue.SetEnabled(true)
	s.heartbeats.setEnabled(true)
	s.leaderGo(done, func() { s.runLeader(ctx, done) })
	s.logger.Info("gained leadership")
}

// leaderGo runs f as a leader loop of the current term.
func (s *Server) leaderGo(done *sync.WaitGroup, f func()) {
	done.Add(1)
	s.goFunc(func() {
		defer done.Done()
		f()
	})
}

// runLeader waits for the FSM to reach the log's end, rebuilds the queues
// from state, then starts the applier, workers and reapers.
func (s *Server) runLeader(ctx context.Context, done *sync.WaitGroup) {
	for {
		err := s.raft.Barrier(barrierTimeout).Error()
		if err == nil {
			break
		}
		s.logger.Error("leader barrier failed, retrying", "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
	s.restoreEvals()
	s.restoreHeartbeats()
	applier := planapply.NewApplier(s.planQueue, s.newestState, s.applyPlanResults, s.now, s.logger.With("component", "plan_applier"))
	s.leaderGo(done, func() { applier.Run(ctx) })
	for i := 0; i < s.config.NumSchedulers; i++ {
		w := newWorker(s, i)
		s.leaderGo(done, func() { w.run(ctx) })
	}
	s.leaderGo(done, func() { s.reapFailedEvals(ctx) })
	s.leaderGo(done, func() { s.reapCanceledEvals(ctx) })
	s.leaderGo(done, func() { s.reconcileLoop(ctx) })
	s.leaderGo(done, func() { s.autopilotLoop(ctx) })
	s.leaderGo(done, func() { s.runGC(ctx) })
	s.leaderGo(done, func() { s.drainLoop(ctx) })
	s.leaderGo(done, func() { s.runPeriodic(ctx) })
}

// revokeLeadership stops the leader loops and empties the queues.
func (s *Server) revokeLeadership() {
	s.leaderMu.Lock()
	defer s.leaderMu.Unlock()
	if s.leaderCancel == nil {
		return
	}
	s.leaderCancel()
	s.broker.SetEnabled(false)
	s.blocked.SetEnabled(false)
	s.planQueue.SetEnabled(false)
	s.heartbeats.setEnabled(false)
	s.leaderDone.Wait()
	s.leaderCancel, s.leaderDone = nil, nil
	s.logger.Info("lost leadership")
}

// newestState is the applier's view: a snapshot of the newest state.
func (s *Server) newestState() planapply.State {
	return s.state.Snapshot().SchedulerState()
}

func (s *Server) applyPlanResults(req *structs.ApplyPlanResultsRequest) (uint64, error) {
	return s.RaftApply(structs.ApplyPlanResultsRequestType, req)
}

// restoreEvals puts every pending eval in the broker and every blocked
// eval in the blocked set.
func (s *Server) restoreEvals() {
	evals, err := s.state.EvalsList(nil, allNamespaces)
	if err != nil {
		s.logger.Error("restore evals", "error", err)
		return
	}
	for _, e := range evals {
		s.trackEval(e)
	}
}

// restoreHeartbeats gives every node that is not down a full TTL and
// grace to heartbeat to the new leader.
func (s *Server) restoreHeartbeats() {
	nodes, err := s.state.NodesList(nil)
	if err != nil {
		s.logger.Error("restore heartbeats", "error", err)
		return
	}
	for _, n := range nodes {
		if !n.TerminalStatus() {
			s.heartbeats.reset(n.ID)
		}
	}
}

// reapFailedEvals marks evals that reached the broker's delivery limit as
// failed.
func (s *Server) reapFailedEvals(ctx context.Context) {
	for ctx.Err() == nil {
		eval, token, err := s.broker.Dequeue([]string{broker.FailedQueue}, time.Second)
		if err != nil {
			return
		}
		if eval == nil {
			continue
		}
		failed := eval.Copy()
		failed.Status = structs.EvalStatusFailed
		failed.StatusDescription = "evaluation reached its delivery limit"
		failed.ModifyTime = s.now().UnixNano()
		if _, err := s.RaftApply(structs.EvalUpdateRequestType, &structs.EvalUpdateRequest{Evals: []*structs.Evaluation{failed}}); err != nil {
			s.logger.Error("mark eval failed", "eval_id", eval.ID, "error", err)
		}
		s.broker.Ack(eval.ID, token)
	}
}

// cancelReapInterval is how often the leader cancels evals the broker
// found superseded.
const cancelReapInterval = 200 * time.Millisecond

// reapCanceledEvals marks canceled the blocked evals a newer blocked eval
// replaced and the pending evals a newer eval of their job superseded.
func (s *Server) reapCanceledEvals(ctx context.Context) {
	ticker := time.NewTicker(cancelReapInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-s.cancelEvals:
			s.markCanceled([]*structs.Evaluation{e}, "replaced by a newer blocked evaluation of the job")
		case <-ticker.C:
			for evals := s.broker.Cancelable(100); len(evals) > 0; evals = s.broker.Cancelable(100) {
				s.markCanceled(evals, "superseded by a newer evaluation of the job")
			}
		}
	}
}

// markCanceled writes evals back with status canceled, in one Raft entry.
func (s *Server) markCanceled(evals []*structs.Evaluation, why string) {
	now := s.now().UnixNano()
	out := make([]*structs.Evaluation, 0, len(evals))
	for _, e := range evals {
		c := e.Copy()
		c.Status, c.StatusDescription, c.ModifyTime = structs.EvalStatusCanceled, why, now
		out = append(out, c)
	}
	if _, err := s.RaftApply(structs.EvalUpdateRequestType, &structs.EvalUpdateRequest{Evals: out}); err != nil {
		s.logger.Error("cancel evals", "count", len(out), "error", err)
	}
}

// cancelEval queues an eval for canceling without blocking (the apply hook
// calls it); if the queue is full the eval stays blocked in state, which is
// harmless: it is reconsidered on the next leader change.
func (s *Server) cancelEval(e *structs.Evaluation) {
	select {
	case s.cancelEvals <- e:
	default:
		s.logger.Warn("cancel queue full, leaving eval blocked", "eval_id", e.ID)
	}
}

// schedulerTypes are the eval types workers dequeue.
var schedulerTypes = []string{structs.JobTypeService, structs.JobTypeBatch, structs.JobTypeSystem, structs.JobTypeSysBatch}

// The applier reads scheduler snapshots.
var _ planapply.State = scheduler.State(nil)
