package scheduler

import (
	"math"
	"sort"
	"time"

	"github.com/droverhq/drover/structs"
)

// buildPlan turns the reconcile result into a plan: stops first (they free
// room the placements may use), then in-place updates, then placements.
func (c *evalContext) buildPlan(r *reconcileResult) *structs.Plan {
	p := &structs.Plan{
		EvalID: c.ev.ID, Priority: c.ev.Priority, Job: c.job, SnapshotIndex: c.s.state.Index(),
		Annotations: &structs.PlanAnnotations{DesiredTGUpdates: r.desired},
	}
	if c.job != nil {
		p.AllAtOnce = c.job.AllAtOnce
		if p.Priority == 0 {
			p.Priority = c.job.Priority
		}
	}
	for _, st := range r.stops {
		p.AppendStoppedAlloc(st.alloc, st.desc, st.clientStatus)
		c.stopped[st.alloc.ID] = true
	}
	for _, a := range r.inplace {
		u := *a
		u.Job, u.EvalID, u.ModifyTime = c.job, c.ev.ID, c.now.UnixNano()
		p.AppendAlloc(&u)
	}
	for _, req := range r.places {
		if a := c.group(req.tg).place(req); a != nil {
			p.AppendAlloc(a)
		} else {
			c.queued[req.tg.Name]++
		}
	}
	return p
}

// place chooses a node for one instance and returns the new allocation, or
// nil when no node fits. Once a group fails, its later instances (which ask
// the same) fail at once.
func (gs *groupState) place(req placeRequest) *structs.Allocation {
	if !gs.built {
		gs.build()
	}
	start := time.Now()
	for gs.failures == 0 {
		best := gs.selectNode(req)
		if best == nil {
			break
		}
		a, err := gs.newAlloc(req, best)
		if err != nil {
			// The port pre-check in blocked is approximate (a static port
			// inside the dynamic range counts against it only once
			// claimed): the node is out for this group.
			gs.dropCandidate(best, structs.DynamicPortExhausted)
			continue
		}
		a.Metrics.AllocationTime = time.Since(start)
		gs.commit(best)
		return a
	}
	gs.failures++
	return nil
}

// selectNode scores up to limit fitting candidates, starting where the
// last placement stopped, and returns the best one (nil if none fits).
// Nodes that do not fit are removed from the candidates.
func (gs *groupState) selectNode(req placeRequest) *candidate {
	var best *candidate
	bestScore := math.Inf(-1)
	seen := 0
	for len(gs.candidates) > 0 && seen < min(gs.limit, len(gs.candidates)) {
		if gs.cursor >= len(gs.candidates) {
			gs.cursor = 0
		}
		cand := gs.candidates[gs.cursor]
		if cand.usage == nil {
			cand.usage = gs.c.usageOf(cand.node)
		}
		u := cand.usage
		if reason := gs.blocked(u); reason != "" {
			gs.removeAt(gs.cursor, reason)
			continue
		}
		if s := gs.score(cand, u, req); s > bestScore {
			best, bestScore = cand, s
		}
		seen++
		gs.cursor++
	}
	return best
}

// blocked says why one more instance cannot go on the node now, or "".
func (gs *groupState) blocked(u *nodeUsage) string {
	if gs.distinctJob && u.jobAllocs > 0 || gs.distinctGroup && u.groupAllocs[gs.index] > 0 {
		return filterDistinctHosts
	}
	for _, p := range gs.props {
		v, ok := resolveTarget(p.con.LTarget, u.node)
		if !ok || p.counts[v] >= p.limit {
			return constraintKey(p.con)
		}
	}
	after := u.used
	after.Add(&gs.ask)
	if ok, dim := u.capacity.Superset(&after); !ok {
		return dim
	}
	if gs.hasPorts {
		idx := u.portIndex()
		for _, p := range gs.staticPorts {
			if idx.Used(p) {
				if idx.Reserved(p) {
					return structs.ReservedPortCollision
				}
				return structs.PortCollision
			}
		}
		if idx.DynamicFree() < gs.dynamicPorts {
			return structs.DynamicPortExhausted
		}
	}
	return ""
}

// score ranks a fitting node; higher is better. It sums the parts, each
// in [-1, 1]: bin-packing, job anti-affinity (minus the share of the
// group's count already on the node), affinities, spreads, and -1 on the
// node a rescheduled allocation failed on.
//
// It sums rather than averaging only the parts that apply (as Nomad does):
// with an average, the first instance on a node halves its score, which
// strands nodes holding a single instance while others fill up. With a sum,
// anti-affinity weighs in proportion: it spreads a small group (one more
// instance costs 1/count) and barely touches a large one, which packs.
func (gs *groupState) score(cand *candidate, u *nodeUsage, req placeRequest) float64 {
	if cand.binPackVer != u.version {
		cand.binPack, cand.binPackVer = binPackScore(&u.capacity, &u.used, &gs.ask), u.version
	}
	total := cand.binPack
	if n := u.groupAllocs[gs.index]; n > 0 {
		total -= float64(n) / float64(max(gs.tg.Count, 1))
	}
	if gs.affinityTotal > 0 {
		total += cand.affinity
	}
	if len(gs.spreads) > 0 {
		total += gs.spreadScore(cand)
	}
	if req.reschedule && req.prev != nil && req.prev.NodeID == cand.node.ID {
		total--
	}
	return total
}

// binPackScore prefers nodes that are fuller after the placement, in [0, 1]:
// each of cpu and memory contributes 10^free (1 when full, 10 when empty),
// which favours nodes whose two dimensions fill evenly.
func binPackScore(capacity, used, ask *structs.ComparableResources) float64 {
	if capacity.CpuShares <= 0 || capacity.MemoryMB <= 0 {
		return 0
	}
	free := func(used, ask, total int64) float64 {
		f := 1 - float64(used+ask)/float64(total)
		return math.Max(0, math.Min(1, f))
	}
	// 10^x as e^(x ln 10): the same value without Pow's special cases.
	sum := math.Exp(math.Ln10*free(used.CpuShares, ask.CpuShares, capacity.CpuShares)) +
		math.Exp(math.Ln10*free(used.MemoryMB, ask.MemoryMB, capacity.MemoryMB))
	return (20 - sum) / 18
}

// removeAt drops the candidate at i (swap with the last: order is random
// anyway) and records why.
func (gs *groupState) removeAt(i int, reason string) {
	n := gs.candidates[i].node
	last := len(gs.candidates) - 1
	gs.candidates[i] = gs.candidates[last]
	gs.candidates = gs.candidates[:last]
	gs.recordExhausted(n, reason)
}

func (gs *groupState) dropCandidate(c *candidate, reason string) {
	for i, x := range gs.candidates {
		if x == c {
			gs.removeAt(i, reason)
			return
		}
	}
}

// recordExhausted counts a node that was feasible but could not take one
// more instance: distinct_* limits count as filtering, the rest as
// exhaustion of a resource dimension.
func (gs *groupState) recordExhausted(n *structs.Node, reason string) {
	if isResourceDimension(reason) {
		gs.exhausted++
		gs.dimensions[reason]++
		if n.NodeClass != "" {
			gs.classExh[n.NodeClass]++
		}
		return
	}
	gs.dynFiltered[reason]++
}

func isResourceDimension(reason string) bool {
	switch reason {
	case structs.DimensionCPU, structs.DimensionMemory, structs.DimensionDisk,
		structs.PortCollision, structs.ReservedPortCollision, structs.DynamicPortExhausted:
		return true
	}
	return false
}

// commit books a placement into the node's usage and the distinct
// trackers (job-level trackers are shared by all groups, so every group sees
// it).
func (gs *groupState) commit(cand *candidate) {
	u := cand.usage
	u.used.Add(&gs.ask)
	u.version++
	u.jobAllocs++
	u.groupAllocs[gs.index]++
	for _, p := range gs.props {
		if v, ok := resolveTarget(p.con.LTarget, cand.node); ok {
			p.counts[v]++
		}
	}
	gs.countSpread(cand.node, 1)
}

// failureMetric is the report for a group that could not place everything.
func (gs *groupState) failureMetric() *structs.AllocMetric {
	m := &structs.AllocMetric{CoalescedFailures: gs.failures - 1}
	if gs.metric != nil {
		*m = *gs.metric
		m.CoalescedFailures = gs.failures - 1
		m.ConstraintFiltered = copyCounts(gs.metric.ConstraintFiltered)
		m.ClassFiltered = copyCounts(gs.metric.ClassFiltered)
	}
	for k, v := range gs.dynFiltered {
		if m.ConstraintFiltered == nil {
			m.ConstraintFiltered = map[string]int{}
		}
		m.ConstraintFiltered[k] += v
		m.NodesFiltered += v
	}
	m.NodesExhausted = gs.exhausted
	if len(gs.dimensions) > 0 {
		m.DimensionExhausted = copyCounts(gs.dimensions)
	}
	if len(gs.classExh) > 0 {
		m.ClassExhausted = copyCounts(gs.classExh)
	}
	return m
}

func copyCounts(m map[string]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
