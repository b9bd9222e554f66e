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

// launchFake adds dispatch and periodic force to fakeServer, recording
// the requests.
type launchFake struct {
	*fakeServer
	dispatches []*structs.JobDispatchRequest
	forces     []*structs.PeriodicForceRequest
}

var _ jobLaunchAPI = (*launchFake)(nil)

func (f *launchFake) JobDispatch(ctx context.Context, req *structs.JobDispatchRequest) (*structs.JobDispatchResponse, error) {
	f.dispatches = append(f.dispatches, req)
	switch req.JobID {
	case "missing":
		return nil, fmt.Errorf("job %q: %w", req.JobID, structs.ErrNotFound)
	case "strict":
		return nil, fmt.Errorf("required meta keys \"input\" are missing: %w", structs.ErrInvalid)
	}
	return &structs.JobDispatchResponse{DispatchedJobID: req.JobID + "/dispatch-1-abcdef12", EvalID: "e1",
		EvalCreateIndex: 5, JobCreateIndex: 5, WriteMeta: structs.WriteMeta{Index: 5}}, nil
}

func (f *launchFake) PeriodicForce(ctx context.Context, req *structs.PeriodicForceRequest) (*structs.PeriodicForceResponse, error) {
	f.forces = append(f.forces, req)
	return &structs.PeriodicForceResponse{EvalID: "e2", ChildJobID: req.JobID + "/periodic-1", WriteMeta: structs.WriteMeta{Index: 6}}, nil
}

func TestJobDispatchEndpoint(t *testing.T) {
	f := &launchFake{fakeServer: newFakeServer(t)}
	ts := httptest.NewServer((&httpServer{srv: f, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).handler())
	t.Cleanup(ts.Close)

	r := call(t, "POST", ts.URL+"/v1/job/param/dispatch", `{"Payload": "aGVsbG8=", "Meta": {"input": "x"}, "IdempotencyToken": "t1"}`)
	if r.code != 200 {
		t.Fatalf("dispatch: got %d %s, want 200", r.code, r.body)
	}
	var got structs.JobDispatchResponse
	r.decode(t, &got)
	req := f.dispatches[0]
	if got.DispatchedJobID != "param/dispatch-1-abcdef12" || got.EvalID != "e1" || got.Index != 5 ||
		string(req.Payload) != "hello" || req.Meta["input"] != "x" || req.IdempotencyToken != "t1" {
		t.Fatalf("got %+v from request %+v; want the child, eval e1, index 5 and the decoded payload, meta and token", got, req)
	}

	cases := []struct {
		name, path, body string
		want             int
	}{
		{"invalid dispatch", "/v1/job/strict/dispatch", `{}`, http.StatusBadRequest},
		{"missing job", "/v1/job/missing/dispatch", ``, http.StatusNotFound},
		{"job ID mismatch", "/v1/job/param/dispatch", `{"JobID": "other"}`, http.StatusBadRequest},
		{"payload not base64", "/v1/job/param/dispatch", `{"Payload": "%%%"}`, http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if r := call(t, "POST", ts.URL+tc.path, tc.body); r.code != tc.want {
				t.Fatalf("got %d %s, want %d", r.code, r.body, tc.want)
			}
		})
	}

	r = call(t, "PUT", ts.URL+"/v1/job/report%2Fx/periodic/force", ``)
	if r.code != 200 || len(f.forces) != 1 || f.forces[0].JobID != "report/x" {
		t.Fatalf("force: got %d %s with requests %+v; want 200 and a force of report/x", r.code, r.body, f.forces)
	}
}

func TestLaunchEndpointsWithoutServer(t *testing.T) {
	ts := httptest.NewServer((&httpServer{logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).handler())
	t.Cleanup(ts.Close)
	for _, path := range []string{"/v1/job/x/dispatch", "/v1/job/x/periodic/force"} {
		if r := call(t, "POST", ts.URL+path, ``); r.code != http.StatusNotImplemented {
			t.Errorf("POST %s on a client-only agent: got %d %s, want 501", path, r.code, r.body)
		}
	}
}
