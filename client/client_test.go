package client

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/droverhq/drover/structs"
)

func waitFor(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func newTestClient(t *testing.T, dataDir string, servers ...string) *Client {
	t.Helper()
	c, err := New(&Config{DataDir: dataDir, NodeName: "test-node", Datacenter: "dc1", Region: "global",
		Servers: servers, NetworkInterface: "lo"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Shutdown() })
	return c
}

func mockAlloc(nodeID, jobType string, cfg map[string]interface{}) *structs.Allocation {
	task := &structs.Task{Name: "t", Driver: "mock", Config: cfg, KillTimeout: time.Second,
		Resources: &structs.Resources{CPU: 100, MemoryMB: 64}}
	job := &structs.Job{ID: "j", Name: "j", Type: jobType, Namespace: "default",
		TaskGroups: []*structs.TaskGroup{{Name: "g", Count: 1, Tasks: []*structs.Task{task},
			RestartPolicy: &structs.RestartPolicy{Attempts: 0, Interval: time.Minute, Mode: structs.RestartPolicyModeFail}}}}
	return &structs.Allocation{ID: structs.GenerateUUID(), Name: "j.g[0]", Namespace: "default", NodeID: nodeID,
		JobID: job.ID, Job: job, TaskGroup: "g", DesiredStatus: structs.AllocDesiredStatusRun,
		ClientStatus: structs.AllocClientStatusPending}
}

func reported(f *fakeServer, id string, want ...string) func() error {
	return func() error {
		got := f.statuses(id)
		if !slices.Equal(got, want) {
			return fmt.Errorf("got reported statuses %v, want %v", got, want)
		}
		return nil
	}
}

func TestClientRegistersHeartbeatsAndRunsAlloc(t *testing.T) {
	f := newFakeServer(t)
	c := newTestClient(t, t.TempDir(), f.addr)

	waitFor(t, func() error {
		if r, h := f.counts(); r < 1 || h < 2 {
			return fmt.Errorf("got %d registers and %d heartbeats, want 1 and at least 2", r, h)
		}
		return nil
	})
	n := c.Node()
	if n.Attributes["driver.mock"] != "1" || n.Drivers["raw_exec"].Detected || n.NodeResources.Cpu.CpuShares == 0 {
		t.Fatalf("got node attrs %v drivers %+v, want mock healthy, raw_exec disabled, cpu fingerprinted", n.Attributes, n.Drivers)
	}

	a := mockAlloc(c.NodeID(), structs.JobTypeBatch, map[string]interface{}{"run_for": "500ms"})
	f.putAlloc(a)
	waitFor(t, reported(f, a.ID, "running", "complete"))

	u := f.lastUpdate(a.ID)
	if u.Job != nil || u.NodeID != "" || u.DesiredStatus != "" || u.ClientDescription == "" || u.TaskStates["t"] == nil {
		t.Fatalf("got update %+v, want only ID, ClientStatus, ClientDescription and TaskStates", u)
	}
	if st := u.TaskStates["t"]; st.State != structs.TaskStateDead || st.Failed {
		t.Fatalf("got task state %+v, want dead and not failed", st)
	}
	if s := c.Stats(); s["registered"] != "true" || s["num_allocations"] != "1" {
		t.Fatalf("got stats %v, want registered with 1 alloc", s)
	}
}

func TestClientStopsAlloc(t *testing.T) {
	f := newFakeServer(t)
	c := newTestClient(t, t.TempDir(), f.addr)
	a := mockAlloc(c.NodeID(), structs.JobTypeService, map[string]interface{}{"run_for": "1h"})
	f.putAlloc(a)
	waitFor(t, reported(f, a.ID, "running"))
	f.stopAlloc(a.ID)
	waitFor(t, reported(f, a.ID, "running", "complete"))
	var types []string
	for _, e := range f.lastUpdate(a.ID).TaskStates["t"].Events {
		types = append(types, e.Type)
	}
	if !slices.Contains(types, structs.TaskKilling) || types[len(types)-1] != structs.TaskKilled {
		t.Fatalf("got events %v, want Killing ... Killed", types)
	}
}

func TestClientNeverStartsStoppedAlloc(t *testing.T) {
	f := newFakeServer(t)
	c := newTestClient(t, t.TempDir(), f.addr)
	a := mockAlloc(c.NodeID(), structs.JobTypeService, map[string]interface{}{"run_for": "1h"})
	a.DesiredStatus = structs.AllocDesiredStatusStop
	f.putAlloc(a)
	live := mockAlloc(c.NodeID(), structs.JobTypeService, map[string]interface{}{"run_for": "1h"})
	f.putAlloc(live)
	waitFor(t, reported(f, live.ID, "running"))
	if got := f.statuses(a.ID); len(got) != 0 {
		t.Fatalf("got statuses %v for a stopped alloc, want none (never started)", got)
	}
}

func TestClientReregistersWhenUnknown(t *testing.T) {
	f := newFakeServer(t)
	newTestClient(t, t.TempDir(), f.addr)
	waitFor(t, func() error {
		if _, h := f.counts(); h < 1 {
			return fmt.Errorf("got %d heartbeats, want 1", h)
		}
		return nil
	})
	f.forgetNodes()
	waitFor(t, func() error {
		if r, _ := f.counts(); r < 2 {
			return fmt.Errorf("got %d registers, want 2 after the server forgot the node", r)
		}
		return nil
	})
}

func TestClientFailsOverToNextServer(t *testing.T) {
	f := newFakeServer(t)
	// Port 1 on loopback refuses connections: the first server is down.
	newTestClient(t, t.TempDir(), "127.0.0.1:1", f.addr)
	waitFor(t, func() error {
		if r, _ := f.counts(); r < 1 {
			return fmt.Errorf("got %d registers, want 1 via the second server", r)
		}
		return nil
	})
}

func TestClientRestartRecoversAlloc(t *testing.T) {
	f := newFakeServer(t)
	dir := t.TempDir()
	c1 := newTestClient(t, dir, f.addr)
	id := c1.NodeID()
	a := mockAlloc(id, structs.JobTypeService, map[string]interface{}{"run_for": "1h"})
	f.putAlloc(a)
	waitFor(t, reported(f, a.ID, "running"))
	if err := c1.Shutdown(); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}

	c2 := newTestClient(t, dir, f.addr)
	if c2.NodeID() != id {
		t.Fatalf("got node ID %q after restart, want %q", c2.NodeID(), id)
	}
	waitFor(t, func() error {
		if s := c2.Stats(); s["running_allocs"] != "1" {
			return fmt.Errorf("got stats %v, want 1 running alloc after restart", s)
		}
		return nil
	})
	c2.mu.Lock()
	ar := c2.allocs[a.ID]
	c2.mu.Unlock()
	states := ar.TaskStates()
	started := 0
	for _, e := range states["t"].Events {
		if e.Type == structs.TaskStarted {
			started++
		}
	}
	if started != 1 || states["t"].Restarts != 0 {
		t.Fatalf("got %d Started events and %d restarts, want the task recovered, not restarted", started, states["t"].Restarts)
	}
}

func TestClientRestartNeverRerunsCompletedAlloc(t *testing.T) {
	f := newFakeServer(t)
	dir := t.TempDir()
	c1 := newTestClient(t, dir, f.addr)
	a := mockAlloc(c1.NodeID(), structs.JobTypeBatch, map[string]interface{}{"run_for": "10ms"})
	f.putAlloc(a)
	// So short a task may be reported only as complete: updates coalesce.
	waitFor(t, func() error {
		if u := f.lastUpdate(a.ID); u == nil || u.ClientStatus != "complete" {
			return fmt.Errorf("got last update %+v, want complete", u)
		}
		return nil
	})
	if err := c1.Shutdown(); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	before := len(f.lastUpdate(a.ID).TaskStates["t"].Events)

	c2 := newTestClient(t, dir, f.addr)
	waitFor(t, func() error {
		if s := c2.Stats(); s["registered"] != "true" || s["num_allocations"] != "1" {
			return fmt.Errorf("got stats %v, want registered with the restored alloc", s)
		}
		return nil
	})
	c2.mu.Lock()
	ar := c2.allocs[a.ID]
	c2.mu.Unlock()
	<-ar.WaitCh()
	st := ar.TaskStates()["t"]
	if st.State != structs.TaskStateDead || len(st.Events) != before {
		t.Fatalf("got %s with %d events after restart, want dead with the same %d events (not run again)", st.State, len(st.Events), before)
	}
	if got := f.statuses(a.ID); got[len(got)-1] != "complete" {
		t.Fatalf("got statuses %v, want the last to stay complete", got)
	}
}

// TestManyClientsInOneProcess: clients share nothing, as the scale
// simulator needs.
func TestManyClientsInOneProcess(t *testing.T) {
	f := newFakeServer(t)
	const n = 20
	var allocs []*structs.Allocation
	for i := 0; i < n; i++ {
		c := newTestClient(t, t.TempDir(), f.addr)
		a := mockAlloc(c.NodeID(), structs.JobTypeService, map[string]interface{}{"run_for": "1h"})
		f.putAlloc(a)
		allocs = append(allocs, a)
	}
	for _, a := range allocs {
		waitFor(t, reported(f, a.ID, "running"))
	}
	if r, _ := f.counts(); r != n {
		t.Fatalf("got %d registrations, want %d", r, n)
	}
}

func TestClientDestroysAllocRemovedByServers(t *testing.T) {
	f := newFakeServer(t)
	dir := t.TempDir()
	c := newTestClient(t, dir, f.addr)
	a := mockAlloc(c.NodeID(), structs.JobTypeService, map[string]interface{}{"run_for": "1h"})
	f.putAlloc(a)
	waitFor(t, reported(f, a.ID, "running"))
	allocDir := filepath.Join(dir, "alloc", a.ID)
	if _, err := os.Stat(allocDir); err != nil {
		t.Fatalf("alloc dir: %v", err)
	}
	f.deleteAlloc(a.ID)
	waitFor(t, func() error {
		if _, err := os.Stat(allocDir); !os.IsNotExist(err) {
			return fmt.Errorf("alloc dir still there (stat err %v), want it removed", err)
		}
		if s := c.Stats(); s["num_allocations"] != "0" {
			return fmt.Errorf("got %s allocations, want 0", s["num_allocations"])
		}
		return nil
	})
}

// TestHostVolumePathMustExist: a host_volume whose path is missing stops
// the client at start with the volume, the path and the fix, instead of
// advertising a volume every task using it would fail to mount.
func TestHostVolumePathMustExist(t *testing.T) {
	existing := t.TempDir()
	tests := []struct {
		name string
		vol  *structs.ClientHostVolumeConfig
		want string // "" = no error
	}{
		{"exists", &structs.ClientHostVolumeConfig{Name: "data", Path: existing}, ""},
		{"missing", &structs.ClientHostVolumeConfig{Name: "data", Path: "/no/such/dir"},
			`host_volume "data": path /no/such/dir: no such file or directory: create it or fix the path`},
		{"relative", &structs.ClientHostVolumeConfig{Name: "data", Path: "srv/data"}, `path "srv/data" is not absolute`},
		{"empty", &structs.ClientHostVolumeConfig{Name: "data"}, `host_volume "data": path is required`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(&Config{DataDir: t.TempDir(), NodeName: "n", Servers: []string{"127.0.0.1:1"},
				NetworkInterface: "lo", HostVolumes: map[string]*structs.ClientHostVolumeConfig{"data": tt.vol}})
			if c != nil {
				_ = c.Shutdown()
			}
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if strings.HasSuffix(err.Error(), ": invalid") {
				t.Fatalf("got %q, want no category suffix in a start error", err)
			}
		})
	}
}
