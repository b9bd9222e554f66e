package fsm

import (
	"fmt"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// applyAllocDesiredTransition applies AllocUpdateDesiredTransitionRequestType:
// an operator changed allocations' desired status (`alloc stop`); the
// evals that replace them come in the same entry.
func applyAllocDesiredTransition(s *state.StateStore, index uint64, req *structs.AllocUpdateRequest) error {
	if len(req.Alloc) == 0 {
		return fmt.Errorf("update allocs' desired status: no allocations given: %w", structs.ErrInvalid)
	}
	return s.UpdateAllocsDesired(index, req.Alloc, req.Evals)
}
