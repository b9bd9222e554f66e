package state

import (
	"sync"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// MemDB is an in-memory DB. It stores encoded copies, like BoltDB, so
// callers cannot alias stored values and tests see the same round trip.
type MemDB struct {
	mu     sync.Mutex
	allocs map[string]map[string][]byte // alloc ID -> key -> value; guarded by mu
}

var _ DB = (*MemDB)(nil)

// NewMemDB returns an empty MemDB.
func NewMemDB() *MemDB { return &MemDB{allocs: map[string]map[string][]byte{}} }

func (m *MemDB) put(allocID, key string, v interface{}) error {
	buf, err := rpc.Encode(v)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.allocs[allocID] == nil {
		m.allocs[allocID] = map[string][]byte{}
	}
	m.allocs[allocID][key] = buf
	return nil
}

func (m *MemDB) get(allocID, key string, v interface{}) (bool, error) {
	m.mu.Lock()
	buf, ok := m.allocs[allocID][key]
	m.mu.Unlock()
	if !ok {
		return false, nil
	}
	return true, rpc.Decode(buf, v)
}

// PutAllocation implements DB.
func (m *MemDB) PutAllocation(a *structs.Allocation) error { return m.put(a.ID, allocKey, a) }

// Allocations implements DB.
func (m *MemDB) Allocations() ([]*structs.Allocation, error) {
	m.mu.Lock()
	var bufs [][]byte
	for _, keys := range m.allocs {
		if b, ok := keys[allocKey]; ok {
			bufs = append(bufs, b)
		}
	}
	m.mu.Unlock()
	out := make([]*structs.Allocation, 0, len(bufs))
	for _, b := range bufs {
		var a structs.Allocation
		if err := rpc.Decode(b, &a); err != nil {
			return nil, err
		}
		out = append(out, &a)
	}
	return out, nil
}

// DeleteAllocation implements DB.
func (m *MemDB) DeleteAllocation(allocID string) error {
	m.mu.Lock()
	delete(m.allocs, allocID)
	m.mu.Unlock()
	return nil
}

// PutTaskState implements DB.
func (m *MemDB) PutTaskState(allocID, task string, st *structs.TaskState) error {
	return m.put(allocID, statePrefix+task, st)
}

// TaskState implements DB.
func (m *MemDB) TaskState(allocID, task string) (*structs.TaskState, error) {
	var st structs.TaskState
	found, err := m.get(allocID, statePrefix+task, &st)
	if !found || err != nil {
		return nil, err
	}
	return &st, nil
}

// PutTaskHandle implements DB.
func (m *MemDB) PutTaskHandle(allocID, task string, h *drivers.TaskHandle) error {
	return m.put(allocID, handlePrefix+task, h)
}

// TaskHandle implements DB.
func (m *MemDB) TaskHandle(allocID, task string) (*drivers.TaskHandle, error) {
	var h drivers.TaskHandle
	found, err := m.get(allocID, handlePrefix+task, &h)
	if !found || err != nil {
		return nil, err
	}
	return &h, nil
}

// DeleteTaskHandle implements DB.
func (m *MemDB) DeleteTaskHandle(allocID, task string) error {
	m.mu.Lock()
	delete(m.allocs[allocID], handlePrefix+task)
	m.mu.Unlock()
	return nil
}

// Close implements DB.
func (m *MemDB) Close() error { return nil }
