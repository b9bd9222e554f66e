package command

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/droverhq/drover/api"
)

const planTestJob = `job "web" {
  datacenters = ["dc1"]
  group "web" {
    count = 3
    task "server" {
      driver = "mock"
      env { COLOR = "green" }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`

// planAgent answers PUT /v1/job/web/plan with resp and records the request.
func planAgent(t *testing.T, resp *api.JobPlanResponse, code int) (string, *api.JobPlanRequest) {
	t.Helper()
	var got api.JobPlanRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Path != "/v1/job/web/plan" {
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("decode plan request: %v", err)
		}
		if code != http.StatusOK {
			http.Error(w, "job is invalid", code)
			return
		}
		reply(w, resp)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &got
}

func writeTempJob(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "web.hcl")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestJobPlanOutput(t *testing.T) {
	edited := &api.JobPlanResponse{
		JobModifyIndex: 42,
		Annotations: &api.PlanAnnotations{DesiredTGUpdates: map[string]*api.DesiredUpdates{
			"web": {Place: 1, DestructiveUpdate: 2}}},
		Diff: &api.JobDiff{Type: "Edited", ID: "web", TaskGroups: []*api.TaskGroupDiff{{
			Type: "Edited", Name: "web",
			Updates: map[string]uint64{"create": 1, "create/destroy update": 2},
			Fields:  []*api.FieldDiff{{Type: "Edited", Name: "Count", Old: "2", New: "3", Annotations: []string{"forces create"}}},
			Tasks: []*api.TaskDiff{{Type: "Edited", Name: "server", Annotations: []string{"forces create/destroy update"},
				Fields: []*api.FieldDiff{{Type: "Edited", Name: "Env[COLOR]", Old: "blue", New: "green"}}}},
		}}},
	}
	unchanged := &api.JobPlanResponse{JobModifyIndex: 42,
		Annotations: &api.PlanAnnotations{DesiredTGUpdates: map[string]*api.DesiredUpdates{"web": {Ignore: 3}}},
		Diff:        &api.JobDiff{Type: "None", ID: "web", TaskGroups: []*api.TaskGroupDiff{{Type: "None", Name: "web", Updates: map[string]uint64{"ignore": 3}}}}}
	failed := &api.JobPlanResponse{JobModifyIndex: 42,
		Annotations:    &api.PlanAnnotations{DesiredTGUpdates: map[string]*api.DesiredUpdates{"web": {Place: 3}}},
		FailedTGAllocs: map[string]*api.AllocMetric{"web": {NodesEvaluated: 1, NodesExhausted: 1, DimensionExhausted: map[string]int{"memory": 1}}}}
	path := writeTempJob(t, planTestJob)
	tests := []struct {
		name     string
		resp     *api.JobPlanResponse
		code     int
		wantExit int
		wantOut  []string
		wantErr  []string
	}{
		{"edited", edited, 200, 1, []string{
			`+/- Job: "web"`,
			`+/- Task Group: "web" (1 create, 2 create/destroy update)`,
			`  +/- Count: "2" => "3" (forces create)`,
			`  +/- Task: "server" (forces create/destroy update)`,
			`    +/- Env[COLOR]: "blue" => "green"`,
			"Scheduler dry-run:\n- All tasks successfully allocated.",
			"Job Modify Index: 42",
			"drover job run -check-index 42 " + path,
		}, nil},
		{"unchanged", unchanged, 200, 0, []string{`    Job: "web"`, `    Task Group: "web" (3 ignore)`, "All tasks successfully allocated."}, nil},
		{"placement failure", failed, 200, 1, []string{"- WARNING: Failed to place all allocations.",
			`Task Group "web" (failed to place 1 allocation):`, `Dimension "memory" exhausted on 1 nodes`}, nil},
		{"server error", nil, 400, 255, nil, []string{"Error during plan:", "job is invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, req := planAgent(t, tt.resp, tt.code)
			r := runCLI(t, addr, "", "job", "plan", path)
			wantCode(t, r, tt.wantExit)
			wantContains(t, "stdout", r.stdout, tt.wantOut...)
			wantContains(t, "stderr", r.stderr, tt.wantErr...)
			if !req.Diff || req.Job == nil || req.Job.ID != "web" {
				t.Errorf("request: got %+v, want the job with Diff", req)
			}
		})
	}
}

func TestJobPlanBadFileExits255(t *testing.T) {
	r := runCLI(t, "http://127.0.0.1:1", "", "job", "plan", filepath.Join(t.TempDir(), "missing.hcl"))
	wantCode(t, r, 255)
	wantContains(t, "stderr", r.stderr, "Error parsing job file")
}

// TestJobPlanUsageErrorExits255: exit 1 means "allocations would change"
// for job plan, so a usage mistake must not exit 1.
func TestJobPlanUsageErrorExits255(t *testing.T) {
	for _, args := range [][]string{{"job", "plan"}, {"job", "plan", "-nosuch", "x.hcl"}, {"job", "plan", "a.hcl", "b.hcl"}} {
		r := runCLI(t, "http://127.0.0.1:1", "", args...)
		wantCode(t, r, 255)
		wantContains(t, "stderr", r.stderr, "Usage: drover job plan <file>")
	}
	r := runCLI(t, "", "", "job", "run")
	wantCode(t, r, 1) // other commands keep exit 1
}

func TestJobScale(t *testing.T) {
	var got api.ScalingRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/jobs":
			reply(w, []*api.JobListStub{{ID: "web"}})
		case r.Method == http.MethodGet && r.URL.Path == "/v1/job/web":
			reply(w, &api.Job{ID: "web", TaskGroups: []*api.TaskGroup{{Name: "app"}}})
		case r.Method == http.MethodPost && r.URL.Path == "/v1/job/web/scale":
			json.NewDecoder(r.Body).Decode(&got)
			reply(w, &api.JobRegisterResponse{EvalID: "eval-1234", JobModifyIndex: 9})
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)

	r := runCLI(t, srv.URL, "", "job", "scale", "-detach", "web", "5")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "Job scale successful", "Evaluation ID: eval-1234")
	if got.Count == nil || *got.Count != 5 || got.Target["Group"] != "app" {
		t.Fatalf("request: got %+v, want count 5 for group app", got)
	}

	r = runCLI(t, srv.URL, "", "job", "scale", "-detach", "web", "app", "2")
	wantCode(t, r, 0)
	if *got.Count != 2 || got.Target["Group"] != "app" {
		t.Fatalf("request: got %+v, want count 2 for group app", got)
	}

	r = runCLI(t, srv.URL, "", "job", "scale", "web", "app", "many")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "is not a whole number")
}
