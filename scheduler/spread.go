package scheduler

import (
	"github.com/droverhq/drover/structs"
)

// spreadTracker scores one spread block: how far each attribute value is
// from its desired share of the group's instances.
type spreadTracker struct {
	spread *structs.Spread
	weight float64
	// desired share (0..1) per listed value; rest is the share of every
	// unlisted value together. even means no targets: every value seen on a
	// feasible node gets an equal share.
	desired map[string]float64
	rest    float64
	even    bool
	values  int // distinct values among feasible nodes, for even spreads
	counts  map[string]int
	other   int // instances on unlisted values
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
			w = 50 // Nomad's default weight
		}
		st := &spreadTracker{spread: sp, weight: w, desired: map[string]float64{}, counts: map[string]int{}}
		total := 0.0
		for _, target := range sp.SpreadTarget {
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

// initSpreads counts the values among the candidates and the group's live
// instances per value.
func (gs *groupState) initSpreads() {
	if len(gs.spreads) == 0 {
		return
	}
	for i, st := range gs.spreads {
		seen := map[string]bool{}
		for _, cand := range gs.candidates {
			if cand.spreadVals == nil {
				cand.spreadVals = make([]spreadValue, len(gs.spreads))
			}
			v, ok := resolveTarget(st.spread.Attribute, cand.node)
			cand.spreadVals[i] = spreadValue{v, ok}
			if ok {
				seen[v] = true
			}
		}
		st.values = len(seen)
	}
	for _, a := range gs.c.jobAllocs {
		if a.TaskGroup != gs.tg.Name || a.TerminalStatus() || gs.c.stopped[a.ID] {
			continue
		}
		if n := gs.c.node(a.NodeID); n != nil {
			gs.countSpread(n, 1)
		}
	}
}

// countSpread adds delta instances on node n to every tracker.
func (gs *groupState) countSpread(n *structs.Node, delta int) {
	for _, st := range gs.spreads {
		v, ok := resolveTarget(st.spread.Attribute, n)
		if !ok {
			continue
		}
		st.counts[v] += delta
		if _, listed := st.desired[v]; !listed && !st.even {
			st.other += delta
		}
	}
}

// spreadScore is the weighted mean over spread blocks of how much the node's
// value still lacks instances, in [-1, 1]: 1 for a value with none of its
// share yet, 0 at its share, negative beyond it; -1 for a node without the
// attribute or a value that should get nothing.
func (gs *groupState) spreadScore(cand *candidate) float64 {
	count := float64(max(gs.tg.Count, 1))
	total := 0.0
	for i, st := range gs.spreads {
		total += st.weight * st.score(cand.spreadVals[i], count)
	}
	return total / gs.spreadWeight
}

// spreadValue is a candidate's value of a spread attribute, resolved once.
type spreadValue struct {
	v  string
	ok bool
}

func (st *spreadTracker) score(sv spreadValue, count float64) float64 {
	v, ok := sv.v, sv.ok
	if !ok {
		return -1
	}
	var want, have float64
	switch share, listed := st.desired[v]; {
	case st.even:
		want, have = count/float64(max(st.values, 1)), float64(st.counts[v])
	case listed:
		want, have = share*count, float64(st.counts[v])
	default:
		want, have = st.rest*count, float64(st.other)
	}
	if want <= 0 {
		return -1
	}
	return max(-1, min(1, (want-have)/want))
}
