package agent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// fakeServer is an in-memory serverAPI: a real state store written
// directly, without Raft or schedulers. It records the requests it got.
type fakeServer struct {
	st *state.StateStore

	mu        sync.Mutex
	index     uint64 // guarded by mu
	registers []*structs.JobRegisterRequest
}

var _ serverAPI = (*fakeServer)(nil)

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	st, err := state.NewStateStore()
	if err != nil {
		t.Fatal(err)
	}
	return &fakeServer{st: st, index: 100}
}

func (f *fakeServer) State() *state.StateStore { return f.st }
func (f *fakeServer) IsLeader() bool           { return true }
func (f *fakeServer) Leader() string           { return "127.0.0.1:8647" }
func (f *fakeServer) Peers() []string          { return []string{"127.0.0.1:8647"} }
func (f *fakeServer) Stats() map[string]string {
	return map[string]string{"leader": "true"}
}

// nextIndex hands out increasing write indexes.
func (f *fakeServer) nextIndex() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.index++
	return f.index
}

func (f *fakeServer) JobRegister(ctx context.Context, req *structs.JobRegisterRequest) (*structs.JobRegisterResponse, error) {
	f.mu.Lock()
	f.registers = append(f.registers, req)
	f.mu.Unlock()
	job := req.Job.Copy()
	job.Canonicalize()
	if err := job.Validate(); err != nil {
		return nil, err
	}
	idx := f.nextIndex()
	eval := &structs.Evaluation{ID: structs.GenerateUUID(), Namespace: job.Namespace, JobID: job.ID,
		Type: job.Type, Priority: job.Priority, Status: structs.EvalStatusPending, TriggeredBy: structs.EvalTriggerJobRegister}
	if err := f.st.RegisterJob(idx, job, eval); err != nil {
		return nil, err
	}
	return &structs.JobRegisterResponse{EvalID: eval.ID, EvalCreateIndex: idx, JobModifyIndex: idx,
		WriteMeta: structs.WriteMeta{Index: idx}}, nil
}

func (f *fakeServer) JobDeregister(ctx context.Context, req *structs.JobDeregisterRequest) (*structs.JobDeregisterResponse, error) {
	existing, err := f.st.JobByID(nil, req.Namespace, req.JobID)
	if err != nil {
		return nil, err
	}
	if existing == nil {
		return nil, fmt.Errorf("job %q: %w", req.JobID, structs.ErrNotFound)
	}
	idx := f.nextIndex()
	if req.Purge {
		err = f.st.PurgeJob(idx, req.Namespace, req.JobID, nil)
	} else {
		err = f.st.StopJob(idx, req.Namespace, req.JobID, nil)
	}
	if err != nil {
		return nil, err
	}
	return &structs.JobDeregisterResponse{JobModifyIndex: idx, WriteMeta: structs.WriteMeta{Index: idx}}, nil
}

func (f *fakeServer) JobEvaluate(ctx context.Context, ns, jobID string) (string, uint64, error) {
	job, err := f.st.JobByID(nil, ns, jobID)
	if err != nil {
		return "", 0, err
	}
	if job == nil {
		return "", 0, fmt.Errorf("job %q: %w", jobID, structs.ErrNotFound)
	}
	idx := f.nextIndex()
	eval := &structs.Evaluation{ID: structs.GenerateUUID(), Namespace: ns, JobID: jobID, Type: job.Type,
		Status: structs.EvalStatusPending}
	return eval.ID, idx, f.st.UpsertEvals(idx, []*structs.Evaluation{eval})
}

// newFakeAPI serves the HTTP API over a fakeServer.
func newFakeAPI(t *testing.T) (*fakeServer, *httptest.Server) {
	t.Helper()
	f := newFakeServer(t)
	h := &httpServer{srv: f, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ts := httptest.NewServer(h.handler())
	t.Cleanup(ts.Close)
	return f, ts
}
