package agent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/droverhq/drover/structs"
)

// schedFake adds the scheduler configuration, plan and scale endpoints to
// fakeServer, writing to its state store directly.
type schedFake struct {
	*fakeServer
	plans  []*structs.JobPlanRequest
	scales []*structs.JobScaleRequest
}

func (f *schedFake) SchedulerSetConfig(ctx context.Context, req *structs.SchedulerSetConfigRequest) (*structs.SchedulerSetConfigResponse, error) {
	if err := req.Config.Validate(); err != nil {
		return nil, err
	}
	idx := f.nextIndex()
	ok, err := f.st.SchedulerSetConfig(idx, &req.Config, req.CAS, req.Config.ModifyIndex)
	return &structs.SchedulerSetConfigResponse{Updated: ok, WriteMeta: structs.WriteMeta{Index: idx}}, err
}

func (f *schedFake) JobPlan(ctx context.Context, req *structs.JobPlanRequest) (*structs.JobPlanResponse, error) {
	f.plans = append(f.plans, req)
	return &structs.JobPlanResponse{JobModifyIndex: 7, Diff: structs.DiffJobs(nil, req.Job),
		Annotations: &structs.PlanAnnotations{DesiredTGUpdates: map[string]*structs.DesiredUpdates{"web": {Place: 2}}},
		WriteMeta:   structs.WriteMeta{Index: 9}}, nil
}

func (f *schedFake) JobScale(ctx context.Context, req *structs.JobScaleRequest) (*structs.JobRegisterResponse, error) {
	f.scales = append(f.scales, req)
	if req.Group != "web" {
		return nil, fmt.Errorf("group %q: %w", req.Group, structs.ErrInvalid)
	}
	return &structs.JobRegisterResponse{EvalID: "e1", JobModifyIndex: 11, WriteMeta: structs.WriteMeta{Index: 11}}, nil
}

func newSchedFakeAPI(t *testing.T) (*schedFake, *httptest.Server) {
	t.Helper()
	f := &schedFake{fakeServer: newFakeServer(t)}
	h := &httpServer{srv: f, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ts := httptest.NewServer(h.handler())
	t.Cleanup(ts.Close)
	return f, ts
}

func TestOperatorSchedulerConfiguration(t *testing.T) {
	_, ts := newSchedFakeAPI(t)
	url := ts.URL + "/v1/operator/scheduler/configuration"

	var got SchedulerConfigurationResponse
	r := call(t, "GET", url, nil)
	r.decode(t, &got)
	if r.code != 200 || got.SchedulerConfig.SchedulerAlgorithm != "binpack" || !got.SchedulerConfig.PreemptionConfig.SystemSchedulerEnabled {
		t.Fatalf("defaults: got %d %+v, want binpack with system preemption", r.code, got.SchedulerConfig)
	}

	r = call(t, "PUT", url, `{"SchedulerAlgorithm": "spread", "PreemptionConfig": {"ServiceSchedulerEnabled": true}}`)
	var set SchedulerSetConfigurationResponse
	r.decode(t, &set)
	if r.code != 200 || !set.Updated {
		t.Fatalf("set: got %d %s, want updated", r.code, r.body)
	}
	r = call(t, "GET", url, nil)
	r.decode(t, &got)
	if got.SchedulerConfig.SchedulerAlgorithm != "spread" || !got.SchedulerConfig.PreemptionConfig.ServiceSchedulerEnabled ||
		got.Index != set.Index || got.SchedulerConfig.ModifyIndex != set.Index {
		t.Fatalf("after set: got %+v index %d, want spread, service preemption, index %d", got.SchedulerConfig, got.Index, set.Index)
	}

	tests := []struct {
		name        string
		query, body string
		wantCode    int
		wantUpdated bool
	}{
		{"stale cas", fmt.Sprintf("?cas=%d", set.Index-1), `{"SchedulerAlgorithm": "binpack"}`, 200, false},
		{"current cas", fmt.Sprintf("?cas=%d", set.Index), `{"SchedulerAlgorithm": "binpack"}`, 200, true},
		{"bad cas", "?cas=x", `{}`, 400, false},
		{"bad algorithm", "", `{"SchedulerAlgorithm": "random"}`, 400, false},
		{"unknown field", "", `{"Bogus": 1}`, 400, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, "PUT", url+tt.query, tt.body)
			if r.code != tt.wantCode {
				t.Fatalf("got %d %s, want %d", r.code, r.body, tt.wantCode)
			}
			if r.code == 200 {
				var s SchedulerSetConfigurationResponse
				r.decode(t, &s)
				if s.Updated != tt.wantUpdated {
					t.Fatalf("Updated: got %v, want %v", s.Updated, tt.wantUpdated)
				}
			}
		})
	}
}

func TestJobPlanEndpoint(t *testing.T) {
	f, ts := newSchedFakeAPI(t)
	job := `{"Job": {"ID": "web", "Name": "web", "Type": "service", "Datacenters": ["dc1"],
		"TaskGroups": [{"Name": "web", "Count": 2, "Tasks": [{"Name": "t", "Driver": "mock", "Resources": {"CPU": 100, "MemoryMB": 64}}]}]},
		"Diff": true}`
	r := call(t, "PUT", ts.URL+"/v1/job/web/plan", job)
	if r.code != 200 {
		t.Fatalf("got %d %s, want 200", r.code, r.body)
	}
	var got struct {
		JobModifyIndex uint64
		Annotations    struct {
			DesiredTGUpdates map[string]struct{ Place uint64 }
		}
		Diff         struct{ Type string }
		CreatedEvals []any
		Index        uint64
	}
	r.decode(t, &got)
	if got.JobModifyIndex != 7 || got.Annotations.DesiredTGUpdates["web"].Place != 2 || got.Diff.Type != "Added" ||
		got.CreatedEvals == nil || r.index(t) != 9 {
		t.Fatalf("got %+v index %d, want JobModifyIndex 7, 2 places, Added diff, [] evals, index 9", got, r.index(t))
	}
	if len(f.plans) != 1 || !f.plans[0].Diff || f.plans[0].Job.Namespace != structs.DefaultNamespace {
		t.Fatalf("server got %+v, want one diff plan in the default namespace", f.plans)
	}
	if r := call(t, "PUT", ts.URL+"/v1/job/other/plan", job); r.code != http.StatusBadRequest {
		t.Fatalf("mismatched ID: got %d, want 400", r.code)
	}
	if r := call(t, "PUT", ts.URL+"/v1/job/web/plan", `{}`); r.code != http.StatusBadRequest {
		t.Fatalf("no job: got %d, want 400", r.code)
	}
}

func TestJobScaleEndpoint(t *testing.T) {
	f, ts := newSchedFakeAPI(t)
	r := call(t, "POST", ts.URL+"/v1/job/web/scale", `{"Count": 3, "Target": {"Group": "web"}, "Message": "more"}`)
	if r.code != 200 {
		t.Fatalf("got %d %s, want 200", r.code, r.body)
	}
	var got structs.JobRegisterResponse
	r.decode(t, &got)
	if got.EvalID != "e1" || len(f.scales) != 1 || *f.scales[0].Count != 3 || f.scales[0].JobID != "web" {
		t.Fatalf("got %+v, requests %+v; want eval e1 and a scale of web to 3", got, f.scales)
	}
	for _, tt := range []struct{ name, body string }{
		{"no group", `{"Count": 3}`},
		{"unknown group", `{"Count": 3, "Target": {"Group": "nope"}}`},
		{"other job", `{"Count": 3, "Target": {"Group": "web", "Job": "db"}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if r := call(t, "POST", ts.URL+"/v1/job/web/scale", tt.body); r.code != http.StatusBadRequest {
				t.Fatalf("got %d %s, want 400", r.code, r.body)
			}
		})
	}
}

func TestJobScaleStatusEndpoint(t *testing.T) {
	f, ts := newSchedFakeAPI(t)
	job := &structs.Job{ID: "web", Name: "web", Type: structs.JobTypeService, Datacenters: []string{"dc1"},
		TaskGroups: []*structs.TaskGroup{{Name: "web", Count: 4, Tasks: []*structs.Task{{Name: "t", Driver: "mock",
			Resources: &structs.Resources{CPU: 100, MemoryMB: 64}}}}}}
	if _, err := f.JobRegister(context.Background(), &structs.JobRegisterRequest{Job: job}); err != nil {
		t.Fatal(err)
	}
	var got JobScaleStatusResponse
	r := call(t, "GET", ts.URL+"/v1/job/web/scale", nil)
	r.decode(t, &got)
	if r.code != 200 || got.TaskGroups["web"] == nil || got.TaskGroups["web"].Desired != 4 {
		t.Fatalf("got %d %+v, want web desired 4", r.code, got)
	}
}
