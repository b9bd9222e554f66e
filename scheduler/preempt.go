package scheduler

import (
	"slices"

	"github.com/droverhq/drover/structs"
)

// Preemption: when an instance fits on no feasible node and the operator
// enabled preemption for the job's type (structs.SchedulerConfiguration),
// the scheduler may evict allocations of jobs whose priority is at least
// structs.PreemptionPriorityDelta lower. On one node it picks the set to
// evict tier by tier, lowest priority first, taking within a tier the
// allocation that covers most of what is still missing, then drops any
// pick the others make unnecessary. Across nodes it prefers the set whose
// highest priority is lowest, then the fewest evictions, then the lowest
// summed priority. Evicted allocations go into the plan's NodePreemptions;
// the placement lists them in PreemptedAllocations.

// shortfall is what a node lacks for one more instance.
type shortfall struct {
	cpu, mem, disk int64
	dyn            int // dynamic ports
}

func (s *shortfall) covered() bool { return s.cpu <= 0 && s.mem <= 0 && s.disk <= 0 && s.dyn <= 0 }

// victim is an allocation that may be preempted, with what evicting it frees.
type victim struct {
	alloc    *structs.Allocation
	priority int
	res      structs.ComparableResources
	dyn      int // its ports in the node's dynamic range
}

func (s *shortfall) release(v *victim) {
	s.cpu -= v.res.CpuShares
	s.mem -= v.res.MemoryMB
	s.disk -= v.res.DiskMB
	s.dyn -= v.dyn
}

func (s *shortfall) restore(v *victim) {
	s.cpu += v.res.CpuShares
	s.mem += v.res.MemoryMB
	s.disk += v.res.DiskMB
	s.dyn += v.dyn
}

// cover is how much of the shortfall evicting v makes up, summed over the
// dimensions still short, each in [0, 1].
func (s *shortfall) cover(v *victim) float64 {
	part := func(have, need int64) float64 {
		if need <= 0 || have <= 0 {
			return 0
		}
		return float64(min(have, need)) / float64(need)
	}
	return part(v.res.CpuShares, s.cpu) + part(v.res.MemoryMB, s.mem) + part(v.res.DiskMB, s.disk) +
		part(int64(v.dyn), int64(s.dyn))
}

// preemptPlan is a node's cheapest eviction set, cached on its candidate
// while the node's usage stays at version ver.
type preemptPlan struct {
	ver      int
	ok       bool
	victims  []*structs.Allocation
	max, sum int // highest and summed priority of the victims
}

// preemptFor finds, among the feasible nodes that were out of resources,
// the one where preemption costs least, and the allocations to evict there.
// Each node's set is computed once and reused until something is placed
// on or evicted from it, so a large group that preempts its way in costs
// one set per placement, not one per node per placement.
func (gs *groupState) preemptFor() (*candidate, []*structs.Allocation) {
	var best *candidate
	var bp *preemptPlan
	for _, cand := range gs.exhaustedCands {
		if gs.distinctBlocked(cand.usage) != "" {
			continue
		}
		pp := cand.preempt
		if pp == nil || pp.ver != cand.usage.version {
			pp = &preemptPlan{ver: cand.usage.version}
			pp.victims, pp.ok = gs.planPreemption(cand.usage)
			for _, a := range pp.victims {
				p := allocPriority(a)
				pp.max, pp.sum = max(pp.max, p), pp.sum+p
			}
			cand.preempt = pp
		}
		if !pp.ok {
			continue
		}
		if bp == nil || pp.max < bp.max || pp.max == bp.max && (len(pp.victims) < len(bp.victims) || len(pp.victims) == len(bp.victims) && pp.sum < bp.sum) {
			best, bp = cand, pp
		}
	}
	if best == nil {
		return nil, nil
	}
	return best, bp.victims
}

func allocPriority(a *structs.Allocation) int {
	if a.Job == nil {
		return structs.JobMaxPriority
	}
	return a.Job.Priority
}

// planPreemption returns the allocations to evict so that one more
// instance fits on the node (none when it already fits), or false when
// evicting every allocation it may evict would not be enough.
func (gs *groupState) planPreemption(u *nodeUsage) ([]*structs.Allocation, bool) {
	c := gs.c
	after := u.used
	after.Add(&gs.ask)
	need := shortfall{
		cpu: after.CpuShares - u.capacity.CpuShares, mem: after.MemoryMB - u.capacity.MemoryMB,
		disk: after.DiskMB - u.capacity.DiskMB,
	}
	minDyn, maxDyn := dynamicRange(u.node)
	var pool []*victim
	for _, a := range u.existing {
		if c.stopped[a.ID] || a.Job == nil || !structs.CanPreempt(c.job.Priority, a.Job.Priority) {
			continue
		}
		v := &victim{alloc: a, priority: a.Job.Priority, res: *a.ComparableResources()}
		if gs.hasPorts {
			for _, p := range structs.AllocHostPorts(a) {
				if p >= minDyn && p <= maxDyn {
					v.dyn++
				}
			}
		}
		pool = append(pool, v)
	}
	// Allocations holding a static port the group needs must go.
	var must []*victim
	if gs.hasPorts {
		idx := u.portIndex()
		for _, port := range gs.staticPorts {
			if !idx.Used(port) {
				continue
			}
			if idx.Reserved(port) {
				return nil, false
			}
			held := false
			for _, v := range pool {
				if slices.Contains(structs.AllocHostPorts(v.alloc), port) {
					held = true
					if !slices.Contains(must, v) {
						must = append(must, v)
						need.release(v)
					}
				}
			}
			if !held {
				return nil, false // held by an allocation we may not evict
			}
		}
		need.dyn = gs.dynamicPorts - idx.DynamicFree()
		for _, v := range must {
			need.dyn -= v.dyn
		}
	}
	pool = slices.DeleteFunc(pool, func(v *victim) bool { return slices.Contains(must, v) })
	// Lowest priority first; within a priority, the picks below decide.
	slices.SortStableFunc(pool, func(a, b *victim) int { return a.priority - b.priority })
	var picked []*victim
	for !need.covered() {
		bi, bestCover := -1, 0.0
		for i, v := range pool {
			if bi >= 0 && v.priority > pool[bi].priority {
				break // only climb a tier when the lower one cannot help
			}
			if cv := need.cover(v); cv > bestCover {
				bi, bestCover = i, cv
			}
		}
		if bi < 0 {
			if len(pool) == 0 {
				return nil, false
			}
			// Nothing in the lowest tier helps: drop that tier.
			p := pool[0].priority
			pool = slices.DeleteFunc(pool, func(v *victim) bool { return v.priority == p })
			continue
		}
		v := pool[bi]
		pool = slices.Delete(pool, bi, bi+1)
		picked = append(picked, v)
		need.release(v)
	}
	// Drop picks the others make unnecessary, highest priority (latest
	// picked) first.
	for i := len(picked) - 1; i >= 0; i-- {
		need.restore(picked[i])
		if need.covered() {
			picked = slices.Delete(picked, i, i+1)
			continue
		}
		need.release(picked[i])
	}
	out := make([]*structs.Allocation, 0, len(must)+len(picked))
	for _, v := range must {
		out = append(out, v.alloc)
	}
	for _, v := range picked {
		out = append(out, v.alloc)
	}
	return out, true
}

func dynamicRange(n *structs.Node) (int, int) {
	lo, hi := structs.DefaultMinDynamicPort, structs.DefaultMaxDynamicPort
	if nr := n.NodeResources; nr != nil {
		if nr.MinDynamicPort > 0 {
			lo = nr.MinDynamicPort
		}
		if nr.MaxDynamicPort > 0 {
			hi = nr.MaxDynamicPort
		}
	}
	return lo, hi
}

// evict books the preemption of victims on the node: they no longer use
// resources or ports there, and count as stopped for this plan.
func (c *evalContext) evict(u *nodeUsage, victims []*structs.Allocation) {
	if len(victims) == 0 {
		return
	}
	for _, v := range victims {
		c.stopped[v.ID] = true
		u.used.Subtract(v.ComparableResources())
		u.existing = slices.DeleteFunc(u.existing, func(a *structs.Allocation) bool { return a.ID == v.ID })
	}
	u.ports = nil // rebuilt from the allocations left
	u.version++
}

// unevict undoes evict when the placement did not happen after all.
func (c *evalContext) unevict(u *nodeUsage, victims []*structs.Allocation) {
	if len(victims) == 0 {
		return
	}
	for _, v := range victims {
		delete(c.stopped, v.ID)
		u.used.Add(v.ComparableResources())
		u.existing = append(u.existing, v)
	}
	u.ports = nil
	u.version++
}
