package state

import (
	"fmt"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/structs"
)

// UpsertNode registers or re-registers a node. A re-registration keeps the
// node's CreateIndex and its server-controlled fields (eligibility, drain).
func (s *StateStore) UpsertNode(index uint64, node *structs.Node) error {
	return s.update(index, func(tx *writeTxn) error {
		n := *node
		existing, err := lookup[structs.Node](tx, TableNodes, n.ID)
		if err != nil {
			return err
		}
		n.CreateIndex, n.ModifyIndex = index, index
		if existing != nil {
			n.CreateIndex = existing.CreateIndex
			n.SchedulingEligibility = existing.SchedulingEligibility
			n.Drain = existing.Drain
			n.DrainStrategy = existing.DrainStrategy
		}
		if n.SchedulingEligibility == "" {
			n.SchedulingEligibility = structs.NodeSchedulingEligible
		}
		if n.ComputedClass == "" {
			n.ComputeClass() // n is our copy
		}
		return tx.insert(TableNodes, &n)
	})
}

// DeleteNodes removes nodes; unknown IDs are ignored.
func (s *StateStore) DeleteNodes(index uint64, ids []string) error {
	return s.update(index, func(tx *writeTxn) error {
		for _, id := range ids {
			n, err := lookup[structs.Node](tx, TableNodes, id)
			if err != nil {
				return err
			}
			if n != nil {
				if err := tx.remove(TableNodes, n); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// UpdateNodeStatus records a node's status, as heartbeats and the heartbeat
// timer report it.
func (s *StateStore) UpdateNodeStatus(index uint64, nodeID, status string, updatedAt int64) error {
	return s.modifyNode(index, nodeID, func(n *structs.Node) {
		n.Status = status
		n.StatusUpdatedAt = updatedAt
	})
}

// UpdateNodeEligibility marks a node eligible or ineligible for new work.
func (s *StateStore) UpdateNodeEligibility(index uint64, nodeID, eligibility string) error {
	switch eligibility {
	case structs.NodeSchedulingEligible, structs.NodeSchedulingIneligible:
	default:
		return fmt.Errorf("node %q eligibility %q: want %q or %q: %w", nodeID, eligibility,
			structs.NodeSchedulingEligible, structs.NodeSchedulingIneligible, structs.ErrInvalid)
	}
	return s.modifyNode(index, nodeID, func(n *structs.Node) { n.SchedulingEligibility = eligibility })
}

// modifyNode applies change to a copy of the stored node.
func (s *StateStore) modifyNode(index uint64, nodeID string, change func(*structs.Node)) error {
	return s.update(index, func(tx *writeTxn) error {
		existing, err := lookup[structs.Node](tx, TableNodes, nodeID)
		if err != nil {
			return err
		}
		if existing == nil {
			return fmt.Errorf("node %q: %w", nodeID, structs.ErrNotFound)
		}
		n := *existing
		change(&n)
		n.ModifyIndex = index
		return tx.insert(TableNodes, &n)
	})
}

// NodeByID returns the node or nil.
func (r *reader) NodeByID(ws memdb.WatchSet, id string) (*structs.Node, error) {
	return first[structs.Node](r.db.Txn(false), ws, TableNodes, "id", id)
}

// NodesByIDPrefix returns the nodes whose ID starts with prefix.
func (r *reader) NodesByIDPrefix(ws memdb.WatchSet, prefix string) ([]*structs.Node, error) {
	return all[structs.Node](r.db.Txn(false), ws, nil, TableNodes, "id_prefix", prefix)
}

// NodesList returns every node, ordered by ID.
func (r *reader) NodesList(ws memdb.WatchSet) ([]*structs.Node, error) {
	return all[structs.Node](r.db.Txn(false), ws, nil, TableNodes, "id")
}
