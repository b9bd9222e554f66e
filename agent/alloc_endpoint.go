package agent

import (
	"net/http"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// allocStubs summarizes allocations for listings; never nil.
func allocStubs(allocs []*structs.Allocation) []*structs.AllocListStub {
	out := make([]*structs.AllocListStub, 0, len(allocs))
	for _, a := range allocs {
		out = append(out, a.Stub())
	}
	return out
}

// allocsList answers GET /v1/allocations: stubs, ?prefix, ?namespace
// (default "default"; "*" for all).
func (s *httpServer) allocsList(w http.ResponseWriter, r *http.Request) (any, error) {
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	ns := o.ns(structs.DefaultNamespace)
	return s.blockingRead(w, r, o, func(ws memdb.WatchSet, st *state.StateStore) (any, error) {
		allocs, err := st.AllocsByIDPrefix(ws, ns, o.prefix)
		return allocStubs(allocs), err
	}, state.TableAllocs)
}

// allocGet answers GET /v1/allocation/{id}; a unique ID prefix will do.
func (s *httpServer) allocGet(w http.ResponseWriter, r *http.Request) (any, error) {
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, o, func(ws memdb.WatchSet, st *state.StateStore) (any, error) {
		return lookupAlloc(ws, st, o.ns("*"), r.PathValue("id"))
	}, state.TableAllocs)
}

// lookupAlloc finds an allocation by exact ID, else by a unique prefix.
func lookupAlloc(ws memdb.WatchSet, st *state.StateStore, ns, id string) (*structs.Allocation, error) {
	a, err := st.AllocByID(ws, id)
	if err != nil || a != nil {
		return a, err
	}
	found, err := st.AllocsByIDPrefix(ws, ns, id)
	if err != nil {
		return nil, err
	}
	return resolvePrefix("alloc", id, found, func(a *structs.Allocation) string { return a.ID })
}
