package cluster

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// WriteFailBound is how long a write to a server that cannot reach a
// quorum may take to fail.
const WriteFailBound = 12 * time.Second

// Acceptance 3: cut the leader off from the other two. It steps down; a
// write sent to it fails with a clear error instead of hanging; the
// majority elects a leader and serves writes. Heal the partition: the old
// leader rejoins as a follower and all three converge to the same state.
func TestPartitionedLeaderStepsDownAndRejoins(t *testing.T) {
	c := New(t)
	servers := c.StartServers(3)
	old, _ := c.WaitLeader(LeaderTimeout, servers...)
	majority := Others(servers, old)
	for i := range 5 {
		if _, err := old.RegisterJob(httpClient, MockJob(fmt.Sprintf("p-before-%d", i), "batch", 1, "1s")); err != nil {
			t.Fatalf("write before the partition: %v", err)
		}
	}

	cutAt := time.Now()
	old.Disconnect()
	t.Logf("cut leader %s off the cluster net", old)

	stepDown := WaitFor(t, 15*time.Second, "the cut-off leader steps down", func() error {
		stats, err := old.ServerStats()
		if err != nil {
			return err
		}
		if stats["raft.state"] == "Leader" {
			return fmt.Errorf("%s is still in Raft state Leader", old)
		}
		return nil
	})

	newLeader, _ := c.WaitLeader(LeaderTimeout, majority...)
	t.Logf("majority %v elected %s %s after the cut; old leader stepped down after %s",
		majority, newLeader, time.Since(cutAt).Round(time.Millisecond), stepDown.Round(time.Millisecond))

	// A write to the cut-off server fails, with a message, within the bound.
	slow := &http.Client{Transport: httpClient.Transport, Timeout: 60 * time.Second}
	start := time.Now()
	_, err := old.RegisterJob(slow, MockJob("p-cut", "batch", 1, "1s"))
	failedAfter := time.Since(start)
	var apiErr *APIError
	switch {
	case err == nil:
		t.Fatalf("a write to the cut-off server %s was acknowledged after %s; it cannot reach a quorum", old, failedAfter)
	case !errors.As(err, &apiErr):
		t.Errorf("a write to the cut-off server failed without an answer after %s: %v; want an error answer within %s", failedAfter, err, WriteFailBound)
	case apiErr.Body == "":
		t.Errorf("a write to the cut-off server failed with %d and no message; want a message saying there is no leader", apiErr.Status)
	}
	if failedAfter > WriteFailBound {
		t.Errorf("a write to the cut-off server took %s to fail, want at most %s", failedAfter, WriteFailBound)
	}
	t.Logf("write to the cut-off server failed after %s: %v", failedAfter.Round(time.Millisecond), err)

	for _, m := range majority {
		id := "p-during-" + m.Name
		WaitFor(t, 10*time.Second, "the majority serves a write through "+m.Name, func() error {
			_, err := m.RegisterJob(writeClient, MockJob(id, "batch", 1, "1s"))
			return err
		})
	}
	if ids, err := old.JobIDs("p-"); err == nil {
		t.Logf("the cut-off server still answers stale reads: %d jobs %v", len(ids), ids)
	}

	healAt := time.Now()
	old.Connect()
	rejoin := WaitFor(t, 30*time.Second, "the old leader rejoins as a follower of the same leader", func() error {
		l, err := c.AgreedLeader(servers)
		if err != nil {
			return err
		}
		if l == old {
			return fmt.Errorf("the old leader %s leads again; its log missed the majority's writes", old)
		}
		stats, err := old.ServerStats()
		if err != nil {
			return err
		}
		if stats["raft.state"] != "Follower" {
			return fmt.Errorf("%s is in Raft state %s", old, stats["raft.state"])
		}
		return nil
	})
	WaitFor(t, 30*time.Second, "all three servers hold the same jobs at the same Raft index", func() error {
		return converge(servers, "p-", []string{"p-during-" + majority[0].Name, "p-during-" + majority[1].Name})
	})
	ids, _ := old.JobIDs("p-")
	stats, _ := old.ServerStats()
	t.Logf("healed: %s follows again %s after the heal; all three converged %s after the heal: %d jobs, Raft applied index %s; the refused write p-cut is present: %v",
		old, rejoin.Round(time.Millisecond), (time.Since(healAt)).Round(time.Millisecond), len(ids), stats["raft.applied_index"], slices.Contains(ids, "p-cut"))
}

// converge checks that servers hold the same job IDs with prefix, that
// these include want, and that their Raft applied indexes are equal.
func converge(servers []*Node, prefix string, want []string) error {
	var firstIDs []string
	var firstIndex string
	for i, s := range servers {
		ids, err := s.JobIDs(prefix)
		if err != nil {
			return err
		}
		for _, w := range want {
			if !slices.Contains(ids, w) {
				return fmt.Errorf("%s lacks job %s", s.Name, w)
			}
		}
		stats, err := s.ServerStats()
		if err != nil {
			return err
		}
		if i == 0 {
			firstIDs, firstIndex = ids, stats["raft.applied_index"]
			continue
		}
		if !slices.Equal(ids, firstIDs) {
			return fmt.Errorf("%s has jobs %v, %s has %v", servers[0].Name, firstIDs, s.Name, ids)
		}
		if stats["raft.applied_index"] != firstIndex {
			return fmt.Errorf("Raft applied index: %s at %s, %s at %s", servers[0].Name, firstIndex, s.Name, stats["raft.applied_index"])
		}
	}
	return nil
}

// A leader frozen in place (docker pause: a long GC pause, a stalled VM)
// must not go on acting as leader when it wakes: the others elect a new
// one and keep serving writes; on waking it follows and catches up.
func TestPausedLeaderFollowsOnWaking(t *testing.T) {
	c := New(t)
	servers := c.StartServers(3)
	old, _ := c.WaitLeader(LeaderTimeout, servers...)
	majority := Others(servers, old)
	if _, err := old.RegisterJob(httpClient, MockJob("z-before", "batch", 1, "1s")); err != nil {
		t.Fatalf("write before the pause: %v", err)
	}

	pauseAt := time.Now()
	old.Pause()
	paused := true
	defer func() {
		if paused {
			old.Unpause()
		}
	}()
	newLeader, _ := c.WaitLeader(LeaderTimeout, majority...)
	elected := time.Since(pauseAt)
	var want []string
	for _, m := range majority {
		id := "z-during-" + m.Name
		want = append(want, id)
		WaitFor(t, 10*time.Second, "the majority serves a write through "+m.Name, func() error {
			_, err := m.RegisterJob(writeClient, MockJob(id, "batch", 1, "1s"))
			return err
		})
	}

	wakeAt := time.Now()
	old.Unpause()
	paused = false
	WaitFor(t, 30*time.Second, "the woken leader follows the new one", func() error {
		l, err := c.AgreedLeader(servers)
		if err != nil {
			return err
		}
		if l == old {
			return fmt.Errorf("the woken server %s leads again", old)
		}
		stats, err := old.ServerStats()
		if err != nil {
			return err
		}
		if stats["raft.state"] != "Follower" {
			return fmt.Errorf("%s is in Raft state %s", old, stats["raft.state"])
		}
		return nil
	})
	followed := time.Since(wakeAt)
	WaitFor(t, 30*time.Second, "all three servers hold the same jobs at the same Raft index", func() error {
		return converge(servers, "z-", want)
	})
	t.Logf("paused leader %s: %v elected %s %s after the pause; on waking %s followed after %s and all three converged after %s",
		old, majority, newLeader, elected.Round(time.Millisecond), old, followed.Round(time.Millisecond), time.Since(wakeAt).Round(time.Millisecond))
}
