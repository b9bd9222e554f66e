package scheduler

import "github.com/droverhq/drover/structs"

// blocked says why one more instance cannot go on the node now, or "".
// The distinct_* checks come first, so a resource reason (see
// isResourceDimension) means only resources are in the way, which
// preemption may fix.
func (gs *groupState) blocked(u *nodeUsage) string {
	if r := gs.distinctBlocked(u); r != "" {
		return r
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

// distinctBlocked says which distinct_hosts or distinct_property limit
// one more instance on the node would break, or "".
func (gs *groupState) distinctBlocked(u *nodeUsage) string {
	if gs.distinctJob && u.jobAllocs > 0 || gs.distinctGroup && u.groupAllocs[gs.index] > 0 {
		return filterDistinctHosts
	}
	for _, p := range gs.props {
		v, ok := resolveTarget(p.con.LTarget, u.node)
		if !ok || p.counts[v] >= p.limit {
			return constraintKey(p.con)
		}
	}
	return ""
}
