package state

import (
	"github.com/droverhq/drover/scheduler"
	"github.com/droverhq/drover/structs"
)

// SchedulerView adapts a StateSnapshot to scheduler.State. It is a separate
// type because scheduler.State's methods (NodeByID(id) *Node) share names
// with the snapshot's own reads (NodeByID(ws, id) (*Node, error)).
type SchedulerView struct {
	snap  *StateSnapshot
	index uint64
}

var _ scheduler.State = (*SchedulerView)(nil)

// SchedulerState returns the snapshot as the scheduler sees it.
func (s *StateSnapshot) SchedulerState() scheduler.State {
	return &SchedulerView{snap: s, index: s.LatestIndex()}
}

// Reads on a snapshot fail only on a schema mistake, which tests catch; the
// scheduler's interface has no error, so those reads return empty answers.

// Index is the Raft index the snapshot reflects.
func (v *SchedulerView) Index() uint64 { return v.index }

// Nodes returns every node, ordered by ID.
func (v *SchedulerView) Nodes() []*structs.Node {
	nodes, _ := v.snap.NodesList(nil)
	return nodes
}

// NodeByID returns the node or nil.
func (v *SchedulerView) NodeByID(id string) *structs.Node {
	n, _ := v.snap.NodeByID(nil, id)
	return n
}

// JobByID returns the job's newest version or nil.
func (v *SchedulerView) JobByID(namespace, id string) *structs.Job {
	j, _ := v.snap.JobByID(nil, namespace, id)
	return j
}

// AllocsByJob returns every allocation of the job.
func (v *SchedulerView) AllocsByJob(namespace, jobID string) []*structs.Allocation {
	allocs, _ := v.snap.AllocsByJob(nil, namespace, jobID)
	return allocs
}

// AllocsByNode returns every allocation on the node.
func (v *SchedulerView) AllocsByNode(nodeID string) []*structs.Allocation {
	allocs, _ := v.snap.AllocsByNode(nil, nodeID)
	return allocs
}

// EvalByID returns the evaluation or nil.
func (v *SchedulerView) EvalByID(id string) *structs.Evaluation {
	e, _ := v.snap.EvalByID(nil, id)
	return e
}
