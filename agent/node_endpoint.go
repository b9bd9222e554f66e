package agent

import (
	"net/http"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// nodesList answers GET /v1/nodes: stubs, ?prefix.
func (s *httpServer) nodesList(w http.ResponseWriter, r *http.Request) (any, error) {
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, o, func(ws memdb.WatchSet, st *state.StateStore) (any, error) {
		nodes, err := st.NodesByIDPrefix(ws, o.prefix)
		out := make([]*structs.NodeListStub, 0, len(nodes))
		for _, n := range nodes {
			out = append(out, n.Stub())
		}
		return out, err
	}, state.TableNodes)
}

// nodeGet answers GET /v1/node/{id}; a unique ID prefix will do. The
// node's SecretID is never shown.
func (s *httpServer) nodeGet(w http.ResponseWriter, r *http.Request) (any, error) {
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, o, func(ws memdb.WatchSet, st *state.StateStore) (any, error) {
		n, err := lookupNode(ws, st, r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		out := *n // stored objects are shared: change a copy
		out.SecretID = ""
		return &out, nil
	}, state.TableNodes)
}

// nodeAllocations answers GET /v1/node/{id}/allocations with full
// allocations, as Nomad's.
func (s *httpServer) nodeAllocations(w http.ResponseWriter, r *http.Request) (any, error) {
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, o, func(ws memdb.WatchSet, st *state.StateStore) (any, error) {
		n, err := lookupNode(ws, st, r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		allocs, err := st.AllocsByNode(ws, n.ID)
		return emptyIfNil(allocs), err
	}, state.TableNodes, state.TableAllocs)
}

// lookupNode finds a node by exact ID, else by a unique prefix.
func lookupNode(ws memdb.WatchSet, st *state.StateStore, id string) (*structs.Node, error) {
	n, err := st.NodeByID(ws, id)
	if err != nil || n != nil {
		return n, err
	}
	found, err := st.NodesByIDPrefix(ws, id)
	if err != nil {
		return nil, err
	}
	return resolvePrefix("node", id, found, func(n *structs.Node) string { return n.ID })
}
