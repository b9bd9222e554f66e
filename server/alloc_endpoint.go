package server

import (
	"context"
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// allocGetAllocs returns the allocations asked for, each with its Job, as
// a blocking query on their newest ModifyIndex.
func (s *Server) allocGetAllocs(ctx context.Context, req *structs.AllocsGetRequest) (*structs.AllocsGetResponse, error) {
	resp, index, err := s.state.BlockingQuery(ctx, req.MinQueryIndex, req.MaxQueryTime,
		func(ws memdb.WatchSet, st *state.StateStore) (interface{}, uint64, error) {
			return allocsByIDs(ws, st, req.AllocIDs)
		})
	if err != nil {
		return nil, err
	}
	out := &structs.AllocsGetResponse{Allocs: resp.([]*structs.Allocation)}
	out.Index, out.KnownLeader = index, s.Leader() != ""
	return out, nil
}

func allocsByIDs(ws memdb.WatchSet, st *state.StateStore, ids []string) (interface{}, uint64, error) {
	out := make([]*structs.Allocation, 0, len(ids))
	var index uint64
	for _, id := range ids {
		a, err := st.AllocByID(ws, id)
		if err != nil {
			return nil, 0, err
		}
		if a == nil {
			return nil, 0, fmt.Errorf("get alloc %q: %w", id, structs.ErrNotFound)
		}
		if a.Job == nil {
			c := a.Copy()
			if c.Job, err = st.JobByID(nil, a.Namespace, a.JobID); err != nil {
				return nil, 0, err
			}
			a = c
		}
		out = append(out, a)
		index = max(index, a.ModifyIndex)
	}
	return out, index, nil
}

// nodeUpdateAlloc commits a client's batched allocation updates. An
// allocation that newly failed gets its job a reschedule evaluation in the
// same Raft entry; allocations that ended free capacity, which the apply
// hook turns into unblocks.
func (s *Server) nodeUpdateAlloc(ctx context.Context, req *structs.AllocUpdateRequest) (*structs.GenericResponse, error) {
	if len(req.Alloc) == 0 {
		return nil, fmt.Errorf("update allocs: no allocations given: %w", structs.ErrInvalid)
	}
	if resp, ok, err := forwarded[structs.GenericResponse](ctx, s, rpc.FullMethod(rpc.NodeUpdateAlloc), req); ok {
		return resp, err
	}
	updates, evals, err := s.clientUpdates(req.Alloc)
	if err != nil {
		return nil, err
	}
	if len(updates) == 0 {
		return &structs.GenericResponse{WriteMeta: structs.WriteMeta{Index: s.state.LatestIndex()}}, nil
	}
	cmd := &structs.AllocUpdateRequest{Alloc: updates, Evals: evals, WriteRequest: req.WriteRequest}
	index, err := s.RaftApply(structs.AllocClientUpdateRequestType, cmd)
	if err != nil {
		return nil, fmt.Errorf("update allocs: %w", err)
	}
	return &structs.GenericResponse{WriteMeta: structs.WriteMeta{Index: index}}, nil
}

// clientUpdates keeps the updates of known allocations, stamped with the
// leader's clock, and builds one reschedule eval per job with an
// allocation that turned failed.
func (s *Server) clientUpdates(in []*structs.Allocation) ([]*structs.Allocation, []*structs.Evaluation, error) {
	now := s.now().UnixNano()
	seen := map[[2]string]bool{}
	var updates []*structs.Allocation
	var evals []*structs.Evaluation
	for _, u := range in {
		if u == nil || u.ID == "" {
			return nil, nil, fmt.Errorf("update allocs: an allocation has no ID: %w", structs.ErrInvalid)
		}
		existing, err := s.state.AllocByID(nil, u.ID)
		if err != nil {
			return nil, nil, err
		}
		if existing == nil {
			s.logger.Debug("client updated an unknown allocation, ignoring", "alloc_id", u.ID)
			continue
		}
		c := u.Copy()
		c.ModifyTime = now
		updates = append(updates, c)
		if e := s.rescheduleEval(existing, c, seen); e != nil {
			evals = append(evals, e)
		}
	}
	return updates, evals, nil
}

// rescheduleEval returns an eval for the alloc's job if the alloc just
// failed and the job still wants to run, once per job.
func (s *Server) rescheduleEval(existing, update *structs.Allocation, seen map[[2]string]bool) *structs.Evaluation {
	if update.ClientStatus != structs.AllocClientStatusFailed || existing.ClientStatus == structs.AllocClientStatusFailed {
		return nil
	}
	key := [2]string{existing.Namespace, existing.JobID}
	if seen[key] {
		return nil
	}
	job, err := s.state.JobByID(nil, existing.Namespace, existing.JobID)
	if err != nil || job == nil || job.Stop {
		return nil
	}
	seen[key] = true
	return s.newEval(job, structs.EvalTriggerRetryFailedAlloc)
}
