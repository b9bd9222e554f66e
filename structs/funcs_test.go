package structs

import (
	"errors"
	"testing"
)

func fitNode() *Node {
	return &Node{
		ID: "n1",
		NodeResources: &NodeResources{
			Cpu: NodeCpuResources{CpuShares: 4000}, Memory: NodeMemoryResources{MemoryMB: 8192},
			Disk: NodeDiskResources{DiskMB: 10000},
		},
		ReservedResources: &NodeReservedResources{
			Cpu: NodeCpuResources{CpuShares: 500}, Memory: NodeMemoryResources{MemoryMB: 1024},
			Disk: NodeDiskResources{DiskMB: 1000}, Networks: NodeReservedNetworkResources{ReservedHostPorts: "22,8000-8002"},
		},
	}
}

// fitAlloc is a running allocation using cpu MHz, mem MB, disk MB and ports.
func fitAlloc(cpu, mem, disk int64, ports ...int) *Allocation {
	a := &Allocation{
		ID: GenerateUUID(), DesiredStatus: AllocDesiredStatusRun, ClientStatus: AllocClientStatusRunning,
		AllocatedResources: &AllocatedResources{
			Tasks: map[string]*AllocatedTaskResources{"t": {
				Cpu: AllocatedCpuResources{CpuShares: cpu}, Memory: AllocatedMemoryResources{MemoryMB: mem},
			}},
			Shared: AllocatedSharedResources{DiskMB: disk},
		},
	}
	for _, p := range ports {
		a.AllocatedResources.Shared.Ports = append(a.AllocatedResources.Shared.Ports, AllocatedPortMapping{Label: "p", Value: p})
	}
	return a
}

func stopped(a *Allocation) *Allocation { a.DesiredStatus = AllocDesiredStatusStop; return a }

func TestAllocsFit(t *testing.T) {
	withTaskPort := fitAlloc(100, 100, 0)
	withTaskPort.AllocatedResources.Tasks["t"].Networks = []*NetworkResource{{DynamicPorts: []Port{{Label: "x", Value: 25000}}}}
	// The same port recorded both in Shared.Ports and Shared.Networks is one claim.
	twice := fitAlloc(100, 100, 0, 26000)
	twice.AllocatedResources.Shared.Networks = []*NetworkResource{{DynamicPorts: []Port{{Label: "p", Value: 26000}}}}

	tests := []struct {
		name    string
		allocs  []*Allocation
		wantFit bool
		wantDim string
		wantCPU int64
	}{
		{name: "empty", wantFit: true},
		{name: "exactly full", allocs: []*Allocation{fitAlloc(3500, 7168, 9000)}, wantFit: true, wantCPU: 3500},
		{name: "cpu over reserved", allocs: []*Allocation{fitAlloc(3000, 100, 0), fitAlloc(501, 100, 0)}, wantDim: "cpu", wantCPU: 3501},
		{name: "memory", allocs: []*Allocation{fitAlloc(100, 7169, 0)}, wantDim: "memory", wantCPU: 100},
		{name: "disk", allocs: []*Allocation{fitAlloc(100, 100, 9001)}, wantDim: "disk", wantCPU: 100},
		{name: "terminal allocs do not count", allocs: []*Allocation{stopped(fitAlloc(4000, 8192, 0)), fitAlloc(100, 100, 0)}, wantFit: true, wantCPU: 100},
		{name: "distinct ports", allocs: []*Allocation{fitAlloc(1, 1, 0, 20000), fitAlloc(1, 1, 0, 20001)}, wantFit: true, wantCPU: 2},
		{name: "port collision", allocs: []*Allocation{fitAlloc(1, 1, 0, 20000), fitAlloc(1, 1, 0, 20000)}, wantDim: "network: port collision", wantCPU: 2},
		{name: "reserved port collision", allocs: []*Allocation{fitAlloc(1, 1, 0, 8001)}, wantDim: "network: reserved port collision", wantCPU: 1},
		{name: "reserved single port", allocs: []*Allocation{fitAlloc(1, 1, 0, 22)}, wantDim: "network: reserved port collision", wantCPU: 1},
		{name: "task network collides with shared port", allocs: []*Allocation{withTaskPort, fitAlloc(1, 1, 0, 25000)}, wantDim: "network: port collision", wantCPU: 101},
		{name: "stopped alloc frees its port", allocs: []*Allocation{stopped(fitAlloc(1, 1, 0, 20000)), fitAlloc(1, 1, 0, 20000)}, wantFit: true, wantCPU: 1},
		{name: "same port twice in one alloc", allocs: []*Allocation{twice}, wantFit: true, wantCPU: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fit, dim, used, err := AllocsFit(fitNode(), tt.allocs)
			if err != nil {
				t.Fatalf("AllocsFit: unexpected error %v", err)
			}
			if fit != tt.wantFit || dim != tt.wantDim {
				t.Errorf("AllocsFit = (%v, %q), want (%v, %q)", fit, dim, tt.wantFit, tt.wantDim)
			}
			if used.CpuShares != tt.wantCPU {
				t.Errorf("used cpu = %d, want %d", used.CpuShares, tt.wantCPU)
			}
		})
	}
}

func TestAllocsFitMalformedReservedPorts(t *testing.T) {
	n := fitNode()
	n.ReservedResources.Networks.ReservedHostPorts = "22,abc"
	fit, _, _, err := AllocsFit(n, nil)
	if fit || !errors.Is(err, ErrInvalid) {
		t.Fatalf("AllocsFit = (%v, %v), want (false, ErrInvalid)", fit, err)
	}
}

func TestAllocsFitNilResources(t *testing.T) {
	fit, dim, _, err := AllocsFit(&Node{ID: "bare"}, []*Allocation{fitAlloc(1, 0, 0)})
	if err != nil || fit || dim != "cpu" {
		t.Fatalf("AllocsFit on a node without resources = (%v, %q, %v), want (false, cpu, nil)", fit, dim, err)
	}
}

func TestComparableResources(t *testing.T) {
	a := fitAlloc(100, 200, 300)
	a.AllocatedResources.Tasks["u"] = &AllocatedTaskResources{
		Cpu: AllocatedCpuResources{CpuShares: 50}, Memory: AllocatedMemoryResources{MemoryMB: 10, MemoryMaxMB: 40},
	}
	got := *a.ComparableResources()
	want := ComparableResources{CpuShares: 150, MemoryMB: 210, MemoryMaxMB: 240, DiskMB: 300}
	if got != want {
		t.Fatalf("ComparableResources = %+v, want %+v", got, want)
	}
	if empty := *(&Allocation{}).ComparableResources(); empty != (ComparableResources{}) {
		t.Fatalf("ComparableResources of an empty alloc = %+v, want zero", empty)
	}
}
