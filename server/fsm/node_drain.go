package fsm

import (
	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// applyNodeDrain applies NodeUpdateDrainRequestType: a drain started
// (DrainStrategy set) or ended, by an operator or by the leader's drainer.
func applyNodeDrain(s *state.StateStore, index uint64, req *structs.NodeUpdateDrainRequest) error {
	return s.UpdateNodeDrain(index, req.NodeID, req.DrainStrategy, req.MarkEligible)
}
