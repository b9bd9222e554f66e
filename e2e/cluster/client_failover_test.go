package cluster

import (
	"fmt"
	"testing"
	"time"
)

// heartbeatGrace shortens how long servers wait past a missed client
// heartbeat (TTL 10s) before marking its node down, so that a client that
// failed to fail over shows up quickly.
const heartbeatGrace = 2 * time.Second

// A client configured with one server learns the others from its
// heartbeats; when that server is killed it fails over, its node stays
// ready past the heartbeat deadline, and its allocations are neither lost
// nor replaced.
func TestClientFailsOverWhenItsServerDies(t *testing.T) {
	c := New(t)
	servers := c.StartServersWith(3, ServerOptions{ServerExtra: fmt.Sprintf("  heartbeat_grace = %q", heartbeatGrace.String())})
	leader, _ := c.WaitLeader(LeaderTimeout, servers...)
	// The client knows only a follower, the one that will die.
	only := Others(servers, leader)[0]
	client := c.AddClient("c1", []*Node{only}, "")
	c.Start(client)
	WaitFor(t, 30*time.Second, "the client node is ready", func() error {
		n, err := leader.ReadyNodes()
		if err == nil && n != 1 {
			err = fmt.Errorf("%d ready nodes", n)
		}
		return err
	})
	if _, err := leader.RegisterJob(httpClient, MockJob("web", "service", 2, "1h")); err != nil {
		t.Fatalf("register web: %v", err)
	}
	var before []Alloc
	WaitFor(t, 60*time.Second, "web's two allocations running", func() error {
		allocs, err := leader.Allocs("web")
		before = allocs
		if err != nil {
			return err
		}
		return checkRunning(allocs, nil, 2)
	})

	killAt := time.Now()
	only.Kill()
	rest := Others(servers, only)
	// Past the heartbeat TTL plus grace, the node is still ready and web
	// unchanged, as every surviving server sees it.
	hold := 10*time.Second + heartbeatGrace + 3*time.Second
	for time.Since(killAt) < hold {
		// (No agreed leader for a moment is not this test's concern.)
		if l, err := c.AgreedLeader(rest); err == nil {
			err = checkReadyAndRunning(l, 1, before)
			if err != nil {
				t.Fatalf("%s after killing %s, the only server the client was given: %v",
					time.Since(killAt).Round(time.Millisecond), only, err)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	// The client still takes new work through the surviving servers.
	l, _ := c.WaitLeader(LeaderTimeout, rest...)
	if _, err := l.RegisterJob(httpClient, MockJob("after", "service", 1, "1h")); err != nil {
		t.Fatalf("register after: %v", err)
	}
	placed := WaitFor(t, 30*time.Second, "a new job runs on the client after the failover", func() error {
		allocs, err := l.Allocs("after")
		if err != nil {
			return err
		}
		return checkRunning(allocs, nil, 1)
	})
	t.Logf("killed %s, the only server c1 was given: c1 stayed ready and kept web's %d allocations for %s (heartbeat TTL 10s + grace %s); a new job ran on it %s after registration",
		only, len(before), hold, heartbeatGrace, placed.Round(time.Millisecond))
}
