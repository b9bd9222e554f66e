package command

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/droverhq/drover/api"
)

const webJob = `job "web" {
  datacenters = ["dc1"]
  group "app" {
    count = 2
    task "server" {
      driver = "exec"
      config {
        command = "/bin/sleep"
        args    = ["1000"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`

// writeFile writes a job file into a temp dir and returns its path.
func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestJobRunMonitor(t *testing.T) {
	f, addr := newFakeAgent(t)
	evalID := "eval-1111-2222"
	f.evalSteps[evalID] = []*api.Evaluation{
		{ID: evalID, JobID: "web", Status: api.EvalStatusPending, CreateIndex: 5, ModifyIndex: 5},
		{ID: evalID, JobID: "web", Status: api.EvalStatusComplete, CreateIndex: 5, ModifyIndex: 7},
	}
	f.allocs = []*api.Allocation{
		{ID: "alloc-aaaa-bbbb", EvalID: evalID, NodeID: "node-1234-5678", TaskGroup: "app", CreateIndex: 6},
		{ID: "alloc-cccc-dddd", EvalID: evalID, NodeID: "node-1234-5678", TaskGroup: "app", CreateIndex: 2},
	}

	r := runCLI(t, addr, "", "job", "run", writeFile(t, "web.hcl", webJob))
	wantCode(t, r, 0)
	want := `==> Monitoring evaluation "eval-111"
    Evaluation triggered by job "web"
    Allocation "alloc-aa" created: node "node-123", group "app"
    Allocation "alloc-cc" modified: node "node-123", group "app"
    Evaluation status changed: "pending" -> "complete"
==> Evaluation "eval-111" finished with status "complete"
`
	if r.stdout != want {
		t.Errorf("stdout:\ngot:\n%s\nwant:\n%s", r.stdout, want)
	}
	if len(f.registered) != 1 || f.registered[0].Job.ID != "web" || f.registered[0].EnforceIndex {
		t.Errorf("registered: got %+v", f.registered)
	}
	var blocking bool
	for _, req := range f.requests {
		blocking = blocking || strings.Contains(req, "/v1/evaluation/"+evalID+"?index=5")
	}
	if !blocking {
		t.Errorf("no blocking read with index=5 in %q", f.requests)
	}
}

func TestJobRunPlacementFailure(t *testing.T) {
	f, addr := newFakeAgent(t)
	evalID := "eval-1111-2222"
	f.evals = []*api.Evaluation{{
		ID: evalID, JobID: "web", Status: api.EvalStatusComplete, ModifyIndex: 3, BlockedEval: "blocked-9999",
		FailedTGAllocs: map[string]*api.AllocMetric{"app": {
			NodesEvaluated:     5,
			ConstraintFiltered: map[string]int{"${attr.kernel.name} = windows": 3},
			NodesExhausted:     2,
			DimensionExhausted: map[string]int{"memory": 2},
			CoalescedFailures:  2,
		}},
	}}
	r := runCLI(t, addr, "", "job", "run", "-verbose", writeFile(t, "web.hcl", webJob))
	wantCode(t, r, 2)
	wantContains(t, "stdout", r.stdout,
		`==> Evaluation "eval-1111-2222" finished with status "complete" but failed to place all allocations:
    Task Group "app" (failed to place 3 allocations):
      * Constraint "${attr.kernel.name} = windows": 3 nodes excluded by filter
      * Resources exhausted on 2 nodes
      * Dimension "memory" exhausted on 2 nodes
    Evaluation "blocked-9999" waiting for additional capacity to place remainder
`)
}

func TestJobRunOutput(t *testing.T) {
	r := runCLI(t, "http://127.0.0.1:1", "", "job", "run", "-output", writeFile(t, "web.hcl", webJob))
	wantCode(t, r, 0)
	var env struct{ Job *api.Job }
	if err := json.Unmarshal([]byte(r.stdout), &env); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	if env.Job == nil || env.Job.ID != "web" || len(env.Job.TaskGroups) != 1 {
		t.Errorf("got job %+v", env.Job)
	}
}

func TestJobRunOutputWithVars(t *testing.T) {
	body := strings.Replace(webJob, "count = 2", "count = var.n", 1) +
		"variable \"n\" {\n  type    = number\n  default = 1\n}\n"
	path := writeFile(t, "web.hcl", body)
	for _, tt := range []struct {
		args []string
		want int
	}{
		{nil, 1},
		{[]string{"-var", "n=4"}, 4},
		{[]string{"-var=n=5"}, 5},
	} {
		args := append(append([]string{"job", "run", "-output"}, tt.args...), path)
		r := runCLI(t, "", "", args...)
		wantCode(t, r, 0)
		var env struct{ Job *api.Job }
		if err := json.Unmarshal([]byte(r.stdout), &env); err != nil {
			t.Fatalf("%q: not JSON: %v\n%s", tt.args, err, r.stdout)
		}
		if c := env.Job.TaskGroups[0].Count; c == nil || *c != tt.want {
			t.Errorf("%q: count got %v, want %d", tt.args, c, tt.want)
		}
	}
	r := runCLI(t, "", "", "job", "run", "-output", "-var", "undeclared=1", path)
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "undeclared")
}

func TestJobRunStdinDetachCheckIndex(t *testing.T) {
	f, addr := newFakeAgent(t)
	r := runCLI(t, addr, webJob, "job", "run", "-detach", "-check-index", "0", "-")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "Job registration successful", "Evaluation ID: eval-1111-2222")
	if len(f.registered) != 1 || !f.registered[0].EnforceIndex || f.registered[0].JobModifyIndex != 0 {
		t.Errorf("registered: got %+v, want EnforceIndex with index 0", f.registered)
	}
}

func TestJobRunErrors(t *testing.T) {
	_, addr := newFakeAgent(t)
	tests := []struct {
		name  string
		args  []string
		wants []string
	}{
		{"missing file", []string{"job", "run", filepath.Join(t.TempDir(), "nope.hcl")},
			[]string{"Error parsing job file:", "nope.hcl"}},
		{"syntax error", []string{"job", "run", writeFile(t, "bad.hcl", "job \"x\" {\n  group {\n")},
			[]string{"Error parsing job file:", "bad.hcl:"}},
		{"no file", []string{"job", "run"}, []string{"takes 1 argument, got 0", "Usage: drover job run <file>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, addr, "", tt.args...)
			wantCode(t, r, 1)
			wantContains(t, "stderr", r.stderr, tt.wants...)
		})
	}
}

func TestJobRunWithoutEvaluation(t *testing.T) {
	f, addr := newFakeAgent(t)
	f.regResp = &api.JobRegisterResponse{Warnings: "periodic jobs are launched later"}
	r := runCLI(t, addr, "", "job", "run", writeFile(t, "web.hcl", webJob))
	wantCode(t, r, 0)
	if want := "Job Warnings:\nperiodic jobs are launched later\n\nJob registration successful\n"; r.stdout != want {
		t.Errorf("got %q, want %q", r.stdout, want)
	}
}

func TestJobRunServerError(t *testing.T) {
	r := runCLI(t, "http://127.0.0.1:1", "", "job", "run", writeFile(t, "web.hcl", webJob))
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "Error submitting job:")
}

func TestJobValidate(t *testing.T) {
	r := runCLI(t, "http://127.0.0.1:1", "", "job", "validate", writeFile(t, "web.hcl", webJob))
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "Job validation successful")
	wantContains(t, "stderr", r.stderr, "checked the job file locally only")

	r = runCLI(t, "", "", "job", "validate", writeFile(t, "bad.hcl", "job {"))
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "Error validating job:", "bad.hcl:")
}

func TestJobValidateByAgent(t *testing.T) {
	f, addr := newFakeAgent(t)
	r := runCLI(t, addr, "", "job", "validate", writeFile(t, "web.hcl", webJob))
	wantCode(t, r, 0)
	if r.stderr != "" || r.stdout != "Job validation successful\n" {
		t.Errorf("got stdout %q stderr %q", r.stdout, r.stderr)
	}
	f.validateErrors = []string{"group \"app\": count must be >= 0"}
	r = runCLI(t, addr, "", "job", "validate", writeFile(t, "web.hcl", webJob))
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "Job validation errors:\n  * group \"app\": count must be >= 0\n")
}

func TestJobStatusList(t *testing.T) {
	f, addr := newFakeAgent(t)
	r := runCLI(t, addr, "", "job", "status")
	wantCode(t, r, 0)
	if r.stdout != "No running jobs\n" {
		t.Errorf("empty: got %q", r.stdout)
	}
	f.jobs = []*api.Job{
		{ID: "web", Type: "service", Priority: 50, Status: "running"},
		{ID: "batch-long-name", Type: "batch", Priority: 70, Status: "dead", Stop: true},
	}
	r = runCLI(t, addr, "", "status")
	wantCode(t, r, 0)
	want := "ID               Type     Priority  Status          Submit Date\n" +
		"web              service  50        running         <none>\n" +
		"batch-long-name  batch    70        dead (stopped)  <none>\n"
	if r.stdout != want {
		t.Errorf("table:\ngot:\n%s\nwant:\n%s", r.stdout, want)
	}
	r = runCLI(t, addr, "", "job", "status", "-json")
	var stubs []*api.JobListStub
	if err := json.Unmarshal([]byte(r.stdout), &stubs); err != nil || len(stubs) != 2 {
		t.Errorf("json: got %v %q", err, r.stdout)
	}

	// Jobs of several namespaces (-namespace '*') may share an ID: the
	// table names the namespace then.
	f.jobs = []*api.Job{
		{ID: "web", Namespace: "default", Type: "service", Priority: 50, Status: "running"},
		{ID: "web", Namespace: "prod", Type: "service", Priority: 50, Status: "running"},
	}
	r = runCLI(t, addr, "", "-namespace", "*", "job", "status")
	wantCode(t, r, 0)
	want = "ID   Namespace  Type     Priority  Status   Submit Date\n" +
		"web  default    service  50        running  <none>\n" +
		"web  prod       service  50        running  <none>\n"
	if r.stdout != want {
		t.Errorf("several namespaces:\ngot:\n%s\nwant:\n%s", r.stdout, want)
	}
}

func jobStatusFixture(f *fakeAgent) {
	f.jobs = []*api.Job{{ID: "web", Name: "web", Type: "service", Priority: 50, Status: "running",
		Datacenters: []string{"dc1", "dc2"}, Namespace: "default", NodePool: "default"}}
	f.summaries["web"] = &api.JobSummary{JobID: "web", Summary: map[string]api.TaskGroupSummary{
		"app": {Queued: 1, Running: 2},
	}}
	f.evals = []*api.Evaluation{
		{ID: "e-blocked", JobID: "web", Status: api.EvalStatusBlocked, CreateIndex: 9},
		{ID: "e-failed", JobID: "web", Status: api.EvalStatusComplete, CreateIndex: 8,
			FailedTGAllocs: map[string]*api.AllocMetric{"app": {NodesEvaluated: 2, NodesExhausted: 2,
				DimensionExhausted: map[string]int{"cpu": 2}}}},
	}
	f.allocs = []*api.Allocation{
		{ID: "aaaaaaaa-1", JobID: "web", NodeID: "nnnnnnnn-1", TaskGroup: "app", DesiredStatus: "run",
			ClientStatus: "running", CreateIndex: 5, CreateTime: nanos(3 * time.Second), ModifyTime: nanos(2 * time.Second)},
		{ID: "bbbbbbbb-2", JobID: "web", NodeID: "nnnnnnnn-2", TaskGroup: "app", DesiredStatus: "run",
			ClientStatus: "pending", CreateIndex: 6, CreateTime: nanos(90 * time.Second), ModifyTime: nanos(time.Hour)},
	}
}

func TestJobStatusDetail(t *testing.T) {
	f, addr := newFakeAgent(t)
	jobStatusFixture(f)
	r := runCLI(t, addr, "", "job", "status", "we")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout,
		"ID            = web\n",
		"Datacenters   = dc1,dc2\n",
		"Parameterized = false\n",
		"Summary\nTask Group  Queued  Starting  Running  Failed  Complete  Lost\napp         1       0         2        0       0         0\n",
		"Placement Failure\nTask Group \"app\":\n  * Resources exhausted on 2 nodes\n  * Dimension \"cpu\" exhausted on 2 nodes\n",
		`Evaluation "e-blocke" waiting for additional capacity`,
		"Allocations\nID        Node ID   Task Group  Version  Desired  Status   Created    Modified\n"+
			"bbbbbbbb  nnnnnnnn  app         0        run      pending  1m30s ago  1h0m ago\n"+
			"aaaaaaaa  nnnnnnnn  app         0        run      running  3s ago     2s ago\n",
	)
}

func TestJobStatusJSON(t *testing.T) {
	f, addr := newFakeAgent(t)
	jobStatusFixture(f)
	r := runCLI(t, addr, "", "job", "status", "-json", "web")
	wantCode(t, r, 0)
	var v jobStatusView
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if v.Job.ID != "web" || len(v.Allocations) != 2 || len(v.Evaluations) != 2 {
		t.Errorf("got %+v", v)
	}
}

func TestJobStatusPrefixErrors(t *testing.T) {
	f, addr := newFakeAgent(t)
	f.jobs = []*api.Job{{ID: "web-a", Type: "service"}, {ID: "web-b", Type: "batch"}, {ID: "web"}}
	r := runCLI(t, addr, "", "job", "status", "web-")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "Prefix matched multiple jobs\n\n", "web-a ", "web-b ")

	r = runCLI(t, addr, "", "job", "status", "nope")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "Error getting job status: job \"nope\" not found\n")
}

func TestJobInspectStopHistory(t *testing.T) {
	f, addr := newFakeAgent(t)
	f.jobs = []*api.Job{{ID: "web", Version: 3}}
	r := runCLI(t, addr, "", "job", "inspect", "web")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "{\n    \"Job\": {\n", `"Version": 3`)

	r = runCLI(t, addr, "", "job", "inspect", "-version", "2", "web")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, `"Version": 2`)

	r = runCLI(t, addr, "", "job", "history", "web")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "Version     = 3\nStable      = false\n", "\nVersion     = 2\n")

	r = runCLI(t, addr, "", "job", "stop", "-purge", "-detach", "web")
	wantCode(t, r, 0)
	if r.stdout != "stop-eval-0000-1111\n" || len(f.deregistered) != 1 || f.deregistered[0] != "web?purge=true" {
		t.Errorf("stop: got %q, deregistered %q", r.stdout, f.deregistered)
	}

	f.evals = []*api.Evaluation{{ID: "stop-eval-0000-1111", JobID: "web", Status: api.EvalStatusComplete}}
	r = runCLI(t, addr, "", "job", "stop", "-yes", "web")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, `==> Evaluation "stop-eva" finished with status "complete"`)
	f.deregistered = nil

	r = runCLI(t, addr, "n\n", "job", "stop", "we")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, `Are you sure you want to stop job "web"? [y/N]`, "Cancelling job stop")
	if len(f.deregistered) != 0 {
		t.Errorf("stop without confirmation deregistered: %q", f.deregistered)
	}
}
