package state

import (
	"slices"
	"strings"

	"github.com/droverhq/drover/structs"
)

// UpsertPlanResults commits what the plan applier accepted, in one
// transaction: the job (if the plan carried one), the deployment and its
// status updates, stops, placements and preemptions, and the evaluations
// preemption calls for.
//
// It takes ownership of req's allocations: they are stored themselves, with
// their indexes and shared fields set, not copies, so the caller must not
// use or change them afterwards. The FSM decodes every request afresh from
// its Raft entry, and the plan applier builds a new request per plan.
func (s *StateStore) UpsertPlanResults(index uint64, req *structs.ApplyPlanResultsRequest) error {
	return s.update(index, func(tx *writeTxn) error {
		var job *structs.Job
		if req.Job != nil {
			stored, err := tx.planJob(req.Job)
			if err != nil {
				return err
			}
			job = stored
		}
		if req.Deployment != nil {
			if err := tx.upsertDeployment(req.Deployment); err != nil {
				return err
			}
		}
		if err := tx.updateDeploymentStatus(req.DeploymentUpdates); err != nil {
			return err
		}
		for _, allocs := range [][]*structs.Allocation{req.AllocsStopped, req.AllocsPreempted, req.AllocsUpdated} {
			// In ID order, consecutive inserts share most of their path in
			// the id and job indexes, so memdb copies fewer radix nodes.
			// The request is ours (see above): sort it in place.
			slices.SortFunc(allocs, func(a, b *structs.Allocation) int { return strings.Compare(a.ID, b.ID) })
			if err := tx.upsertAllocs(allocs, job, true); err != nil {
				return err
			}
		}
		return tx.upsertEvals(req.PreemptionEvals)
	})
}

// planJob returns the Job the plan's allocations should share: the stored
// version when the store has it, else the plan's own. A plan for a job the
// store does not know at all registers it, so a plan is never left pointing
// at nothing.
func (tx *writeTxn) planJob(job *structs.Job) (*structs.Job, error) {
	ns := job.Namespace
	if ns == "" {
		ns = structs.DefaultNamespace
	}
	head, err := first[structs.Job](tx.Txn, nil, TableJobs, "id", ns, job.ID)
	if err != nil {
		return nil, err
	}
	if head == nil {
		return tx.upsertJob(job)
	}
	return tx.sharedJob(ns, job.ID, job)
}
