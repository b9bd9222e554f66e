package cluster

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// LeaderTimeout bounds how long a fresh or damaged cluster may take to
// agree on a leader.
const LeaderTimeout = 45 * time.Second

// Acceptance 1: servers started with bootstrap_expect = N and retry_join
// and no other help elect exactly one leader, which all of them name, and
// the Raft configuration holds all N.
func TestElection(t *testing.T) {
	for _, n := range []int{3, 5} {
		t.Run(fmt.Sprintf("%d-servers", n), func(t *testing.T) {
			c := New(t)
			start := time.Now()
			servers := c.StartServers(n)
			started := time.Since(start)
			leader, _ := c.WaitLeader(LeaderTimeout, servers...)
			elected := time.Since(start)
			checkOneLeader(t, servers, leader)
			WaitFor(t, 15*time.Second, "every server has all peers", func() error {
				for _, s := range servers {
					peers, err := s.Peers()
					if err != nil {
						return err
					}
					if len(peers) != n {
						return fmt.Errorf("%s has %d peers %v, want %d", s.Name, len(peers), peers, n)
					}
				}
				return nil
			})
			// The leader serves a write.
			if _, err := leader.RegisterJob(httpClient, MockJob("elect", "batch", 1, "1s")); err != nil {
				t.Fatalf("write after election: %v", err)
			}
			stats, _ := leader.ServerStats()
			t.Logf("%d servers: all answered HTTP %s after the first container started; leader %s agreed by all after %s (term %s)",
				n, started.Round(time.Millisecond), leader, elected.Round(time.Millisecond), stats["raft.term"])
		})
	}
}

// checkOneLeader fails t unless leader is the only server whose Raft
// state is Leader.
func checkOneLeader(t *testing.T, servers []*Node, leader *Node) {
	t.Helper()
	var leaders []string
	for _, s := range servers {
		stats, err := s.ServerStats()
		if err != nil {
			t.Fatalf("stats: %v", err)
		}
		if stats["raft.state"] == "Leader" {
			leaders = append(leaders, s.Name)
		}
	}
	if len(leaders) != 1 || leaders[0] != leader.Name {
		t.Fatalf("servers in Raft state Leader: %v, want exactly [%s]", leaders, leader)
	}
}

// `drover server members` on a follower lists every server alive, with
// the one leader marked, as Serf and Raft see them.
func TestServerMembers(t *testing.T) {
	c := New(t)
	servers := c.StartServers(3)
	leader, _ := c.WaitLeader(LeaderTimeout, servers...)
	follower := Others(servers, leader)[0]
	var table string
	WaitFor(t, 15*time.Second, "server members lists three alive servers and one leader", func() error {
		out, errOut, code := follower.CLI("server", "members", "-json")
		if code != 0 {
			return fmt.Errorf("drover server members -json: exit %d: %s", code, strings.TrimSpace(errOut+out))
		}
		var members []struct {
			Name, Status string
			Leader       bool
		}
		if err := json.Unmarshal([]byte(out), &members); err != nil {
			return fmt.Errorf("drover server members -json printed no JSON list (%v):\n%s", err, truncate(out, 300))
		}
		var alive, leaders []string
		for _, m := range members {
			if m.Status == "alive" {
				alive = append(alive, m.Name)
			}
			if m.Leader {
				leaders = append(leaders, m.Name)
			}
		}
		if len(members) != 3 || len(alive) != 3 {
			return fmt.Errorf("%d members, alive %v; want s1, s2, s3 alive", len(members), alive)
		}
		if len(leaders) != 1 || leaders[0] != leader.Name {
			return fmt.Errorf("members marked leader: %v, want [%s]", leaders, leader)
		}
		table, _, _ = follower.CLI("server", "members")
		return nil
	})
	t.Logf("drover server members (on %s):\n%s", follower, strings.TrimRight(table, "\n"))
}
