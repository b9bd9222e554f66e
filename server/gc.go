package server

import (
	"context"
	"fmt"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// Garbage collection of evaluations and allocations.
//
// What is collected: the terminal evaluations and the allocations whose
// client has reported them ended (complete, failed, lost) of jobs that no
// longer want anything to run: purged jobs (no longer in state) and
// stopped ones. Evals and allocs of live jobs are kept, since the
// scheduler would place a batch job's deleted, completed alloc again.
//
// When: the leader runs a pass every GCInterval that takes only what
// ended more than GCThreshold ago (by ModifyTime), and `PUT
// /v1/system/gc` (ForceGC) runs a pass that takes everything eligible now.
// Deletions go through Raft as EvalDeleteRequest, in batches of
// gcBatchSize IDs. A client whose alloc disappears from its list
// destroys the alloc locally (container, cgroups, alloc dir).
const (
	GCInterval  = 5 * time.Minute
	GCThreshold = time.Hour
	gcBatchSize = 1024
)

// GCResult counts what a pass deleted.
type GCResult struct {
	Evals  int
	Allocs int
}

// ForceGC deletes every eval and alloc eligible for garbage collection,
// regardless of age. Only the leader can: other servers get ErrNotLeader.
func (s *Server) ForceGC(ctx context.Context) (*GCResult, error) {
	return s.gcPass(ctx, 0)
}

// runGC is the leader loop that collects garbage every GCInterval.
func (s *Server) runGC(ctx context.Context) {
	t := time.NewTicker(GCInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := s.gcPass(ctx, GCThreshold)
		switch {
		case err != nil:
			s.logger.Warn("garbage collection failed; retrying next interval", "error", err)
		case res.Evals+res.Allocs > 0:
			s.logger.Info("garbage collected", "evals", res.Evals, "allocs", res.Allocs)
		}
	}
}

// gcPass finds what ended more than olderThan ago and deletes it.
func (s *Server) gcPass(ctx context.Context, olderThan time.Duration) (*GCResult, error) {
	evals, allocs, err := gcCandidates(s.state, s.now().Add(-olderThan))
	if err != nil {
		return nil, fmt.Errorf("garbage collection: %w", err)
	}
	res := &GCResult{}
	for len(evals) > 0 || len(allocs) > 0 {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		req := &structs.EvalDeleteRequest{}
		req.Evals, evals = cut(evals, gcBatchSize)
		req.Allocs, allocs = cut(allocs, gcBatchSize-len(req.Evals))
		if _, err := s.RaftApply(structs.EvalDeleteRequestType, req); err != nil {
			return res, fmt.Errorf("garbage collection: %w", err)
		}
		res.Evals += len(req.Evals)
		res.Allocs += len(req.Allocs)
	}
	return res, nil
}

// cut splits off the first n elements (at most all).
func cut(ids []string, n int) (head, rest []string) {
	if n > len(ids) {
		n = len(ids)
	}
	if n < 0 {
		n = 0
	}
	return ids[:n], ids[n:]
}

// gcReader is the part of the state store GC reads.
type gcReader interface {
	EvalsList(ws memdb.WatchSet, namespace string) ([]*structs.Evaluation, error)
	AllocsList(ws memdb.WatchSet, namespace string) ([]*structs.Allocation, error)
	JobByID(ws memdb.WatchSet, namespace, id string) (*structs.Job, error)
}

var _ gcReader = (*state.StateStore)(nil)

// gcCandidates lists the IDs of the evals and allocs of purged or stopped
// jobs that ended before cutoff.
func gcCandidates(st gcReader, cutoff time.Time) (evals, allocs []string, err error) {
	type jobKey struct{ ns, id string }
	gone := map[jobKey]bool{}
	eligible := func(ns, id string) (bool, error) {
		k := jobKey{ns, id}
		if v, ok := gone[k]; ok {
			return v, nil
		}
		job, err := st.JobByID(nil, ns, id)
		if err != nil {
			return false, err
		}
		gone[k] = job == nil || job.Stop
		return gone[k], nil
	}
	before := cutoff.UnixNano()
	allEvals, err := st.EvalsList(nil, allNamespaces)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range allEvals {
		if !e.TerminalStatus() || e.ModifyTime > before {
			continue
		}
		ok, err := eligible(e.Namespace, e.JobID)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			evals = append(evals, e.ID)
		}
	}
	allAllocs, err := st.AllocsList(nil, allNamespaces)
	if err != nil {
		return nil, nil, err
	}
	for _, a := range allAllocs {
		// Only what the client reported ended: a stop the client has not
		// carried out yet keeps its alloc, and so the client's task, known.
		if !a.ClientTerminalStatus() || a.ModifyTime > before {
			continue
		}
		ok, err := eligible(a.Namespace, a.JobID)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			allocs = append(allocs, a.ID)
		}
	}
	return evals, allocs, nil
}
