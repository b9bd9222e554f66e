package scheduler

import (
	"sort"

	"github.com/droverhq/drover/structs"
)

// System and sysbatch jobs run one allocation of each group on every node
// that is feasible for it (ready, in the job's datacenters and pool, with
// its drivers, volumes and constraints); count is ignored and every
// allocation is named job.group[0]. Every evaluation, whatever triggered
// it (job register, node update with NodeID set, ...), reconciles the
// whole job against every node in its scope: one pass over the nodes, the
// class cache answering the feasibility checks, so 5,000 nodes cost a few
// milliseconds. Per node and group:
//
//   - node down or gone: live allocations are stopped as lost;
//   - node no longer feasible (constraints, datacenters, pool, drivers):
//     they are stopped;
//   - node draining or marked ineligible: they run on untouched (the
//     drainer decides when system work leaves; the plan applier takes no
//     updates there), and nothing new is placed;
//   - node ready and feasible: one allocation is kept (updated in place or
//     replaced when the spec changed), extra ones are stopped, and one is
//     placed when there is none. For sysbatch, an allocation that ran to
//     its end (complete or failed) counts as done, so the node is not run
//     again until the group's spec changes.
//
// A placement that does not fit on its node may preempt lower-priority
// allocations there (on by default for system jobs). As in Nomad, failed
// placements are reported in the evaluation but make no blocked
// evaluation: a node joining or changing triggers the next one.

// descNodeInfeasible is put on allocations stopped because their node no
// longer satisfies the job.
const descNodeInfeasible = "alloc not needed as node is no longer eligible for the job"

// reconcileSystem compares a system or sysbatch job with its allocations.
func (c *evalContext) reconcileSystem(allocs []*structs.Allocation) *reconcileResult {
	c.jobAllocs = allocs
	r := &reconcileResult{desired: map[string]*structs.DesiredUpdates{}}
	c.annotateGroups(r)
	if c.job == nil || c.job.Stop {
		for _, a := range allocs {
			c.stopIfLive(r, a, descJobStopped)
		}
		return r
	}
	byGroup := map[string][]*structs.Allocation{}
	for _, a := range allocs {
		byGroup[a.TaskGroup] = append(byGroup[a.TaskGroup], a)
	}
	sc := c.scopeOf()
	for _, tg := range c.job.TaskGroups {
		if tg == nil {
			continue
		}
		c.queued[tg.Name] = 0
		c.reconcileSystemGroup(r, tg, sc, byGroup[tg.Name])
		delete(byGroup, tg.Name)
	}
	gone := make([]string, 0, len(byGroup))
	for name := range byGroup {
		gone = append(gone, name)
	}
	sort.Strings(gone)
	for _, name := range gone {
		for _, a := range byGroup[name] {
			c.stopIfLive(r, a, descGroupRemoved)
		}
	}
	return r
}

// reconcileSystemGroup walks the job's nodes once for one group, checking
// feasibility (counted in the group's metric) and deciding per node.
func (c *evalContext) reconcileSystemGroup(r *reconcileResult, tg *structs.TaskGroup, sc *jobScope, allocs []*structs.Allocation) {
	gs := c.group(tg)
	gs.built = true // system groups place on named nodes, without candidates
	r.updates(tg.Name)
	gs.metric = &structs.AllocMetric{
		NodesInPool: sc.inPool, NodesAvailable: sc.availableDC,
		ConstraintFiltered: map[string]int{}, ClassFiltered: map[string]int{},
	}
	var byNode map[string][]*structs.Allocation
	if len(allocs) > 0 {
		byNode = make(map[string][]*structs.Allocation, len(allocs))
		for _, a := range allocs {
			byNode[a.NodeID] = append(byNode[a.NodeID], a)
		}
	}
	for _, n := range sc.nodes {
		c.reconcileSystemNode(r, gs, n, byNode[n.ID], true)
		delete(byNode, n.ID)
	}
	// Allocations on nodes outside the job's scope or gone, in alloc order.
	for _, a := range allocs {
		if list, ok := byNode[a.NodeID]; ok {
			c.reconcileSystemNode(r, gs, c.node(a.NodeID), list, false)
			delete(byNode, a.NodeID)
		}
	}
}

// reconcileSystemNode decides for one group on one node (nil when gone).
func (c *evalContext) reconcileSystemNode(r *reconcileResult, gs *groupState, n *structs.Node, allocs []*structs.Allocation, inScope bool) {
	tg := gs.tg
	down := n == nil || n.TerminalStatus()
	// reason is why the group may not run here ("" = it may); it is
	// computed only when something depends on it.
	reason, checked := "", false
	check := func() string {
		if !checked {
			checked = true
			reason = gs.checkSpec(n)
		}
		return reason
	}
	if inScope {
		m := gs.metric
		m.NodesEvaluated++
		why := filterNotReady
		if n.Ready() {
			why = check()
			if n.ComputedClass != "" {
				c.classEligible[n.ComputedClass] = c.classEligible[n.ComputedClass] || why == ""
			}
		}
		if why != "" {
			m.NodesFiltered++
			m.ConstraintFiltered[why]++
			if n.NodeClass != "" && why != filterNotReady {
				m.ClassFiltered[n.NodeClass]++
			}
		}
	}
	d := r.updates(tg.Name)
	var keep, ended *structs.Allocation // ended: the last that ran to its end
	done := false
	for _, a := range allocs {
		switch {
		case a.DesiredStatus != structs.AllocDesiredStatusRun:
			continue // stopped or evicted: history
		case a.ClientStatus == structs.AllocClientStatusLost:
			r.stop(a, descLost, structs.AllocClientStatusLost)
		case a.ClientTerminalStatus():
			// Ended on its own. A sysbatch run is done unless the spec
			// changed since; a system alloc is simply replaced.
			ended = a
			if c.s.batch && (c.upToDate(a) || !c.specChanged(tg, a)) {
				done = true
			}
		case down:
			r.stop(a, descLost, structs.AllocClientStatusLost)
		case !inScope || check() != "":
			r.stop(a, descNodeInfeasible, "")
		case keep != nil:
			r.stop(a, descDuplicate, "")
		default:
			keep = a
		}
	}
	name := c.allocName(tg, 0)
	if keep != nil {
		switch {
		case !n.Ready() || c.upToDate(keep):
			d.Ignore++
		case c.specChanged(tg, keep):
			r.stops = append(r.stops, stopRequest{alloc: keep, desc: descUpdating})
			d.DestructiveUpdate++
			r.places = append(r.places, placeRequest{tg: tg, name: name, prev: keep, node: n})
		default:
			r.inplace = append(r.inplace, keep)
			d.InPlaceUpdate++
		}
		return
	}
	if down || !inScope || !n.Ready() || check() != "" {
		return
	}
	if done {
		d.Ignore++
		return
	}
	r.places = append(r.places, placeRequest{tg: tg, name: name, node: n, prev: ended})
	d.Place++
}
