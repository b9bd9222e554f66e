package fsm

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/hashicorp/raft"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

func testJob(id string) *structs.Job {
	return &structs.Job{
		Namespace: structs.DefaultNamespace, ID: id, Name: id, Type: structs.JobTypeService, Priority: 50,
		Datacenters: []string{"dc1"},
		TaskGroups: []*structs.TaskGroup{{Name: "web", Count: 1, Tasks: []*structs.Task{{
			Name: "server", Driver: "exec", Resources: &structs.Resources{CPU: 100, MemoryMB: 64},
		}}}},
	}
}

func testEval(jobID string) *structs.Evaluation {
	return &structs.Evaluation{
		ID: structs.GenerateUUID(), Namespace: structs.DefaultNamespace, JobID: jobID, Type: structs.JobTypeService,
		Priority: 50, TriggeredBy: structs.EvalTriggerJobRegister, Status: structs.EvalStatusPending,
	}
}

func testAlloc(job *structs.Job, nodeID string) *structs.Allocation {
	return &structs.Allocation{
		ID: structs.GenerateUUID(), Namespace: job.Namespace, EvalID: "e", NodeID: nodeID, JobID: job.ID,
		Job: job, TaskGroup: "web", Name: job.ID + ".web[0]", DesiredStatus: structs.AllocDesiredStatusRun,
	}
}

// dump reads everything a store holds, for comparing two stores.
type dump struct {
	Index       uint64
	Nodes       []*structs.Node
	Jobs        []*structs.Job
	Versions    [][]*structs.Job
	Evals       []*structs.Evaluation
	Allocs      []*structs.Allocation
	Deployments []*structs.Deployment
}

func dumpStore(t testing.TB, s *state.StateStore) dump {
	t.Helper()
	var d dump
	var err error
	d.Index = s.LatestIndex()
	check := func(e error) {
		t.Helper()
		if e != nil {
			t.Fatal(e)
		}
	}
	d.Nodes, err = s.NodesList(nil)
	check(err)
	d.Jobs, err = s.JobsList(nil, "*")
	check(err)
	for _, j := range d.Jobs {
		vs, err := s.JobVersionsByID(nil, j.Namespace, j.ID)
		check(err)
		d.Versions = append(d.Versions, vs)
	}
	d.Evals, err = s.EvalsList(nil, "*")
	check(err)
	d.Allocs, err = s.AllocsList(nil, "*")
	check(err)
	d.Deployments, err = s.DeploymentsList(nil, "*")
	check(err)
	return d
}

// hookRecorder records apply-hook calls.
type hookRecorder struct {
	mu    sync.Mutex
	types []structs.MessageType
}

func (h *hookRecorder) hook(_ uint64, t structs.MessageType, _ interface{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.types = append(h.types, t)
}

// applyEverything runs every command type through ts (15 successful
// applies, one rejected) and checks the store after each.
func applyEverything(t *testing.T, ts *testServer) {
	t.Helper()
	s := ts.store
	ok := func(typ structs.MessageType, msg interface{}) {
		t.Helper()
		if err := ts.apply(t, typ, msg); err != nil {
			t.Fatalf("apply type %d: %v", typ, err)
		}
	}

	node := &structs.Node{ID: "node-1", Name: "n1", Datacenter: "dc1", Status: structs.NodeStatusInit}
	ok(structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{Node: node})
	ok(structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{Node: &structs.Node{ID: "node-2", Status: structs.NodeStatusInit}})
	ok(structs.NodeUpdateStatusRequestType, &structs.NodeUpdateStatusRequest{NodeID: "node-1", Status: structs.NodeStatusReady, UpdatedAt: 42})
	ok(structs.NodeUpdateEligibilityRequestType, &structs.NodeUpdateEligibilityRequest{NodeID: "node-1", Eligibility: structs.NodeSchedulingIneligible})
	ok(structs.NodeDeregisterRequestType, &structs.NodeDeregisterRequest{NodeIDs: []string{"node-2"}})
	n, _ := s.NodeByID(nil, "node-1")
	if n == nil || n.Status != structs.NodeStatusReady || n.SchedulingEligibility != structs.NodeSchedulingIneligible {
		t.Fatalf("node-1 after register, status, eligibility: %+v", n)
	}
	if n2, _ := s.NodeByID(nil, "node-2"); n2 != nil {
		t.Errorf("node-2 still present after deregister")
	}

	eval := testEval("web")
	ok(structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: testJob("web"), Eval: eval})
	job, _ := s.JobByID(nil, "default", "web")
	if job == nil || job.Status != structs.JobStatusPending {
		t.Fatalf("registered job: %+v", job)
	}
	if e, _ := s.EvalByID(nil, eval.ID); e == nil {
		t.Fatalf("register eval not stored")
	}
	stale := &structs.JobRegisterRequest{Job: testJob("web"), EnforceIndex: true, JobModifyIndex: job.JobModifyIndex + 1}
	if err := ts.apply(t, structs.JobRegisterRequestType, stale); !errors.Is(err, structs.ErrConflict) {
		t.Errorf("register with a stale JobModifyIndex: got %v, want ErrConflict", err)
	}

	place := testAlloc(job, "node-1")
	ok(structs.ApplyPlanResultsRequestType, &structs.ApplyPlanResultsRequest{
		AllocsUpdated: []*structs.Allocation{place}, Job: job, EvalID: eval.ID,
		Deployment: &structs.Deployment{ID: "dep-1", Namespace: "default", JobID: "web", Status: structs.DeploymentStatusRunning},
	})
	done := *eval
	done.Status = structs.EvalStatusComplete
	ok(structs.EvalUpdateRequestType, &structs.EvalUpdateRequest{Evals: []*structs.Evaluation{&done}})
	ok(structs.AllocClientUpdateRequestType, &structs.AllocUpdateRequest{
		Alloc: []*structs.Allocation{{ID: place.ID, ClientStatus: structs.AllocClientStatusRunning}},
	})
	a, _ := s.AllocByID(nil, place.ID)
	if a == nil || a.ClientStatus != structs.AllocClientStatusRunning || a.Job == nil {
		t.Fatalf("placed alloc after client update: %+v", a)
	}
	if j, _ := s.JobByID(nil, "default", "web"); j.Status != structs.JobStatusRunning {
		t.Errorf("job status = %q, want running", j.Status)
	}
	ok(structs.DeploymentStatusUpdateRequestType, &structs.DeploymentStatusUpdateRequest{
		DeploymentUpdate: &structs.DeploymentStatusUpdate{DeploymentID: "dep-1", Status: structs.DeploymentStatusSuccessful},
	})
	if d, _ := s.DeploymentByID(nil, "dep-1"); d == nil || d.Status != structs.DeploymentStatusSuccessful {
		t.Errorf("deployment after status update: %+v", d)
	}
	ok(structs.JobStabilityRequestType, &structs.JobStabilityRequest{Namespace: "default", JobID: "web", JobVersion: 0, Stable: true})
	if j, _ := s.JobByIDAndVersion(nil, "default", "web", 0); j == nil || !j.Stable {
		t.Errorf("job version 0 not marked stable: %+v", j)
	}

	stopEval := testEval("web")
	ok(structs.JobDeregisterRequestType, &structs.JobDeregisterRequest{JobID: "web", Namespace: "default", Eval: stopEval})
	if j, _ := s.JobByID(nil, "default", "web"); !j.Stop || j.Version != 1 {
		t.Errorf("deregistered job: Stop %v Version %d, want true, 1", j.Stop, j.Version)
	}
	ok(structs.JobRegisterRequestType, &structs.JobRegisterRequest{Job: testJob("tmp")})
	ok(structs.JobDeregisterRequestType, &structs.JobDeregisterRequest{JobID: "tmp", Namespace: "default", Purge: true})
	if j, _ := s.JobByID(nil, "default", "tmp"); j != nil {
		t.Errorf("purged job still present")
	}
	ok(structs.EvalDeleteRequestType, &structs.EvalDeleteRequest{Evals: []string{stopEval.ID}})
	if e, _ := s.EvalByID(nil, stopEval.ID); e != nil {
		t.Errorf("deleted eval still present")
	}
}

func TestFSMApplyAndRestart(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	rec := &hookRecorder{}
	ts.fsm.SetApplyHook(rec.hook)
	applyEverything(t, ts)
	rec.mu.Lock()
	calls := len(rec.types)
	rec.mu.Unlock()
	if calls != 15 {
		t.Errorf("apply hook called %d times, want 15 (every successful apply)", calls)
	}
	before := dumpStore(t, ts.store)
	ts.stop()

	again := startServer(t, dir)
	waitFor(t, func() error { return again.raft.Barrier(0).Error() })
	after := dumpStore(t, again.store)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("state after restart differs:\n got %+v\nwant %+v", after, before)
	}
}

func TestFSMSnapshotRestart(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, dir)
	applyEverything(t, ts)
	if err := ts.raft.Snapshot().Error(); err != nil {
		t.Fatalf("raft snapshot: %v", err)
	}
	extra := testEval("web")
	if err := ts.apply(t, structs.EvalUpdateRequestType, &structs.EvalUpdateRequest{Evals: []*structs.Evaluation{extra}}); err != nil {
		t.Fatal(err)
	}
	before := dumpStore(t, ts.store)
	ts.stop()

	again := startServer(t, dir) // restores the snapshot, then replays the entry after it
	waitFor(t, func() error { return again.raft.Barrier(0).Error() })
	if after := dumpStore(t, again.store); !reflect.DeepEqual(before, after) {
		t.Errorf("state after snapshot and restart differs:\n got %+v\nwant %+v", after, before)
	}
}

// memSink is a raft.SnapshotSink in memory.
type memSink struct {
	bytes.Buffer
	canceled bool
}

func (m *memSink) ID() string    { return "mem" }
func (m *memSink) Cancel() error { m.canceled = true; return nil }
func (m *memSink) Close() error  { return nil }

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }

func TestFSMSnapshotRestore(t *testing.T) {
	ts := startServer(t, t.TempDir())
	applyEverything(t, ts)
	snap, err := ts.fsm.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	want := dumpStore(t, ts.store)
	// A write after Snapshot must not show up in what Persist streams.
	if err := ts.apply(t, structs.EvalUpdateRequestType, &structs.EvalUpdateRequest{Evals: []*structs.Evaluation{testEval("web")}}); err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	if err := snap.Persist(sink); err != nil || sink.canceled {
		t.Fatalf("persist: %v (canceled %v)", err, sink.canceled)
	}
	snap.Release()

	store, _ := state.NewStateStore()
	f := New(store, nil)
	if err := f.Restore(nopCloser{bytes.NewReader(sink.Bytes())}); err != nil {
		t.Fatal(err)
	}
	if got := dumpStore(t, store); !reflect.DeepEqual(got, want) {
		t.Errorf("restored state differs:\n got %+v\nwant %+v", got, want)
	}
}

func TestFSMApplyBadEntries(t *testing.T) {
	store, _ := state.NewStateStore()
	f := New(store, nil)
	called := false
	f.SetApplyHook(func(uint64, structs.MessageType, interface{}) { called = true })
	unknown := structs.MessageType(99)
	tests := []struct {
		name    string
		data    []byte
		wantErr bool
	}{
		{"empty", nil, true},
		{"unknown type", []byte{byte(unknown)}, true},
		{"unknown type, ignorable", []byte{byte(unknown | structs.IgnoreUnknownTypeFlag)}, false},
		{"corrupt body", []byte{byte(structs.NodeRegisterRequestType), 0xc1}, true},
		{"register without node", mustEncode(t, structs.NodeRegisterRequestType, &structs.NodeRegisterRequest{}), true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := f.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: tt.data})
			if err, _ := resp.(error); (err != nil) != tt.wantErr {
				t.Errorf("Apply = %v, want error %v", resp, tt.wantErr)
			}
		})
	}
	if called {
		t.Error("apply hook called for an entry that was not applied")
	}
	if store.LatestIndex() != 0 {
		t.Errorf("bad entries changed the store: index %d", store.LatestIndex())
	}
}

func TestFSMIgnorableKnownType(t *testing.T) {
	store, _ := state.NewStateStore()
	f := New(store, nil)
	data := mustEncode(t, structs.NodeRegisterRequestType|structs.IgnoreUnknownTypeFlag,
		&structs.NodeRegisterRequest{Node: &structs.Node{ID: "n1"}})
	if resp := f.Apply(&raft.Log{Index: 7, Data: data}); resp != nil {
		t.Fatalf("Apply = %v, want nil", resp)
	}
	if n, _ := store.NodeByID(nil, "n1"); n == nil || n.ModifyIndex != 7 {
		t.Errorf("a known type with the ignore flag was not applied: %+v", n)
	}
}

func mustEncode(t testing.TB, typ structs.MessageType, msg interface{}) []byte {
	t.Helper()
	b, err := Encode(typ, msg)
	if err != nil {
		t.Fatal(fmt.Errorf("encode: %w", err))
	}
	return b
}
