package fsm

import (
	"fmt"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// ErrCASFailed is returned by the SchedulerConfigRequestType command when
// its check-and-set index no longer matches: nothing was written.
var ErrCASFailed = fmt.Errorf("the scheduler configuration changed since it was read: %w", structs.ErrConflict)

// applySchedulerConfig stores the operator's scheduler configuration,
// checking the CAS index at apply time.
func applySchedulerConfig(s *state.StateStore, index uint64, req *structs.SchedulerSetConfigRequest) error {
	if err := req.Config.Validate(); err != nil {
		return fmt.Errorf("set scheduler configuration: %w", err)
	}
	updated, err := s.SchedulerSetConfig(index, &req.Config, req.CAS, req.Config.ModifyIndex)
	if err != nil {
		return err
	}
	if !updated {
		return ErrCASFailed
	}
	return nil
}
