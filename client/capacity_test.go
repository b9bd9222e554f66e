package client

import (
	"testing"

	"github.com/droverhq/drover/structs"
)

func TestOverrideCapacity(t *testing.T) {
	n := &structs.Node{Attributes: map[string]string{}, NodeResources: &structs.NodeResources{
		Cpu: structs.NodeCpuResources{CpuShares: 4000}, Memory: structs.NodeMemoryResources{MemoryMB: 8192}}}
	overrideCapacity(&Config{}, n)
	if n.NodeResources.Cpu.CpuShares != 4000 || n.NodeResources.Memory.MemoryMB != 8192 {
		t.Fatalf("no override configured: got %d MHz / %d MB, want the fingerprinted 4000 / 8192",
			n.NodeResources.Cpu.CpuShares, n.NodeResources.Memory.MemoryMB)
	}
	overrideCapacity(&Config{CPUTotalCompute: 9000, MemoryTotalMB: 20_000_000}, n)
	if n.NodeResources.Cpu.CpuShares != 9000 || n.NodeResources.Memory.MemoryMB != 20_000_000 {
		t.Fatalf("got %d MHz / %d MB, want 9000 / 20000000", n.NodeResources.Cpu.CpuShares, n.NodeResources.Memory.MemoryMB)
	}
	if got := n.Attributes["memory.totalbytes"]; got != "20971520000000" {
		t.Fatalf("memory.totalbytes = %q, want 20971520000000", got)
	}
}
