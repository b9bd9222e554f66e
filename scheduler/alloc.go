package scheduler

import (
	"fmt"

	"github.com/droverhq/drover/structs"
)

// collectAsks sums what one instance of the group needs: every task's cpu
// and memory, the group's ephemeral disk, and its ports.
func (gs *groupState) collectAsks() {
	tg := gs.tg
	for _, t := range tg.Tasks {
		if t == nil {
			continue
		}
		if r := t.Resources; r != nil {
			gs.ask.CpuShares += int64(r.CPU)
			gs.ask.MemoryMB += int64(r.MemoryMB)
			gs.ask.MemoryMaxMB += int64(max(r.MemoryMaxMB, r.MemoryMB))
			gs.notePorts(r.Networks)
		}
	}
	if tg.EphemeralDisk != nil {
		gs.ask.DiskMB = int64(tg.EphemeralDisk.SizeMB)
	}
	gs.notePorts(tg.Networks)
}

func (gs *groupState) notePorts(nets []*structs.NetworkResource) {
	for _, n := range nets {
		if n == nil {
			continue
		}
		for _, p := range n.ReservedPorts {
			gs.staticPorts = append(gs.staticPorts, p.Value)
		}
		gs.dynamicPorts += len(n.DynamicPorts)
		if len(n.ReservedPorts)+len(n.DynamicPorts) > 0 {
			gs.hasPorts = true
		}
	}
}

// newAlloc builds the allocation for a placement on cand: resources with
// ports assigned from the node's port index.
func (gs *groupState) newAlloc(req placeRequest, cand *candidate) (*structs.Allocation, error) {
	c, tg, n := gs.c, gs.tg, cand.node
	res, err := gs.allocatedResources(cand.usage)
	if err != nil {
		return nil, err
	}
	now := c.now.UnixNano()
	a := &structs.Allocation{
		ID: c.s.uuid.next(), Namespace: c.job.Namespace, EvalID: c.ev.ID, Name: req.name,
		NodeID: n.ID, NodeName: n.Name, JobID: c.job.ID, Job: c.job, TaskGroup: tg.Name,
		AllocatedResources: res, Metrics: gs.allocMetric(),
		DesiredStatus: structs.AllocDesiredStatusRun, ClientStatus: structs.AllocClientStatusPending,
		CreateTime: now, ModifyTime: now,
	}
	if req.prev != nil {
		a.PreviousAllocation = req.prev.ID
		if req.reschedule {
			a.RescheduleTracker = nextTracker(req.prev, c.reschedulePolicy(tg), c.now)
		}
	}
	return a, nil
}

// allocatedResources grants each task its cpu and memory, the group its
// disk, and assigns the group's and tasks' ports on the node.
func (gs *groupState) allocatedResources(u *nodeUsage) (*structs.AllocatedResources, error) {
	tg := gs.tg
	res := &structs.AllocatedResources{Tasks: make(map[string]*structs.AllocatedTaskResources, len(tg.Tasks))}
	if tg.EphemeralDisk != nil {
		res.Shared.DiskMB = int64(tg.EphemeralDisk.SizeMB)
	}
	if gs.hasPorts && len(tg.Networks) > 0 {
		nets, ports, err := assignNetworks(u.portIndex(), tg.Networks, gs.c.s)
		if err != nil {
			return nil, fmt.Errorf("group %q: %w", tg.Name, err)
		}
		res.Shared.Networks, res.Shared.Ports = nets, ports
	}
	for _, t := range tg.Tasks {
		if t == nil {
			continue
		}
		tr := &structs.AllocatedTaskResources{}
		if r := t.Resources; r != nil {
			tr.Cpu.CpuShares = int64(r.CPU)
			tr.Memory.MemoryMB = int64(r.MemoryMB)
			if gs.c.config.MemoryOversubscriptionEnabled {
				// Without oversubscription memory_max is not granted: the
				// reservation is the limit, as in Nomad.
				tr.Memory.MemoryMaxMB = int64(r.MemoryMaxMB)
			}
			if len(r.Networks) > 0 {
				nets, _, err := assignNetworks(u.portIndex(), r.Networks, gs.c.s)
				if err != nil {
					return nil, fmt.Errorf("task %q: %w", t.Name, err)
				}
				tr.Networks = nets
			}
		}
		res.Tasks[t.Name] = tr
	}
	return res, nil
}

// assignNetworks grants ports and returns copies of the asked networks with
// every port's host value filled in, plus the flat port list.
func assignNetworks(idx *structs.NetworkIndex, asks []*structs.NetworkResource, s *genericScheduler) ([]*structs.NetworkResource, []structs.AllocatedPortMapping, error) {
	ports, err := idx.AssignPorts(asks, s.rng)
	if err != nil {
		return nil, nil, err
	}
	// AssignPorts returns static ports first, then dynamic ones, each in
	// ask order; walk the asks the same way to fill the copies.
	out := make([]*structs.NetworkResource, 0, len(asks))
	i := 0
	for _, n := range asks {
		if n == nil {
			continue
		}
		cp := *n
		cp.ReservedPorts = append([]structs.Port(nil), n.ReservedPorts...)
		cp.DynamicPorts = append([]structs.Port(nil), n.DynamicPorts...)
		out = append(out, &cp)
	}
	for _, n := range out {
		for j := range n.ReservedPorts {
			n.ReservedPorts[j].To = ports[i].To
			i++
		}
	}
	for _, n := range out {
		for j := range n.DynamicPorts {
			n.DynamicPorts[j].Value, n.DynamicPorts[j].To = ports[i].Value, ports[i].To
			i++
		}
	}
	return out, ports, nil
}

// allocMetric is the placement's report. Its maps are the group's static
// filter counts, shared read-only between the group's allocations so that a
// large group does not copy them once per instance.
func (gs *groupState) allocMetric() *structs.AllocMetric {
	m := gs.metric
	return &structs.AllocMetric{
		NodesEvaluated: m.NodesEvaluated, NodesFiltered: m.NodesFiltered, NodesInPool: m.NodesInPool,
		NodesAvailable: m.NodesAvailable, ClassFiltered: m.ClassFiltered, ConstraintFiltered: m.ConstraintFiltered,
	}
}
