package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/droverhq/drover/server/fsm"
	"github.com/droverhq/drover/structs"
)

// SchedulerSetConfig validates and stores a scheduler configuration through
// Raft. A CAS write whose index is stale answers Updated false, as Nomad's.
// Workers read the new configuration from their next snapshot.
func (s *Server) SchedulerSetConfig(ctx context.Context, req *structs.SchedulerSetConfigRequest) (*structs.SchedulerSetConfigResponse, error) {
	if req == nil {
		return nil, fmt.Errorf("set scheduler configuration: empty request: %w", structs.ErrInvalid)
	}
	if err := req.Config.Validate(); err != nil {
		return nil, fmt.Errorf("set scheduler configuration: %w", err)
	}
	if resp, ok, err := forwarded[structs.SchedulerSetConfigResponse](ctx, s, methodSchedulerSetConfig, req); ok {
		return resp, err
	}
	cmd := *req
	if cmd.Config.SchedulerAlgorithm == "" {
		cmd.Config.SchedulerAlgorithm = structs.SchedulerAlgorithmBinpack
	}
	index, err := s.RaftApply(structs.SchedulerConfigRequestType, &cmd)
	switch {
	case errors.Is(err, fsm.ErrCASFailed):
		return &structs.SchedulerSetConfigResponse{Updated: false, WriteMeta: structs.WriteMeta{Index: index}}, nil
	case err != nil:
		return nil, fmt.Errorf("set scheduler configuration: %w", err)
	}
	return &structs.SchedulerSetConfigResponse{Updated: true, WriteMeta: structs.WriteMeta{Index: index}}, nil
}
