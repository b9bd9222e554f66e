package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/structs"
)

// UpsertDeployment creates or replaces a deployment.
func (s *StateStore) UpsertDeployment(index uint64, d *structs.Deployment) error {
	return s.update(index, func(tx *writeTxn) error { return tx.upsertDeployment(d) })
}

func (tx *writeTxn) upsertDeployment(deployment *structs.Deployment) error {
	d := *deployment
	if d.Namespace == "" {
		d.Namespace = structs.DefaultNamespace
	}
	existing, err := lookup[structs.Deployment](tx, TableDeployments, d.ID)
	if err != nil {
		return err
	}
	d.CreateIndex, d.ModifyIndex = tx.index, tx.index
	if existing != nil {
		d.CreateIndex = existing.CreateIndex
	}
	return tx.insert(TableDeployments, &d)
}

// UpdateDeploymentStatus applies status changes to deployments.
func (s *StateStore) UpdateDeploymentStatus(index uint64, updates []*structs.DeploymentStatusUpdate) error {
	return s.update(index, func(tx *writeTxn) error { return tx.updateDeploymentStatus(updates) })
}

func (tx *writeTxn) updateDeploymentStatus(updates []*structs.DeploymentStatusUpdate) error {
	for _, u := range updates {
		existing, err := lookup[structs.Deployment](tx, TableDeployments, u.DeploymentID)
		if err != nil {
			return err
		}
		if existing == nil {
			return fmt.Errorf("update deployment %q: %w", u.DeploymentID, structs.ErrNotFound)
		}
		d := *existing
		d.Status, d.StatusDescription, d.ModifyIndex = u.Status, u.StatusDescription, tx.index
		if err := tx.insert(TableDeployments, &d); err != nil {
			return err
		}
	}
	return nil
}

// DeploymentByID returns the deployment or nil.
func (r *reader) DeploymentByID(ws memdb.WatchSet, id string) (*structs.Deployment, error) {
	return first[structs.Deployment](r.db.Txn(false), ws, TableDeployments, "id", id)
}

// DeploymentsByJob returns a job's deployments, of every version.
func (r *reader) DeploymentsByJob(ws memdb.WatchSet, namespace, jobID string) ([]*structs.Deployment, error) {
	return all[structs.Deployment](r.db.Txn(false), ws, nil, TableDeployments, "job", namespace, jobID)
}

// DeploymentsList returns the deployments of a namespace ("*" for all).
func (r *reader) DeploymentsList(ws memdb.WatchSet, namespace string) ([]*structs.Deployment, error) {
	keep := inNamespace(namespace, func(d *structs.Deployment) string { return d.Namespace })
	return all(r.db.Txn(false), ws, keep, TableDeployments, "id")
}

// LatestDeploymentByJob returns the job's most recently created deployment, or nil.
func (r *reader) LatestDeploymentByJob(ws memdb.WatchSet, namespace, jobID string) (*structs.Deployment, error) {
	ds, err := r.DeploymentsByJob(ws, namespace, jobID)
	if err != nil {
		return nil, err
	}
	var latest *structs.Deployment
	for _, d := range ds {
		if latest == nil || d.CreateIndex > latest.CreateIndex {
			latest = d
		}
	}
	return latest, nil
}

// ApplyDeploymentStatusUpdate changes a deployment's status and upserts the
// job version (an auto-revert) and evaluation that came with it, in one
// transaction.
func (s *StateStore) ApplyDeploymentStatusUpdate(index uint64, req *structs.DeploymentStatusUpdateRequest) error {
	return s.update(index, func(tx *writeTxn) error {
		if req.DeploymentUpdate != nil {
			if err := tx.updateDeploymentStatus([]*structs.DeploymentStatusUpdate{req.DeploymentUpdate}); err != nil {
				return err
			}
		}
		if req.Job != nil {
			if _, err := tx.upsertJob(req.Job); err != nil {
				return err
			}
		}
		return tx.upsertEvals(evalList(req.Eval))
	})
}
