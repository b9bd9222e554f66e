package command

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/droverhq/drover/api"
)

// testNow is the clock commands see in tests.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeAgent is an in-memory agent HTTP API with canned objects. Reads of an
// evaluation walk through evalSteps[id] one step per read, to exercise the
// monitor's blocking loop.
type fakeAgent struct {
	t  *testing.T
	mu sync.Mutex

	jobs      []*api.Job
	summaries map[string]*api.JobSummary
	evals     []*api.Evaluation
	evalSteps map[string][]*api.Evaluation
	allocs    []*api.Allocation
	nodes     []*api.Node
	regResp   *api.JobRegisterResponse
	// validateErrors are returned by POST /v1/validate/job.
	validateErrors []string

	registered   []*api.JobRegisterRequest
	deregistered []string
	requests     []string
}

func newFakeAgent(t *testing.T) (*fakeAgent, string) {
	t.Helper()
	f := &fakeAgent{t: t, summaries: map[string]*api.JobSummary{}, evalSteps: map[string][]*api.Evaluation{}}
	mux := http.NewServeMux()
	f.routes(mux)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *fakeAgent) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/jobs", func(w http.ResponseWriter, r *http.Request) {
		var out []*api.JobListStub
		for _, j := range f.jobs {
			if strings.HasPrefix(j.ID, r.URL.Query().Get("prefix")) {
				out = append(out, &api.JobListStub{ID: j.ID, Name: j.Name, Namespace: j.Namespace, Type: j.Type, Priority: j.Priority,
					Status: j.Status, Stop: j.Stop, SubmitTime: j.SubmitTime})
			}
		}
		reply(w, out)
	})
	mux.HandleFunc("POST /v1/jobs", f.register)
	mux.HandleFunc("GET /v1/agent/self", func(w http.ResponseWriter, r *http.Request) {
		reply(w, map[string]interface{}{"stats": map[string]interface{}{
			"runtime": map[string]string{"arch": "amd64", "goroutines": "12"},
			"server":  map[string]string{"leader": "true"},
		}})
	})
	mux.HandleFunc("POST /v1/validate/job", func(w http.ResponseWriter, r *http.Request) {
		reply(w, &api.JobValidateResponse{ValidationErrors: f.validateErrors})
	})
	mux.HandleFunc("GET /v1/job/{id}", func(w http.ResponseWriter, r *http.Request) {
		for _, j := range f.jobs {
			if j.ID == r.PathValue("id") {
				reply(w, j)
				return
			}
		}
		http.Error(w, "job not found", http.StatusNotFound)
	})
	mux.HandleFunc("DELETE /v1/job/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.deregistered = append(f.deregistered, r.PathValue("id")+"?"+r.URL.RawQuery)
		f.mu.Unlock()
		reply(w, &api.JobDeregisterResponse{EvalID: "stop-eval-0000-1111"})
	})
	mux.HandleFunc("GET /v1/job/{id}/versions", func(w http.ResponseWriter, r *http.Request) {
		out := &api.JobVersionsResponse{}
		for _, j := range f.jobs {
			if j.ID == r.PathValue("id") {
				out.Versions = append(out.Versions, j, &api.Job{ID: j.ID, Version: j.Version - 1})
			}
		}
		reply(w, out)
	})
	mux.HandleFunc("GET /v1/job/{id}/summary", func(w http.ResponseWriter, r *http.Request) {
		reply(w, f.summaries[r.PathValue("id")])
	})
	mux.HandleFunc("GET /v1/job/{id}/evaluations", func(w http.ResponseWriter, r *http.Request) {
		var out []*api.Evaluation
		for _, e := range f.evals {
			if e.JobID == r.PathValue("id") {
				out = append(out, e)
			}
		}
		reply(w, out)
	})
	mux.HandleFunc("GET /v1/job/{id}/allocations", func(w http.ResponseWriter, r *http.Request) {
		reply(w, f.allocStubs(func(a *api.Allocation) bool { return a.JobID == r.PathValue("id") }))
	})
	mux.HandleFunc("GET /v1/evaluations", func(w http.ResponseWriter, r *http.Request) {
		var out []*api.Evaluation
		for _, e := range f.evals {
			if strings.HasPrefix(e.ID, r.URL.Query().Get("prefix")) {
				out = append(out, e)
			}
		}
		reply(w, out)
	})
	mux.HandleFunc("GET /v1/evaluation/{id}", f.evalInfo)
	mux.HandleFunc("GET /v1/evaluation/{id}/allocations", func(w http.ResponseWriter, r *http.Request) {
		reply(w, f.allocStubs(func(a *api.Allocation) bool { return a.EvalID == r.PathValue("id") }))
	})
	mux.HandleFunc("GET /v1/allocations", func(w http.ResponseWriter, r *http.Request) {
		prefix := r.URL.Query().Get("prefix")
		reply(w, f.allocStubs(func(a *api.Allocation) bool { return strings.HasPrefix(a.ID, prefix) }))
	})
	mux.HandleFunc("GET /v1/allocation/{id}", func(w http.ResponseWriter, r *http.Request) {
		for _, a := range f.allocs {
			if a.ID == r.PathValue("id") {
				reply(w, a)
				return
			}
		}
		http.Error(w, "alloc not found", http.StatusNotFound)
	})
	mux.HandleFunc("GET /v1/nodes", func(w http.ResponseWriter, r *http.Request) {
		out := []*api.NodeListStub{}
		for _, n := range f.nodes {
			if strings.HasPrefix(n.ID, r.URL.Query().Get("prefix")) {
				out = append(out, n.Stub())
			}
		}
		reply(w, out)
	})
	mux.HandleFunc("GET /v1/node/{id}", func(w http.ResponseWriter, r *http.Request) {
		for _, n := range f.nodes {
			if n.ID == r.PathValue("id") {
				reply(w, n)
				return
			}
		}
		http.Error(w, "node not found", http.StatusNotFound)
	})
	mux.HandleFunc("GET /v1/node/{id}/allocations", func(w http.ResponseWriter, r *http.Request) {
		out := []*api.Allocation{}
		for _, a := range f.allocs {
			if a.NodeID == r.PathValue("id") {
				out = append(out, a)
			}
		}
		reply(w, out)
	})
}

func (f *fakeAgent) register(w http.ResponseWriter, r *http.Request) {
	var req api.JobRegisterRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.registered = append(f.registered, &req)
	f.mu.Unlock()
	resp := f.regResp
	if resp == nil {
		resp = &api.JobRegisterResponse{EvalID: "eval-1111-2222"}
	}
	reply(w, resp)
}

// evalInfo answers the next step of the evaluation, with an index that
// grows with each step.
func (f *fakeAgent) evalInfo(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	f.mu.Lock()
	steps := f.evalSteps[id]
	var e *api.Evaluation
	if len(steps) > 0 {
		e = steps[0]
		if len(steps) > 1 {
			f.evalSteps[id] = steps[1:]
		}
	}
	f.mu.Unlock()
	for _, ev := range f.evals {
		if e == nil && ev.ID == id {
			e = ev
		}
	}
	if e == nil {
		http.Error(w, "eval not found", http.StatusNotFound)
		return
	}
	w.Header().Set(api.HeaderIndex, strconv.FormatUint(e.ModifyIndex, 10))
	reply(w, e)
}

func (f *fakeAgent) allocStubs(keep func(*api.Allocation) bool) []*api.AllocationListStub {
	out := []*api.AllocationListStub{}
	for _, a := range f.allocs {
		if keep(a) {
			out = append(out, a.Stub())
		}
	}
	return out
}

func reply(w http.ResponseWriter, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// result is what one CLI run printed.
type result struct {
	stdout, stderr string
	code           int
}

// runCLI runs the CLI in-process against addr with a fixed clock.
func runCLI(t *testing.T, addr string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	m := newMeta(strings.NewReader(stdin), &out, &errb)
	m.now = func() time.Time { return testNow }
	m.pollInterval = time.Millisecond
	m.environ = func() []string { return nil }
	if addr != "" {
		args = append(args, "-address", addr)
	}
	code := m.run(args)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// wantContains fails unless every want string is in got.
func wantContains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: missing %q in:\n%s", what, w, got)
		}
	}
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code: got %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

// nanos turns a time before testNow into unix nanoseconds.
func nanos(ago time.Duration) int64 { return testNow.Add(-ago).UnixNano() }
