package state

import (
	"fmt"

	"github.com/droverhq/drover/structs"
)

// UpdateAllocsDesired sets the desired status and description of stored
// allocations (an operator's `alloc stop`) and upserts the evaluations that
// come with the change, in one transaction. It moves AllocModifyIndex, so
// the allocation's client sees the change. Unknown allocations fail the
// whole write.
func (s *StateStore) UpdateAllocsDesired(index uint64, allocs []*structs.Allocation, evals []*structs.Evaluation) error {
	return s.update(index, func(tx *writeTxn) error {
		for _, u := range allocs {
			existing, err := lookup[structs.Allocation](tx, TableAllocs, u.ID)
			if err != nil {
				return err
			}
			if existing == nil {
				return fmt.Errorf("update alloc %q: %w", u.ID, structs.ErrNotFound)
			}
			a := *existing
			if u.DesiredStatus != "" {
				a.DesiredStatus = u.DesiredStatus
			}
			a.DesiredDescription = u.DesiredDescription
			a.ModifyIndex, a.AllocModifyIndex = tx.index, tx.index
			a.ModifyTime = 0
			tx.stampTimes(&a.CreateTime, &a.ModifyTime)
			if err := tx.insert(TableAllocs, &a); err != nil {
				return err
			}
			tx.touchJob(a.Namespace, a.JobID)
		}
		return tx.upsertEvals(evals)
	})
}
