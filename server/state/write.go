package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/structs"
)

// writeTxn is one write at a Raft index. Helpers record which tables they
// touched and which jobs need their status recomputed; finish applies both
// before the commit.
type writeTxn struct {
	*memdb.Txn
	// base is the committed state the transaction started from, and
	// pending the objects it wrote since (nil: deleted), by table and ID.
	// lookup reads through them instead of through Txn: a read on a memdb
	// write transaction resets its cache of writable radix nodes, which made
	// every insert after it copy its whole path again.
	base      *memdb.Txn
	pending   map[pendingKey]interface{}
	index     uint64
	store     *StateStore
	tables    map[string]bool
	jobsDirty map[jobKey]bool
	// jobCache remembers sharedJob's answers within the transaction.
	jobCache map[jobVersionKey]*structs.Job
	// nodeCache and strings let the allocations of one write share strings.
	nodeCache map[string]*structs.Node
	lastNode  *structs.Node // shareStrings' last answer
	strings   map[string]string
	lastJob   jobKey // touchJob's last job, already in jobsDirty
}

// pendingKey names an object written in this transaction.
type pendingKey struct{ table, id string }

// jobKey names a job.
type jobKey struct{ namespace, id string }

func (s *StateStore) write(index uint64) *writeTxn {
	txn := s.db.Txn(true) // first: it holds the writer lock, so base stays current
	return &writeTxn{
		Txn: txn, base: s.db.Txn(false), pending: map[pendingKey]interface{}{},
		index: index, store: s, tables: map[string]bool{}, jobsDirty: map[jobKey]bool{},
		jobCache: map[jobVersionKey]*structs.Job{}, nodeCache: map[string]*structs.Node{}, strings: map[string]string{},
	}
}

// update runs fn in one write transaction at index and commits it only if
// fn succeeds, so a failed write changes nothing.
func (s *StateStore) update(index uint64, fn func(tx *writeTxn) error) error {
	tx := s.write(index)
	defer tx.Abort()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.finish(); err != nil {
		return err
	}
	tx.Commit()
	return nil
}

// insert puts obj in table and marks the table changed.
func (tx *writeTxn) insert(table string, obj interface{}) error {
	if err := tx.Insert(table, obj); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	tx.tables[table] = true
	if id, ok := stringID(obj); ok {
		tx.pending[pendingKey{table, id}] = obj
	}
	return nil
}

// remove deletes obj from table and marks the table changed.
func (tx *writeTxn) remove(table string, obj interface{}) error {
	if err := tx.Delete(table, obj); err != nil {
		return fmt.Errorf("delete from %s: %w", table, err)
	}
	tx.tables[table] = true
	if id, ok := stringID(obj); ok {
		tx.pending[pendingKey{table, id}] = nil
	}
	return nil
}

// stringID returns the primary key of objects whose table is keyed by one
// ID string.
func stringID(obj interface{}) (string, bool) {
	switch o := obj.(type) {
	case *structs.Node:
		return o.ID, true
	case *structs.Evaluation:
		return o.ID, true
	case *structs.Allocation:
		return o.ID, true
	case *structs.Deployment:
		return o.ID, true
	}
	return "", false
}

// lookup returns the object with id in a table keyed by one ID string
// (nodes, evals, allocs, deployments), as this transaction sees it.
func lookup[T any](tx *writeTxn, table, id string) (*T, error) {
	if obj, ok := tx.pending[pendingKey{table, id}]; ok {
		if obj == nil {
			return nil, nil
		}
		return obj.(*T), nil
	}
	return first[T](tx.base, nil, table, "id", id)
}

// touchJob asks finish to recompute the job's status.
func (tx *writeTxn) touchJob(namespace, id string) {
	k := jobKey{namespace, id}
	if k == tx.lastJob {
		return
	}
	tx.jobsDirty[k] = true
	tx.lastJob = k
}

// finish recomputes the status of touched jobs and records the index of
// every changed table.
func (tx *writeTxn) finish() error {
	for k := range tx.jobsDirty {
		if err := tx.refreshJobStatus(k.namespace, k.id); err != nil {
			return err
		}
	}
	for t := range tx.tables {
		if err := tx.Insert(TableIndex, &IndexEntry{Key: t, Value: tx.index}); err != nil {
			return fmt.Errorf("update index of %s: %w", t, err)
		}
	}
	return nil
}
