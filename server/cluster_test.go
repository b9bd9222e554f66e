package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	"github.com/hashicorp/serf/serf"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/server/testutil"
	"github.com/droverhq/drover/structs"
)

// clusterConfig is a server of a test cluster: loopback, free ports,
// Raft and gossip timings fast enough for tests yet stable on a busy
// machine.
func clusterConfig(t testing.TB, name string, expect int) *Config {
	rc := raft.DefaultConfig()
	rc.HeartbeatTimeout = 300 * time.Millisecond
	rc.ElectionTimeout = 300 * time.Millisecond
	rc.LeaderLeaseTimeout = 150 * time.Millisecond
	rc.CommitTimeout = 10 * time.Millisecond
	sc := serf.DefaultConfig()
	sc.LeavePropagateDelay = 100 * time.Millisecond
	sc.ReapInterval = time.Second
	ml := sc.MemberlistConfig
	ml.ProbeInterval = 200 * time.Millisecond
	ml.ProbeTimeout = 100 * time.Millisecond
	ml.GossipInterval = 20 * time.Millisecond
	ml.PushPullInterval = time.Second
	ml.SuspicionMult = 2
	ml.TCPTimeout = time.Second
	ml.IndirectChecks = 1
	ml.RetransmitMult = 2
	ml.DeadNodeReclaimTime = 200 * time.Millisecond
	return &Config{
		NodeName: name, DataDir: t.TempDir(), RPCAddr: "127.0.0.1:0", SerfAddr: "127.0.0.1:0",
		BootstrapExpect: expect, NumSchedulers: 1, Logger: testLogger().With("server", name), RaftConfig: rc, SerfConfig: sc,
		RetryJoinInterval: 100 * time.Millisecond, LeaderWaitTimeout: 2 * time.Second,
		Autopilot: &structs.AutopilotConfig{CleanupDeadServers: true, DeadServerCleanupTime: time.Second},
	}
}

// newCluster starts n servers with bootstrap_expect = n; every server
// but the first retry-joins the first. It waits for one leader.
func newCluster(t *testing.T, n int) []*Server {
	t.Helper()
	var servers []*Server
	for i := 1; i <= n; i++ {
		cfg := clusterConfig(t, fmt.Sprintf("s%d", i), n)
		if i > 1 {
			cfg.RetryJoin = []string{servers[0].SerfAddr()}
		}
		servers = append(servers, startClusterServer(t, cfg))
	}
	waitLeader(t, servers)
	return servers
}

func startClusterServer(t *testing.T, cfg *Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("start server %s: %v", cfg.NodeName, err)
	}
	t.Cleanup(func() { s.Shutdown() })
	return s
}

// waitLeader waits until exactly one of servers leads with its loops
// running and every one of them knows it, and returns it.
func waitLeader(t *testing.T, servers []*Server) *Server {
	t.Helper()
	var leader *Server
	testutil.WaitFor(t, func() error {
		leader = nil
		for _, s := range servers {
			if s.IsLeader() {
				if leader != nil {
					return fmt.Errorf("two leaders: %s and %s", leader.config.NodeName, s.config.NodeName)
				}
				leader = s
			}
		}
		if leader == nil {
			return errors.New("no leader yet")
		}
		if !leader.broker.Enabled() {
			return errors.New("leader loops not running yet")
		}
		for _, s := range servers {
			if got := s.Leader(); got != leader.RPCAddr() {
				return fmt.Errorf("server %s thinks the leader is %q, want %q", s.config.NodeName, got, leader.RPCAddr())
			}
		}
		return nil
	})
	return leader
}

func followers(servers []*Server) []*Server {
	var out []*Server
	for _, s := range servers {
		if !s.IsLeader() {
			out = append(out, s)
		}
	}
	return out
}

// waitVoters waits until s's Raft configuration holds exactly ids.
func waitVoters(t *testing.T, s *Server, ids ...string) {
	t.Helper()
	sort.Strings(ids)
	testutil.WaitFor(t, func() error {
		cfg, err := s.RaftConfiguration()
		if err != nil {
			return err
		}
		var got []string
		for _, srv := range cfg.Servers {
			if srv.Voter {
				got = append(got, srv.ID)
			}
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(ids, ",") {
			return fmt.Errorf("got voters %v, want %v", got, ids)
		}
		return nil
	})
}

func waitJob(t *testing.T, s *Server, ns, id string) {
	t.Helper()
	testutil.WaitFor(t, func() error {
		j, err := s.State().JobByID(nil, ns, id)
		if err != nil || j == nil {
			return fmt.Errorf("server %s has no job %s (err %v)", s.config.NodeName, id, err)
		}
		return nil
	})
}

func TestClusterBootstrapExpectAndForwarding(t *testing.T) {
	servers := newCluster(t, 3)
	leader := waitLeader(t, servers)
	for _, s := range servers {
		waitVoters(t, s, "s1", "s2", "s3")
	}
	f := followers(servers)[0]

	// A write sent to a follower is forwarded to the leader.
	job := mockJob(1, 128)
	resp, err := f.JobRegister(context.Background(), &structs.JobRegisterRequest{Job: job})
	if err != nil {
		t.Fatalf("register through follower: %v", err)
	}
	if resp.EvalID == "" || resp.Index == 0 {
		t.Fatalf("got %+v, want an eval and an index", resp)
	}
	// A default read on the follower sees it after the read barrier.
	if err := f.ReadBarrier(context.Background()); err != nil {
		t.Fatalf("read barrier: %v", err)
	}
	if j, _ := f.State().JobByID(nil, job.Namespace, job.ID); j == nil {
		t.Fatalf("follower has no job %s after the read barrier", job.ID)
	}
	for _, s := range servers {
		waitJob(t, s, job.Namespace, job.ID)
	}

	// Errors keep their category through forwarding.
	_, err = f.JobDeregister(context.Background(), &structs.JobDeregisterRequest{JobID: "nope", Namespace: "default"})
	if !errors.Is(err, structs.ErrNotFound) {
		t.Fatalf("deregister a missing job through a follower: got %v, want ErrNotFound", err)
	}
	if _, _, err := f.JobEvaluate(context.Background(), "default", job.ID); err != nil {
		t.Fatalf("evaluate through follower: %v", err)
	}

	// A client registering with a follower is forwarded and learns every
	// server; its node gets the job's allocation.
	conn := dial(t, f)
	node := mockNode(8192)
	reg := registerNode(t, conn, node)
	if len(reg.Servers) != 3 {
		t.Fatalf("got servers %v, want all 3", reg.Servers)
	}
	if reg.LeaderRPCAddr != leader.RPCAddr() {
		t.Fatalf("got leader %q, want %q", reg.LeaderRPCAddr, leader.RPCAddr())
	}
	var hb structs.NodeUpdateResponse
	err = rpc.Call(context.Background(), conn, rpc.NodeUpdateStatus,
		&structs.NodeUpdateStatusRequest{NodeID: node.ID, SecretID: node.SecretID, Status: structs.NodeStatusReady}, &hb)
	if err != nil || len(hb.Servers) != 3 {
		t.Fatalf("heartbeat through follower: got %+v, %v; want 3 servers", hb, err)
	}
	allocs := waitAllocs(t, leader, node.ID, 1)

	// Other writes forward too: alloc stop, scale, scheduler config.
	if _, _, err := f.AllocStop(context.Background(), allocs[0].ID); err != nil {
		t.Fatalf("alloc stop through follower: %v", err)
	}
	count := int64(2)
	if _, err := f.JobScale(context.Background(), &structs.JobScaleRequest{JobID: job.ID, Namespace: job.Namespace,
		Group: job.TaskGroups[0].Name, Count: &count}); err != nil {
		t.Fatalf("scale through follower: %v", err)
	}
	if _, err := f.SchedulerSetConfig(context.Background(), &structs.SchedulerSetConfigRequest{
		Config: structs.SchedulerConfiguration{SchedulerAlgorithm: structs.SchedulerAlgorithmSpread}}); err != nil {
		t.Fatalf("scheduler config through follower: %v", err)
	}
	waitAllocs(t, leader, node.ID, 2)

	testutil.WaitFor(t, func() error {
		h, err := f.AutopilotHealth(context.Background())
		if err != nil {
			return err
		}
		if !h.Healthy || h.FailureTolerance != 1 || len(h.Servers) != 3 {
			return fmt.Errorf("got health %+v, want healthy, tolerance 1, 3 servers", h)
		}
		return nil
	})

	members := f.Members()
	if len(members) != 3 {
		t.Fatalf("got %d members, want 3", len(members))
	}
	leaders := 0
	for _, m := range members {
		if m.Status != structs.MemberStatusAlive || m.RPCAddr == "" || m.RaftVersion != raftProtocol {
			t.Errorf("got member %+v, want alive with an RPC address", m)
		}
		if m.Leader {
			leaders++
		}
	}
	if leaders != 1 {
		t.Errorf("got %d members marked leader, want 1", leaders)
	}
}

func TestClusterFailoverAutopilotAndJoin(t *testing.T) {
	servers := newCluster(t, 3)
	leader := waitLeader(t, servers)
	var acked []string
	for i := 0; i < 5; i++ {
		j := mockJob(1, 128)
		j.ID = fmt.Sprintf("job-%d", i)
		if _, err := followers(servers)[0].JobRegister(context.Background(), &structs.JobRegisterRequest{Job: j}); err != nil {
			t.Fatalf("register %s: %v", j.ID, err)
		}
		acked = append(acked, j.ID)
	}

	// Kill the leader without leaving.
	killed := time.Now()
	leader.Shutdown()
	var survivors []*Server
	for _, s := range servers {
		if s != leader {
			survivors = append(survivors, s)
		}
	}
	newLeader := waitLeader(t, survivors)
	j := mockJob(1, 128)
	j.ID = "after-failover"
	testutil.WaitFor(t, func() error {
		_, err := survivors[0].JobRegister(context.Background(), &structs.JobRegisterRequest{Job: j})
		return err
	})
	t.Logf("leader failover: a new leader (%s) accepted a write %s after the old one died",
		newLeader.config.NodeName, time.Since(killed).Round(time.Millisecond))
	acked = append(acked, j.ID)
	for _, s := range survivors {
		for _, id := range acked {
			waitJob(t, s, "default", id)
		}
	}
	t.Logf("acknowledged %d, lost 0", len(acked))

	// Until then the dead server shows unhealthy.
	if h, err := newLeader.AutopilotHealth(context.Background()); err == nil && h.Healthy && len(h.Servers) == 3 {
		t.Errorf("got a healthy cluster of 3 with a dead server: %+v", h)
	}

	// Autopilot removes the dead server from Raft.
	var ids []string
	for _, s := range survivors {
		ids = append(ids, s.config.NodeName)
	}
	waitVoters(t, newLeader, ids...)

	// A new server joins, is added as a voter and catches up.
	cfg := clusterConfig(t, "s4", 3)
	cfg.RetryJoin = []string{survivors[0].SerfAddr()}
	s4 := startClusterServer(t, cfg)
	waitVoters(t, newLeader, append(ids, "s4")...)
	for _, id := range acked {
		waitJob(t, s4, "default", id)
	}
	if got := s4.Leader(); got != newLeader.RPCAddr() {
		t.Fatalf("new server sees leader %q, want %q", got, newLeader.RPCAddr())
	}
}

func TestClusterGracefulLeave(t *testing.T) {
	servers := newCluster(t, 3)
	leader := waitLeader(t, servers)
	f := followers(servers)[0]
	if err := f.Leave(); err != nil {
		t.Fatalf("leave: %v", err)
	}
	f.Shutdown()
	var ids []string
	for _, s := range servers {
		if s != f {
			ids = append(ids, s.config.NodeName)
		}
	}
	waitVoters(t, leader, ids...)
	testutil.WaitFor(t, func() error {
		for _, m := range leader.Members() {
			if m.Name == f.config.NodeName && m.Status != structs.MemberStatusLeft {
				return fmt.Errorf("got member %s %s, want left", m.Name, m.Status)
			}
		}
		return nil
	})

	// The leader leaves too: it removes itself and the last one leads.
	if err := leader.Leave(); err != nil {
		t.Fatalf("leader leave: %v", err)
	}
	leader.Shutdown()
	var last *Server
	for _, s := range servers {
		if s != f && s != leader {
			last = s
		}
	}
	waitLeader(t, []*Server{last})
	waitVoters(t, last, last.config.NodeName)
}

func TestClusterWritesFailFastWithoutLeader(t *testing.T) {
	servers := newCluster(t, 3)
	waitLeader(t, servers)
	last := servers[2]
	servers[0].Shutdown()
	servers[1].Shutdown()
	testutil.WaitFor(t, func() error {
		if last.IsLeader() {
			return errors.New("the lone server still thinks it leads")
		}
		return nil
	})
	start := time.Now()
	_, err := last.JobRegister(context.Background(), &structs.JobRegisterRequest{Job: mockJob(1, 128)})
	took := time.Since(start)
	if !errors.Is(err, structs.ErrNoLeader) || !strings.Contains(err.Error(), "no cluster leader") {
		t.Fatalf("got %v, want a no cluster leader error", err)
	}
	if took > 10*time.Second {
		t.Fatalf("the write failed after %s, want within the leader wait", took)
	}
	t.Logf("write without a leader failed after %s: %v", took.Round(time.Millisecond), err)
}

func TestRaftSnapshotsCompactTheLog(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.RaftSnapshotThreshold = 16
	cfg.RaftTrailingLogs = 8
	cfg.RaftSnapshotInterval = 50 * time.Millisecond
	s := startServer(t, cfg)
	for i := 0; i < 60; i++ {
		j := mockJob(1, 64)
		j.ID = fmt.Sprintf("j%d", i)
		j.TaskGroups[0].Count = 0
		registerJob(t, s, j)
	}
	testutil.WaitFor(t, func() error {
		first, err := s.parts.store.FirstIndex()
		if err != nil {
			return err
		}
		if first <= 1 {
			return fmt.Errorf("log starts at %d: not compacted yet", first)
		}
		return nil
	})
}

func TestClusterFiveServersElectOneLeader(t *testing.T) {
	servers := newCluster(t, 5)
	leader := waitLeader(t, servers)
	waitVoters(t, leader, "s1", "s2", "s3", "s4", "s5")
}

func TestGossipEncryption(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	a := clusterConfig(t, "s1", 2)
	a.EncryptKey = key
	s1 := startClusterServer(t, a)
	b := clusterConfig(t, "s2", 2)
	b.EncryptKey = key
	s2 := startClusterServer(t, b)
	if _, err := s2.Join([]string{s1.SerfAddr()}); err != nil {
		t.Fatalf("join with the same key: %v", err)
	}
	waitLeader(t, []*Server{s1, s2})

	c := clusterConfig(t, "s3", 2)
	c.EncryptKey = []byte("another key of thirty-two bytes!")
	s3 := startClusterServer(t, c)
	if _, err := s3.Join([]string{s1.SerfAddr()}); err == nil {
		t.Fatalf("a server with another key joined, want it refused")
	} else if !strings.Contains(err.Error(), "same encrypt key") {
		t.Fatalf("got %q, want the refusal to name the fix (the same encrypt key)", err)
	}
	d := clusterConfig(t, "s4", 2)
	s4 := startClusterServer(t, d)
	if _, err := s4.Join([]string{s1.SerfAddr()}); err == nil {
		t.Fatalf("a server without a key joined an encrypted cluster, want it refused")
	} else if !strings.Contains(err.Error(), "same encrypt key") {
		t.Fatalf("got %q, want the refusal to name the fix (the same encrypt key)", err)
	}
	bad := clusterConfig(t, "s5", 2)
	bad.EncryptKey = []byte("short")
	if _, err := New(bad); err == nil || !strings.Contains(err.Error(), "16, 24 or 32") {
		t.Fatalf("got %v, want a key length error", err)
	}
}

func TestRetryJoinSkipsOwnAddress(t *testing.T) {
	s := startClusterServer(t, clusterConfig(t, "s1", 1))
	got := s.othersOf([]string{s.SerfAddr(), "10.9.9.9:8648"})
	if len(got) != 1 || got[0] != "10.9.9.9:8648" {
		t.Fatalf("got %v, want only the other server", got)
	}
}

func TestClusterServerRestartsAfterLeaving(t *testing.T) {
	servers := newCluster(t, 3)
	leader := waitLeader(t, servers)
	f := followers(servers)[0]
	cfg := *f.config
	if err := f.Leave(); err != nil {
		t.Fatal(err)
	}
	f.Shutdown()
	var rest []*Server
	for _, s := range servers {
		if s != f {
			rest = append(rest, s)
		}
	}
	waitVoters(t, leader, rest[0].config.NodeName, rest[1].config.NodeName)
	j := mockJob(1, 64)
	j.ID = "while-away"
	registerJob(t, leader, j)

	// Same name and data dir, new ports: it rejoins, is a voter again and
	// catches up.
	cfg.RPCAddr, cfg.SerfAddr, cfg.RaftAddr = "127.0.0.1:0", "127.0.0.1:0", ""
	cfg.RetryJoin = []string{rest[0].SerfAddr()}
	back := startClusterServer(t, &cfg)
	waitVoters(t, leader, "s1", "s2", "s3")
	waitJob(t, back, j.Namespace, j.ID)
	waitLeader(t, append(rest, back))
}

func TestClusterServerRestartsAfterCrash(t *testing.T) {
	servers := newCluster(t, 3)
	leader := waitLeader(t, servers)
	f := followers(servers)[0]
	cfg := *f.config
	f.Shutdown() // no leave: a crash
	j := mockJob(1, 64)
	j.ID = "while-down"
	registerJob(t, leader, j)
	var rest []*Server
	for _, s := range servers {
		if s != f {
			rest = append(rest, s)
		}
	}
	cfg.RPCAddr, cfg.SerfAddr, cfg.RaftAddr = "127.0.0.1:0", "127.0.0.1:0", ""
	cfg.RetryJoin = []string{rest[0].SerfAddr()}
	back := startClusterServer(t, &cfg)
	waitJob(t, back, j.Namespace, j.ID)
	testutil.WaitFor(t, func() error {
		c, err := leader.RaftConfiguration()
		if err != nil {
			return err
		}
		for _, srv := range c.Servers {
			if srv.ID == cfg.NodeName && srv.Address == string(back.parts.transport.LocalAddr()) && srv.Voter {
				return nil
			}
		}
		return fmt.Errorf("raft configuration %+v lacks %s at its new address", c.Servers, cfg.NodeName)
	})
	waitLeader(t, append(rest, back))
}

// TestJoinErrors: joining a wrong address says what is wrong and what to
// do, on one line, not Serf's "1 error occurred:" list.
func TestJoinErrors(t *testing.T) {
	s := startClusterServer(t, clusterConfig(t, "s1", 1))
	// A listener that is not Serf: an HTTP server answers the push-pull
	// with "HTTP/1.1 400", which memberlist reads as message type 72.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			c.Close()
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	for _, tt := range []struct{ addr, want string }{
		{ln.Addr().String(), "not a Serf port"},
		{refused, "nothing listens there"},
	} {
		_, err := s.Join([]string{tt.addr})
		if err == nil {
			t.Fatalf("join %s: got no error", tt.addr)
		}
		if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Fatalf("join %s: got %q, want one line naming %q", tt.addr, err, tt.want)
		}
	}
}
