package structs

// Dimensions AllocsFit and the scheduler report as exhausted.
const (
	DimensionCPU    = "cpu"
	DimensionMemory = "memory"
	DimensionDisk   = "disk"
)

// ComparableResources is an allocation's (or a node's) resources flattened
// to the numbers fit checks compare.
type ComparableResources struct {
	CpuShares   int64 // MHz
	MemoryMB    int64
	MemoryMaxMB int64 // the burst ceiling; equals MemoryMB when not set
	DiskMB      int64
}

// Add adds o to c in place.
func (c *ComparableResources) Add(o *ComparableResources) {
	if o == nil {
		return
	}
	c.CpuShares += o.CpuShares
	c.MemoryMB += o.MemoryMB
	c.MemoryMaxMB += o.MemoryMaxMB
	c.DiskMB += o.DiskMB
}

// Subtract subtracts o from c in place.
func (c *ComparableResources) Subtract(o *ComparableResources) {
	if o == nil {
		return
	}
	c.CpuShares -= o.CpuShares
	c.MemoryMB -= o.MemoryMB
	c.MemoryMaxMB -= o.MemoryMaxMB
	c.DiskMB -= o.DiskMB
}

// Superset reports whether c covers o in cpu, memory and disk, and if not
// names the first dimension that falls short. MemoryMaxMB is not compared:
// it is a burst ceiling, not a reservation, so nodes may oversubscribe it.
func (c *ComparableResources) Superset(o *ComparableResources) (bool, string) {
	switch {
	case c.CpuShares < o.CpuShares:
		return false, DimensionCPU
	case c.MemoryMB < o.MemoryMB:
		return false, DimensionMemory
	case c.DiskMB < o.DiskMB:
		return false, DimensionDisk
	}
	return true, ""
}

// ComparableResources flattens what the allocation was granted. An
// allocation with no AllocatedResources uses nothing.
func (a *Allocation) ComparableResources() *ComparableResources {
	c := &ComparableResources{}
	ar := a.AllocatedResources
	if ar == nil {
		return c
	}
	for _, t := range ar.Tasks {
		if t == nil {
			continue
		}
		c.CpuShares += t.Cpu.CpuShares
		c.MemoryMB += t.Memory.MemoryMB
		if t.Memory.MemoryMaxMB > t.Memory.MemoryMB {
			c.MemoryMaxMB += t.Memory.MemoryMaxMB
		} else {
			c.MemoryMaxMB += t.Memory.MemoryMB
		}
	}
	c.DiskMB = ar.Shared.DiskMB
	return c
}

// NodeCapacity is what the scheduler may hand out on the node: its
// resources minus what it reserves for itself.
func NodeCapacity(node *Node) *ComparableResources {
	c := &ComparableResources{}
	if node == nil || node.NodeResources == nil {
		return c
	}
	nr := node.NodeResources
	c.CpuShares, c.MemoryMB, c.DiskMB = nr.Cpu.CpuShares, nr.Memory.MemoryMB, nr.Disk.DiskMB
	c.MemoryMaxMB = c.MemoryMB
	if rr := node.ReservedResources; rr != nil {
		c.CpuShares -= rr.Cpu.CpuShares
		c.MemoryMB -= rr.Memory.MemoryMB
		c.MemoryMaxMB -= rr.Memory.MemoryMB
		c.DiskMB -= rr.Disk.DiskMB
	}
	return c
}

// AllocsFit reports whether allocs fit on node together. Only non-terminal
// allocations count. It compares summed cpu, memory and disk with the node's
// resources minus its reserved resources, and checks that no two allocations
// claim the same host port and none claims a port the node reserves.
// dimension names what was exhausted: "cpu", "memory", "disk",
// "network: port collision" or "network: reserved port collision". used is
// the summed usage either way. err reports a malformed node (its
// ReservedHostPorts), in which case fit is false.
func AllocsFit(node *Node, allocs []*Allocation) (fit bool, dimension string, used *ComparableResources, err error) {
	used = &ComparableResources{}
	for _, a := range allocs {
		if a == nil || a.TerminalStatus() {
			continue
		}
		used.Add(a.ComparableResources())
	}
	if ok, dim := NodeCapacity(node).Superset(used); !ok {
		return false, dim, used, nil
	}
	idx := NewNetworkIndex(node)
	if err := idx.Err(); err != nil {
		return false, "", used, err
	}
	if collide, reason := idx.AddAllocs(allocs); collide {
		return false, reason, used, nil
	}
	return true, "", used, nil
}
