package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// webJob is a web.hcl-like service job on the mock driver.
func webJob(count int, color string) string {
	return fmt.Sprintf(`job "web" {
  datacenters = ["dc1"]

  group "web" {
    count = %d

    task "server" {
      driver = "mock"

      config {
        run_for = "1h"
      }

      env {
        COLOR = %q
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, count, color)
}

func writeJob(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitRunning waits until the job has want running allocations.
func waitRunning(t *testing.T, a *agent, jobID string, want int) {
	t.Helper()
	waitFor(t, 60*time.Second, func() error {
		allocs := jobAllocs(t, a, jobID)
		running := 0
		for _, al := range allocs {
			if al.ClientStatus == "running" && al.DesiredStatus == "run" {
				running++
			}
		}
		if running != want {
			return fmt.Errorf("%d running allocs, want %d: %+v", running, want, allocs)
		}
		return nil
	})
}

// Acceptance 3: `job plan` on an edited job shows the changed fields and
// which allocations are created or replaced, and `job run -check-index`
// refuses once the job changed since the plan.
func TestJobPlanAndCheckIndex(t *testing.T) {
	a := devAgent(t)
	dir := t.TempDir()
	v1 := writeJob(t, dir, "web.hcl", webJob(2, "blue"))
	if out, stderr, code := a.cli("job", "run", v1); code != 0 {
		t.Fatalf("job run: exit %d\n%s\n%s\nagent:\n%s", code, out, stderr, a.log)
	}
	waitRunning(t, a, "web", 2)

	// Unchanged: nothing to do, exit 0.
	out, stderr, code := a.cli("job", "plan", v1)
	if code != 0 {
		t.Fatalf("plan of the unchanged job: exit %d, want 0\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, `Task Group: "web" (2 ignore)`) {
		t.Errorf("unchanged plan: want 2 ignored allocs in:\n%s", out)
	}

	// Edited: count 2 -> 3 and a changed env var.
	v2 := writeJob(t, dir, "web-v2.hcl", webJob(3, "green"))
	out, stderr, code = a.cli("job", "plan", v2)
	if code != 1 {
		t.Fatalf("plan of the edited job: exit %d, want 1 (allocations change)\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{
		`+/- Job: "web"`,
		`+/- Task Group: "web" (1 create, 2 create/destroy update)`,
		`+/- Count: "2" => "3" (forces create)`,
		`+/- Task: "server" (forces create/destroy update)`,
		`+/- Env[COLOR]: "blue" => "green"`,
		"Scheduler dry-run:",
		"- All tasks successfully allocated.",
		"To submit the job with version verification run:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output: missing %q in:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`drover job run -check-index (\d+) `).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("plan output has no check-index command:\n%s", out)
	}
	index := m[1]
	// The plan changed nothing.
	waitRunning(t, a, "web", 2)

	// Someone else changes the job: the planned index is stale.
	v3 := writeJob(t, dir, "web-v3.hcl", webJob(2, "red"))
	if out, stderr, code := a.cli("job", "run", "-detach", v3); code != 0 {
		t.Fatalf("job run v3: exit %d\n%s\n%s", code, out, stderr)
	}
	out, stderr, code = a.cli("job", "run", "-check-index", index, v2)
	if code == 0 {
		t.Fatalf("job run -check-index %s with a stale index: exit 0, want an error\n%s", index, out)
	}
	if !strings.Contains(stderr, "409") || !strings.Contains(stderr, "JobModifyIndex") {
		t.Errorf("stale -check-index: want a 409 naming the JobModifyIndex, got:\n%s", stderr)
	}

	// With the current index it goes through.
	out, _, _ = a.cli("job", "plan", v2)
	m = regexp.MustCompile(`drover job run -check-index (\d+) `).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("plan output has no check-index command:\n%s", out)
	}
	if out, stderr, code := a.cli("job", "run", "-check-index", m[1], v2); code != 0 {
		t.Fatalf("job run -check-index %s: exit %d\n%s\n%s", m[1], code, out, stderr)
	}
	waitRunning(t, a, "web", 3)
}

func TestJobScaleCLI(t *testing.T) {
	a := devAgent(t)
	path := writeJob(t, t.TempDir(), "web.hcl", webJob(1, "blue"))
	if out, stderr, code := a.cli("job", "run", path); code != 0 {
		t.Fatalf("job run: exit %d\n%s\n%s", code, out, stderr)
	}
	waitRunning(t, a, "web", 1)

	out, stderr, code := a.cli("job", "scale", "web", "web", "3")
	if code != 0 {
		t.Fatalf("job scale: exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "Monitoring evaluation") {
		t.Errorf("job scale: want the evaluation monitored, got:\n%s", out)
	}
	waitRunning(t, a, "web", 3)

	// The group may be left out when the job has one.
	if out, stderr, code := a.cli("job", "scale", "web", "1"); code != 0 {
		t.Fatalf("job scale web 1: exit %d\n%s\n%s", code, out, stderr)
	}
	waitRunning(t, a, "web", 1)

	var status struct {
		TaskGroups map[string]struct{ Desired int }
	}
	if err := a.get("/v1/job/web/scale", &status); err != nil {
		t.Fatal(err)
	}
	if status.TaskGroups["web"].Desired != 1 {
		t.Errorf("scale status: got %+v, want web desired 1", status)
	}
	if _, stderr, code := a.cli("job", "scale", "web", "nope", "2"); code == 0 || !strings.Contains(stderr, `task group "nope" does not exist`) {
		t.Errorf("scaling an unknown group: exit %d, stderr:\n%s", code, stderr)
	}
}

func TestOperatorSchedulerConfigCLI(t *testing.T) {
	a := devAgent(t)
	out, stderr, code := a.cli("operator", "scheduler", "get-config", "-json")
	if code != 0 {
		t.Fatalf("get-config: exit %d\n%s", code, stderr)
	}
	var conf struct {
		SchedulerAlgorithm string
		PreemptionConfig   struct{ SystemSchedulerEnabled, ServiceSchedulerEnabled bool }
	}
	if err := json.Unmarshal([]byte(out), &conf); err != nil || conf.SchedulerAlgorithm != "binpack" || !conf.PreemptionConfig.SystemSchedulerEnabled {
		t.Fatalf("defaults: got %q (%v), want binpack with system preemption", out, err)
	}
	if out, stderr, code := a.cli("operator", "scheduler", "set-config", "-scheduler-algorithm=spread", "-preempt-service-scheduler=true"); code != 0 {
		t.Fatalf("set-config: exit %d\n%s\n%s", code, out, stderr)
	}
	out, _, _ = a.cli("operator", "scheduler", "get-config", "-json")
	if err := json.Unmarshal([]byte(out), &conf); err != nil || conf.SchedulerAlgorithm != "spread" || !conf.PreemptionConfig.ServiceSchedulerEnabled {
		t.Fatalf("after set-config: got %q (%v), want spread with service preemption", out, err)
	}
}

func TestSchedulerBenchmarkCLI(t *testing.T) {
	cmd := []string{"operator", "scheduler-benchmark", "-nodes", "100", "-count", "1000"}
	for _, extra := range [][]string{nil, {"-spread"}} {
		args := append(append([]string(nil), cmd...), extra...)
		out, stderr, code := (&agent{t: t}).cli(args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr)
		}
		var res struct{ Nodes, Count, Placed int }
		var raw map[string]any
		if err := json.Unmarshal([]byte(out), &raw); err != nil {
			t.Fatalf("%v: output is not JSON: %v\n%s", args, err, out)
		}
		for _, k := range []string{"nodes", "count", "placed", "seconds", "placements_per_sec"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("%v: missing %q in %s", args, k, out)
			}
		}
		json.Unmarshal([]byte(out), &res)
		if res.Placed != 1000 || res.Count != 1000 || res.Nodes != 100 {
			t.Errorf("%v: got %s, want 1000 placed of 1000 on 100 nodes", args, out)
		}
	}
}
