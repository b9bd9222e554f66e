package agent

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/droverhq/drover/structs"
)

// waitFor polls cond until it returns nil, failing the test with cond's
// last error after 30 seconds.
func waitFor(t *testing.T, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after 30s: %v", err)
		}
		<-tick.C
	}
}

// testLogger logs to the test's output when -v is given.
func testLogger(t *testing.T) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// testAgent starts an agent on free loopback ports; mod adjusts its
// DevConfig. The agent is shut down when the test ends.
func testAgent(t *testing.T, mod func(*Config)) *Agent {
	t.Helper()
	cfg := DevConfig()
	cfg.Ports = Ports{}
	if mod != nil {
		mod(cfg)
	}
	a, err := New(cfg, testLogger(t))
	if err != nil {
		t.Fatalf("start agent: %v", err)
	}
	t.Cleanup(func() {
		if err := a.Shutdown(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return a
}

// waitForLeader waits until the agent's API names a leader.
func waitForLeader(t *testing.T, a *Agent) {
	t.Helper()
	waitFor(t, func() error {
		r, err := tryCall("GET", a.HTTPAddr()+"/v1/status/leader", nil)
		if err != nil {
			return err
		}
		if r.code != http.StatusOK || strings.TrimSpace(string(r.body)) == `""` {
			return fmt.Errorf("no leader yet: %d %s", r.code, r.body)
		}
		return nil
	})
}

func TestAgentServerOnly(t *testing.T) {
	a := testAgent(t, func(c *Config) { c.Client.Enabled = false })
	if !strings.HasPrefix(a.HTTPAddr(), "http://127.0.0.1:") || strings.HasSuffix(a.HTTPAddr(), ":0") {
		t.Fatalf("got HTTPAddr %q, want http://127.0.0.1:<port>", a.HTTPAddr())
	}
	waitForLeader(t, a)

	resp := register(t, a.HTTPAddr(), testJob("web"))
	var evalStatus string
	waitFor(t, func() error {
		var e structs.Evaluation
		r := call(t, "GET", a.HTTPAddr()+"/v1/evaluation/"+resp.EvalID, nil)
		if r.code != http.StatusOK {
			return fmt.Errorf("eval: %d %s", r.code, r.body)
		}
		r.decode(t, &e)
		evalStatus = e.Status
		return nil
	})
	if evalStatus == "" {
		t.Error("got an eval without status")
	}

	// Registering again with a stale JobModifyIndex is a conflict.
	r := call(t, "POST", a.HTTPAddr()+"/v1/jobs", map[string]any{"Job": testJob("web"), "EnforceIndex": true, "JobModifyIndex": 0})
	wantCode(t, r, http.StatusConflict)

	var self AgentSelf
	call(t, "GET", a.HTTPAddr()+"/v1/agent/self", nil).decode(t, &self)
	if self.Config == nil || self.Member.Tags["role"] != "server" {
		t.Errorf("got agent self %+v, want config and role server", self)
	}

	wantCode(t, call(t, "DELETE", a.HTTPAddr()+"/v1/job/web?purge=true", nil), http.StatusOK)
	waitFor(t, func() error {
		if r := call(t, "GET", a.HTTPAddr()+"/v1/job/web", nil); r.code != http.StatusNotFound {
			return fmt.Errorf("job still there: %d", r.code)
		}
		return nil
	})
}

func TestAgentDevRunsJob(t *testing.T) {
	a := testAgent(t, nil)
	waitForLeader(t, a)
	waitFor(t, func() error {
		var nodes []*structs.NodeListStub
		call(t, "GET", a.HTTPAddr()+"/v1/nodes", nil).decode(t, &nodes)
		if len(nodes) != 1 || nodes[0].Status != structs.NodeStatusReady {
			return fmt.Errorf("got nodes %+v, want one ready", nodes)
		}
		return nil
	})

	// A blocking query on allocations returns once the job is placed.
	idx := call(t, "GET", a.HTTPAddr()+"/v1/allocations", nil).index(t)
	type result struct {
		r   response
		err error
	}
	blocked := make(chan result, 1)
	go func() {
		r, err := tryCall("GET", a.HTTPAddr()+"/v1/allocations?wait=60s&index="+strconv.FormatUint(idx, 10), nil)
		blocked <- result{r, err}
	}()

	job := testJob("batch")
	two := 2
	job.TaskGroups[0].Count = &two
	register(t, a.HTTPAddr(), job)

	res := <-blocked
	if res.err != nil {
		t.Fatal(res.err)
	}
	if got := res.r.index(t); got <= idx {
		t.Errorf("got index %d from the blocking query, want > %d", got, idx)
	}
	waitFor(t, func() error {
		var allocs []*structs.AllocListStub
		call(t, "GET", a.HTTPAddr()+"/v1/job/batch/allocations", nil).decode(t, &allocs)
		if len(allocs) != 2 {
			return fmt.Errorf("got %d allocs, want 2", len(allocs))
		}
		for _, al := range allocs {
			if al.ClientStatus != structs.AllocClientStatusComplete {
				return fmt.Errorf("alloc %s is %s, want complete", al.ID, al.ClientStatus)
			}
		}
		return nil
	})

	var sum structs.JobSummary
	call(t, "GET", a.HTTPAddr()+"/v1/job/batch/summary", nil).decode(t, &sum)
	if sum.Summary["g"].Complete != 2 {
		t.Errorf("got summary %+v, want 2 complete in g", sum.Summary)
	}
	var health AgentHealth
	r := call(t, "GET", a.HTTPAddr()+"/v1/agent/health", nil)
	wantCode(t, r, http.StatusOK)
	r.decode(t, &health)
	if health.Client == nil || !health.Client.OK {
		t.Errorf("got health %s, want client ok", r.body)
	}
}

func TestAgentClientJoinsServer(t *testing.T) {
	srv := testAgent(t, func(c *Config) { c.Client.Enabled = false })
	waitForLeader(t, srv)
	cl := testAgent(t, func(c *Config) {
		c.Name = "client-only"
		c.Server.Enabled = false
		c.Client.Servers = []string{srv.RPCAddr()}
	})
	if cl.RPCAddr() != "" {
		t.Errorf("got RPCAddr %q for a client-only agent, want none", cl.RPCAddr())
	}
	waitFor(t, func() error {
		var nodes []*structs.NodeListStub
		call(t, "GET", srv.HTTPAddr()+"/v1/nodes", nil).decode(t, &nodes)
		if len(nodes) != 1 || nodes[0].Name != "client-only" {
			return fmt.Errorf("got nodes %+v, want client-only", nodes)
		}
		return nil
	})
	r := call(t, "GET", cl.HTTPAddr()+"/v1/jobs", nil)
	wantCode(t, r, http.StatusNotImplemented)
	r = call(t, "GET", cl.HTTPAddr()+"/v1/agent/health", nil)
	wantCode(t, r, http.StatusOK)
}

func TestAgentPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	cfg := DevConfig()
	cfg.Ports = Ports{HTTP: port}
	_, err = New(cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "ports.http") || !strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Fatalf("got error %v, want one naming ports.http and port %d", err, port)
	}
}

func TestAgentInvalidConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Server.Enabled = true
	if _, err := New(cfg, nil); err == nil || !strings.Contains(err.Error(), "data_dir") {
		t.Fatalf("got error %v, want one about data_dir", err)
	}
}

func TestAgentDevDirRemoved(t *testing.T) {
	cfg := DevConfig()
	cfg.Ports = Ports{}
	cfg.Client.Enabled = false
	a, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := a.Config().DataDir
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("dev data dir: %v", err)
	}
	if err := a.Shutdown(); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v for the dev data dir after shutdown, want it removed", err)
	}
	if err := a.Shutdown(); err != nil {
		t.Errorf("second shutdown: %v", err)
	}
}
