package scheduler

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/droverhq/drover/structs"
)

// buildPlan turns the reconcile result into a plan: stops first (they free
// room the placements may use), then in-place updates, then placements,
// each with the allocations it preempts.
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
		gs := c.group(req.tg)
		var a *structs.Allocation
		var victims []*structs.Allocation
		if req.node != nil {
			a, victims = gs.placeOn(req)
		} else {
			a, victims = gs.place(req)
		}
		if a == nil {
			c.queued[req.tg.Name]++
			continue
		}
		if len(victims) > 0 {
			a.PreemptedAllocations = make([]string, len(victims))
			for i, v := range victims {
				a.PreemptedAllocations[i] = v.ID
				p.AppendPreemptedAlloc(v, a.ID)
			}
			r.updates(req.tg.Name).Preemptions += uint64(len(victims))
		}
		p.AppendAlloc(a)
	}
	return p
}

// place chooses a node for one instance and returns the new allocation
// and the allocations it preempts, or nil when no node fits. Once a group
// fails, its later instances (which ask the same) fail at once.
func (gs *groupState) place(req placeRequest) (*structs.Allocation, []*structs.Allocation) {
	if !gs.built {
		gs.build()
	}
	start := time.Now()
	for gs.failures == 0 {
		best := gs.selectNode(req)
		var victims []*structs.Allocation
		preempting := best == nil
		if preempting {
			if !gs.c.preempt || gs.noPreemption {
				break
			}
			if best, victims = gs.preemptFor(); best == nil {
				// Usage only grows until the next preemption: no need to
				// look again for this group's later instances.
				gs.noPreemption = true
				break
			}
			gs.c.evict(best.usage, victims)
			gs.nTop = 1
			gs.top[0] = gs.score(best, best.usage, req)
		}
		a, err := gs.newAlloc(req, best)
		if err != nil {
			// The port pre-check in blocked is approximate (a static port
			// inside the dynamic range counts against it only once
			// claimed): the node is out for this group.
			if preempting {
				// Chosen by preemption: it is not among the candidates.
				gs.c.unevict(best.usage, victims)
				gs.exhaustedCands = slices.DeleteFunc(gs.exhaustedCands, func(c *candidate) bool { return c == best })
				continue
			}
			gs.dropCandidate(best, structs.DynamicPortExhausted)
			continue
		}
		a.Metrics.ScoreMetaData = gs.scoreMeta()
		a.Metrics.AllocationTime = time.Since(start)
		gs.commit(best, a)
		return a, victims
	}
	gs.failures++
	return nil, nil
}

// placeOn places one instance on the node the request names (system and
// sysbatch jobs), preempting if that is enabled and needed.
func (gs *groupState) placeOn(req placeRequest) (*structs.Allocation, []*structs.Allocation) {
	start := time.Now()
	gs.initProps()
	n := req.node
	u := gs.c.usageOf(n)
	cand := &candidate{node: n, usage: u, binPackVer: -1}
	var victims []*structs.Allocation
	reason := gs.blocked(u)
	if reason != "" && gs.c.preempt && isResourceDimension(reason) {
		if v, ok := gs.planPreemption(u); ok {
			victims, reason = v, ""
			gs.c.evict(u, victims)
		}
	}
	if reason != "" {
		gs.recordExhausted(n, reason)
		gs.failures++
		return nil, nil
	}
	a, err := gs.newAlloc(req, cand)
	if err != nil {
		gs.c.unevict(u, victims)
		gs.recordExhausted(n, structs.DynamicPortExhausted)
		gs.failures++
		return nil, nil
	}
	gs.nTop = 1
	gs.top[0] = gs.score(cand, u, req)
	a.Metrics.ScoreMetaData = gs.scoreMeta()
	a.Metrics.AllocationTime = time.Since(start)
	gs.commit(cand, a)
	return a, victims
}

// selectNode returns the best fitting candidate (nil if none fits). It
// ranks the spread buckets (one bucket without spreads) and scans them best
// first, up to limit fitting candidates each, starting where the bucket's
// last scan stopped; it stops at a bucket whose bound cannot beat the best
// node found. Nodes that do not fit are removed from their bucket. The best
// few scored are kept in gs.top for the placement's score metadata.
func (gs *groupState) selectNode(req placeRequest) *candidate {
	gs.nTop = 0
	if len(gs.spreads) == 0 {
		if len(gs.buckets) > 0 {
			gs.scanBucket(gs.buckets[0], req)
		}
	} else {
		for _, b := range gs.rankBuckets() {
			if gs.nTop > 0 && b.bound <= gs.top[0].total {
				break // ranked by bound: no later bucket can win either
			}
			gs.scanBucket(b, req)
		}
	}
	if gs.nTop == 0 {
		return nil
	}
	return gs.top[0].cand
}

// scanBucket scores up to b.limit fitting candidates of b into gs.top.
func (gs *groupState) scanBucket(b *spreadBucket, req placeRequest) {
	seen := 0
	for len(b.cands) > 0 && seen < min(b.limit, len(b.cands)) {
		if b.cursor >= len(b.cands) {
			b.cursor = 0
		}
		cand := b.cands[b.cursor]
		if cand.usage == nil {
			cand.usage = gs.c.usageOf(cand.node)
		}
		u := cand.usage
		if reason := gs.blocked(u); reason != "" {
			gs.removeAt(b, b.cursor, reason)
			continue
		}
		gs.keepTop(gs.score(cand, u, req))
		seen++
		b.cursor++
	}
}

// scoreMetaNodes is how many of the best-scored nodes a placement reports
// in AllocMetric.ScoreMetaData: the chosen one and the two runners-up.
// Each costs a map per placement, so the list is kept short.
const scoreMetaNodes = 3

// Names of the score parts in AllocMetric.ScoreMetaData, as Nomad's.
const (
	ScoreBinPack           = "binpack"
	ScoreJobAntiAffinity   = "job-anti-affinity"
	ScoreNodeAffinity      = "node-affinity"
	ScoreSpread            = "allocation-spread"
	ScoreReschedulePenalty = "node-reschedule-penalty"
)

// nodeScore is one node's ranking, part by part.
type nodeScore struct {
	cand                                    *candidate
	binPack, antiAffinity, affinity, spread float64
	penalty                                 float64
	hasAffinity, hasSpread, rescheduling    bool
	total                                   float64
}

// keepTop inserts s into the sorted top list if it ranks there. Among
// equal totals the first scored stays first, so ties go to the earlier
// candidate.
func (gs *groupState) keepTop(s nodeScore) {
	i := gs.nTop
	if i == scoreMetaNodes {
		if s.total <= gs.top[i-1].total {
			return
		}
		i--
	} else {
		gs.nTop++
	}
	for i > 0 && gs.top[i-1].total < s.total {
		gs.top[i] = gs.top[i-1]
		i--
	}
	gs.top[i] = s
}

// scoreMeta reports the kept top scores; only here are maps allocated. A
// node's report depends only on its usage (binpack, anti-affinity) and on
// static affinities, unless spreads or a reschedule penalty apply, so it
// is kept on the candidate and shared, read-only, by later placements that
// list the node again before anything is placed on it.
func (gs *groupState) scoreMeta() []*structs.NodeScoreMeta {
	out := make([]*structs.NodeScoreMeta, gs.nTop)
	reusable := len(gs.spreads) == 0
	for i := range out {
		s := &gs.top[i]
		cand := s.cand
		if reusable && !s.rescheduling && cand.meta != nil && cand.metaVer == cand.usage.version {
			out[i] = cand.meta
			continue
		}
		scores := make(map[string]float64, 5)
		scores[ScoreBinPack] = s.binPack
		scores[ScoreJobAntiAffinity] = s.antiAffinity
		if s.hasAffinity {
			scores[ScoreNodeAffinity] = s.affinity
		}
		if s.hasSpread {
			scores[ScoreSpread] = s.spread
		}
		if s.rescheduling {
			scores[ScoreReschedulePenalty] = s.penalty
		}
		out[i] = &structs.NodeScoreMeta{NodeID: cand.node.ID, Scores: scores, NormScore: s.total}
		if reusable && !s.rescheduling {
			cand.meta, cand.metaVer = out[i], cand.usage.version
		}
	}
	return out
}

// score ranks a fitting node; higher is better. It sums the parts, each
// in [-1, 1]: bin-packing (or, with the spread algorithm, its opposite:
// emptier is better), job anti-affinity (minus the share of the group's
// count already on the node), affinities, spreads, and -1 on the node a
// rescheduled allocation failed on. The sum is the NormScore reported.
//
// It sums rather than averaging only the parts that apply (as Nomad does):
// with an average, the first instance on a node halves its score, which
// strands nodes holding a single instance while others fill up. With a sum,
// anti-affinity weighs in proportion: it spreads a small group (one more
// instance costs 1/count) and barely touches a large one, which packs.
func (gs *groupState) score(cand *candidate, u *nodeUsage, req placeRequest) nodeScore {
	if cand.binPackVer != u.version {
		cand.binPack, cand.binPackVer = binPackScore(&u.capacity, &u.used, &gs.ask), u.version
	}
	s := nodeScore{cand: cand, binPack: cand.binPack}
	if gs.c.spread {
		s.binPack = 1 - s.binPack
	}
	if n := u.groupAllocs[gs.index]; n > 0 {
		s.antiAffinity = -float64(n) / float64(max(gs.tg.Count, 1))
	}
	if gs.affinityTotal > 0 {
		s.affinity, s.hasAffinity = cand.affinity, true
	}
	if len(gs.spreads) > 0 && cand.bucket != nil {
		// The bucket's score as of this placement's rankBuckets.
		s.spread, s.hasSpread = cand.bucket.spread, true
	}
	if req.reschedule && req.prev != nil {
		s.rescheduling = true
		if req.prev.NodeID == cand.node.ID {
			s.penalty = -1
		}
	}
	s.total = s.binPack + s.antiAffinity + s.affinity + s.spread + s.penalty
	return s
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

// removeAt drops the candidate at i of bucket b (swap with the last: order
// is random anyway) and records why. Nodes out for lack of resources are
// kept aside: preemption may make room on them.
func (gs *groupState) removeAt(b *spreadBucket, i int, reason string) {
	cand := b.cands[i]
	last := len(b.cands) - 1
	b.cands[i] = b.cands[last]
	b.cands[last] = nil
	b.cands = b.cands[:last]
	gs.recordExhausted(cand.node, reason)
	if isResourceDimension(reason) && gs.c.preempt {
		gs.exhaustedCands = append(gs.exhaustedCands, cand)
	}
}

func (gs *groupState) dropCandidate(c *candidate, reason string) {
	if b := c.bucket; b != nil {
		if i := slices.Index(b.cands, c); i >= 0 {
			gs.removeAt(b, i, reason)
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
func (gs *groupState) commit(cand *candidate, a *structs.Allocation) {
	u := cand.usage
	if gs.hasPorts {
		u.placed = append(u.placed, a) // for a port index rebuilt after a preemption
	}
	u.used.Add(&gs.ask)
	u.version++
	u.jobAllocs++
	u.groupAllocs[gs.index]++
	for _, p := range gs.props {
		if v, ok := resolveTarget(p.con.LTarget, cand.node); ok {
			p.counts[v]++
		}
	}
	gs.countSpread(cand.node)
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
