package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// mockBatchJob is a one-task batch job on the mock driver, with extra
// job-level blocks.
func mockBatchJob(id, extra string) string {
	return fmt.Sprintf(`job %q {
  datacenters = ["dc1"]
  type        = "batch"
%s
  group "work" {
    task "work" {
      driver = "mock"

      config {
        run_for = "200ms"
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`, id, extra)
}

type jobStub struct {
	ID, ParentID, Status string
}

// childrenOf lists the jobs whose ParentID is parent.
func childrenOf(t *testing.T, a *agent, parent string) []jobStub {
	t.Helper()
	var jobs []jobStub
	if err := a.get("/v1/jobs?prefix="+parent+"/", &jobs); err != nil {
		t.Fatal(err)
	}
	var out []jobStub
	for _, j := range jobs {
		if j.ParentID == parent {
			out = append(out, j)
		}
	}
	return out
}

// waitComplete waits until the job's one allocation completed.
func waitComplete(t *testing.T, a *agent, jobID string) {
	t.Helper()
	esc := strings.ReplaceAll(jobID, "/", "%2F")
	waitFor(t, 60*time.Second, func() error {
		allocs := jobAllocs(t, a, esc)
		if len(allocs) != 1 || countStatus(allocs, "complete") != 1 {
			return fmt.Errorf("job %s: allocs %+v, want 1 complete", jobID, allocs)
		}
		return nil
	})
}

// A periodic job runs when forced (rather than waiting for its minute):
// the child completes and `job status` lists it with the next launch.
func TestPeriodicForceLaunchesChild(t *testing.T) {
	a := devAgent(t)
	file := writeJob(t, t.TempDir(), "cron.hcl", mockBatchJob("cron", `
  periodic {
    crons            = ["* * * * *"]
    prohibit_overlap = true
  }
`))
	out, stderr, code := a.cli("job", "run", file)
	if code != 0 || strings.Contains(out, "Evaluation ID") {
		t.Fatalf("job run: exit %d, want 0 and no evaluation\n%s\n%s", code, out, stderr)
	}
	out, stderr, code = a.cli("job", "periodic", "force", "-detach", "cron")
	if code != 0 || !strings.Contains(out, "cron/periodic-") {
		t.Fatalf("job periodic force: exit %d, want 0 and the child's ID\n%s\n%s\nagent:\n%s", code, out, stderr, a.log)
	}
	var child string
	waitFor(t, 30*time.Second, func() error {
		kids := childrenOf(t, a, "cron")
		if len(kids) == 0 {
			return fmt.Errorf("no children of cron yet")
		}
		child = kids[0].ID
		return nil
	})
	waitComplete(t, a, child)
	status, stderr, code := a.cli("job", "status", "cron")
	if code != 0 || !strings.Contains(status, "Next Periodic Launch") || !strings.Contains(status, child) {
		t.Fatalf("job status cron: exit %d, want the next launch and child %s\n%s\n%s", code, child, status, stderr)
	}
	t.Logf("job status cron:\n%s", status)

	_, stderr, code = a.cli("job", "periodic", "force", "-detach", "nope")
	if code != 1 {
		t.Fatalf("force of a missing job: exit %d, want 1\n%s", code, stderr)
	}
}

// A parameterized job dispatched with its required meta runs to
// completion; one without it fails with a clear error and exit 1.
func TestDispatchParameterizedJob(t *testing.T) {
	a := devAgent(t)
	dir := t.TempDir()
	file := writeJob(t, dir, "param.hcl", mockBatchJob("param", `
  parameterized {
    payload       = "optional"
    meta_required = ["input"]
    meta_optional = ["mode"]
  }
`))
	if out, stderr, code := a.cli("job", "run", file); code != 0 {
		t.Fatalf("job run: exit %d\n%s\n%s", code, out, stderr)
	}
	payload := writeJob(t, dir, "payload.txt", "hello payload")
	out, stderr, code := a.cli("job", "dispatch", "-meta", "input=s3://bucket/x", "-idempotency-token", "t1", "param", payload)
	if code != 0 || !strings.Contains(out, "Dispatched Job ID = param/dispatch-") {
		t.Fatalf("job dispatch: exit %d, want 0 and the child's ID\n%s\n%s\nagent:\n%s", code, out, stderr, a.log)
	}
	var child string
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "Dispatched Job ID = "); ok {
			child = strings.TrimSpace(v)
		}
	}
	waitComplete(t, a, child)
	var stored struct {
		Meta    map[string]string
		Payload []byte
	}
	if err := a.get("/v1/job/"+strings.ReplaceAll(child, "/", "%2F"), &stored); err != nil {
		t.Fatal(err)
	}
	if stored.Meta["input"] != "s3://bucket/x" || string(stored.Payload) != "hello payload" {
		t.Fatalf("child %s: Meta %v Payload %q, want input meta and the payload", child, stored.Meta, stored.Payload)
	}

	// The same idempotency token returns the same child.
	again, _, code := a.cli("job", "dispatch", "-detach", "-meta", "input=s3://bucket/x", "-idempotency-token", "t1", "param", payload)
	if code != 0 || !strings.Contains(again, child) {
		t.Fatalf("repeated dispatch: exit %d, want 0 and child %s\n%s", code, child, again)
	}

	out, stderr, code = a.cli("job", "dispatch", "param")
	if code != 1 || !strings.Contains(stderr, `required meta keys "input" are missing`) {
		t.Fatalf("dispatch without meta: exit %d, want 1 and a message naming \"input\"\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	t.Logf("dispatch without meta: %s", strings.TrimSpace(stderr))
}
