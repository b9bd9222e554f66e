package client

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/droverhq/drover/structs"
)

// Beyond GCMaxAllocs finished allocs, the oldest are destroyed locally and
// never run again, though the servers still list them.
func TestGCKeepsAtMostMaxFinishedAllocs(t *testing.T) {
	f := newFakeServer(t)
	dir := t.TempDir()
	c, err := New(&Config{DataDir: dir, NodeName: "gc-node", Datacenter: "dc1", Region: "global",
		Servers: []string{f.addr}, NetworkInterface: "lo", GCMaxAllocs: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Shutdown() })
	waitFor(t, func() error {
		if r, _ := f.counts(); r < 1 {
			return fmt.Errorf("not registered yet")
		}
		return nil
	})
	var ids []string
	for i := 0; i < 4; i++ {
		a := mockAlloc(c.NodeID(), structs.JobTypeBatch, map[string]interface{}{"run_for": "10ms"})
		f.putAlloc(a)
		waitFor(t, func() error {
			if got := f.statuses(a.ID); len(got) == 0 || got[len(got)-1] != "complete" {
				return fmt.Errorf("alloc %d reported %v, want complete last", i, got)
			}
			return nil
		})
		ids = append(ids, a.ID)
	}
	allocDir := func(id string) string { return filepath.Join(dir, "alloc", id) }
	waitFor(t, func() error {
		for i, id := range ids {
			_, err := os.Stat(allocDir(id))
			if kept := err == nil; kept != (i >= 2) {
				return fmt.Errorf("alloc %d (of 4) dir exists = %v, want only the 2 newest kept", i, kept)
			}
		}
		return nil
	})
	c.mu.Lock()
	n := len(c.allocs)
	c.mu.Unlock()
	if n != 2 {
		t.Fatalf("client tracks %d allocs, want 2", n)
	}
	// Collected allocs are never started again.
	before := map[string]int{}
	for _, id := range ids[:2] {
		before[id] = len(f.statuses(id))
	}
	time.Sleep(300 * time.Millisecond)
	for _, id := range ids[:2] {
		if got := f.statuses(id); len(got) != before[id] {
			t.Fatalf("alloc %s reported %v after GC, want nothing new", id, got)
		}
	}
}
