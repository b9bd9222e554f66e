package agent

import (
	"net/http"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// evalsList answers GET /v1/evaluations: ?prefix, ?namespace ("*" all),
// and Nomad's filters ?job= and ?status=.
func (s *httpServer) evalsList(w http.ResponseWriter, r *http.Request) (any, error) {
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	ns := o.ns(structs.DefaultNamespace)
	jobID, status := r.URL.Query().Get("job"), r.URL.Query().Get("status")
	return s.blockingRead(w, r, o, func(ws memdb.WatchSet, st *state.StateStore) (any, error) {
		evals, err := st.EvalsByIDPrefix(ws, ns, o.prefix)
		if err != nil {
			return nil, err
		}
		out := make([]*structs.Evaluation, 0, len(evals))
		for _, e := range evals {
			if (jobID == "" || e.JobID == jobID) && (status == "" || e.Status == status) {
				out = append(out, e)
			}
		}
		return out, nil
	}, state.TableEvals)
}

// evalGet answers GET /v1/evaluation/{id}; a unique ID prefix will do.
func (s *httpServer) evalGet(w http.ResponseWriter, r *http.Request) (any, error) {
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, o, func(ws memdb.WatchSet, st *state.StateStore) (any, error) {
		return lookupEval(ws, st, o.ns("*"), r.PathValue("id"))
	}, state.TableEvals)
}

// evalAllocations answers GET /v1/evaluation/{id}/allocations.
func (s *httpServer) evalAllocations(w http.ResponseWriter, r *http.Request) (any, error) {
	o, err := parseQuery(r)
	if err != nil {
		return nil, err
	}
	return s.blockingRead(w, r, o, func(ws memdb.WatchSet, st *state.StateStore) (any, error) {
		e, err := lookupEval(ws, st, o.ns("*"), r.PathValue("id"))
		if err != nil {
			return nil, err
		}
		allocs, err := st.AllocsByEval(ws, e.ID)
		return allocStubs(allocs), err
	}, state.TableEvals, state.TableAllocs)
}

// lookupEval finds an evaluation by exact ID, else by a unique prefix.
func lookupEval(ws memdb.WatchSet, st *state.StateStore, ns, id string) (*structs.Evaluation, error) {
	e, err := st.EvalByID(ws, id)
	if err != nil || e != nil {
		return e, err
	}
	found, err := st.EvalsByIDPrefix(ws, ns, id)
	if err != nil {
		return nil, err
	}
	return resolvePrefix("eval", id, found, func(e *structs.Evaluation) string { return e.ID })
}
