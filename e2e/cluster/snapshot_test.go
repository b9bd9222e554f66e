package cluster

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Acceptance 6: `operator snapshot save` on a three-server cluster with a
// client, then `operator snapshot restore` into a fresh server: every job
// and allocation is back. A damaged snapshot file is refused.
func TestSnapshotSaveRestore(t *testing.T) {
	c := New(t)
	servers := c.StartServers(3)
	leader, _ := c.WaitLeader(LeaderTimeout, servers...)
	client := c.AddClient("c1", servers, "")
	c.Start(client)
	WaitFor(t, 30*time.Second, "the client node is ready", func() error {
		n, err := leader.ReadyNodes()
		if err == nil && n != 1 {
			err = fmt.Errorf("%d ready nodes", n)
		}
		return err
	})
	jobs := []map[string]any{MockJob("snap-svc", "service", 3, "1h"), MockJob("snap-batch", "batch", 2, "1s")}
	for i := range 10 {
		jobs = append(jobs, MockJob(fmt.Sprintf("snap-%02d", i), "batch", 1, "1s"))
	}
	for _, j := range jobs {
		if _, err := leader.RegisterJob(httpClient, j); err != nil {
			t.Fatalf("register %s: %v", j["ID"], err)
		}
	}
	var wantAllocs []string
	WaitFor(t, 60*time.Second, "every job placed (15 allocations)", func() error {
		allocs, err := leader.AllAllocs()
		if err != nil {
			return err
		}
		wantAllocs = allocIDs(allocs)
		if len(allocs) < 15 {
			return fmt.Errorf("%d allocations", len(allocs))
		}
		return nil
	})
	wantJobs, err := leader.JobIDs("snap-")
	if err != nil {
		t.Fatal(err)
	}

	// Save through a follower: it forwards to the leader.
	follower := Others(servers, leader)[0]
	file := filepath.Join(c.TempDir(), "cluster.snap")
	start := time.Now()
	out, errOut, code := follower.CLI("operator", "snapshot", "save", file)
	if code != 0 {
		t.Fatalf("drover operator snapshot save (through %s): exit %d\n%s%s", follower, code, out, errOut)
	}
	saved := time.Since(start)
	fi, err := os.Stat(file)
	if err != nil || fi.Size() == 0 {
		t.Fatalf("drover operator snapshot save %s exited 0 but wrote no snapshot (%v, size %d); it printed:\n%s%s",
			file, err, sizeOf(fi), out, errOut)
	}
	t.Logf("saved a snapshot of %d jobs and %d allocations through %s: %d bytes in %s",
		len(wantJobs), len(wantAllocs), follower, fi.Size(), saved.Round(time.Millisecond))
	if out, _, code := follower.CLI("operator", "snapshot", "inspect", file); code == 0 {
		t.Logf("drover operator snapshot inspect:\n%s", strings.TrimRight(out, "\n"))
	}

	fresh := c.AddServer("r1", ServerOptions{BootstrapExpect: 1})
	c.Start(fresh)
	c.WaitLeader(LeaderTimeout, fresh)

	// A damaged file is refused and changes nothing.
	damaged := filepath.Join(c.TempDir(), "damaged.snap")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(damaged, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = fresh.CLI("operator", "snapshot", "restore", damaged)
	if code == 0 {
		t.Errorf("restore of a damaged snapshot succeeded, want it refused:\n%s%s", out, errOut)
	} else {
		t.Logf("a damaged snapshot is refused: exit %d: %s", code, strings.TrimSpace(errOut+out))
	}
	if ids, err := fresh.JobIDs("snap-"); err == nil && len(ids) > 0 {
		t.Errorf("after the refused restore the fresh server holds %d jobs, want none", len(ids))
	}

	start = time.Now()
	out, errOut, code = fresh.CLI("operator", "snapshot", "restore", file)
	if code != 0 {
		t.Fatalf("drover operator snapshot restore into %s: exit %d\n%s%s", fresh, code, out, errOut)
	}
	restored := time.Since(start)
	WaitFor(t, 20*time.Second, "the restored server holds every job and allocation", func() error {
		gotJobs, err := fresh.JobIDs("snap-")
		if err != nil {
			return err
		}
		if !slices.Equal(gotJobs, wantJobs) {
			return fmt.Errorf("jobs %v, want %v", gotJobs, wantJobs)
		}
		allocs, err := fresh.AllAllocs()
		if err != nil {
			return err
		}
		got := allocIDs(allocs)
		for _, id := range wantAllocs {
			if !slices.Contains(got, id) {
				return fmt.Errorf("allocation %s missing (%d of %d present)", id, len(got), len(wantAllocs))
			}
		}
		return nil
	})
	t.Logf("restored into fresh server %s in %s: %d jobs and %d allocations present", fresh, restored.Round(time.Millisecond), len(wantJobs), len(wantAllocs))
}

func allocIDs(allocs []Alloc) []string {
	ids := make([]string, len(allocs))
	for i, a := range allocs {
		ids[i] = a.ID
	}
	return ids
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return 0
	}
	return fi.Size()
}
