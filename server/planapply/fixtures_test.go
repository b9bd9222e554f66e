package planapply

import (
	"fmt"

	"github.com/droverhq/drover/structs"
)

// fakeState is an in-memory State.
type fakeState struct {
	index  uint64
	nodes  map[string]*structs.Node
	allocs map[string][]*structs.Allocation
}

func newFakeState(index uint64, nodes ...*structs.Node) *fakeState {
	s := &fakeState{index: index, nodes: map[string]*structs.Node{}, allocs: map[string][]*structs.Allocation{}}
	for _, n := range nodes {
		s.nodes[n.ID] = n
	}
	return s
}

func (s *fakeState) Index() uint64                                { return s.index }
func (s *fakeState) NodeByID(id string) *structs.Node             { return s.nodes[id] }
func (s *fakeState) AllocsByNode(id string) []*structs.Allocation { return s.allocs[id] }

// node returns a ready node with 1000 MHz and 1024 MB.
func node(id string) *structs.Node {
	return &structs.Node{ID: id, Name: id, Status: structs.NodeStatusReady,
		SchedulingEligibility: structs.NodeSchedulingEligible, Datacenter: "dc1",
		NodeResources: &structs.NodeResources{Cpu: structs.NodeCpuResources{CpuShares: 1000},
			Memory: structs.NodeMemoryResources{MemoryMB: 1024}, Disk: structs.NodeDiskResources{DiskMB: 10000}}}
}

// alloc returns a running allocation of cpu MHz and mem MB on nodeID.
func alloc(id, nodeID string, cpu, mem int64) *structs.Allocation {
	return &structs.Allocation{ID: id, NodeID: nodeID, JobID: "web", Namespace: "default", TaskGroup: "g",
		Name: fmt.Sprintf("web.g[%s]", id), DesiredStatus: structs.AllocDesiredStatusRun,
		ClientStatus: structs.AllocClientStatusPending,
		AllocatedResources: &structs.AllocatedResources{Tasks: map[string]*structs.AllocatedTaskResources{
			"t": {Cpu: structs.AllocatedCpuResources{CpuShares: cpu}, Memory: structs.AllocatedMemoryResources{MemoryMB: mem}},
		}}}
}
