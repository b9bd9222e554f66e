// Package state is the client's local memory across restarts: the
// allocations it runs, each task's state, and the drivers' task handles,
// so that a restarted client re-attaches to running tasks (RecoverTask)
// instead of starting them again, and never re-runs a finished alloc.
//
// DB has two implementations: BoltDB (a bbolt file, used by real clients)
// and MemDB (for tests and the scale simulator). Both pass one suite.
package state

import (
	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/structs"
)

// DB stores per-allocation client state. Methods are safe for concurrent
// use; each call is its own transaction. Get methods return (nil, nil)
// when nothing is stored.
type DB interface {
	// PutAllocation stores the alloc (with its job) as the servers sent it.
	PutAllocation(a *structs.Allocation) error
	// Allocations returns every stored alloc.
	Allocations() ([]*structs.Allocation, error)
	// DeleteAllocation removes an alloc and all its task data.
	DeleteAllocation(allocID string) error

	PutTaskState(allocID, task string, st *structs.TaskState) error
	TaskState(allocID, task string) (*structs.TaskState, error)
	PutTaskHandle(allocID, task string, h *drivers.TaskHandle) error
	TaskHandle(allocID, task string) (*drivers.TaskHandle, error)
	DeleteTaskHandle(allocID, task string) error

	Close() error
}
