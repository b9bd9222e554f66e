package agent

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
)

// testCluster starts three server-only agents with bootstrap_expect = 3
// and joins the second and third to the first through the join endpoint.
func testCluster(t *testing.T) []*Agent {
	t.Helper()
	var agents []*Agent
	for i := 1; i <= 3; i++ {
		agents = append(agents, testAgent(t, func(c *Config) {
			c.Name = fmt.Sprintf("s%d", i)
			c.Client.Enabled = false
			c.Server.BootstrapExpect = 3
		}))
	}
	var members AgentMembersResponse
	call(t, "GET", agents[0].HTTPAddr()+"/v1/agent/members", nil).decode(t, &members)
	if len(members.Members) != 1 {
		t.Fatalf("got %d members before joining, want 1", len(members.Members))
	}
	first := net.JoinHostPort(members.Members[0].Addr, strconv.Itoa(members.Members[0].Port))
	for _, a := range agents[1:] {
		var jr JoinResponse
		r := call(t, "PUT", a.HTTPAddr()+"/v1/agent/join?address="+first, nil)
		wantCode(t, r, http.StatusOK)
		r.decode(t, &jr)
		if jr.NumJoined != 1 || jr.Error != "" {
			t.Fatalf("got join %+v, want 1 joined", jr)
		}
	}
	for _, a := range agents {
		waitForLeader(t, a)
	}
	return agents
}

// roles splits agents into the leader and the followers.
func roles(t *testing.T, agents []*Agent) (*Agent, []*Agent) {
	t.Helper()
	var leader *Agent
	var followers []*Agent
	waitFor(t, func() error {
		leader, followers = nil, nil
		for _, a := range agents {
			if a.server.(serverAPI).IsLeader() {
				leader = a
			} else {
				followers = append(followers, a)
			}
		}
		if leader == nil {
			return fmt.Errorf("no leader")
		}
		return nil
	})
	return leader, followers
}

func TestClusterEndpoints(t *testing.T) {
	agents := testCluster(t)
	leader, followers := roles(t, agents)

	var members AgentMembersResponse
	call(t, "GET", followers[0].HTTPAddr()+"/v1/agent/members", nil).decode(t, &members)
	leaders := 0
	for _, m := range members.Members {
		if m.Status != "alive" || m.RPCAddr == "" {
			t.Errorf("got member %+v, want alive with an RPC address", m)
		}
		if m.Leader {
			leaders++
		}
	}
	if len(members.Members) != 3 || leaders != 1 {
		t.Fatalf("got %d members, %d leaders; want 3 and 1", len(members.Members), leaders)
	}

	var raftCfg RaftConfigurationResponse
	waitFor(t, func() error {
		call(t, "GET", followers[1].HTTPAddr()+"/v1/operator/raft/configuration", nil).decode(t, &raftCfg)
		if len(raftCfg.Servers) != 3 {
			return fmt.Errorf("got %d raft servers, want 3", len(raftCfg.Servers))
		}
		return nil
	})

	var health OperatorHealthReply
	waitFor(t, func() error {
		call(t, "GET", followers[0].HTTPAddr()+"/v1/operator/autopilot/health", nil).decode(t, &health)
		if !health.Healthy || health.FailureTolerance != 1 || len(health.Servers) != 3 {
			return fmt.Errorf("got health %+v, want healthy with tolerance 1", health)
		}
		return nil
	})

	// A write through one follower is visible at once through the other
	// (default reads are consistent).
	register(t, followers[0].HTTPAddr(), testJob("web"))
	wantCode(t, call(t, "GET", followers[1].HTTPAddr()+"/v1/job/web", nil), http.StatusOK)

	// Autopilot configuration, set through a follower.
	r := call(t, "PUT", followers[0].HTTPAddr()+"/v1/operator/autopilot/configuration",
		map[string]any{"CleanupDeadServers": true, "DeadServerCleanupTime": "3s"})
	wantCode(t, r, http.StatusOK)
	var ap AutopilotConfiguration
	call(t, "GET", leader.HTTPAddr()+"/v1/operator/autopilot/configuration", nil).decode(t, &ap)
	if ap.DeadServerCleanupTime != "3s" || !ap.CleanupDeadServers {
		t.Fatalf("got autopilot %+v, want cleanup after 3s", ap)
	}
	wantCode(t, call(t, "PUT", leader.HTTPAddr()+"/v1/operator/autopilot/configuration",
		map[string]any{"DeadServerCleanupTime": "soon"}), http.StatusBadRequest)

	// Snapshot through a follower, restore a damaged copy (refused) and
	// the real one.
	resp, err := http.Get(followers[1].HTTPAddr() + "/v1/operator/snapshot")
	if err != nil {
		t.Fatal(err)
	}
	snap, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(snap) == 0 {
		t.Fatalf("snapshot: got %d with %d bytes", resp.StatusCode, len(snap))
	}
	bad := bytes.Clone(snap)
	bad[len(bad)/2] ^= 0xff
	put := func(body []byte) *http.Response {
		req, _ := http.NewRequest("PUT", followers[0].HTTPAddr()+"/v1/operator/snapshot", bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	if got := put(bad).StatusCode; got != http.StatusBadRequest {
		t.Fatalf("restore of a damaged snapshot: got %d, want 400", got)
	}
	if got := put(snap).StatusCode; got != http.StatusOK {
		t.Fatalf("restore: got %d, want 200", got)
	}
	waitFor(t, func() error {
		if r := call(t, "GET", leader.HTTPAddr()+"/v1/job/web?stale", nil); r.code != http.StatusOK {
			return fmt.Errorf("job after restore: %d", r.code)
		}
		return nil
	})

	wantCode(t, call(t, "DELETE", leader.HTTPAddr()+"/v1/operator/raft/peer?address=127.0.0.1:1", nil), http.StatusNotFound)
	wantCode(t, call(t, "PUT", leader.HTTPAddr()+"/v1/agent/join", nil), http.StatusBadRequest)

	// A follower shutting down leaves: it is removed from Raft.
	if err := followers[1].Shutdown(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() error {
		call(t, "GET", leader.HTTPAddr()+"/v1/operator/raft/configuration", nil).decode(t, &raftCfg)
		if len(raftCfg.Servers) != 2 {
			return fmt.Errorf("got %d raft servers, want 2", len(raftCfg.Servers))
		}
		return nil
	})
}

func TestClusterConfigKeys(t *testing.T) {
	c, err := ParseConfig("a.hcl", []byte(`
encrypt = "`+"Pm8jiPvPGDcHUNZOfUiWjqqCO1nhPyBdN4LBo/JUrBU="+`"
leave_on_terminate = false
server {
  enabled = true
  bootstrap_expect = 3
  raft_snapshot_threshold = 100
  raft_trailing_logs = 50
  raft_snapshot_interval = "10s"
  server_join {
    retry_join = ["10.0.0.1", "10.0.0.2:9648"]
    retry_interval = "5s"
  }
}
autopilot {
  cleanup_dead_servers = false
  dead_server_cleanup_time = "1m"
}
`))
	if err != nil {
		t.Fatal(err)
	}
	merged := DefaultConfig().Merge(c)
	if merged.leaveOnTerminate() {
		t.Error("got leave_on_terminate true, want false")
	}
	s := merged.Server
	if s.RaftSnapshotThreshold != 100 || s.RaftTrailingLogs != 50 || s.RaftSnapshotInterval.String() != "10s" ||
		s.RetryInterval.String() != "5s" || len(s.RetryJoin) != 2 {
		t.Errorf("got server %+v, want the snapshot and join keys", s)
	}
	if a := merged.Autopilot; a == nil || a.CleanupDeadServers == nil || *a.CleanupDeadServers || a.DeadServerCleanupTime.String() != "1m0s" {
		t.Errorf("got autopilot %+v, want cleanup off after 1m", merged.Autopilot)
	}
	if got := withDefaultPort(s.RetryJoin, DefaultSerfPort); got[0] != "10.0.0.1:8648" || got[1] != "10.0.0.2:9648" {
		t.Errorf("got join addresses %v", got)
	}
	if key, err := merged.encryptKey(); err != nil || len(key) != 32 {
		t.Errorf("got key of %d bytes, %v; want 32", len(key), err)
	}
	merged.Encrypt = "c2hvcnQ="
	if err := merged.Validate(); err == nil {
		t.Error("a 5-byte encrypt key validated, want an error")
	}
	if !DevConfig().leaveOnTerminate() {
		t.Error("a server's leave_on_terminate defaults to false, want true")
	}
}

func TestClientServerJoin(t *testing.T) {
	c, err := ParseConfig("c.hcl", []byte(`
client {
  enabled = true
  server_join {
    retry_join = ["10.0.0.1", "10.0.0.2:9647"]
  }
}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Client.Servers; len(got) != 2 || got[0] != "10.0.0.1:8647" || got[1] != "10.0.0.2:9647" {
		t.Fatalf("got servers %v, want the server_join addresses with the RPC port", got)
	}
}
