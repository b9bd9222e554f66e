package server

// Node drain and scheduling eligibility, as Nomad's.
//
// An operator's drain (NodeUpdateDrain) marks the node draining and
// ineligible in one Raft entry and creates a node-update eval for every job
// with allocations on it. The schedulers then do the moving: a service
// allocation on a draining node is stopped and replaced elsewhere
// ("migrate"), a batch allocation is left to finish, and system allocations
// stay where they are.
//
// The leader's drainer (drainLoop) watches every draining node. When the
// node has no live service or batch allocations left, it stops its system
// allocations (unless the drain ignores system jobs) and ends the drain:
// Drain is cleared and the node stays ineligible. When the drain's deadline
// passes first, it stops whatever is left, with evals so the schedulers
// replace it, and ends the drain the same way. The drainer keeps nothing
// the state does not have, so a new leader simply starts it again.

import (
	"context"
	"fmt"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/structs"
)

// Methods of drover.Cluster for drain and eligibility (forward.go).
const (
	methodNodeUpdateDrain       = "/" + ClusterServiceName + "/Node.UpdateDrain"
	methodNodeUpdateEligibility = "/" + ClusterServiceName + "/Node.UpdateEligibility"
)

// drainRecheck bounds how long the drainer sleeps without a state change,
// so a deadline is noticed even when nothing is written.
const drainRecheck = 5 * time.Second

// NodeUpdateDrain starts a drain (req.DrainStrategy set; its Deadline is
// counted from now on the leader's clock) or ends one (nil; MarkEligible
// makes the node eligible again). Starting creates node-update evals for
// the jobs on the node.
func (s *Server) NodeUpdateDrain(ctx context.Context, req *structs.NodeUpdateDrainRequest) (*structs.NodeDrainUpdateResponse, error) {
	if req == nil || req.NodeID == "" {
		return nil, fmt.Errorf("update node drain: NodeID is required: %w", structs.ErrInvalid)
	}
	if resp, ok, err := forwarded[structs.NodeDrainUpdateResponse](ctx, s, methodNodeUpdateDrain, req); ok {
		return resp, err
	}
	node, err := s.state.NodeByID(nil, req.NodeID)
	if err != nil {
		return nil, err
	}
	if node == nil {
		return nil, fmt.Errorf("update drain of node %q: %w", req.NodeID, structs.ErrNotFound)
	}
	cmd := &structs.NodeUpdateDrainRequest{NodeID: node.ID, MarkEligible: req.MarkEligible,
		UpdatedAt: s.now().Unix(), WriteRequest: req.WriteRequest}
	if req.DrainStrategy != nil {
		cmd.DrainStrategy = s.newDrainStrategy(req.DrainStrategy.DrainSpec)
	}
	index, err := s.RaftApply(structs.NodeUpdateDrainRequestType, cmd)
	if err != nil {
		return nil, fmt.Errorf("update drain of node %q: %w", node.ID, err)
	}
	resp := &structs.NodeDrainUpdateResponse{NodeModifyIndex: index, WriteMeta: structs.WriteMeta{Index: index}}
	logger := s.logger.With("node_id", node.ID)
	if cmd.DrainStrategy == nil {
		logger.Info("node drain disabled", "mark_eligible", req.MarkEligible)
		if req.MarkEligible {
			s.unblockNode(index, node.ID)
		}
		return resp, nil
	}
	logger.Info("node drain enabled", "deadline", cmd.DrainStrategy.Deadline,
		"ignore_system_jobs", cmd.DrainStrategy.IgnoreSystemJobs)
	evalIndex, err := s.createNodeEvals(node.ID, index)
	if err != nil {
		return nil, fmt.Errorf("drain node %q: create evals: %w", node.ID, err)
	}
	if evalIndex > 0 {
		resp.EvalCreateIndex, resp.Index = evalIndex, evalIndex
	}
	return resp, nil
}

// newDrainStrategy stamps a drain spec with the leader's clock: a positive
// deadline is counted from now, a negative one (force) is now.
func (s *Server) newDrainStrategy(spec structs.DrainSpec) *structs.DrainStrategy {
	now := s.now().UTC()
	d := &structs.DrainStrategy{DrainSpec: spec, StartedAt: now}
	switch {
	case spec.Deadline > 0:
		d.ForceDeadline = now.Add(spec.Deadline)
	case spec.Deadline < 0:
		d.ForceDeadline = now
	}
	return d
}

// NodeUpdateEligibility marks a node eligible or ineligible for new
// placements. A draining node cannot be made eligible: end the drain
// first (with MarkEligible).
func (s *Server) NodeUpdateEligibility(ctx context.Context, req *structs.NodeUpdateEligibilityRequest) (*structs.NodeDrainUpdateResponse, error) {
	if req == nil || req.NodeID == "" {
		return nil, fmt.Errorf("update node eligibility: NodeID is required: %w", structs.ErrInvalid)
	}
	switch req.Eligibility {
	case structs.NodeSchedulingEligible, structs.NodeSchedulingIneligible:
	default:
		return nil, fmt.Errorf("update eligibility of node %q: %q is not %q or %q: %w", req.NodeID, req.Eligibility,
			structs.NodeSchedulingEligible, structs.NodeSchedulingIneligible, structs.ErrInvalid)
	}
	if resp, ok, err := forwarded[structs.NodeDrainUpdateResponse](ctx, s, methodNodeUpdateEligibility, req); ok {
		return resp, err
	}
	node, err := s.state.NodeByID(nil, req.NodeID)
	if err != nil {
		return nil, err
	}
	if node == nil {
		return nil, fmt.Errorf("update eligibility of node %q: %w", req.NodeID, structs.ErrNotFound)
	}
	if node.Drain && req.Eligibility == structs.NodeSchedulingEligible {
		return nil, fmt.Errorf("node %q is draining: disable the drain to make it eligible again: %w", node.ID, structs.ErrInvalid)
	}
	cmd := &structs.NodeUpdateEligibilityRequest{NodeID: node.ID, Eligibility: req.Eligibility, WriteRequest: req.WriteRequest}
	index, err := s.RaftApply(structs.NodeUpdateEligibilityRequestType, cmd)
	if err != nil {
		return nil, fmt.Errorf("update eligibility of node %q: %w", node.ID, err)
	}
	s.logger.Info("node eligibility changed", "node_id", node.ID, "eligibility", req.Eligibility)
	resp := &structs.NodeDrainUpdateResponse{NodeModifyIndex: index, WriteMeta: structs.WriteMeta{Index: index}}
	if req.Eligibility == structs.NodeSchedulingEligible && node.SchedulingEligibility != structs.NodeSchedulingEligible {
		// Blocked evals may fit now, and system jobs should follow.
		s.unblockNode(index, node.ID)
		if evalIndex, err := s.createNodeEvals(node.ID, index); err == nil && evalIndex > 0 {
			resp.EvalCreateIndex, resp.Index = evalIndex, evalIndex
		}
	}
	return resp, nil
}

// drainLoop is the leader's drainer: it re-examines every draining node
// whenever nodes or their allocations change, and at least every
// drainRecheck, until ctx ends.
func (s *Server) drainLoop(ctx context.Context) {
	d := &drainer{s: s, seen: map[string]map[string]bool{}}
	for ctx.Err() == nil {
		ws := memdb.NewWatchSet()
		wait := d.pass(ws)
		wctx, cancel := context.WithTimeout(ctx, wait)
		_ = ws.WatchCtx(wctx) // a timeout is a recheck, not an error
		cancel()
	}
}

// drainer is the state of one leader's drain loop; only drainLoop's
// goroutine uses it.
type drainer struct {
	s *Server
	// seen holds, per draining node, the allocations some eval already
	// covers: those on the node when the drainer first saw it (the drain's
	// own evals or restored ones), and those it created evals for since.
	seen map[string]map[string]bool
}

// pass handles every draining node once, adding what it read to ws, and
// returns how long to wait at most before the next pass.
func (d *drainer) pass(ws memdb.WatchSet) time.Duration {
	wait := drainRecheck
	nodes, err := d.s.state.NodesList(ws)
	if err != nil {
		d.s.logger.Error("drainer: list nodes", "error", err)
		return wait
	}
	draining := map[string]bool{}
	for _, n := range nodes {
		if !n.Drain {
			continue
		}
		draining[n.ID] = true
		allocs, err := d.s.state.AllocsByNode(ws, n.ID)
		if err != nil {
			d.s.logger.Error("drainer: list allocs", "node_id", n.ID, "error", err)
			continue
		}
		if left, ok := d.drainNode(n, allocs); ok {
			wait = min(wait, max(left, 10*time.Millisecond))
		}
	}
	for id := range d.seen {
		if !draining[id] {
			delete(d.seen, id)
		}
	}
	return wait
}

// drainNode moves one draining node forward. It returns the time left to
// the node's deadline, if it has one and the drain goes on.
func (d *drainer) drainNode(n *structs.Node, allocs []*structs.Allocation) (time.Duration, bool) {
	s := d.s
	logger := s.logger.With("node_id", n.ID)
	strategy := n.DrainStrategy
	if strategy == nil {
		strategy = &structs.DrainStrategy{} // drained by an older writer: no deadline
	}
	var work, system []*structs.Allocation // live allocs to move, and system ones
	for _, a := range allocs {
		if a.TerminalStatus() {
			continue
		}
		switch d.jobType(a) {
		case structs.JobTypeSystem, structs.JobTypeSysBatch:
			system = append(system, a)
		default:
			work = append(work, a)
		}
	}
	d.evalNewAllocs(n, work)
	deadline, hasDeadline := strategy.DeadlineTime()
	now := s.now()
	if hasDeadline && !now.Before(deadline) {
		stop := work
		if !strategy.IgnoreSystemJobs {
			stop = append(stop, system...)
		}
		if len(stop) > 0 {
			logger.Info("drain deadline reached, stopping the remaining allocations", "count", len(stop))
			if err := d.stopAllocs(n, stop, "alloc is stopped: the node's drain deadline passed"); err != nil {
				logger.Error("drainer: stop allocations", "error", err)
				return time.Second, true // retry soon
			}
		}
		d.complete(n)
		return 0, false
	}
	if len(work) > 0 {
		if hasDeadline {
			return deadline.Sub(now), true
		}
		return 0, false
	}
	if !strategy.IgnoreSystemJobs && len(system) > 0 {
		if err := d.stopAllocs(n, system, "alloc is stopped: its node was drained"); err != nil {
			logger.Error("drainer: stop system allocations", "error", err)
			return time.Second, true
		}
	}
	d.complete(n)
	return 0, false
}

// jobType is the type of the allocation's job (service when unknown).
func (d *drainer) jobType(a *structs.Allocation) string {
	job := a.Job
	if job == nil {
		job, _ = d.s.state.JobByID(nil, a.Namespace, a.JobID)
	}
	if job == nil {
		return structs.JobTypeService
	}
	return job.Type
}

// evalNewAllocs makes sure every live allocation on the node is covered by
// an eval: those placed after the drain began (a plan in flight) get a
// node-drain eval of their job.
func (d *drainer) evalNewAllocs(n *structs.Node, work []*structs.Allocation) {
	seen, known := d.seen[n.ID]
	if !known {
		seen = map[string]bool{}
		d.seen[n.ID] = seen
	}
	var fresh []*structs.Allocation
	for _, a := range work {
		if !seen[a.ID] {
			seen[a.ID] = true
			if known {
				fresh = append(fresh, a)
			}
		}
	}
	evals := d.evalsFor(n, fresh)
	if len(evals) == 0 {
		return
	}
	if _, err := d.s.RaftApply(structs.EvalUpdateRequestType, &structs.EvalUpdateRequest{Evals: evals}); err != nil {
		d.s.logger.Error("drainer: create evals", "node_id", n.ID, "error", err)
		for _, a := range fresh {
			delete(seen, a.ID) // try again next pass
		}
	}
}

// evalsFor builds one node-drain eval per job of allocs.
func (d *drainer) evalsFor(n *structs.Node, allocs []*structs.Allocation) []*structs.Evaluation {
	done := map[[2]string]bool{}
	var evals []*structs.Evaluation
	for _, a := range allocs {
		key := [2]string{a.Namespace, a.JobID}
		if done[key] {
			continue
		}
		done[key] = true
		job, err := d.s.state.JobByID(nil, a.Namespace, a.JobID)
		if err != nil || job == nil {
			continue
		}
		e := d.s.newEval(job, structs.EvalTriggerNodeDrain)
		e.NodeID, e.NodeModifyIndex = n.ID, n.ModifyIndex
		evals = append(evals, e)
	}
	return evals
}

// stopAllocs sets allocs' desired status to stop, with evals of their jobs
// in the same Raft entry so the schedulers replace what should run on.
func (d *drainer) stopAllocs(n *structs.Node, allocs []*structs.Allocation, why string) error {
	req := &structs.AllocUpdateRequest{Evals: d.evalsFor(n, allocs)}
	for _, a := range allocs {
		req.Alloc = append(req.Alloc, &structs.Allocation{ID: a.ID, DesiredStatus: structs.AllocDesiredStatusStop,
			DesiredDescription: why})
	}
	_, err := d.s.RaftApply(structs.AllocUpdateDesiredTransitionRequestType, req)
	return err
}

// complete ends the node's drain; the node stays ineligible.
func (d *drainer) complete(n *structs.Node) {
	req := &structs.NodeUpdateDrainRequest{NodeID: n.ID, UpdatedAt: d.s.now().Unix()}
	if _, err := d.s.RaftApply(structs.NodeUpdateDrainRequestType, req); err != nil {
		d.s.logger.Error("drainer: complete drain", "node_id", n.ID, "error", err)
		return
	}
	delete(d.seen, n.ID)
	d.s.logger.Info("node drain complete", "node_id", n.ID)
}
