package command

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/droverhq/drover/api"
)

// schedConfigAgent serves the scheduler configuration endpoints over conf.
func schedConfigAgent(t *testing.T, conf *api.SchedulerConfiguration) (string, *[]string) {
	t.Helper()
	var queries []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/operator/scheduler/configuration" {
			http.NotFound(w, r)
			return
		}
		switch r.Method {
		case http.MethodGet:
			reply(w, &api.SchedulerConfigurationResponse{SchedulerConfig: conf, Index: conf.ModifyIndex})
		case http.MethodPut:
			queries = append(queries, r.URL.RawQuery)
			var in api.SchedulerConfiguration
			json.NewDecoder(r.Body).Decode(&in)
			if cas := r.URL.Query().Get("cas"); cas != "" && cas != "5" {
				reply(w, &api.SchedulerSetConfigurationResponse{Updated: false})
				return
			}
			*conf = in
			conf.ModifyIndex = 6
			reply(w, &api.SchedulerSetConfigurationResponse{Updated: true, Index: 6})
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &queries
}

func TestOperatorSchedulerConfig(t *testing.T) {
	conf := &api.SchedulerConfiguration{SchedulerAlgorithm: "binpack",
		PreemptionConfig: api.PreemptionConfig{SystemSchedulerEnabled: true}, ModifyIndex: 5}
	addr, queries := schedConfigAgent(t, conf)

	r := runCLI(t, addr, "", "operator", "scheduler", "get-config")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "Scheduler Algorithm", "binpack", "Preemption System Scheduler")

	r = runCLI(t, addr, "", "operator", "scheduler", "set-config", "-scheduler-algorithm=spread", "-preempt-service-scheduler=true")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "Scheduler configuration updated!")
	if conf.SchedulerAlgorithm != "spread" || !conf.PreemptionConfig.ServiceSchedulerEnabled || !conf.PreemptionConfig.SystemSchedulerEnabled {
		t.Fatalf("got %+v, want spread, service preemption on and system preemption kept", conf)
	}

	r = runCLI(t, addr, "", "operator", "scheduler", "set-config", "-memory-oversubscription=true", "-check-index", "3")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "not updated")
	if last := (*queries)[len(*queries)-1]; last != "cas=3" {
		t.Fatalf("query: got %q, want cas=3", last)
	}

	r = runCLI(t, addr, "", "operator", "scheduler", "set-config", "-scheduler-algorithm=random")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, `-scheduler-algorithm="random"`)

	r = runCLI(t, addr, "", "operator", "scheduler", "get-config", "-json")
	wantCode(t, r, 0)
	var got api.SchedulerConfiguration
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || got.SchedulerAlgorithm != "spread" {
		t.Fatalf("-json: got %q (%v), want the configuration", r.stdout, err)
	}
}

func TestOperatorSchedulerBenchmark(t *testing.T) {
	r := runCLI(t, "", "", "operator", "scheduler-benchmark", "-nodes", "20", "-count", "200", "-spread")
	wantCode(t, r, 0)
	var got map[string]float64
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, r.stdout)
	}
	for _, k := range []string{"nodes", "count", "placed", "seconds", "placements_per_sec"} {
		if _, ok := got[k]; !ok {
			t.Errorf("missing %q in %v", k, got)
		}
	}
	if got["placed"] != 200 || got["nodes"] != 20 {
		t.Fatalf("got %v, want 200 placed on 20 nodes", got)
	}
	r = runCLI(t, "", "", "operator", "scheduler-benchmark", "-nodes", "0")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "must be positive")
}
