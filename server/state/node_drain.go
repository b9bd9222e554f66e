package state

import (
	"github.com/droverhq/drover/structs"
)

// UpdateNodeDrain starts or ends a node's drain. Starting (strategy set)
// marks the node draining and ineligible for new work; ending (nil) clears
// the drain and leaves the node ineligible unless markEligible.
func (s *StateStore) UpdateNodeDrain(index uint64, nodeID string, strategy *structs.DrainStrategy, markEligible bool) error {
	return s.modifyNode(index, nodeID, func(n *structs.Node) {
		if strategy != nil {
			d := *strategy
			n.Drain, n.DrainStrategy = true, &d
			n.SchedulingEligibility = structs.NodeSchedulingIneligible
		} else {
			n.Drain, n.DrainStrategy = false, nil
			if markEligible {
				n.SchedulingEligibility = structs.NodeSchedulingEligible
			}
		}
	})
}

// DrainingNodes returns the nodes being drained.
func (r *reader) DrainingNodes() ([]*structs.Node, error) {
	nodes, err := r.NodesList(nil)
	if err != nil {
		return nil, err
	}
	var out []*structs.Node
	for _, n := range nodes {
		if n.Drain {
			out = append(out, n)
		}
	}
	return out, nil
}
