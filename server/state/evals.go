package state

import (
	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/structs"
)

// UpsertEvals creates or updates evaluations; the status of their jobs is
// recomputed.
func (s *StateStore) UpsertEvals(index uint64, evals []*structs.Evaluation) error {
	return s.update(index, func(tx *writeTxn) error { return tx.upsertEvals(evals) })
}

func (tx *writeTxn) upsertEvals(evals []*structs.Evaluation) error {
	for _, eval := range evals {
		e := *eval
		if e.Namespace == "" {
			e.Namespace = structs.DefaultNamespace
		}
		existing, err := lookup[structs.Evaluation](tx, TableEvals, e.ID)
		if err != nil {
			return err
		}
		e.CreateIndex, e.ModifyIndex = tx.index, tx.index
		if existing != nil {
			e.CreateIndex = existing.CreateIndex
			if e.CreateTime == 0 {
				e.CreateTime = existing.CreateTime
			}
		}
		tx.stampTimes(&e.CreateTime, &e.ModifyTime)
		if err := tx.insert(TableEvals, &e); err != nil {
			return err
		}
		tx.touchJob(e.Namespace, e.JobID)
	}
	return nil
}

// stampTimes fills times a write arrived without from the store's clock.
func (tx *writeTxn) stampTimes(create, modify *int64) {
	if *modify == 0 {
		*modify = tx.store.now().UnixNano()
	}
	if *create == 0 {
		*create = *modify
	}
}

// DeleteEvals removes evaluations and allocations, as garbage collection
// decides; unknown IDs are ignored.
func (s *StateStore) DeleteEvals(index uint64, evalIDs, allocIDs []string) error {
	return s.update(index, func(tx *writeTxn) error {
		for _, id := range evalIDs {
			e, err := lookup[structs.Evaluation](tx, TableEvals, id)
			if err != nil {
				return err
			}
			if e == nil {
				continue
			}
			if err := tx.remove(TableEvals, e); err != nil {
				return err
			}
			tx.touchJob(e.Namespace, e.JobID)
		}
		for _, id := range allocIDs {
			a, err := lookup[structs.Allocation](tx, TableAllocs, id)
			if err != nil {
				return err
			}
			if a == nil {
				continue
			}
			if err := tx.remove(TableAllocs, a); err != nil {
				return err
			}
			tx.touchJob(a.Namespace, a.JobID)
		}
		return nil
	})
}

func evalNamespace(e *structs.Evaluation) string { return e.Namespace }

// EvalByID returns the evaluation or nil.
func (r *reader) EvalByID(ws memdb.WatchSet, id string) (*structs.Evaluation, error) {
	return first[structs.Evaluation](r.db.Txn(false), ws, TableEvals, "id", id)
}

// EvalsByIDPrefix returns the evaluations of a namespace ("*" for all) whose
// ID starts with prefix.
func (r *reader) EvalsByIDPrefix(ws memdb.WatchSet, namespace, prefix string) ([]*structs.Evaluation, error) {
	return all(r.db.Txn(false), ws, inNamespace(namespace, evalNamespace), TableEvals, "id_prefix", prefix)
}

// EvalsByJob returns a job's evaluations.
func (r *reader) EvalsByJob(ws memdb.WatchSet, namespace, jobID string) ([]*structs.Evaluation, error) {
	return all[structs.Evaluation](r.db.Txn(false), ws, nil, TableEvals, "job", namespace, jobID)
}

// EvalsList returns the evaluations of a namespace ("*" for all), by ID.
func (r *reader) EvalsList(ws memdb.WatchSet, namespace string) ([]*structs.Evaluation, error) {
	return all(r.db.Txn(false), ws, inNamespace(namespace, evalNamespace), TableEvals, "id")
}

// EvalsByStatus returns every evaluation with the given status, e.g. the
// pending and blocked ones a new leader hands back to its broker.
func (r *reader) EvalsByStatus(ws memdb.WatchSet, status string) ([]*structs.Evaluation, error) {
	keep := func(e *structs.Evaluation) bool { return e.Status == status }
	return all(r.db.Txn(false), ws, keep, TableEvals, "id")
}
