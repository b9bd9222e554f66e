package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// httpClient reaches the agents on the control net: no proxy, and a bound
// on every request so that a hung agent shows up as an error.
var httpClient = &http.Client{
	Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16, ResponseHeaderTimeout: 30 * time.Second},
	Timeout:   30 * time.Second,
}

// APIError is a non-200 answer.
type APIError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, strings.TrimSpace(e.Body))
}

// Do sends a request with a JSON body (nil for none) using client and
// decodes a 200 answer into out (nil to discard). A non-200 answer is an
// *APIError.
func (n *Node) Do(client *http.Client, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, n.URL()+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	defer resp.Body.Close()
	msg, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s: %s %s: read answer: %w", n.Name, method, path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return &APIError{Method: method, Path: path, Status: resp.StatusCode, Body: string(msg)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(msg, out); err != nil {
		return fmt.Errorf("%s: %s %s: decode %q: %w", n.Name, method, path, truncate(string(msg), 200), err)
	}
	return nil
}

// Get decodes a GET of path into out.
func (n *Node) Get(path string, out any) error { return n.Do(httpClient, "GET", path, nil, out) }

// Leader is the leader's RPC address as this node sees it ("" if none).
func (n *Node) Leader() (string, error) {
	var addr string
	err := n.Get("/v1/status/leader?stale", &addr)
	return addr, err
}

// Peers are the Raft peers' addresses as this node sees them.
func (n *Node) Peers() ([]string, error) {
	var peers []string
	err := n.Get("/v1/status/peers?stale", &peers)
	sort.Strings(peers)
	return peers, err
}

// ServerStats are the "server" stats of /v1/agent/self (raft.state,
// raft.applied_index, raft.term ...).
func (n *Node) ServerStats() (map[string]string, error) {
	var self struct {
		Stats map[string]map[string]string `json:"stats"`
	}
	if err := n.Get("/v1/agent/self", &self); err != nil {
		return nil, err
	}
	if self.Stats["server"] == nil {
		return nil, fmt.Errorf("%s: /v1/agent/self has no server stats", n.Name)
	}
	return self.Stats["server"], nil
}

// RegisterJob registers job (see MockJob) and returns the Raft index of
// the registration.
func (n *Node) RegisterJob(client *http.Client, job map[string]any) (uint64, error) {
	var resp struct {
		Index           uint64
		JobModifyIndex  uint64
		EvalCreateIndex uint64
	}
	if err := n.Do(client, "POST", "/v1/jobs", map[string]any{"Job": job}, &resp); err != nil {
		return 0, err
	}
	return max(resp.Index, resp.JobModifyIndex), nil
}

// JobIDs are the IDs of the jobs this node's own state holds (a stale
// read: no forwarding to the leader), sorted.
func (n *Node) JobIDs(prefix string) ([]string, error) {
	var jobs []struct{ ID string }
	if err := n.Get("/v1/jobs?stale&prefix="+prefix, &jobs); err != nil {
		return nil, err
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	sort.Strings(ids)
	return ids, nil
}

// Alloc is the part of an allocation the tests look at.
type Alloc struct {
	ID, Name, NodeID, JobID     string
	ClientStatus, DesiredStatus string
	TaskStates                  map[string]TaskState
	CreateIndex, ModifyIndex    uint64
}

// TaskState is the part of a task's state the tests look at.
type TaskState struct {
	State     string
	Failed    bool
	Restarts  int
	StartedAt string
}

// Allocs are a job's allocations in this node's own state.
func (n *Node) Allocs(jobID string) ([]Alloc, error) {
	var allocs []Alloc
	err := n.Get("/v1/job/"+jobID+"/allocations?stale", &allocs)
	sort.Slice(allocs, func(i, j int) bool { return allocs[i].ID < allocs[j].ID })
	return allocs, err
}

// AllAllocs are every allocation in this node's own state.
func (n *Node) AllAllocs() ([]Alloc, error) {
	var allocs []Alloc
	err := n.Get("/v1/allocations?stale", &allocs)
	sort.Slice(allocs, func(i, j int) bool { return allocs[i].ID < allocs[j].ID })
	return allocs, err
}

// ReadyNodes counts the client nodes this node's state has as ready.
func (n *Node) ReadyNodes() (int, error) {
	var nodes []struct{ Status string }
	if err := n.Get("/v1/nodes?stale", &nodes); err != nil {
		return 0, err
	}
	ready := 0
	for _, node := range nodes {
		if node.Status == "ready" {
			ready++
		}
	}
	return ready, nil
}

// MockJob is a small job for the mock driver in Nomad's JSON shape: a
// service job runs until stopped (run_for 1h), a batch job for runFor.
func MockJob(id, typ string, count int, runFor string) map[string]any {
	return map[string]any{
		"ID": id, "Name": id, "Type": typ, "Datacenters": []string{"dc1"},
		"TaskGroups": []map[string]any{{
			"Name": "g", "Count": count,
			"Tasks": []map[string]any{{
				"Name": "t", "Driver": "mock",
				"Config":    map[string]any{"run_for": runFor},
				"Resources": map[string]any{"CPU": 10, "MemoryMB": 10},
			}},
		}},
	}
}

// WaitFor retries cond every 100ms until it returns nil, and fails t with
// what and cond's last error when timeout passes. It returns how long it
// waited.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() error) time.Duration {
	t.Helper()
	took, err := Poll(timeout, cond)
	if err != nil {
		t.Fatalf("%s: not true after %s: %v", what, timeout, err)
	}
	return took
}

// Poll retries cond every 100ms until it returns nil or timeout passes;
// it returns how long it waited and cond's last error.
func Poll(timeout time.Duration, cond func() error) (time.Duration, error) {
	start := time.Now()
	deadline := start.Add(timeout)
	for {
		err := cond()
		if err == nil || time.Now().After(deadline) {
			return time.Since(start), err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// AgreedLeader checks that every node in servers names the same leader and
// that it is one of servers; it returns that node.
func (c *Cluster) AgreedLeader(servers []*Node) (*Node, error) {
	var first string
	for _, s := range servers {
		addr, err := s.Leader()
		if err != nil {
			return nil, err
		}
		if addr == "" {
			return nil, fmt.Errorf("%s knows no leader", s.Name)
		}
		if first == "" {
			first = addr
		} else if addr != first {
			return nil, fmt.Errorf("leaders disagree: %s says %s, %s says %s", servers[0].Name, first, s.Name, addr)
		}
	}
	l := c.ByRPCAddr(first)
	if l == nil || !slices.Contains(servers, l) {
		return nil, fmt.Errorf("leader %s is not one of %v", first, servers)
	}
	return l, nil
}

// WaitLeader waits until every node in servers names the same leader, one
// of them, and returns it and how long that took.
func (c *Cluster) WaitLeader(timeout time.Duration, servers ...*Node) (*Node, time.Duration) {
	c.t.Helper()
	var leader *Node
	took := WaitFor(c.t, timeout, fmt.Sprintf("one leader agreed by %v", servers), func() error {
		l, err := c.AgreedLeader(servers)
		leader = l
		return err
	})
	return leader, took
}

// Others is servers without the given nodes.
func Others(servers []*Node, without ...*Node) []*Node {
	var out []*Node
	for _, s := range servers {
		if !slices.Contains(without, s) {
			out = append(out, s)
		}
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
