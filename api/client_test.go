package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAgent serves canned answers keyed by "METHOD /path" and records the
// requests it saw.
type fakeAgent struct {
	t        *testing.T
	routes   map[string]func(w http.ResponseWriter, r *http.Request)
	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
}

func newFakeAgent(t *testing.T) (*fakeAgent, *Client) {
	t.Helper()
	f := &fakeAgent{t: t, routes: map[string]func(http.ResponseWriter, *http.Request){}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	c, err := NewClient(&Config{Address: srv.URL})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return f, c
}

func (f *fakeAgent) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, r)
	f.bodies = append(f.bodies, string(body))
	f.mu.Unlock()
	h, ok := f.routes[r.Method+" "+r.URL.Path]
	if !ok {
		http.Error(w, "no route "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	h(w, r)
}

// json registers a route answering v with index headers.
func (f *fakeAgent) json(route string, index uint64, v interface{}) {
	f.routes[route] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(HeaderIndex, jsonUint(index))
		w.Header().Set(HeaderKnownLeader, "true")
		w.Header().Set(HeaderLastContact, "12")
		_ = json.NewEncoder(w).Encode(v)
	}
}

func jsonUint(u uint64) string { b, _ := json.Marshal(u); return string(b) }

func (f *fakeAgent) last() (*http.Request, string) {
	f.t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		f.t.Fatal("no request made")
	}
	n := len(f.requests) - 1
	return f.requests[n], f.bodies[n]
}

func TestDefaultConfigFromEnv(t *testing.T) {
	t.Setenv(EnvAddress, "http://10.0.0.1:1234")
	t.Setenv(EnvToken, "secret")
	t.Setenv(EnvNamespace, "prod")
	t.Setenv(EnvRegion, "eu")
	cfg := DefaultConfig()
	want := Config{Address: "http://10.0.0.1:1234", Token: "secret", Namespace: "prod", Region: "eu"}
	if *cfg != want {
		t.Errorf("got %+v, want %+v", *cfg, want)
	}
	t.Setenv(EnvAddress, "")
	if got := DefaultConfig().Address; got != DefaultAddress {
		t.Errorf("default address: got %q, want %q", got, DefaultAddress)
	}
}

func TestNewClientRejectsBadAddress(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"ftp://x", "is not an http:// or https:// URL"},
		{"://bad", "use one such as http://127.0.0.1:8646"},
		{"http://", "is not an http:// or https:// URL"},
		// host:port without a scheme: say how to write it, not Go's
		// "first path segment in URL cannot contain colon".
		{"127.0.0.1:4646", `address "127.0.0.1:4646" has no scheme: use a URL such as http://127.0.0.1:4646`},
	} {
		_, err := NewClient(&Config{Address: tc.addr})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewClient(%q): got %v, want an error containing %q", tc.addr, err, tc.want)
		}
	}
}

// TestUnreachableAgentSaysWhatToDo: a refused connection says that no agent
// listens at the address and how to fix it, and still unwraps to the
// transport error.
func TestUnreachableAgentSaysWhatToDo(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	addr := ts.URL
	ts.Close() // nothing listens there now
	c, err := NewClient(&Config{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Jobs().List(nil)
	if err == nil {
		t.Fatal("got nil error from a closed port")
	}
	for _, want := range []string{"connection refused", "no drover agent is listening at " + addr, "DROVER_ADDR"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %q, want it to contain %q", err, want)
		}
	}
	var ue *UnexpectedResponseError
	if errors.As(err, &ue) {
		t.Errorf("a transport error must not look like an agent answer: %v", err)
	}
}

func TestQueryOptionsAndMeta(t *testing.T) {
	f, c := newFakeAgent(t)
	f.json("GET /v1/jobs", 42, []*JobListStub{{ID: "web", Type: "service"}})
	c.cfg.Token = "tok"
	c.cfg.Region = "global"
	q := &QueryOptions{Namespace: "ns1", Prefix: "we", WaitIndex: 7, WaitTime: 1500 * time.Millisecond,
		AllowStale: true, Params: map[string]string{"x": "y"}}
	jobs, qm, err := c.Jobs().List(q.WithContext(context.Background()))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(jobs) != 1 || jobs[0].ID != "web" {
		t.Errorf("jobs: got %+v", jobs)
	}
	if qm.LastIndex != 42 || !qm.KnownLeader || qm.LastContact != 12*time.Millisecond {
		t.Errorf("meta: got %+v, want index 42, known leader, 12ms", qm)
	}
	r, _ := f.last()
	got := r.URL.Query()
	for k, want := range map[string]string{"namespace": "ns1", "region": "global", "prefix": "we",
		"index": "7", "wait": "1500ms", "x": "y"} {
		if got.Get(k) != want {
			t.Errorf("query %s: got %q, want %q", k, got.Get(k), want)
		}
	}
	if _, ok := got["stale"]; !ok {
		t.Error("query: stale missing")
	}
	if tok := r.Header.Get(HeaderToken); tok != "tok" {
		t.Errorf("token header: got %q, want tok", tok)
	}
}

func TestErrorResponse(t *testing.T) {
	f, c := newFakeAgent(t)
	f.routes["GET /v1/job/nope"] = func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "job not found", http.StatusNotFound)
	}
	_, _, err := c.Jobs().Info("nope", nil)
	var ue *UnexpectedResponseError
	if !errors.As(err, &ue) {
		t.Fatalf("got %T %v, want *UnexpectedResponseError", err, err)
	}
	if ue.StatusCode != 404 || err.Error() != "Unexpected response code: 404 (job not found)" {
		t.Errorf("got %d %q", ue.StatusCode, err.Error())
	}
	if !IsNotFound(err) {
		t.Error("IsNotFound: got false, want true")
	}
}

func TestJobsEndpoints(t *testing.T) {
	f, c := newFakeAgent(t)
	f.json("POST /v1/jobs", 10, &JobRegisterResponse{EvalID: "e1", JobModifyIndex: 9})
	f.json("POST /v1/jobs/parse", 0, &Job{ID: "parsed"})
	f.json("GET /v1/job/web", 5, &Job{ID: "web", Version: 2})
	f.json("GET /v1/job/web/versions", 5, &JobVersionsResponse{Versions: []*Job{{Version: 2}, {Version: 1}}})
	f.json("GET /v1/job/web/allocations", 5, []*AllocationListStub{{ID: "a1"}})
	f.json("GET /v1/job/web/evaluations", 5, []*Evaluation{{ID: "e1"}})
	f.json("GET /v1/job/web/summary", 5, &JobSummary{JobID: "web", Summary: map[string]TaskGroupSummary{"g": {Running: 2}}})
	f.json("DELETE /v1/job/web", 11, &JobDeregisterResponse{EvalID: "e2"})
	f.json("POST /v1/validate/job", 0, &JobValidateResponse{ValidationErrors: []string{"bad count"}})

	job := &Job{ID: "web"}
	resp, wm, err := c.Jobs().Register(job, nil)
	if err != nil || resp.EvalID != "e1" || wm.LastIndex != 10 {
		t.Fatalf("Register: got %+v %+v %v", resp, wm, err)
	}
	_, body := f.last()
	if !strings.Contains(body, `"Job":{`) || strings.Contains(body, "EnforceIndex") {
		t.Errorf("register body: got %s", body)
	}
	if _, _, err := c.Jobs().EnforceRegister(job, 9, &WriteOptions{Namespace: "ns"}); err != nil {
		t.Fatalf("EnforceRegister: %v", err)
	}
	r, body := f.last()
	if !strings.Contains(body, `"EnforceIndex":true`) || !strings.Contains(body, `"JobModifyIndex":9`) {
		t.Errorf("enforce body: got %s", body)
	}
	if r.URL.Query().Get("namespace") != "ns" {
		t.Errorf("enforce namespace: got %q", r.URL.RawQuery)
	}

	parsed, err := c.Jobs().ParseHCL(`job "x" {}`, true)
	if err != nil || parsed.ID != "parsed" {
		t.Fatalf("ParseHCL: %+v %v", parsed, err)
	}
	if _, body = f.last(); !strings.Contains(body, `"JobHCL":"job \"x\" {}"`) || !strings.Contains(body, `"Canonicalize":true`) {
		t.Errorf("parse body: got %s", body)
	}

	if j, _, err := c.Jobs().Info("web", nil); err != nil || j.Version != 2 {
		t.Errorf("Info: %+v %v", j, err)
	}
	if v, _, err := c.Jobs().Versions("web", nil); err != nil || len(v) != 2 {
		t.Errorf("Versions: %+v %v", v, err)
	}
	if a, _, err := c.Jobs().Allocations("web", true, nil); err != nil || len(a) != 1 {
		t.Errorf("Allocations: %+v %v", a, err)
	}
	if r, _ = f.last(); r.URL.Query().Get("all") != "true" {
		t.Errorf("allocations all: got %q", r.URL.RawQuery)
	}
	if e, _, err := c.Jobs().Evaluations("web", nil); err != nil || e[0].ID != "e1" {
		t.Errorf("Evaluations: %+v %v", e, err)
	}
	if s, _, err := c.Jobs().Summary("web", nil); err != nil || s.Summary["g"].Running != 2 {
		t.Errorf("Summary: %+v %v", s, err)
	}
	vr, _, err := c.Jobs().Validate(job, nil)
	if err != nil || len(vr.ValidationErrors) != 1 {
		t.Errorf("Validate: %+v %v", vr, err)
	}
	evalID, _, err := c.Jobs().Deregister("web", true, nil)
	if err != nil || evalID != "e2" {
		t.Errorf("Deregister: %q %v", evalID, err)
	}
	if r, _ = f.last(); r.URL.Query().Get("purge") != "true" {
		t.Errorf("deregister purge: got %q", r.URL.RawQuery)
	}
}

func TestOtherEndpoints(t *testing.T) {
	f, c := newFakeAgent(t)
	f.json("GET /v1/evaluations", 1, []*Evaluation{{ID: "e1"}})
	f.json("GET /v1/evaluation/e1", 1, &Evaluation{ID: "e1", Status: "complete"})
	f.json("GET /v1/evaluation/e1/allocations", 1, []*AllocationListStub{{ID: "a1"}})
	f.json("GET /v1/allocations", 1, []*AllocationListStub{{ID: "a1"}})
	f.json("GET /v1/allocation/a1", 1, &Allocation{ID: "a1"})
	f.json("GET /v1/nodes", 1, []*NodeListStub{{ID: "n1"}})
	f.json("GET /v1/node/n1", 1, &Node{ID: "n1"})
	f.json("GET /v1/node/n1/allocations", 1, []*Allocation{{ID: "a1"}})
	f.json("GET /v1/status/leader", 1, "127.0.0.1:8647")
	f.json("GET /v1/status/peers", 1, []string{"127.0.0.1:8647"})
	f.json("GET /v1/agent/self", 1, map[string]interface{}{"config": map[string]interface{}{"Region": "global"}})
	f.json("GET /v1/agent/health", 1, map[string]interface{}{"server": map[string]interface{}{"ok": true}})

	check := func(name string, err error, ok bool) {
		t.Helper()
		if err != nil || !ok {
			t.Errorf("%s: err %v, ok %v", name, err, ok)
		}
	}
	evals, _, err := c.Evaluations().List(nil)
	check("evals list", err, len(evals) == 1)
	ev, _, err := c.Evaluations().Info("e1", nil)
	check("eval info", err, ev != nil && ev.TerminalStatus())
	ea, _, err := c.Evaluations().Allocations("e1", nil)
	check("eval allocs", err, len(ea) == 1)
	al, _, err := c.Allocations().List(nil)
	check("alloc list", err, len(al) == 1)
	a, _, err := c.Allocations().Info("a1", nil)
	check("alloc info", err, a != nil && a.ID == "a1")
	nl, _, err := c.Nodes().List(nil)
	check("node list", err, len(nl) == 1)
	n, _, err := c.Nodes().Info("n1", nil)
	check("node info", err, n != nil && n.ID == "n1")
	na, _, err := c.Nodes().Allocations("n1", nil)
	check("node allocs", err, len(na) == 1)
	leader, err := c.Status().Leader()
	check("leader", err, leader == "127.0.0.1:8647")
	peers, err := c.Status().Peers()
	check("peers", err, len(peers) == 1)
	self, err := c.Agent().Self()
	check("self", err, self != nil && self.Config["Region"] == "global")
	h, err := c.Agent().Health()
	check("health", err, h != nil && h.Server != nil && h.Server.Ok)
}

func TestBlockingQueryContextCancel(t *testing.T) {
	f, c := newFakeAgent(t)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.routes["GET /v1/evaluation/e1"] = func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q := (&QueryOptions{WaitIndex: 3}).WithContext(ctx)
	if _, _, err := c.Evaluations().Info("e1", q); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// TestIDsWithSpecialCharactersReachTheAgentOnce: an ID with '?', '/', '%'
// or '#' is escaped exactly once, so the agent's router unescapes it back
// to the ID (escaped twice, the job "we?ird" was looked up as "we%3Fird").
func TestIDsWithSpecialCharactersReachTheAgentOnce(t *testing.T) {
	var mu sync.Mutex
	var got []string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/job/{id}", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.PathValue("id"))
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(&Job{ID: r.PathValue("id")})
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	c, err := NewClient(&Config{Address: ts.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"we?ird", "a/b", "per%cent", "hash#x", "sp ace"}
	for _, id := range ids {
		if _, _, err := c.Jobs().Info(id, nil); err != nil {
			t.Errorf("Info(%q): %v", id, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, "|") != strings.Join(ids, "|") {
		t.Errorf("agent saw IDs %q, want %q", got, ids)
	}
}
