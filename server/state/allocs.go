package state

import (
	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/structs"
)

// UpsertAllocs stores allocations the servers placed, updated or stopped.
// It keeps what the client reported of an existing allocation (its client
// status, unless the servers now say it is lost, and its task states), and
// points each allocation at the stored version of its job. It stores
// copies: the caller keeps its allocations.
func (s *StateStore) UpsertAllocs(index uint64, allocs []*structs.Allocation) error {
	return s.update(index, func(tx *writeTxn) error { return tx.upsertAllocs(allocs, nil, false) })
}

// upsertAllocs stores allocs. An allocation without a Job takes the one its
// existing version has, else defaultJob, else the job's current version.
// With owned, the allocations are the caller's to give away (decoded from a
// Raft entry): they are stored as they are, with their fields set, instead
// of copies, which saves a copy and an allocation per allocation.
func (tx *writeTxn) upsertAllocs(allocs []*structs.Allocation, defaultJob *structs.Job, owned bool) error {
	if len(tx.pending) == 0 && len(allocs) > 64 {
		tx.pending = make(map[pendingKey]interface{}, len(allocs)) // one allocation, not a dozen rehashes
	}
	for _, alloc := range allocs {
		a := alloc
		if !owned {
			c := *alloc
			a = &c
		}
		if a.Namespace == "" {
			a.Namespace = structs.DefaultNamespace
		}
		existing, err := lookup[structs.Allocation](tx, TableAllocs, a.ID)
		if err != nil {
			return err
		}
		a.CreateIndex = tx.index
		if existing != nil {
			tx.keepClientFields(a, existing)
		} else if a.ClientStatus == "" {
			a.ClientStatus = structs.AllocClientStatusPending
		}
		a.ModifyIndex, a.AllocModifyIndex = tx.index, tx.index
		if a.Job == nil && defaultJob != nil && defaultJob.Namespace == a.Namespace && defaultJob.ID == a.JobID {
			a.Job = defaultJob
		}
		if a.Job, err = tx.sharedJob(a.Namespace, a.JobID, a.Job); err != nil {
			return err
		}
		if err := tx.shareStrings(a); err != nil {
			return err
		}
		tx.stampTimes(&a.CreateTime, &a.ModifyTime)
		if err := tx.insert(TableAllocs, a); err != nil {
			return err
		}
		tx.touchJob(a.Namespace, a.JobID)
	}
	return nil
}

// shareStrings points a's strings at equal ones the store already holds
// (the job's, the node's, this write's other allocations'), so the copies
// decoded from each Raft entry can be freed: with a million allocations
// that is tens of megabytes.
func (tx *writeTxn) shareStrings(a *structs.Allocation) error {
	if j := a.Job; j != nil {
		a.Namespace = sameOr(a.Namespace, j.Namespace)
		a.JobID = sameOr(a.JobID, j.ID)
	}
	// Plans list allocations node by node: try the last node first.
	node, ok := tx.lastNode, tx.lastNode != nil && tx.lastNode.ID == a.NodeID
	if !ok {
		node, ok = tx.nodeCache[a.NodeID]
	}
	if !ok {
		var err error
		if node, err = lookup[structs.Node](tx, TableNodes, a.NodeID); err != nil {
			return err
		}
		tx.nodeCache[a.NodeID] = node
	}
	tx.lastNode = node
	if node != nil {
		a.NodeID = sameOr(a.NodeID, node.ID)
		a.NodeName = sameOr(a.NodeName, node.Name)
	}
	a.EvalID, a.DeploymentID, a.TaskGroup = tx.intern(a.EvalID), tx.intern(a.DeploymentID), tx.intern(a.TaskGroup)
	return nil
}

// sameOr returns shared if it equals s, else s.
func sameOr(s, shared string) string {
	if s == shared {
		return shared
	}
	return s
}

// intern returns the first equal string seen in this write.
func (tx *writeTxn) intern(s string) string {
	if v, ok := tx.strings[s]; ok {
		return v
	}
	tx.strings[s] = s
	return s
}

// keepClientFields carries over to a what only the client reports.
func (tx *writeTxn) keepClientFields(a, existing *structs.Allocation) {
	a.CreateIndex = existing.CreateIndex
	if a.CreateTime == 0 {
		a.CreateTime = existing.CreateTime
	}
	a.TaskStates = existing.TaskStates
	if a.ClientStatus != structs.AllocClientStatusLost {
		a.ClientStatus, a.ClientDescription = existing.ClientStatus, existing.ClientDescription
	}
	if a.Job == nil {
		a.Job = existing.Job
	}
}

// jobVersionKey names one version of a job.
type jobVersionKey struct {
	namespace, id string
	version       uint64
}

// sharedJob returns the stored job_version value for job's version, so
// allocations share one Job in memory. With job nil it uses the current
// version. A version no longer kept is returned as given.
func (tx *writeTxn) sharedJob(namespace, jobID string, job *structs.Job) (*structs.Job, error) {
	if job == nil {
		head, err := first[structs.Job](tx.Txn, nil, TableJobs, "id", namespace, jobID)
		if err != nil || head == nil {
			return nil, err
		}
		job = head
	}
	key := jobVersionKey{namespace, jobID, job.Version}
	if j, ok := tx.jobCache[key]; ok {
		return j, nil
	}
	stored, err := first[structs.Job](tx.Txn, nil, TableJobVersion, "id", namespace, jobID, job.Version)
	if err != nil {
		return nil, err
	}
	if stored == nil {
		stored = job
	}
	tx.jobCache[key] = stored
	return stored, nil
}

// UpdateAllocsFromClient merges what clients report (client status and
// description, task states) into the stored allocations. It moves
// ModifyIndex but not AllocModifyIndex, which clients watch for server-side
// changes. Unknown allocations are skipped.
func (s *StateStore) UpdateAllocsFromClient(index uint64, allocs []*structs.Allocation) error {
	return s.update(index, func(tx *writeTxn) error { return tx.updateAllocsFromClient(allocs) })
}

func (tx *writeTxn) updateAllocsFromClient(updates []*structs.Allocation) error {
	for _, u := range updates {
		existing, err := lookup[structs.Allocation](tx, TableAllocs, u.ID)
		if err != nil {
			return err
		}
		if existing == nil {
			continue
		}
		a := *existing
		a.ClientStatus, a.ClientDescription = u.ClientStatus, u.ClientDescription
		if u.TaskStates != nil {
			a.TaskStates = u.TaskStates
		}
		a.ModifyIndex, a.ModifyTime = tx.index, u.ModifyTime
		tx.stampTimes(&a.CreateTime, &a.ModifyTime)
		if err := tx.insert(TableAllocs, &a); err != nil {
			return err
		}
		tx.touchJob(a.Namespace, a.JobID)
	}
	return nil
}

func allocNamespace(a *structs.Allocation) string { return a.Namespace }

// AllocByID returns the allocation or nil.
func (r *reader) AllocByID(ws memdb.WatchSet, id string) (*structs.Allocation, error) {
	return first[structs.Allocation](r.db.Txn(false), ws, TableAllocs, "id", id)
}

// AllocsByIDPrefix returns the allocations of a namespace ("*" for all)
// whose ID starts with prefix.
func (r *reader) AllocsByIDPrefix(ws memdb.WatchSet, namespace, prefix string) ([]*structs.Allocation, error) {
	return all(r.db.Txn(false), ws, inNamespace(namespace, allocNamespace), TableAllocs, "id_prefix", prefix)
}

// AllocsByJob returns every allocation of a job, terminal ones included.
func (r *reader) AllocsByJob(ws memdb.WatchSet, namespace, jobID string) ([]*structs.Allocation, error) {
	return all[structs.Allocation](r.db.Txn(false), ws, nil, TableAllocs, "job", namespace, jobID)
}

// AllocsByNode returns every allocation on a node, terminal ones included.
func (r *reader) AllocsByNode(ws memdb.WatchSet, nodeID string) ([]*structs.Allocation, error) {
	return all[structs.Allocation](r.db.Txn(false), ws, nil, TableAllocs, "node", nodeID)
}

// AllocsByEval returns the allocations an evaluation placed. It reads the
// allocations of the eval's job (all of them if the eval is gone), since an
// index by eval would cost every allocation ~500 bytes.
func (r *reader) AllocsByEval(ws memdb.WatchSet, evalID string) ([]*structs.Allocation, error) {
	txn := r.db.Txn(false)
	keep := func(a *structs.Allocation) bool { return a.EvalID == evalID }
	eval, err := first[structs.Evaluation](txn, ws, TableEvals, "id", evalID)
	if err != nil {
		return nil, err
	}
	if eval == nil {
		return all(txn, ws, keep, TableAllocs, "id")
	}
	return all(txn, ws, keep, TableAllocs, "job", eval.Namespace, eval.JobID)
}

// AllocsByDeployment returns the allocations of a deployment.
func (r *reader) AllocsByDeployment(ws memdb.WatchSet, deploymentID string) ([]*structs.Allocation, error) {
	return all[structs.Allocation](r.db.Txn(false), ws, nil, TableAllocs, "deployment", deploymentID)
}

// AllocsList returns the allocations of a namespace ("*" for all). A single
// namespace comes ordered by job.
func (r *reader) AllocsList(ws memdb.WatchSet, namespace string) ([]*structs.Allocation, error) {
	txn := r.db.Txn(false)
	if namespace == anyNamespace {
		return all[structs.Allocation](txn, ws, nil, TableAllocs, "id")
	}
	return all[structs.Allocation](txn, ws, nil, TableAllocs, "job_prefix", namespace, "")
}

// ApplyAllocClientUpdate merges client updates (UpdateAllocsFromClient) and
// upserts the evaluations that came with them, in one transaction.
func (s *StateStore) ApplyAllocClientUpdate(index uint64, allocs []*structs.Allocation, evals []*structs.Evaluation) error {
	return s.update(index, func(tx *writeTxn) error {
		if err := tx.updateAllocsFromClient(allocs); err != nil {
			return err
		}
		return tx.upsertEvals(evals)
	})
}
