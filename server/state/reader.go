package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"
)

// reader holds the read methods shared by StateStore and StateSnapshot. For
// the store, db is the live database; for a snapshot, a frozen copy.
type reader struct {
	db *memdb.MemDB
}

// watch adds ch to ws; ws may be nil for reads that do not block.
func watch(ws memdb.WatchSet, ch <-chan struct{}) {
	if ws != nil {
		ws.Add(ch)
	}
}

// first returns the single object an exact index lookup finds, or nil.
func first[T any](txn *memdb.Txn, ws memdb.WatchSet, table, index string, args ...interface{}) (*T, error) {
	ch, raw, err := txn.FirstWatch(table, index, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s by %s: %w", table, index, err)
	}
	watch(ws, ch)
	if raw == nil {
		return nil, nil
	}
	return raw.(*T), nil
}

// all collects every object an index lookup finds that keep accepts (nil
// keep accepts all).
func all[T any](txn *memdb.Txn, ws memdb.WatchSet, keep func(*T) bool, table, index string, args ...interface{}) ([]*T, error) {
	it, err := txn.Get(table, index, args...)
	if err != nil {
		return nil, fmt.Errorf("read %s by %s: %w", table, index, err)
	}
	watch(ws, it.WatchCh())
	var out []*T
	for raw := it.Next(); raw != nil; raw = it.Next() {
		obj := raw.(*T)
		if keep == nil || keep(obj) {
			out = append(out, obj)
		}
	}
	return out, nil
}

// LatestIndex is the Raft index of the newest write to any table.
func (r *reader) LatestIndex() uint64 {
	entries, _ := all[IndexEntry](r.db.Txn(false), nil, nil, TableIndex, "id")
	var latest uint64
	for _, e := range entries {
		latest = max(latest, e.Value)
	}
	return latest
}

// Index is the Raft index of the newest write to a table, or 0. Table names
// are the Table* constants ("nodes", "jobs", "evals", "allocs", "deployment").
func (r *reader) Index(table string) uint64 {
	e, _ := first[IndexEntry](r.db.Txn(false), nil, TableIndex, "id", table)
	if e == nil {
		return 0
	}
	return e.Value
}

// IndexWatch is Index that also wakes ws when the table's index moves.
func (r *reader) IndexWatch(ws memdb.WatchSet, table string) uint64 {
	e, _ := first[IndexEntry](r.db.Txn(false), ws, TableIndex, "id", table)
	if e == nil {
		return 0
	}
	return e.Value
}

// anyNamespace is the namespace argument that matches every namespace.
const anyNamespace = "*"

// inNamespace returns a filter on namespace, or nil for anyNamespace.
func inNamespace[T any](namespace string, nsOf func(*T) string) func(*T) bool {
	if namespace == anyNamespace {
		return nil
	}
	return func(obj *T) bool { return nsOf(obj) == namespace }
}
