package scheduler

import (
	"math/bits"
	"slices"
	"strings"

	"github.com/droverhq/drover/structs"
)

// Spread blocks. Each block names a node attribute and, optionally, the
// share of the group's instances each value should get (targets; values
// not listed share what the targets leave, as one pool). Without targets
// every value seen among the group's feasible nodes gets an equal share.
//
// A value's spread score compares its instances with its share of the
// instances placed so far, counting the one being placed:
//
//	deficit = share × (placed + 1) − have        (in instances)
//	score   = clamp(deficit / tolerance, −1, 1)
//	tolerance = max(½, (1 − weight/100) × share × (placed + 1))
//
// At weight 100 the tolerance is half an instance: a value one instance
// behind outscores one at its share by more than bin-packing can make up
// (each part of the score is in [-1, 1], bin-pack in [0, 1]), so the split
// follows the shares to within one instance. At a lower weight the score is
// linear over ±(100 − weight)% of the share, and within that band
// bin-packing decides how far a value may lead; beyond it the spread wins.
// A node without the attribute, or whose value should get nothing, scores
// −1. Several blocks combine as their weighted mean.
//
// All nodes with the same values share the spread score, so the candidates
// are kept in buckets, one per combination of values (spreadBucket). A
// placement ranks the buckets by spread score plus the most the other parts
// can add, scans buckets in that order with the usual window of `limit`
// nodes each, and stops at the first bucket that cannot beat the best node
// found. A placement therefore scores O(buckets + limit) nodes, not every
// feasible node.

// spreadTracker counts one spread block's instances per attribute value.
type spreadTracker struct {
	spread *structs.Spread
	weight float64
	// tolerance is 1 − weight/100: the part of a share left to bin-pack.
	tolerance float64
	// desired share (0..1) per listed value; rest is the share of every
	// unlisted value together. even means no targets: every value seen on a
	// feasible node (seen) gets an equal share.
	desired map[string]float64
	rest    float64
	even    bool
	seen    map[string]bool
	counts  map[string]int
	other   int // instances on unlisted values
	total   int // instances counted: on values with a share
}

// collectSpreads sets up the job's and group's spread blocks. Values and
// counts are filled by initSpreads once the candidates are known.
func (gs *groupState) collectSpreads() {
	for _, sp := range append(append([]*structs.Spread(nil), gs.c.job.Spreads...), gs.tg.Spreads...) {
		if sp == nil || sp.Attribute == "" {
			continue
		}
		w := float64(sp.Weight)
		if w <= 0 {
			w = structs.DefaultSpreadWeight
		}
		w = min(w, 100)
		st := &spreadTracker{spread: sp, weight: w, tolerance: 1 - w/100, desired: map[string]float64{}, counts: map[string]int{}}
		total := 0.0
		for _, target := range sp.SpreadTarget {
			if target == nil {
				continue
			}
			st.desired[target.Value] = float64(target.Percent) / 100
			total += float64(target.Percent) / 100
		}
		st.even = len(sp.SpreadTarget) == 0
		st.rest = max(0, 1-total)
		gs.spreads = append(gs.spreads, st)
		gs.spreadWeight += w
		if escapesClass(sp.Attribute) {
			gs.c.escaped = true
		}
	}
}

// spreadValue is a candidate's value of a spread attribute, resolved once.
type spreadValue struct {
	v  string
	ok bool
}

// spreadBucket is the candidates that share every spread value, so share
// the spread score. Without spreads a group has one bucket of all its
// candidates.
type spreadBucket struct {
	vals   []spreadValue // one per spread tracker
	cands  []*candidate  // in shuffled order; a window of limit is scored
	cursor int
	limit  int
	// maxAffinity bounds its candidates' affinity scores.
	maxAffinity float64
	// spread is the bucket's spread score for the current placement, and
	// bound the best total any of its nodes may reach.
	spread, bound float64
}

// setLimit sizes the bucket's window (see "limit" in doc.go).
func (b *spreadBucket) setLimit(gs *groupState) {
	switch {
	case gs.affinityTotal > 0:
		// An affinity only helps if the preferred nodes are looked at.
		b.limit = len(b.cands)
	case gs.c.s.batch:
		b.limit = batchLimit
	default:
		b.limit = max(2, bits.Len(uint(len(b.cands))))
	}
}

// bucketCandidates sorts the shuffled candidates into buckets and counts
// the values among them and the group's live instances per value.
func (gs *groupState) bucketCandidates(cands []*candidate) {
	if len(gs.spreads) == 0 {
		b := &spreadBucket{cands: cands}
		for _, c := range cands {
			c.bucket = b
			b.maxAffinity = max(b.maxAffinity, c.affinity)
		}
		b.setLimit(gs)
		gs.buckets = []*spreadBucket{b}
		return
	}
	for _, st := range gs.spreads {
		st.seen = map[string]bool{}
	}
	byKey := map[string]*spreadBucket{}
	var key strings.Builder
	vals := make([]spreadValue, len(gs.spreads))
	for _, c := range cands {
		key.Reset()
		for i, st := range gs.spreads {
			v, ok := resolveTarget(st.spread.Attribute, c.node)
			vals[i] = spreadValue{v, ok}
			if ok {
				st.seen[v] = true
				key.WriteByte(1)
				key.WriteString(v)
			}
			key.WriteByte(0)
		}
		b := byKey[key.String()]
		if b == nil {
			b = &spreadBucket{vals: slices.Clone(vals), maxAffinity: c.affinity}
			byKey[key.String()] = b
			gs.buckets = append(gs.buckets, b)
		}
		b.cands = append(b.cands, c)
		b.maxAffinity = max(b.maxAffinity, c.affinity)
		c.bucket = b
	}
	for _, b := range gs.buckets {
		b.setLimit(gs)
	}
	for _, a := range gs.c.jobAllocs {
		if a.TaskGroup != gs.tg.Name || a.TerminalStatus() || gs.c.stopped[a.ID] {
			continue
		}
		if n := gs.c.node(a.NodeID); n != nil {
			gs.countSpread(n)
		}
	}
}

// countSpread counts one more instance on node n in every tracker.
func (gs *groupState) countSpread(n *structs.Node) {
	for _, st := range gs.spreads {
		v, ok := resolveTarget(st.spread.Attribute, n)
		if !ok {
			continue
		}
		_, listed := st.desired[v]
		switch {
		case st.even && !st.seen[v]:
			continue // no share: not among the feasible values
		case !st.even && !listed:
			st.other++
		default:
			st.counts[v]++
		}
		st.total++
	}
}

// rankBuckets computes every bucket's spread score and bound for this
// placement and returns the non-empty buckets, most promising first
// (stable, so ties keep the shuffled order).
func (gs *groupState) rankBuckets() []*spreadBucket {
	order := gs.bucketOrder[:0]
	for _, b := range gs.buckets {
		// Empty buckets too: a node taken back for preemption is scored
		// with its bucket's current spread.
		b.spread = gs.bucketSpread(b)
		if len(b.cands) == 0 {
			continue
		}
		// bin-pack (or its opposite) is at most 1; anti-affinity and the
		// reschedule penalty are at most 0.
		b.bound = b.spread + 1 + b.maxAffinity
		order = append(order, b)
	}
	if len(order) > 1 {
		slices.SortStableFunc(order, func(x, y *spreadBucket) int {
			switch {
			case x.bound > y.bound:
				return -1
			case x.bound < y.bound:
				return 1
			}
			return 0
		})
	}
	gs.bucketOrder = order
	return order
}

// bucketSpread is the weighted mean of the bucket's spread scores, in
// [-1, 1].
func (gs *groupState) bucketSpread(b *spreadBucket) float64 {
	total := 0.0
	for i, st := range gs.spreads {
		total += st.weight * st.score(b.vals[i])
	}
	return total / gs.spreadWeight
}

// score is one value's spread score (see the top of this file).
func (st *spreadTracker) score(sv spreadValue) float64 {
	if !sv.ok {
		return -1
	}
	var share float64
	var have int
	switch d, listed := st.desired[sv.v]; {
	case st.even:
		if !st.seen[sv.v] {
			return -1
		}
		share, have = 1/float64(len(st.seen)), st.counts[sv.v]
	case listed:
		share, have = d, st.counts[sv.v]
	default:
		share, have = st.rest, st.other
	}
	if share <= 0 {
		return -1
	}
	ideal := share * float64(st.total+1)
	tolerance := max(0.5, st.tolerance*ideal)
	return max(-1, min(1, (ideal-float64(have))/tolerance))
}
