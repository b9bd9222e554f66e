package cluster

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// deadServerCleanup is the autopilot cleanup time the test configures.
const deadServerCleanup = 5 * time.Second

// clusterTuning makes autopilot remove dead servers after
// deadServerCleanup, and Raft snapshot and compact its log often, so that
// a server that joins later must catch up from a snapshot.
var clusterTuning = ServerOptions{
	ServerExtra: `  raft_snapshot_threshold = 64
  raft_trailing_logs      = 16
  raft_snapshot_interval  = "1s"`,
	Extra: fmt.Sprintf(`autopilot {
  cleanup_dead_servers     = true
  dead_server_cleanup_time = %q
}
`, deadServerCleanup),
}

// Acceptance 5: a killed server is removed from the Raft configuration by
// autopilot after its cleanup time; a fresh server then joins and catches
// up with the cluster's state from a snapshot (the log was compacted).
func TestAutopilotRemovesDeadServerAndNewServerCatchesUp(t *testing.T) {
	c := New(t)
	servers := c.StartServersWith(3, clusterTuning)
	leader, _ := c.WaitLeader(LeaderTimeout, servers...)
	for i := range 100 {
		if _, err := leader.RegisterJob(httpClient, MockJob(fmt.Sprintf("a-%03d", i), "batch", 1, "1s")); err != nil {
			t.Fatalf("register: %v", err)
		}
	}

	victim := Others(servers, leader)[0]
	survivors := Others(servers, victim)
	killAt := time.Now()
	victim.Kill()
	WaitFor(t, deadServerCleanup+60*time.Second, fmt.Sprintf("autopilot removes the killed %s (%s) from the Raft configuration", victim, victim.RaftAddr()), func() error {
		l, err := c.AgreedLeader(survivors)
		if err != nil {
			return err
		}
		peers, err := l.Peers()
		if err != nil {
			return err
		}
		if slices.Contains(peers, victim.RaftAddr()) || len(peers) != 2 {
			return fmt.Errorf("peers %v", peers)
		}
		return nil
	})
	removedAfter := time.Since(killAt)
	t.Logf("killed %s; autopilot removed it %s after the kill (cleanup time %s)", victim, removedAfter.Round(time.Millisecond), deadServerCleanup)
	if removedAfter < deadServerCleanup {
		t.Errorf("autopilot removed %s %s after the kill, before its cleanup time %s", victim, removedAfter, deadServerCleanup)
	}

	joinIPs := make([]string, len(survivors))
	for i, s := range survivors {
		joinIPs[i] = s.IP
	}
	o := clusterTuning
	o.BootstrapExpect, o.Join = 3, joinIPs
	fresh := c.AddServer("s4", o)
	start := time.Now()
	c.Start(fresh)
	all := append(append([]*Node(nil), survivors...), fresh)
	var want []string
	var cur *Node
	WaitFor(t, 60*time.Second, "the new server s4 joins and holds the cluster's jobs", func() error {
		l, err := c.AgreedLeader(all)
		if err != nil {
			return err
		}
		cur = l
		peers, err := l.Peers()
		if err != nil {
			return err
		}
		if !slices.Contains(peers, fresh.RaftAddr()) || len(peers) != 3 {
			return fmt.Errorf("peers %v, want the two survivors and %s", peers, fresh.RaftAddr())
		}
		if want, err = l.JobIDs("a-"); err != nil {
			return err
		}
		got, err := fresh.JobIDs("a-")
		if err != nil {
			return err
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("s4 holds %d jobs, the leader %d", len(got), len(want))
		}
		return nil
	})
	joined := time.Since(start)
	stats, err := fresh.ServerStats()
	if err != nil {
		t.Fatal(err)
	}
	lstats, _ := cur.ServerStats()
	t.Logf("s4 joined and caught up %s after its start: %d jobs; Raft applied index %s, last snapshot index %s (leader %s: last snapshot index %s)",
		joined.Round(time.Millisecond), len(want), stats["raft.applied_index"], stats["raft.last_snapshot_index"], cur, lstats["raft.last_snapshot_index"])
	if out, _, code := fresh.CLI("operator", "raft", "list-peers"); code == 0 {
		t.Logf("drover operator raft list-peers (on s4):\n%s", strings.TrimRight(out, "\n"))
	}
	if stats["raft.last_snapshot_index"] == "" || stats["raft.last_snapshot_index"] == "0" {
		t.Errorf("s4 has no snapshot (last_snapshot_index %q): it should have caught up from the leader's snapshot, the log being compacted (raft_trailing_logs = 16)", stats["raft.last_snapshot_index"])
	}
}
