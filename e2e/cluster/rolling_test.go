package cluster

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// serverDowntime is how long each server stays down in the rolling
// restart: longer than the clients' heartbeat TTL (10s), so that a client
// whose server went away must fail over to another before its node would
// be marked down.
const serverDowntime = 12 * time.Second

// Acceptance 4: restart all three servers one at a time while two client
// agents run a service job's four tasks: no task restarts, no allocation
// is lost or replaced, and the cluster accepts a job between the steps
// (and while a server is down).
func TestRollingRestartKeepsTasks(t *testing.T) {
	c := New(t)
	servers := c.StartServers(3)
	leader, _ := c.WaitLeader(LeaderTimeout, servers...)
	clients := []*Node{c.AddClient("c1", servers, ""), c.AddClient("c2", servers, "")}
	c.Start(clients...)
	WaitFor(t, 30*time.Second, "two client nodes ready", func() error {
		n, err := leader.ReadyNodes()
		if err == nil && n != 2 {
			err = fmt.Errorf("%d ready nodes, want 2", n)
		}
		return err
	})
	if _, err := leader.RegisterJob(httpClient, MockJob("web", "service", 4, "1h")); err != nil {
		t.Fatalf("register web: %v", err)
	}
	var before []Alloc
	WaitFor(t, 60*time.Second, "web's four allocations running", func() error {
		allocs, err := leader.Allocs("web")
		before = allocs
		if err != nil {
			return err
		}
		return checkRunning(allocs, nil, 4)
	})
	t.Logf("web runs %d allocations on %d clients", len(before), len(nodesOf(before)))

	for i, s := range servers {
		// Stop (SIGTERM: a graceful leave), keep it down longer than a
		// client heartbeat TTL so that every client must heartbeat to
		// another server, and write while it is down.
		stopAt := time.Now()
		s.Stop()
		stopped := time.Since(stopAt)
		rest := Others(servers, s)
		l, _ := c.WaitLeader(LeaderTimeout, rest...)
		elected := time.Since(stopAt)
		if _, err := Poll(10*time.Second, func() error {
			_, err := rest[i%2].RegisterJob(writeClient, MockJob(fmt.Sprintf("roll-down-%d", i), "batch", 1, "1s"))
			return err
		}); err != nil {
			t.Fatalf("step %d: a write while %s is down: %v", i+1, s, err)
		}
		// Throughout the downtime both client nodes stay ready and web's
		// allocations stay as they were.
		for time.Since(stopAt) < serverDowntime {
			if err := checkReadyAndRunning(l, 2, before); err != nil {
				t.Fatalf("step %d: %s after stopping %s: %v", i+1, time.Since(stopAt).Round(time.Millisecond), s, err)
			}
			time.Sleep(500 * time.Millisecond)
		}

		startAt := time.Now()
		s.Start()
		l, _ = c.WaitLeader(LeaderTimeout, servers...)
		rejoined := time.Since(startAt)
		// A write through the restarted server (forwarded unless it leads).
		wrote := WaitFor(t, 30*time.Second, fmt.Sprintf("register a job through %s after its restart", s), func() error {
			_, err := s.RegisterJob(writeClient, MockJob(fmt.Sprintf("roll-%d", i), "batch", 1, "1s"))
			return err
		})
		WaitFor(t, 15*time.Second, fmt.Sprintf("web's allocations unchanged after restarting %s", s), func() error {
			return checkReadyAndRunning(l, 2, before)
		})
		t.Logf("step %d: stopped %s (was leader: %v) in %s, leader %s %s after the stop; down %s, writes served; started again, all three agree on %s %s after the start; a write through %s took %s; web: 4 allocations running, 0 restarts",
			i+1, s, s == leader, stopped.Round(time.Millisecond), l, elected.Round(time.Millisecond), serverDowntime, l, rejoined.Round(time.Millisecond), s, wrote.Round(time.Millisecond))
		leader = l
	}
	// Every server's own state agrees.
	for _, s := range servers {
		WaitFor(t, 15*time.Second, "web's allocations as "+s.Name+" holds them", func() error {
			allocs, err := s.Allocs("web")
			if err != nil {
				return err
			}
			return checkRunning(allocs, before, 4)
		})
	}
	n, _ := leader.ReadyNodes()
	t.Logf("after the rolling restart: web keeps the same %d allocations, all running with 0 restarts; %d client nodes ready", len(before), n)
}

// checkReadyAndRunning checks, as server s holds it, that clients nodes
// are ready and that web runs the allocations before, unchanged.
func checkReadyAndRunning(s *Node, clients int, before []Alloc) error {
	n, err := s.ReadyNodes()
	if err != nil {
		return err
	}
	if n != clients {
		return fmt.Errorf("%d client nodes ready, want %d", n, clients)
	}
	allocs, err := s.Allocs("web")
	if err != nil {
		return err
	}
	return checkRunning(allocs, before, len(before))
}

// checkRunning checks that allocs are want running allocations whose
// tasks never restarted and, if before is given, that they are the same
// allocations with the same task start times.
func checkRunning(allocs, before []Alloc, want int) error {
	if len(allocs) != want {
		return fmt.Errorf("%d allocations, want %d: %v", len(allocs), want, summarize(allocs))
	}
	for i, a := range allocs {
		if a.ClientStatus != "running" || a.DesiredStatus != "run" {
			return fmt.Errorf("allocation %s is %s/%s, want running/run", a.ID, a.ClientStatus, a.DesiredStatus)
		}
		for name, ts := range a.TaskStates {
			if ts.Restarts != 0 {
				return fmt.Errorf("allocation %s task %s restarted %d times, want 0", a.ID, name, ts.Restarts)
			}
		}
		if before == nil {
			continue
		}
		b := before[i]
		if a.ID != b.ID {
			return fmt.Errorf("allocations changed: had %v, have %v", summarize(before), summarize(allocs))
		}
		for name, ts := range a.TaskStates {
			if ts.StartedAt != b.TaskStates[name].StartedAt {
				return fmt.Errorf("allocation %s task %s started again at %s (first at %s)", a.ID, name, ts.StartedAt, b.TaskStates[name].StartedAt)
			}
		}
	}
	return nil
}

func summarize(allocs []Alloc) []string {
	out := make([]string, len(allocs))
	for i, a := range allocs {
		out[i] = fmt.Sprintf("%s:%s", a.ID[:min(8, len(a.ID))], a.ClientStatus)
	}
	return out
}

func nodesOf(allocs []Alloc) []string {
	var ids []string
	for _, a := range allocs {
		if !slices.Contains(ids, a.NodeID) {
			ids = append(ids, a.NodeID)
		}
	}
	return ids
}
