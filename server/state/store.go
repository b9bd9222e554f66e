package state

import (
	"context"
	"fmt"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/structs"
)

// StateStore is the live state of the cluster. Writes come only from the
// Raft FSM, one at a time; reads may come from any goroutine.
type StateStore struct {
	reader
	// now stamps CreateTime/ModifyTime on objects that arrive without them.
	// Leaders should set times before proposing, so replicas agree.
	now func() time.Time
}

// NewStateStore returns an empty store.
func NewStateStore() (*StateStore, error) {
	db, err := memdb.NewMemDB(schema())
	if err != nil {
		return nil, fmt.Errorf("create state store: %w", err)
	}
	return &StateStore{reader: reader{db: db}, now: time.Now}, nil
}

// SetClock replaces the clock used to stamp times missing from writes. The
// FSM and tests call it before writes start; it is not synchronized.
func (s *StateStore) SetClock(now func() time.Time) { s.now = now }

// StateSnapshot is an immutable point-in-time view of the store. It has all
// the read methods of StateStore; schedulers use it through SchedulerView.
type StateSnapshot struct {
	reader
}

// Snapshot returns a consistent view of the store as it is now. It is cheap:
// memdb's radix trees are immutable, so no data is copied.
func (s *StateStore) Snapshot() *StateSnapshot {
	return &StateSnapshot{reader: reader{db: s.db.Snapshot()}}
}

// QueryFn is a read run by BlockingQuery. It must add what it reads to ws and
// return the index the answer reflects (usually Index of its table).
type QueryFn func(ws memdb.WatchSet, s *StateStore) (resp interface{}, index uint64, err error)

// BlockingQuery runs fn. If minIndex is non-zero and fn's index is not past
// it, BlockingQuery waits until something fn read changes, ctx ends, or wait
// (default and cap structs.MaxBlockingQueryTime) passes, and runs fn again;
// it returns the last answer. Only fn's error is returned: a query that
// times out returns its current answer, as Nomad's do.
func (s *StateStore) BlockingQuery(ctx context.Context, minIndex uint64, wait time.Duration, fn QueryFn) (interface{}, uint64, error) {
	if minIndex == 0 {
		return fn(memdb.NewWatchSet(), s)
	}
	if wait <= 0 {
		wait = structs.DefaultBlockingQueryTime
	}
	wait = min(wait, structs.MaxBlockingQueryTime)
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		ws := memdb.NewWatchSet()
		resp, index, err := fn(ws, s)
		if err != nil || index > minIndex {
			return resp, index, err
		}
		if err := ws.WatchCtx(ctx); err != nil {
			return fn(nil, s)
		}
	}
}

// SnapshotMinIndex waits until the store has applied index, then returns a
// snapshot. Workers use it so they never schedule on state older than the
// evaluation they process. It fails when ctx ends first.
func (s *StateStore) SnapshotMinIndex(ctx context.Context, index uint64) (*StateSnapshot, error) {
	for {
		ws := memdb.NewWatchSet()
		if _, err := all[IndexEntry](s.db.Txn(false), ws, nil, TableIndex, "id"); err != nil {
			return nil, err
		}
		if s.LatestIndex() >= index {
			return s.Snapshot(), nil
		}
		if err := ws.WatchCtx(ctx); err != nil {
			return nil, fmt.Errorf("wait for state index %d (at %d): %w", index, s.LatestIndex(), err)
		}
	}
}
