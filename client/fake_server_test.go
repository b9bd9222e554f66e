package client

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeServer is an in-memory drover server speaking the client RPCs: it
// records registrations, heartbeats and alloc updates, and serves the
// allocations a test puts in it with real blocking queries.
type fakeServer struct {
	addr string
	ttl  time.Duration

	mu         sync.Mutex
	nodes      map[string]*structs.Node       // guarded by mu
	allocs     map[string]*structs.Allocation // guarded by mu
	index      uint64                         // guarded by mu
	changed    chan struct{}                  // closed and replaced on every change; guarded by mu
	registers  int                            // guarded by mu
	heartbeats int                            // guarded by mu
	updates    []*structs.Allocation          // guarded by mu
}

func newFakeServer(t *testing.T) *fakeServer {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{addr: lis.Addr().String(), ttl: 300 * time.Millisecond, index: 1,
		nodes: map[string]*structs.Node{}, allocs: map[string]*structs.Allocation{}, changed: make(chan struct{})}
	srv := grpc.NewServer()
	srv.RegisterService(rpc.ServiceDesc(map[string]rpc.Handler{
		rpc.NodeRegister:        f.register,
		rpc.NodeUpdateStatus:    f.heartbeat,
		rpc.NodeGetClientAllocs: f.getClientAllocs,
		rpc.AllocGetAllocs:      f.getAllocs,
		rpc.NodeUpdateAlloc:     f.updateAlloc,
	}), nil)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return f
}

// bump records a change and wakes blocking queries. Callers hold mu.
func (f *fakeServer) bump() uint64 {
	f.index++
	close(f.changed)
	f.changed = make(chan struct{})
	return f.index
}

func (f *fakeServer) register(_ context.Context, dec func(interface{}) error) (interface{}, error) {
	var req structs.NodeRegisterRequest
	if err := dec(&req); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.registers++
	f.nodes[req.Node.ID] = req.Node
	f.bump()
	return &structs.NodeUpdateResponse{HeartbeatTTL: f.ttl, Servers: []string{f.addr}}, nil
}

func (f *fakeServer) heartbeat(_ context.Context, dec func(interface{}) error) (interface{}, error) {
	var req structs.NodeUpdateStatusRequest
	if err := dec(&req); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.nodes[req.NodeID] == nil {
		return nil, status.Errorf(codes.NotFound, "node %q: not found", req.NodeID)
	}
	f.heartbeats++
	return &structs.NodeUpdateResponse{HeartbeatTTL: f.ttl}, nil
}

func (f *fakeServer) getClientAllocs(ctx context.Context, dec func(interface{}) error) (interface{}, error) {
	var req structs.NodeSpecificRequest
	if err := dec(&req); err != nil {
		return nil, err
	}
	timeout := time.NewTimer(min(req.MaxQueryTime, 2*time.Second))
	defer timeout.Stop()
	for {
		f.mu.Lock()
		if f.index > req.MinQueryIndex {
			resp := &structs.NodeClientAllocsResponse{Allocs: map[string]uint64{}, QueryMeta: structs.QueryMeta{Index: f.index}}
			for id, a := range f.allocs {
				if a.NodeID == req.NodeID {
					resp.Allocs[id] = a.AllocModifyIndex
				}
			}
			f.mu.Unlock()
			return resp, nil
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-timeout.C:
			return &structs.NodeClientAllocsResponse{Allocs: f.allocIndexes(req.NodeID), QueryMeta: structs.QueryMeta{Index: req.MinQueryIndex}}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (f *fakeServer) allocIndexes(nodeID string) map[string]uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]uint64{}
	for id, a := range f.allocs {
		if a.NodeID == nodeID {
			out[id] = a.AllocModifyIndex
		}
	}
	return out
}

func (f *fakeServer) getAllocs(_ context.Context, dec func(interface{}) error) (interface{}, error) {
	var req structs.AllocsGetRequest
	if err := dec(&req); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &structs.AllocsGetResponse{QueryMeta: structs.QueryMeta{Index: f.index}}
	for _, id := range req.AllocIDs {
		if a := f.allocs[id]; a != nil {
			resp.Allocs = append(resp.Allocs, a.Copy())
		}
	}
	return resp, nil
}

func (f *fakeServer) updateAlloc(_ context.Context, dec func(interface{}) error) (interface{}, error) {
	var req structs.AllocUpdateRequest
	if err := dec(&req); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, req.Alloc...)
	for _, u := range req.Alloc {
		if a := f.allocs[u.ID]; a != nil {
			a.ClientStatus, a.ClientDescription, a.TaskStates = u.ClientStatus, u.ClientDescription, u.TaskStates
		}
	}
	return &structs.GenericResponse{WriteMeta: structs.WriteMeta{Index: f.bump()}}, nil
}

// putAlloc adds or changes an alloc, as a plan apply would.
func (f *fakeServer) putAlloc(a *structs.Allocation) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a.AllocModifyIndex = f.bump()
	f.allocs[a.ID] = a
}

// stopAlloc sets an alloc's desired status to stop.
func (f *fakeServer) stopAlloc(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.allocs[id].Copy()
	a.DesiredStatus, a.DesiredDescription = structs.AllocDesiredStatusStop, "alloc stopped by test"
	a.AllocModifyIndex = f.bump()
	f.allocs[id] = a
}

// forgetNodes drops every node, as a server whose state was lost would.
func (f *fakeServer) forgetNodes() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nodes = map[string]*structs.Node{}
}

func (f *fakeServer) counts() (registers, heartbeats int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.registers, f.heartbeats
}

// statuses lists the ClientStatus values reported for an alloc, in order.
func (f *fakeServer) statuses(id string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, u := range f.updates {
		if u.ID == id && (len(out) == 0 || out[len(out)-1] != u.ClientStatus) {
			out = append(out, u.ClientStatus)
		}
	}
	return out
}

func (f *fakeServer) lastUpdate(id string) *structs.Allocation {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.updates) - 1; i >= 0; i-- {
		if f.updates[i].ID == id {
			return f.updates[i]
		}
	}
	return nil
}

// deleteAlloc drops an alloc, as garbage collection would.
func (f *fakeServer) deleteAlloc(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.allocs, id)
	f.bump()
}
