package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/droverhq/drover/api"
	"github.com/droverhq/drover/structs"
)

// response is what call got back.
type response struct {
	code   int
	header http.Header
	body   []byte
}

// decode unmarshals the body into v, failing the test on error.
func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// index is the response's X-Drover-Index.
func (r response) index(t *testing.T) uint64 {
	t.Helper()
	idx, err := strconv.ParseUint(r.header.Get(HeaderIndex), 10, 64)
	if err != nil {
		t.Fatalf("got %s %q, want a number", HeaderIndex, r.header.Get(HeaderIndex))
	}
	return idx
}

// call sends a request; body is a string (sent as is) or a value to encode.
func call(t *testing.T, method, url string, body any) response {
	t.Helper()
	r, err := tryCall(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// tryCall is call for goroutines other than the test's.
func tryCall(method, url string, body any) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return response{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return response{code: resp.StatusCode, header: resp.Header, body: out}, err
}

// wantCode fails the test unless r has the given status.
func wantCode(t *testing.T, r response, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("got status %d (%s), want %d", r.code, bytes.TrimSpace(r.body), code)
	}
}

// testJob is a small batch job using the mock driver; Count is left unset.
func testJob(id string) *api.Job {
	return &api.Job{
		ID: id, Name: id, Type: structs.JobTypeBatch, Datacenters: []string{"dc1"},
		TaskGroups: []*api.TaskGroup{{
			Name: "g",
			Tasks: []*api.Task{{
				Name: "t", Driver: "mock",
				Config:    map[string]interface{}{"run_for": "100ms"},
				Resources: &api.Resources{CPU: 100, MemoryMB: 32},
			}},
		}},
	}
}

func register(t *testing.T, base string, job *api.Job) *structs.JobRegisterResponse {
	t.Helper()
	r := call(t, "POST", base+"/v1/jobs", map[string]any{"Job": job})
	wantCode(t, r, http.StatusOK)
	var out structs.JobRegisterResponse
	r.decode(t, &out)
	if out.EvalID == "" || r.index(t) == 0 {
		t.Fatalf("got register response %s, want an EvalID and an index", r.body)
	}
	return &out
}

func TestJobRegisterAndRead(t *testing.T) {
	f, ts := newFakeAPI(t)
	register(t, ts.URL, testJob("web"))

	if got := f.registers[0].Job.TaskGroups[0].Count; got != 1 {
		t.Errorf("got count %d for an unset count, want 1", got)
	}

	r := call(t, "GET", ts.URL+"/v1/jobs", nil)
	wantCode(t, r, http.StatusOK)
	var stubs []*JobListStub
	r.decode(t, &stubs)
	if len(stubs) != 1 || stubs[0].ID != "web" || stubs[0].JobSummary == nil {
		t.Fatalf("got jobs %s, want web with a summary", r.body)
	}
	if r.header.Get(HeaderKnownLeader) != "true" {
		t.Errorf("got %s %q, want true", HeaderKnownLeader, r.header.Get(HeaderKnownLeader))
	}

	r = call(t, "GET", ts.URL+"/v1/job/web", nil)
	wantCode(t, r, http.StatusOK)
	var job api.Job
	r.decode(t, &job)
	if job.ID != "web" || job.Namespace != structs.DefaultNamespace {
		t.Errorf("got job %q in %q, want web in default", job.ID, job.Namespace)
	}

	for _, sub := range []string{"versions", "summary", "evaluations", "allocations"} {
		r = call(t, "GET", ts.URL+"/v1/job/web/"+sub, nil)
		wantCode(t, r, http.StatusOK)
	}
	var versions JobVersionsResponse
	call(t, "GET", ts.URL+"/v1/job/web/versions", nil).decode(t, &versions)
	if len(versions.Versions) != 1 {
		t.Errorf("got %d versions, want 1", len(versions.Versions))
	}
	var evals []*structs.Evaluation
	call(t, "GET", ts.URL+"/v1/job/web/evaluations", nil).decode(t, &evals)
	if len(evals) != 1 {
		t.Fatalf("got %d evals, want 1", len(evals))
	}
	r = call(t, "GET", ts.URL+"/v1/evaluation/"+evals[0].ID[:4], nil)
	wantCode(t, r, http.StatusOK)

	r = call(t, "POST", ts.URL+"/v1/job/web/evaluate", nil)
	wantCode(t, r, http.StatusOK)
}

func TestJobRegisterErrors(t *testing.T) {
	_, ts := newFakeAPI(t)
	cases := []struct {
		name, method, path string
		body               any
		code               int
		want               string
	}{
		{"bad json", "POST", "/v1/jobs", "{nope", 400, "invalid JSON body"},
		{"empty body", "POST", "/v1/jobs", "", 400, "invalid JSON body"},
		{"unknown field", "POST", "/v1/jobs", `{"Job": {"ID": "x", "Bogus": 1}}`, 400, "Bogus"},
		{"no job", "POST", "/v1/jobs", `{}`, 400, "no Job"},
		{"invalid job", "POST", "/v1/jobs", map[string]any{"Job": &api.Job{ID: "x"}}, 400, "problem"},
		{"id mismatch", "PUT", "/v1/job/other", map[string]any{"Job": testJob("web")}, 400, "does not match"},
		{"unknown job", "GET", "/v1/job/nope", nil, 404, "not found"},
		{"unknown job versions", "GET", "/v1/job/nope/versions", nil, 404, "not found"},
		{"deregister unknown", "DELETE", "/v1/job/nope", nil, 404, "not found"},
		{"wrong method", "PATCH", "/v1/jobs", nil, 405, ""},
		{"parse is POST only", "GET", "/v1/jobs/parse", nil, 405, ""},
		{"bad index", "GET", "/v1/jobs?index=x", nil, 400, "index"},
		{"bad wait", "GET", "/v1/jobs?index=1&wait=soon", nil, 400, "wait"},
		{"bad purge", "DELETE", "/v1/job/x?purge=maybe", nil, 400, "purge"},
		{"unknown alloc", "GET", "/v1/allocation/abc", nil, 404, `alloc "abc" not found`},
		{"unknown eval", "GET", "/v1/evaluation/abc", nil, 404, "not found"},
		{"unknown node", "GET", "/v1/node/abc", nil, 404, "not found"},
		{"unknown path", "GET", "/v1/nothing", nil, 404, ""},
		// encoding/json's own wording ("json: cannot unmarshal number into
		// Go struct field Job.Job.ID of type string") never reaches the user.
		{"wrong field type", "POST", "/v1/jobs", `{"Job": {"ID": 5}}`, 400, `invalid JSON body: "Job.ID" must be a string, got a JSON number`},
		{"body not an object", "POST", "/v1/jobs", `[]`, 400, "invalid JSON body: the body must be an object, got a JSON array"},
		{"syntax error", "POST", "/v1/jobs", `not json`, 400, "invalid JSON body: the body is not valid JSON at byte 2: invalid character"},
		{"truncated", "POST", "/v1/jobs", `{"Job": {`, 400, "invalid JSON body: the JSON ends too early"},
		{"duration as string", "POST", "/v1/jobs", `{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "KillTimeout": "5s"}]}]}}`, 400,
			`"Job.TaskGroups.Tasks.KillTimeout" must be a whole number of nanoseconds, got a JSON string`},
		{"number not whole", "POST", "/v1/jobs", `{"Job": {"ID": "x", "Priority": 1.5}}`, 400, `"Job.Priority" must be a whole number, got number 1.5`},
		{"validate without job", "POST", "/v1/validate/job", `{}`, 400, "the request has no Job"},
		{"body too large", "POST", "/v1/jobs", `{"Job": {"ID": "` + strings.Repeat("a", maxBodyBytes) + `"}}`, 413,
			"the request body is larger than the 16 MiB limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, tc.method, ts.URL+tc.path, tc.body)
			wantCode(t, r, tc.code)
			if !strings.Contains(string(r.body), tc.want) {
				t.Errorf("got body %q, want it to contain %q", r.body, tc.want)
			}
			for _, internal := range []string{"json: ", "Go struct", "Go value", "agent."} {
				if strings.Contains(string(r.body), internal) {
					t.Errorf("body %q shows Go-internal %q", r.body, internal)
				}
			}
		})
	}
}

// TestErrorMessageDropsCategorySuffix: the status code carries an error's
// category, so "...: invalid" and "...: conflict" are not repeated in the
// body; "not found" stays, as it is often the whole message.
func TestErrorMessageDropsCategorySuffix(t *testing.T) {
	cases := []struct {
		err  error
		code int
		want string
	}{
		{fmt.Errorf("scale job %q: Count -1 must be between 0 and 10: %w", "web", structs.ErrInvalid), 400,
			`scale job "web": Count -1 must be between 0 and 10`},
		{fmt.Errorf("register job %q: its JobModifyIndex is 20 but the request expected 1: %w", "web", structs.ErrConflict), 409,
			`register job "web": its JobModifyIndex is 20 but the request expected 1`},
		{fmt.Errorf("evaluate job %q: %w", "x", structs.ErrNotFound), 404, `evaluate job "x": not found`},
		{structs.ErrInvalid, 400, "invalid"},
		{errors.New("raft: boom: invalid"), 500, "raft: boom: invalid"},
	}
	for _, tc := range cases {
		if got := errorMessage(tc.err, tc.code); got != tc.want {
			t.Errorf("errorMessage(%q, %d) = %q, want %q", tc.err, tc.code, got, tc.want)
		}
	}
}

func TestEmptyListsAreArrays(t *testing.T) {
	_, ts := newFakeAPI(t)
	for _, path := range []string{"/v1/jobs", "/v1/allocations", "/v1/evaluations", "/v1/nodes", "/v1/status/peers"} {
		r := call(t, "GET", ts.URL+path, nil)
		wantCode(t, r, http.StatusOK)
		if got := strings.TrimSpace(string(r.body)); !strings.HasPrefix(got, "[") {
			t.Errorf("GET %s: got %s, want a JSON array", path, got)
		}
	}
}

func TestPrefixLookups(t *testing.T) {
	f, ts := newFakeAPI(t)
	register(t, ts.URL, testJob("web"))
	job, err := f.st.JobByID(nil, structs.DefaultNamespace, "web")
	if err != nil || job == nil {
		t.Fatalf("got job %v, %v", job, err)
	}
	allocs := []*structs.Allocation{
		{ID: "aaaa1111-0000-4000-8000-000000000000", Namespace: job.Namespace, JobID: "web", Job: job, TaskGroup: "g", NodeID: "n1"},
		{ID: "aaaa2222-0000-4000-8000-000000000000", Namespace: job.Namespace, JobID: "web", Job: job, TaskGroup: "g", NodeID: "n1"},
	}
	if err := f.st.UpsertAllocs(f.nextIndex(), allocs); err != nil {
		t.Fatal(err)
	}
	node := &structs.Node{ID: "bbbb1111-0000-4000-8000-000000000000", SecretID: "secret", Name: "n", Status: structs.NodeStatusReady}
	if err := f.st.UpsertNode(f.nextIndex(), node); err != nil {
		t.Fatal(err)
	}

	r := call(t, "GET", ts.URL+"/v1/allocation/aaaa", nil)
	wantCode(t, r, http.StatusBadRequest)
	for _, a := range allocs {
		if !strings.Contains(string(r.body), a.ID) {
			t.Errorf("got %q, want it to list candidate %s", r.body, a.ID)
		}
	}
	var got structs.Allocation
	r = call(t, "GET", ts.URL+"/v1/allocation/aaaa2", nil)
	wantCode(t, r, http.StatusOK)
	r.decode(t, &got)
	if got.ID != allocs[1].ID {
		t.Errorf("got alloc %s, want %s", got.ID, allocs[1].ID)
	}

	var n structs.Node
	r = call(t, "GET", ts.URL+"/v1/node/b", nil)
	wantCode(t, r, http.StatusOK)
	r.decode(t, &n)
	if n.ID != node.ID || n.SecretID != "" {
		t.Errorf("got node %s with secret %q, want %s without secret", n.ID, n.SecretID, node.ID)
	}
	var nodeAllocs []*structs.Allocation
	call(t, "GET", ts.URL+"/v1/allocations?prefix=aaaa1", nil).decode(t, &nodeAllocs)
	if len(nodeAllocs) != 1 {
		t.Errorf("got %d allocs for prefix aaaa1, want 1", len(nodeAllocs))
	}
	var stubs []*structs.AllocListStub
	call(t, "GET", ts.URL+"/v1/job/we/allocations", nil).decode(t, &stubs)
	if len(stubs) != 2 {
		t.Errorf("got %d allocs for job prefix we, want 2", len(stubs))
	}
}

func TestBlockingQuery(t *testing.T) {
	_, ts := newFakeAPI(t)
	register(t, ts.URL, testJob("one"))
	idx := call(t, "GET", ts.URL+"/v1/jobs", nil).index(t)

	type result struct {
		r   response
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := tryCall("GET", ts.URL+"/v1/jobs?wait=30s&index="+strconv.FormatUint(idx, 10), nil)
		done <- result{r, err}
	}()
	register(t, ts.URL, testJob("two"))

	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	r := res.r
	wantCode(t, r, http.StatusOK)
	if got := r.index(t); got <= idx {
		t.Errorf("got index %d after a change, want > %d", got, idx)
	}
	var stubs []*JobListStub
	r.decode(t, &stubs)
	if len(stubs) != 2 {
		t.Errorf("got %d jobs, want 2", len(stubs))
	}

	// A query that times out returns the current answer and index.
	cur := r.index(t)
	r = call(t, "GET", ts.URL+"/v1/jobs?wait=10ms&index="+strconv.FormatUint(cur, 10), nil)
	wantCode(t, r, http.StatusOK)
	if got := r.index(t); got != cur {
		t.Errorf("got index %d from a query that timed out, want %d", got, cur)
	}
}

func TestJobDeregisterAndPurge(t *testing.T) {
	_, ts := newFakeAPI(t)
	register(t, ts.URL, testJob("web"))

	wantCode(t, call(t, "DELETE", ts.URL+"/v1/job/web", nil), http.StatusOK)
	var job api.Job
	call(t, "GET", ts.URL+"/v1/job/web", nil).decode(t, &job)
	if !job.Stop {
		t.Error("got Stop false after deregister, want true")
	}

	wantCode(t, call(t, "DELETE", ts.URL+"/v1/job/web?purge=true", nil), http.StatusOK)
	wantCode(t, call(t, "GET", ts.URL+"/v1/job/web", nil), http.StatusNotFound)
}

func TestJobsParseAndValidate(t *testing.T) {
	_, ts := newFakeAPI(t)
	hcl := `
variable "n" {
  type = number
}
job "example" {
  datacenters = ["dc1"]
  group "g" {
    count = var.n
    task "t" {
      driver = "mock"
      config {
        run_for = "1s"
      }
    }
  }
}`
	r := call(t, "POST", ts.URL+"/v1/jobs/parse", &JobsParseRequest{JobHCL: hcl, Variables: "n = 3", Canonicalize: true})
	wantCode(t, r, http.StatusOK)
	var job api.Job
	r.decode(t, &job)
	if job.ID != "example" || job.TaskGroups[0].Count == nil || *job.TaskGroups[0].Count != 3 || job.Type != structs.JobTypeService {
		t.Errorf("got %s, want job example with count 3, canonicalized", r.body)
	}

	r = call(t, "POST", ts.URL+"/v1/jobs/parse", &JobsParseRequest{JobHCL: "job {"})
	wantCode(t, r, http.StatusBadRequest)
	if !strings.Contains(string(r.body), "input.hcl:1") {
		t.Errorf("got %q, want a position in input.hcl", r.body)
	}

	var vr JobValidateResponse
	r = call(t, "POST", ts.URL+"/v1/validate/job", map[string]any{"Job": &api.Job{ID: "x"}})
	wantCode(t, r, http.StatusOK)
	r.decode(t, &vr)
	if len(vr.ValidationErrors) == 0 || vr.Error == "" {
		t.Errorf("got %s, want validation errors", r.body)
	}
	r = call(t, "POST", ts.URL+"/v1/validate/job", map[string]any{"Job": testJob("ok")})
	r.decode(t, &vr)
	if len(vr.ValidationErrors) != 0 {
		t.Errorf("got %s, want no validation errors", r.body)
	}
}

func TestStatusAndAgentEndpoints(t *testing.T) {
	_, ts := newFakeAPI(t)
	var leader string
	call(t, "GET", ts.URL+"/v1/status/leader", nil).decode(t, &leader)
	if leader != "127.0.0.1:8647" {
		t.Errorf("got leader %q", leader)
	}
	var health AgentHealth
	r := call(t, "GET", ts.URL+"/v1/agent/health", nil)
	wantCode(t, r, http.StatusOK)
	r.decode(t, &health)
	if health.Server == nil || !health.Server.OK || health.Client != nil {
		t.Errorf("got health %s, want server ok and no client", r.body)
	}
	var self AgentSelf
	call(t, "GET", ts.URL+"/v1/agent/self", nil).decode(t, &self)
	if self.Stats["server"]["leader"] != "true" {
		t.Errorf("got stats %v, want the server's", self.Stats)
	}
}

func TestRecoverPanics(t *testing.T) {
	h := &httpServer{logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ts := httptest.NewServer(h.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("boom")
	})))
	defer ts.Close()
	wantCode(t, call(t, "GET", ts.URL, nil), http.StatusInternalServerError)
}

func TestParseWait(t *testing.T) {
	cases := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: "30s", want: "30s"}, {in: "5m", want: "5m0s"}, {in: "10", want: "10s"},
		{in: "1h", want: "5m0s"}, {in: "soon", wantErr: true}, {in: "-1s", wantErr: true},
	}
	for _, tc := range cases {
		got, err := parseWait(tc.in)
		if (err != nil) != tc.wantErr || (err == nil && got.String() != tc.want) {
			t.Errorf("parseWait(%q) = %v, %v; want %s (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestNoServer(t *testing.T) {
	h := &httpServer{logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ts := httptest.NewServer(h.handler())
	defer ts.Close()
	r := call(t, "GET", ts.URL+"/v1/jobs", nil)
	wantCode(t, r, http.StatusNotImplemented)
}

func TestJobIDWithSlash(t *testing.T) {
	_, ts := newFakeAPI(t)
	job := testJob("batch/dispatch-1")
	r := call(t, "PUT", ts.URL+"/v1/job/batch%2Fdispatch-1", map[string]any{"Job": job})
	wantCode(t, r, http.StatusOK)
	var got api.Job
	call(t, "GET", ts.URL+"/v1/job/batch%2Fdispatch-1", nil).decode(t, &got)
	if got.ID != job.ID {
		t.Errorf("got job %q, want %q", got.ID, job.ID)
	}
	wantCode(t, call(t, "GET", ts.URL+"/v1/job/batch%2Fdispatch-1/summary", nil), http.StatusOK)
}

func TestNamespaces(t *testing.T) {
	_, ts := newFakeAPI(t)
	register(t, ts.URL, testJob("a"))
	other := testJob("b")
	other.Namespace = "other"
	register(t, ts.URL, other)
	for _, tc := range []struct {
		query string
		want  int
	}{{"", 1}, {"?namespace=other", 1}, {"?namespace=*", 2}, {"?namespace=none", 0}, {"?namespace=*&prefix=b", 1}} {
		var stubs []*JobListStub
		call(t, "GET", ts.URL+"/v1/jobs"+tc.query, nil).decode(t, &stubs)
		if len(stubs) != tc.want {
			t.Errorf("GET /v1/jobs%s: got %d jobs, want %d", tc.query, len(stubs), tc.want)
		}
	}
	wantCode(t, call(t, "GET", ts.URL+"/v1/job/b", nil), http.StatusNotFound)
	wantCode(t, call(t, "GET", ts.URL+"/v1/job/b?namespace=other", nil), http.StatusOK)
}
