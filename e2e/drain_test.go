package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const drainJob = `job "drain-web" {
  datacenters = ["dc1"]
  type        = "service"

  group "web" {
    count = 2

    task "web" {
      driver = "mock"
      config {
        run_for = "1h"
      }
      resources {
        cpu    = 50
        memory = 16
      }
    }
  }
}
`

type nodeView struct {
	ID, Name, Status, SchedulingEligibility string
	Drain                                   bool
}

// Draining a node moves its service allocations to the other node; the
// drained node ends ineligible until `node eligibility -enable`.
func TestNodeDrainMovesAllocs(t *testing.T) {
	a := devAgent(t)
	dir := t.TempDir()
	cfg, addr, rpc := agentConfig(t, dir, fmt.Sprintf("data_dir = %q\nname = \"second\"\nclient {\n  enabled = true\n  servers = [%q]\n}\n",
		filepath.Join(dir, "data"), a.rpcAddr))
	startClientAgent(t, addr, rpc, "-config", cfg)
	a.waitReadyNodes(2)

	jobFile := filepath.Join(t.TempDir(), "drain-web.hcl")
	if err := os.WriteFile(jobFile, []byte(drainJob), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, stderr, code := a.cli("job", "run", jobFile); code != 0 {
		t.Fatalf("job run: exit %d\n%s%s", code, out, stderr)
	}
	t.Cleanup(func() { a.cli("job", "stop", "-yes", "-detach", "drain-web") })
	var running []allocStub
	waitFor(t, 60*time.Second, func() error {
		running = liveRunning(jobAllocs(t, a, "drain-web"))
		if len(running) != 2 {
			return fmt.Errorf("%d allocs running, want 2", len(running))
		}
		return nil
	})
	target := running[0].NodeID
	var nodes []nodeView
	if err := a.get("/v1/nodes", &nodes); err != nil {
		t.Fatal(err)
	}
	other := ""
	for _, n := range nodes {
		if n.ID != target {
			other = n.ID
		}
	}

	out, stderr, code := a.cli("node", "drain", "-enable", "-yes", target)
	if code != 0 || !strings.Contains(out, "drain strategy set") || !strings.Contains(out, "Drain complete for node "+target) {
		t.Fatalf("node drain: exit %d, want 0 and the drain followed to completion:\n%s%s", code, out, stderr)
	}
	t.Logf("node drain:\n%s", out)
	waitFor(t, 60*time.Second, func() error {
		running := liveRunning(jobAllocs(t, a, "drain-web"))
		if len(running) != 2 {
			return fmt.Errorf("%d allocs running, want 2", len(running))
		}
		for _, r := range running {
			if r.NodeID != other {
				return fmt.Errorf("alloc %s runs on node %s, want every alloc on %s", r.ID, r.NodeID, other)
			}
		}
		return nil
	})
	var node nodeView
	if err := a.get("/v1/node/"+target, &node); err != nil {
		t.Fatal(err)
	}
	if node.Drain || node.SchedulingEligibility != "ineligible" {
		t.Fatalf("drained node: drain %v eligibility %q, want drain false and ineligible", node.Drain, node.SchedulingEligibility)
	}
	status, _, _ := a.cli("node", "status")
	t.Logf("node status after the drain:\n%s", status)

	if out, stderr, code := a.cli("node", "eligibility", "-enable", target); code != 0 || !strings.Contains(out, "eligible") {
		t.Fatalf("node eligibility -enable: exit %d\n%s%s", code, out, stderr)
	}
	if err := a.get("/v1/node/"+target, &node); err != nil {
		t.Fatal(err)
	}
	if node.SchedulingEligibility != "eligible" {
		t.Fatalf("after eligibility -enable: eligibility %q, want eligible", node.SchedulingEligibility)
	}
}

// liveRunning keeps the allocations that should run and do.
func liveRunning(allocs []allocStub) []allocStub {
	var out []allocStub
	for _, a := range allocs {
		if a.DesiredStatus == "run" && a.ClientStatus == "running" {
			out = append(out, a)
		}
	}
	return out
}
