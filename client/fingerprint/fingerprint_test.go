package fingerprint

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/droverhq/drover/structs"
)

func TestThisMachine(t *testing.T) {
	n := &structs.Node{}
	if err := Node(&Env{DataDir: t.TempDir(), NetworkInterface: "lo", Version: "1.2.3"}, n); err != nil {
		t.Fatalf("Node: %v", err)
	}
	r := n.NodeResources
	if r.Cpu.CpuShares <= 0 || r.Cpu.TotalCpuCores <= 0 {
		t.Fatalf("got cpu %+v, want non-zero", r.Cpu)
	}
	if r.Memory.MemoryMB <= 0 {
		t.Fatalf("got memory %d MB, want > 0", r.Memory.MemoryMB)
	}
	if r.Disk.DiskMB <= 0 {
		t.Fatalf("got disk %d MB, want > 0", r.Disk.DiskMB)
	}
	for _, k := range []string{"cpu.numcores", "cpu.frequency", "cpu.totalcompute", "cpu.arch", "memory.totalbytes",
		"unique.storage.volume", "unique.storage.bytesfree", "kernel.name", "kernel.version", "os.name",
		"unique.hostname", "unique.network.ip-address", "drover.version", "nomad.version"} {
		if n.Attributes[k] == "" {
			t.Errorf("attribute %s: got empty, want a value", k)
		}
	}
	if got := n.Attributes["unique.network.ip-address"]; got != "127.0.0.1" {
		t.Errorf("ip-address on lo: got %q, want 127.0.0.1", got)
	}
}

func TestCPUFromFixture(t *testing.T) {
	dir := t.TempDir()
	cpuinfo := "processor\t: 0\nmodel name\t: Test CPU\ncpu MHz\t\t: 2000.5\n\nprocessor\t: 1\nmodel name\t: Test CPU\ncpu MHz\t\t: 2000.5\n"
	if err := os.WriteFile(filepath.Join(dir, "cpuinfo"), []byte(cpuinfo), 0o644); err != nil {
		t.Fatal(err)
	}
	n := &structs.Node{Attributes: map[string]string{}, NodeResources: &structs.NodeResources{}}
	if err := CPU(&Env{ProcRoot: dir}, n); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ key, want string }{
		{"cpu.numcores", "2"}, {"cpu.frequency", "2000"}, {"cpu.totalcompute", "4001"}, {"cpu.modelname", "Test CPU"},
	}
	for _, tt := range tests {
		if got := n.Attributes[tt.key]; got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.key, got, tt.want)
		}
	}
	if got := n.NodeResources.Cpu.CpuShares; strconv.FormatInt(got, 10) != "4001" {
		t.Errorf("CpuShares: got %d, want 4001", got)
	}
}

func TestNodeIdentityPersists(t *testing.T) {
	dir := t.TempDir()
	id1, s1, err := NodeIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	id2, s2, err := NodeIdentity(dir)
	if err != nil {
		t.Fatal(err)
	}
	if id1 == "" || id1 != id2 || s1 != s2 || id1 == s1 {
		t.Fatalf("got ids (%q,%q) then (%q,%q), want the same non-empty pair", id1, s1, id2, s2)
	}
}
