package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/structs"
)

// TableSchedulerConfig holds the operator's scheduler configuration: one
// row at most (a singleton keyed by the constant true).
const TableSchedulerConfig = "scheduler_config"

// singletonIndex keys a table that holds one object.
func singletonIndex() *memdb.IndexSchema {
	return &memdb.IndexSchema{Name: "id", Unique: true,
		Indexer: &memdb.ConditionalIndex{Conditional: func(interface{}) (bool, error) { return true, nil }}}
}

// schedulerConfigTable is the memdb schema of TableSchedulerConfig.
func schedulerConfigTable() *memdb.TableSchema { return table(TableSchedulerConfig, singletonIndex()) }

// SchedulerSetConfig stores the scheduler configuration at index. With
// cas, the write happens only if the stored configuration's ModifyIndex
// equals casIndex (0: only if none was ever set); it reports whether it
// wrote.
func (s *StateStore) SchedulerSetConfig(index uint64, cfg *structs.SchedulerConfiguration, cas bool, casIndex uint64) (bool, error) {
	if cfg == nil {
		return false, fmt.Errorf("set scheduler configuration: no configuration given: %w", structs.ErrInvalid)
	}
	updated := false
	err := s.update(index, func(tx *writeTxn) error {
		existing, err := first[structs.SchedulerConfiguration](tx.Txn, nil, TableSchedulerConfig, "id", true)
		if err != nil {
			return err
		}
		if cas {
			var have uint64
			if existing != nil {
				have = existing.ModifyIndex
			}
			if have != casIndex {
				return nil
			}
		}
		c := cfg.Copy()
		c.CreateIndex, c.ModifyIndex = index, index
		if existing != nil {
			c.CreateIndex = existing.CreateIndex
		}
		updated = true
		return tx.insert(TableSchedulerConfig, c)
	})
	if err != nil {
		return false, fmt.Errorf("set scheduler configuration: %w", err)
	}
	return updated, nil
}

// SchedulerConfig returns the stored scheduler configuration and the index
// of its table, or a nil configuration when none was ever set (which means
// structs.DefaultSchedulerConfiguration).
func (r *reader) SchedulerConfig(ws memdb.WatchSet) (uint64, *structs.SchedulerConfiguration, error) {
	c, err := first[structs.SchedulerConfiguration](r.db.Txn(false), ws, TableSchedulerConfig, "id", true)
	if err != nil {
		return 0, nil, err
	}
	if c == nil {
		return 0, nil, nil
	}
	return c.ModifyIndex, c, nil
}

// SchedulerConfig implements scheduler.ConfigState: the configuration as of
// the snapshot, nil for the defaults.
func (v *SchedulerView) SchedulerConfig() *structs.SchedulerConfiguration {
	_, c, _ := v.snap.SchedulerConfig(nil)
	return c
}
