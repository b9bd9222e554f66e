package state

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/structs"
)

// UpsertJob registers a job. A new job starts at Version 0; re-registering
// makes a new version only if the specification changed (bookkeeping fields
// such as indexes, status and submit time are ignored). Every version is
// kept in the job_version table, up to the newest six per job.
func (s *StateStore) UpsertJob(index uint64, job *structs.Job) error {
	return s.RegisterJob(index, job, nil)
}

// RegisterJob upserts a job and, if eval is non-nil, its evaluation, in one
// transaction.
func (s *StateStore) RegisterJob(index uint64, job *structs.Job, eval *structs.Evaluation) error {
	return s.update(index, func(tx *writeTxn) error {
		if _, err := tx.upsertJob(job); err != nil {
			return err
		}
		return tx.upsertEvals(evalList(eval))
	})
}

// StopJob marks a job stopped, as a new version, and upserts eval if non-nil.
func (s *StateStore) StopJob(index uint64, namespace, id string, eval *structs.Evaluation) error {
	return s.update(index, func(tx *writeTxn) error {
		existing, err := first[structs.Job](tx.Txn, nil, TableJobs, "id", namespace, id)
		if err != nil {
			return err
		}
		if existing == nil {
			return fmt.Errorf("stop job %q in namespace %q: %w", id, namespace, structs.ErrNotFound)
		}
		stopped := *existing
		stopped.Stop = true
		if _, err := tx.upsertJob(&stopped); err != nil {
			return err
		}
		return tx.upsertEvals(evalList(eval))
	})
}

// DeleteJob purges a job and all its versions. Its evaluations and
// allocations stay until garbage collection deletes them. Deleting a job
// that does not exist does nothing.
func (s *StateStore) DeleteJob(index uint64, namespace, id string) error {
	return s.PurgeJob(index, namespace, id, nil)
}

// PurgeJob is DeleteJob that also upserts eval if non-nil, in one transaction.
func (s *StateStore) PurgeJob(index uint64, namespace, id string, eval *structs.Evaluation) error {
	return s.update(index, func(tx *writeTxn) error {
		if err := tx.deleteJob(namespace, id); err != nil {
			return err
		}
		return tx.upsertEvals(evalList(eval))
	})
}

func evalList(eval *structs.Evaluation) []*structs.Evaluation {
	if eval == nil {
		return nil
	}
	return []*structs.Evaluation{eval}
}

// upsertJob stores job (a copy) as the newest version and returns the
// stored value.
func (tx *writeTxn) upsertJob(job *structs.Job) (*structs.Job, error) {
	j := *job
	if j.Namespace == "" {
		j.Namespace = structs.DefaultNamespace
	}
	existing, err := first[structs.Job](tx.Txn, nil, TableJobs, "id", j.Namespace, j.ID)
	if err != nil {
		return nil, err
	}
	j.ModifyIndex = tx.index
	switch {
	case existing == nil:
		j.Version, j.CreateIndex, j.JobModifyIndex = 0, tx.index, tx.index
	case sameSpec(existing, &j):
		j.Version, j.CreateIndex, j.JobModifyIndex = existing.Version, existing.CreateIndex, existing.JobModifyIndex
	default:
		j.Version, j.CreateIndex, j.JobModifyIndex = existing.Version+1, existing.CreateIndex, tx.index
	}
	if j.Status, err = tx.jobStatus(&j); err != nil {
		return nil, err
	}
	if err := tx.insert(TableJobs, &j); err != nil {
		return nil, err
	}
	if err := tx.upsertJobVersion(&j); err != nil {
		return nil, err
	}
	return &j, nil
}

// upsertJobVersion records j in the version history and drops the oldest
// versions beyond jobVersionLimit. A version already recorded is kept as is,
// so allocations that point at it keep sharing it.
func (tx *writeTxn) upsertJobVersion(j *structs.Job) error {
	have, err := first[structs.Job](tx.Txn, nil, TableJobVersion, "id", j.Namespace, j.ID, j.Version)
	if err != nil {
		return err
	}
	if have != nil && sameSpec(have, j) {
		return nil
	}
	if err := tx.insert(TableJobVersion, j); err != nil {
		return err
	}
	versions, err := all[structs.Job](tx.Txn, nil, nil, TableJobVersion, "job", j.Namespace, j.ID)
	if err != nil {
		return err
	}
	for len(versions) > jobVersionLimit {
		if err := tx.remove(TableJobVersion, versions[0]); err != nil {
			return err
		}
		versions = versions[1:]
	}
	return nil
}

// sameSpec reports whether two versions of a job specify the same thing,
// ignoring fields the store maintains.
func sameSpec(a, b *structs.Job) bool {
	return reflect.DeepEqual(specOnly(a), specOnly(b))
}

func specOnly(j *structs.Job) structs.Job {
	c := *j
	c.Status, c.StatusDescription, c.Stable, c.Version, c.SubmitTime = "", "", false, 0, 0
	c.CreateIndex, c.ModifyIndex, c.JobModifyIndex = 0, 0, 0
	return c
}

func (tx *writeTxn) deleteJob(namespace, id string) error {
	job, err := first[structs.Job](tx.Txn, nil, TableJobs, "id", namespace, id)
	if err != nil {
		return err
	}
	if job != nil {
		if err := tx.remove(TableJobs, job); err != nil {
			return err
		}
	}
	versions, err := all[structs.Job](tx.Txn, nil, nil, TableJobVersion, "job", namespace, id)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if err := tx.remove(TableJobVersion, v); err != nil {
			return err
		}
	}
	return nil
}

// refreshJobStatus recomputes a job's status after its allocations or
// evaluations changed, and stores a new head if it moved. The version
// history is not rewritten: it holds specifications, not status.
func (tx *writeTxn) refreshJobStatus(namespace, id string) error {
	job, err := first[structs.Job](tx.Txn, nil, TableJobs, "id", namespace, id)
	if err != nil || job == nil {
		return err
	}
	status, err := tx.jobStatus(job)
	if err != nil || status == job.Status {
		return err
	}
	j := *job
	j.Status, j.ModifyIndex = status, tx.index
	return tx.insert(TableJobs, &j)
}

// jobStatus derives a job's status: running while any allocation is live,
// pending while an evaluation is outstanding, dead once it stopped or all
// its work ended, and pending before anything happened.
func (tx *writeTxn) jobStatus(job *structs.Job) (string, error) {
	it, err := tx.Get(TableAllocs, "job", job.Namespace, job.ID)
	if err != nil {
		return "", fmt.Errorf("read allocs of job %q: %w", job.ID, err)
	}
	hadWork := false
	for raw := it.Next(); raw != nil; raw = it.Next() {
		hadWork = true
		if !raw.(*structs.Allocation).TerminalStatus() {
			return structs.JobStatusRunning, nil
		}
	}
	evals, err := all[structs.Evaluation](tx.Txn, nil, nil, TableEvals, "job", job.Namespace, job.ID)
	if err != nil {
		return "", err
	}
	for _, e := range evals {
		hadWork = true
		if !e.TerminalStatus() {
			return structs.JobStatusPending, nil
		}
	}
	switch {
	case job.Stop:
		return structs.JobStatusDead, nil
	case job.Periodic != nil || job.ParameterizedJob != nil:
		return structs.JobStatusRunning, nil // a template for child jobs is always live
	case hadWork:
		return structs.JobStatusDead, nil
	}
	return structs.JobStatusPending, nil
}

// JobByID returns the newest version of a job, or nil.
func (r *reader) JobByID(ws memdb.WatchSet, namespace, id string) (*structs.Job, error) {
	return first[structs.Job](r.db.Txn(false), ws, TableJobs, "id", namespace, id)
}

// JobsByIDPrefix returns the jobs whose ID starts with prefix; namespace "*"
// searches every namespace.
func (r *reader) JobsByIDPrefix(ws memdb.WatchSet, namespace, prefix string) ([]*structs.Job, error) {
	txn := r.db.Txn(false)
	if namespace == anyNamespace {
		keep := func(j *structs.Job) bool { return strings.HasPrefix(j.ID, prefix) }
		return all(txn, ws, keep, TableJobs, "id")
	}
	return all[structs.Job](txn, ws, nil, TableJobs, "id_prefix", namespace, prefix)
}

// JobsList returns the jobs of a namespace ("*" for all), ordered by
// namespace and ID.
func (r *reader) JobsList(ws memdb.WatchSet, namespace string) ([]*structs.Job, error) {
	txn := r.db.Txn(false)
	if namespace == anyNamespace {
		return all[structs.Job](txn, ws, nil, TableJobs, "id")
	}
	return all[structs.Job](txn, ws, nil, TableJobs, "id_prefix", namespace, "")
}

// JobVersionsByID returns the kept versions of a job, newest first. The
// newest is the current job itself, with its status.
func (r *reader) JobVersionsByID(ws memdb.WatchSet, namespace, id string) ([]*structs.Job, error) {
	txn := r.db.Txn(false)
	versions, err := all[structs.Job](txn, ws, nil, TableJobVersion, "job", namespace, id)
	if err != nil {
		return nil, err
	}
	slices.Reverse(versions)
	head, err := first[structs.Job](txn, ws, TableJobs, "id", namespace, id)
	if err != nil {
		return nil, err
	}
	if head != nil && len(versions) > 0 && versions[0].Version == head.Version {
		versions[0] = head
	}
	return versions, nil
}

// JobByIDAndVersion returns one kept version of a job, or nil.
func (r *reader) JobByIDAndVersion(ws memdb.WatchSet, namespace, id string, version uint64) (*structs.Job, error) {
	return first[structs.Job](r.db.Txn(false), ws, TableJobVersion, "id", namespace, id, version)
}

// UpdateJobStability marks one kept version of a job stable or not. The
// version is replaced by a copy; allocations keep the value they point at,
// which differs only in Stable.
func (s *StateStore) UpdateJobStability(index uint64, namespace, id string, version uint64, stable bool) error {
	return s.update(index, func(tx *writeTxn) error {
		v, err := first[structs.Job](tx.Txn, nil, TableJobVersion, "id", namespace, id, version)
		if err != nil {
			return err
		}
		if v == nil {
			return fmt.Errorf("job %q version %d in namespace %q: %w", id, version, namespace, structs.ErrNotFound)
		}
		c := *v
		c.Stable, c.ModifyIndex = stable, tx.index
		if err := tx.insert(TableJobVersion, &c); err != nil {
			return err
		}
		head, err := first[structs.Job](tx.Txn, nil, TableJobs, "id", namespace, id)
		if err != nil || head == nil || head.Version != version {
			return err
		}
		h := *head
		h.Stable, h.ModifyIndex = stable, tx.index
		return tx.insert(TableJobs, &h)
	})
}
