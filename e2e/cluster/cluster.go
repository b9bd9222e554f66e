package cluster

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Ports every agent listens on inside its container (DESIGN.md's
// defaults); Raft is the RPC port + 100.
const (
	HTTPPort = 8646
	RPCPort  = 8647
	SerfPort = 8648
	RaftPort = RPCPort + 100
)

// StartTimeout bounds how long a started agent may take to answer HTTP.
const StartTimeout = 30 * time.Second

// Cluster is a set of drover agents in containers on a cluster network of
// their own, plus a control network through which the host reaches each
// agent's HTTP API. Everything it creates is removed when the test ends.
type Cluster struct {
	t   testing.TB
	env *env
	// id prefixes every container and network name: drover-e2e-<subnet>.
	id      string
	subnet  int // the third octet of both /24s
	netName string
	ctlName string
	tmp     string

	mu     sync.Mutex // guards nodes, nextIP
	nodes  []*Node
	nextIP int
}

// Node is one agent: a server, a client, or both.
type Node struct {
	c *Cluster
	// Name is the agent's name (and its container's hostname).
	Name string
	// IP is the node's address on the cluster net: the one it advertises
	// and the other agents use.
	IP string
	// CtlIP is its address on the control net, where the host reaches it.
	CtlIP string
	// Server and Client tell what the agent runs.
	Server, Client bool
	// Config is the agent's HCL config file as written into the container.
	Config string

	container string
	created   bool
}

// New makes a cluster with its two networks, or skips t when cluster
// tests cannot run here (see the package doc). Nodes are added with
// AddServer, AddClient or StartServers.
func New(t testing.TB) *Cluster {
	t.Helper()
	e := requireEnv(t)
	c := &Cluster{t: t, env: e, nextIP: 11, tmp: t.TempDir()}
	t.Cleanup(c.cleanup)
	var lastErr error
	for range 20 {
		n := 1 + rand.IntN(250)
		id := fmt.Sprintf("drover-e2e-%d", n)
		if err := createNetwork(id+"-net", fmt.Sprintf("10.213.%d.0/24", n), true); err != nil {
			lastErr = err
			continue
		}
		if err := createNetwork(id+"-ctl", fmt.Sprintf("10.214.%d.0/24", n), false); err != nil {
			docker("network", "rm", id+"-net")
			lastErr = err
			continue
		}
		c.id, c.subnet, c.netName, c.ctlName = id, n, id+"-net", id+"-ctl"
		t.Logf("cluster %s: cluster net 10.213.%d.0/24, control net 10.214.%d.0/24", id, n, n)
		return c
	}
	t.Fatalf("create the test networks: %v", lastErr)
	return nil
}

// createNetwork makes an --internal bridge network. On the control net
// (icc false) containers cannot reach each other, only the host.
func createNetwork(name, subnet string, icc bool) error {
	_, err := docker("network", "create", "--driver", "bridge", "--internal",
		"--subnet", subnet,
		"--label", labelE2E+"=1", "--label", labelPID+"="+strconv.Itoa(os.Getpid()),
		"-o", "com.docker.network.bridge.enable_icc="+strconv.FormatBool(icc),
		name)
	return err
}

// ServerOptions configure a server node.
type ServerOptions struct {
	// BootstrapExpect is server.bootstrap_expect.
	BootstrapExpect int
	// Join are the addresses in server_join.retry_join (IPs; the Serf port
	// is the default).
	Join []string
	// ServerExtra is HCL inside the server block (raft_snapshot_threshold
	// ...); Extra is HCL appended to the file (autopilot { ... } ...).
	ServerExtra, Extra string
}

// AddServer defines a server node; Start starts it.
func (c *Cluster) AddServer(name string, o ServerOptions) *Node {
	return c.configureServer(c.addNode(name), o)
}

// AddClient defines a client-only node that talks to servers' RPC ports;
// Start starts it.
func (c *Cluster) AddClient(name string, servers []*Node, extra string) *Node {
	n := c.addNode(name)
	n.Client = true
	addrs := make([]string, len(servers))
	for i, s := range servers {
		addrs[i] = s.RPCAddr()
	}
	n.Config = n.baseConfig() + fmt.Sprintf("client {\n  enabled = true\n  servers = [%s]\n}\n%s", quoteList(addrs), extra)
	return n
}

// StartServers defines and starts n servers s1..sn with
// bootstrap_expect = n and retry_join listing all of them, the way an
// operator would write it. It does not wait for a leader.
func (c *Cluster) StartServers(n int) []*Node {
	c.t.Helper()
	return c.StartServersWith(n, ServerOptions{})
}

// StartServersWith is StartServers with o's extra HCL; its
// BootstrapExpect and Join are ignored.
func (c *Cluster) StartServersWith(n int, o ServerOptions) []*Node {
	c.t.Helper()
	servers := make([]*Node, n)
	ips := make([]string, n)
	for i := range servers {
		servers[i] = c.addNode(fmt.Sprintf("s%d", i+1))
		ips[i] = servers[i].IP
	}
	o.BootstrapExpect, o.Join = n, ips
	for _, s := range servers {
		c.configureServer(s, o)
	}
	c.Start(servers...)
	return servers
}

// configureServer writes a server config onto a node addNode made.
func (c *Cluster) configureServer(n *Node, o ServerOptions) *Node {
	n.Server = true
	var join string
	if len(o.Join) > 0 {
		join = fmt.Sprintf("\n  server_join {\n    retry_join = [%s]\n  }", quoteList(o.Join))
	}
	var extra string
	if o.ServerExtra != "" {
		extra = "\n" + o.ServerExtra
	}
	n.Config = n.baseConfig() + fmt.Sprintf("server {\n  enabled = true\n  bootstrap_expect = %d%s%s\n}\n%s",
		o.BootstrapExpect, join, extra, o.Extra)
	return n
}

func (c *Cluster) addNode(name string) *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	ip := c.nextIP
	c.nextIP++
	n := &Node{
		c: c, Name: name,
		IP:        fmt.Sprintf("10.213.%d.%d", c.subnet, ip),
		CtlIP:     fmt.Sprintf("10.214.%d.%d", c.subnet, ip),
		container: c.id + "-" + name,
	}
	c.nodes = append(c.nodes, n)
	return n
}

// baseConfig is what every agent's file starts with: its name, a data dir
// inside the container, listeners on every address and the cluster-net
// address advertised for all three ports.
func (n *Node) baseConfig() string {
	return fmt.Sprintf(`name       = %q
data_dir   = "/data"
bind_addr  = "0.0.0.0"
log_level  = "INFO"
advertise {
  http = %q
  rpc  = %q
  serf = %q
}
`, n.Name, n.IP, n.IP, n.IP)
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// Start creates (the first time) and starts the nodes' containers, then
// waits until each answers HTTP. It fails the test if one exits or does
// not answer within StartTimeout.
func (c *Cluster) Start(nodes ...*Node) {
	c.t.Helper()
	for _, n := range nodes {
		if err := n.create(); err != nil {
			c.t.Fatalf("create %s: %v", n.Name, err)
		}
		if _, err := docker("start", n.container); err != nil {
			c.t.Fatalf("start %s: %v", n.Name, err)
		}
	}
	for _, n := range nodes {
		n.waitHTTP()
	}
}

// create makes the container: on the cluster net with its fixed IP, then
// on the control net, with its config file copied in.
func (n *Node) create() error {
	if n.created {
		return nil
	}
	c := n.c
	if _, err := docker("create", "--name", n.container, "--hostname", n.Name,
		"--label", labelE2E+"=1", "--label", labelPID+"="+strconv.Itoa(os.Getpid()),
		"--network", c.netName, "--ip", n.IP,
		"--stop-timeout", "30",
		c.env.image, "agent", "-config", "/etc/drover/agent.hcl"); err != nil {
		return err
	}
	n.created = true
	if _, err := docker("network", "connect", "--ip", n.CtlIP, c.ctlName, n.container); err != nil {
		return err
	}
	cfg := filepath.Join(c.tmp, n.Name+".hcl")
	if err := os.WriteFile(cfg, []byte(n.Config), 0o644); err != nil {
		return err
	}
	_, err := docker("cp", cfg, n.container+":/etc/drover/agent.hcl")
	return err
}

// waitHTTP waits until the agent answers /v1/agent/self.
func (n *Node) waitHTTP() {
	t := n.c.t
	t.Helper()
	deadline := time.Now().Add(StartTimeout)
	var err error
	for time.Now().Before(deadline) {
		var self map[string]any
		if err = n.Get("/v1/agent/self", &self); err == nil {
			return
		}
		if !n.Running() {
			t.Fatalf("%s exited while starting:\n%s", n.Name, tail(n.Logs(), 40))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s does not answer HTTP after %s: %v\n%s", n.Name, StartTimeout, err, tail(n.Logs(), 40))
}

// Start starts a stopped or killed node again and waits for its HTTP API.
func (n *Node) Start() { n.c.Start(n) }

// Kill sends SIGKILL (kill -9): no graceful leave.
func (n *Node) Kill() {
	n.c.t.Helper()
	n.must(docker("kill", "-s", "KILL", n.container))
	n.must(docker("wait", n.container))
}

// Stop sends SIGTERM and waits for the agent to exit (SIGKILL after 30s).
func (n *Node) Stop() {
	n.c.t.Helper()
	n.must(docker("stop", "-t", "30", n.container))
}

// Restart stops the node with SIGTERM (SIGKILL after 30s), starts it
// again with the same data and addresses, and waits for its HTTP API.
func (n *Node) Restart() {
	n.c.t.Helper()
	n.must(docker("restart", "-t", "30", n.container))
	n.waitHTTP()
}

// Pause freezes every process of the node (cgroup freezer): it keeps its
// sockets but answers nothing.
func (n *Node) Pause() {
	n.c.t.Helper()
	n.must(docker("pause", n.container))
}

// Unpause thaws a paused node.
func (n *Node) Unpause() {
	n.c.t.Helper()
	n.must(docker("unpause", n.container))
}

// Disconnect takes the node off the cluster net: it can reach no other
// agent and none can reach it. The host still reaches it on the control
// net.
func (n *Node) Disconnect() {
	n.c.t.Helper()
	n.must(docker("network", "disconnect", n.c.netName, n.container))
}

// Connect puts a disconnected node back on the cluster net with its IP.
func (n *Node) Connect() {
	n.c.t.Helper()
	n.must(docker("network", "connect", "--ip", n.IP, n.c.netName, n.container))
}

// Running tells whether the node's container is running (paused counts).
func (n *Node) Running() bool {
	out, err := docker("inspect", "--format", "{{.State.Running}}", n.container)
	return err == nil && out == "true"
}

// Logs is everything the agent has written to stdout and stderr, across
// restarts.
func (n *Node) Logs() string {
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "logs", n.container).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("(docker logs %s: %v) %s", n.container, err, out)
	}
	return string(out)
}

// URL is the base URL of the node's HTTP API as the host reaches it.
func (n *Node) URL() string { return fmt.Sprintf("http://%s:%d", n.CtlIP, HTTPPort) }

// RPCAddr is the node's gRPC address on the cluster net, as
// /v1/status/leader names a leader.
func (n *Node) RPCAddr() string { return fmt.Sprintf("%s:%d", n.IP, RPCPort) }

// RaftAddr is the node's Raft address, as /v1/status/peers lists it.
func (n *Node) RaftAddr() string { return fmt.Sprintf("%s:%d", n.IP, RaftPort) }

// String is the node's name.
func (n *Node) String() string { return n.Name }

func (n *Node) must(_ string, err error) {
	n.c.t.Helper()
	if err != nil {
		n.c.t.Fatalf("%s: %v", n.Name, err)
	}
}

// CLI runs the drover CLI on the host against this node's HTTP API and
// returns stdout, stderr and the exit code (-1 if it could not run or
// took longer than a minute).
func (n *Node) CLI(args ...string) (stdout, stderr string, code int) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, n.c.env.binary, args...)
	cmd.Env = append(os.Environ(), "DROVER_ADDR="+n.URL())
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		code = -1
		errb.WriteString(err.Error())
	}
	return out.String(), errb.String(), code
}

// Nodes are all nodes defined so far, in order.
func (c *Cluster) Nodes() []*Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Node(nil), c.nodes...)
}

// ByRPCAddr finds the node whose RPC (or any) address has the host of
// addr, nil if none.
func (c *Cluster) ByRPCAddr(addr string) *Node {
	host := addr
	if h, _, ok := strings.Cut(addr, ":"); ok {
		host = h
	}
	for _, n := range c.Nodes() {
		if n.IP == host || n.CtlIP == host {
			return n
		}
	}
	return nil
}

// TempDir is a directory removed when the test ends.
func (c *Cluster) TempDir() string { return c.t.TempDir() }

// cleanup keeps the logs (in the test output when it failed, in
// DROVER_E2E_LOGDIR when set) and removes every container and both
// networks.
func (c *Cluster) cleanup() {
	nodes := c.Nodes()
	logDir := os.Getenv("DROVER_E2E_LOGDIR")
	for _, n := range nodes {
		if !n.created {
			continue
		}
		if n.c.t.Failed() || logDir != "" {
			logs := n.Logs()
			if n.c.t.Failed() {
				c.t.Logf("--- last lines of %s (%s), HTTP request lines left out:\n%s", n.Name, n.IP, tail(withoutLines(logs, "component=http "), 30))
			}
			if logDir != "" {
				name := strings.NewReplacer("/", "_", " ", "_").Replace(c.t.Name()) + "-" + n.Name + ".log"
				os.MkdirAll(logDir, 0o755)
				os.WriteFile(filepath.Join(logDir, name), []byte(logs), 0o644)
			}
		}
	}
	// Kill them all at once, then remove one at a time: removing several
	// containers of a network in one call has left a phantom endpoint in
	// the network on Docker 20.10, so that it could not be removed.
	var ids []string
	for _, n := range nodes {
		if n.created {
			ids = append(ids, n.container)
		}
	}
	if len(ids) > 0 {
		docker(append([]string{"kill", "-s", "KILL"}, ids...)...)
	}
	for _, id := range ids {
		if _, err := docker("rm", "-f", "-v", id); err != nil {
			c.t.Errorf("cleanup: %v", err)
		}
	}
	for _, net := range []string{c.netName, c.ctlName} {
		if net == "" {
			continue
		}
		if err := removeNetwork(net); err != nil {
			// Not the test's fault; the next run tries again.
			c.t.Logf("cleanup: left network %s behind: %v", net, err)
		}
	}
}

// removeNetwork removes a network, retrying for a while: the engine may
// release a removed container's endpoints a moment after `docker rm`
// returns ("has active endpoints").
func removeNetwork(name string) error {
	var err error
	for range 20 {
		if _, err = docker("network", "rm", name); err == nil || !strings.Contains(err.Error(), "active endpoints") {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
	return err
}

// withoutLines drops the lines of s that contain substr.
func withoutLines(s, substr string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.Contains(l, substr) {
			b.WriteString(l)
		}
	}
	return b.String()
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
