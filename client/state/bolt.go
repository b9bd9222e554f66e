package state

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
	bolt "go.etcd.io/bbolt"
)

// Layout: bucket "allocs" holds one bucket per alloc ID, holding keys
// "alloc", "state/<task>" and "handle/<task>", each a msgpack value (the
// same encoding as the RPC wire, so a stored alloc decodes like a fetched one).
var allocsBucket = []byte("allocs")

const (
	allocKey     = "alloc"
	statePrefix  = "state/"
	handlePrefix = "handle/"
)

// BoltDB is the on-disk DB.
type BoltDB struct{ db *bolt.DB }

var _ DB = (*BoltDB)(nil)

// OpenBolt opens (creating) the state file at path.
func OpenBolt(path string) (*BoltDB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("client state: %w", err)
	}
	// The timeout turns "another client holds this data dir" into an error
	// instead of a hang.
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("client state: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(allocsBucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("client state: init %s: %w", path, err)
	}
	return &BoltDB{db: db}, nil
}

// Close closes the file.
func (b *BoltDB) Close() error { return b.db.Close() }

// put encodes v under key in the alloc's bucket.
func (b *BoltDB) put(allocID, key string, v interface{}) error {
	buf, err := rpc.Encode(v)
	if err != nil {
		return fmt.Errorf("client state: encode %s of alloc %s: %w", key, allocID, err)
	}
	return b.db.Update(func(tx *bolt.Tx) error {
		ab, err := tx.Bucket(allocsBucket).CreateBucketIfNotExists([]byte(allocID))
		if err != nil {
			return err
		}
		return ab.Put([]byte(key), buf)
	})
}

// get decodes key of the alloc's bucket into v; found is false if absent.
func (b *BoltDB) get(allocID, key string, v interface{}) (found bool, err error) {
	err = b.db.View(func(tx *bolt.Tx) error {
		ab := tx.Bucket(allocsBucket).Bucket([]byte(allocID))
		if ab == nil {
			return nil
		}
		buf := ab.Get([]byte(key))
		if buf == nil {
			return nil
		}
		found = true
		return rpc.Decode(buf, v)
	})
	if err != nil {
		return false, fmt.Errorf("client state: read %s of alloc %s: %w", key, allocID, err)
	}
	return found, nil
}

// PutAllocation implements DB.
func (b *BoltDB) PutAllocation(a *structs.Allocation) error { return b.put(a.ID, allocKey, a) }

// Allocations implements DB. An undecodable alloc is skipped with an error
// joined to the result, so one bad record does not hide the others.
func (b *BoltDB) Allocations() ([]*structs.Allocation, error) {
	var out []*structs.Allocation
	var errs []error
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(allocsBucket).ForEachBucket(func(k []byte) error {
			buf := tx.Bucket(allocsBucket).Bucket(k).Get([]byte(allocKey))
			if buf == nil {
				return nil
			}
			var a structs.Allocation
			if err := rpc.Decode(buf, &a); err != nil {
				errs = append(errs, fmt.Errorf("client state: alloc %s: %w", k, err))
				return nil
			}
			out = append(out, &a)
			return nil
		})
	})
	return out, errors.Join(append(errs, err)...)
}

// DeleteAllocation implements DB.
func (b *BoltDB) DeleteAllocation(allocID string) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		err := tx.Bucket(allocsBucket).DeleteBucket([]byte(allocID))
		if errors.Is(err, bolt.ErrBucketNotFound) {
			return nil
		}
		return err
	})
}

// PutTaskState implements DB.
func (b *BoltDB) PutTaskState(allocID, task string, st *structs.TaskState) error {
	return b.put(allocID, statePrefix+task, st)
}

// TaskState implements DB.
func (b *BoltDB) TaskState(allocID, task string) (*structs.TaskState, error) {
	var st structs.TaskState
	found, err := b.get(allocID, statePrefix+task, &st)
	if !found || err != nil {
		return nil, err
	}
	return &st, nil
}

// PutTaskHandle implements DB.
func (b *BoltDB) PutTaskHandle(allocID, task string, h *drivers.TaskHandle) error {
	return b.put(allocID, handlePrefix+task, h)
}

// TaskHandle implements DB.
func (b *BoltDB) TaskHandle(allocID, task string) (*drivers.TaskHandle, error) {
	var h drivers.TaskHandle
	found, err := b.get(allocID, handlePrefix+task, &h)
	if !found || err != nil {
		return nil, err
	}
	return &h, nil
}

// DeleteTaskHandle implements DB.
func (b *BoltDB) DeleteTaskHandle(allocID, task string) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		ab := tx.Bucket(allocsBucket).Bucket([]byte(allocID))
		if ab == nil {
			return nil
		}
		return ab.Delete([]byte(handlePrefix + task))
	})
}
