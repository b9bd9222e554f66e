package agent

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/droverhq/drover/structs"
)

// drainFake adds node drain and eligibility to fakeServer, writing to its
// state store directly.
type drainFake struct {
	*fakeServer
	drains []*structs.NodeUpdateDrainRequest
	elig   []*structs.NodeUpdateEligibilityRequest
}

var _ nodeDrainAPI = (*drainFake)(nil)

func (f *drainFake) NodeUpdateDrain(ctx context.Context, req *structs.NodeUpdateDrainRequest) (*structs.NodeDrainUpdateResponse, error) {
	f.drains = append(f.drains, req)
	idx := f.nextIndex()
	if err := f.st.UpdateNodeDrain(idx, req.NodeID, req.DrainStrategy, req.MarkEligible); err != nil {
		return nil, err
	}
	return &structs.NodeDrainUpdateResponse{NodeModifyIndex: idx, WriteMeta: structs.WriteMeta{Index: idx}}, nil
}

func (f *drainFake) NodeUpdateEligibility(ctx context.Context, req *structs.NodeUpdateEligibilityRequest) (*structs.NodeDrainUpdateResponse, error) {
	f.elig = append(f.elig, req)
	idx := f.nextIndex()
	if err := f.st.UpdateNodeEligibility(idx, req.NodeID, req.Eligibility); err != nil {
		return nil, err
	}
	return &structs.NodeDrainUpdateResponse{NodeModifyIndex: idx, WriteMeta: structs.WriteMeta{Index: idx}}, nil
}

func TestNodeDrainEndpoints(t *testing.T) {
	f := &drainFake{fakeServer: newFakeServer(t)}
	h := &httpServer{srv: f, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ts := httptest.NewServer(h.handler())
	t.Cleanup(ts.Close)
	const nodeID = "abcd1234-0000-0000-0000-000000000000"
	if err := f.st.UpsertNode(f.nextIndex(), &structs.Node{ID: nodeID, Status: structs.NodeStatusReady}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, method, path string
		body               any
		wantCode           int
		wantDrain          bool
		wantEligibility    string
	}{
		{"enable by prefix", "PUT", "/v1/node/abcd/drain",
			`{"DrainSpec": {"Deadline": 60000000000, "IgnoreSystemJobs": true}, "MarkEligible": false}`,
			http.StatusOK, true, structs.NodeSchedulingIneligible},
		{"bad eligibility", "PUT", "/v1/node/" + nodeID + "/eligibility",
			`{"Eligibility": "bogus"}`, http.StatusBadRequest, true, structs.NodeSchedulingIneligible},
		{"disable and mark eligible", "POST", "/v1/node/" + nodeID + "/drain",
			`{"DrainSpec": null, "MarkEligible": true}`, http.StatusOK, false, structs.NodeSchedulingEligible},
		{"ineligible", "PUT", "/v1/node/" + nodeID + "/eligibility",
			`{"NodeID": "` + nodeID + `", "Eligibility": "ineligible"}`, http.StatusOK, false, structs.NodeSchedulingIneligible},
		{"unknown node", "PUT", "/v1/node/ffff/drain", `{"DrainSpec": null}`,
			http.StatusNotFound, false, structs.NodeSchedulingIneligible},
		{"unknown field", "PUT", "/v1/node/abcd/drain", `{"Drain": true}`,
			http.StatusBadRequest, false, structs.NodeSchedulingIneligible},
		{"mismatched NodeID", "PUT", "/v1/node/abcd/drain", `{"NodeID": "other", "DrainSpec": null}`,
			http.StatusBadRequest, false, structs.NodeSchedulingIneligible},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, tt.method, ts.URL+tt.path, tt.body)
			wantCode(t, r, tt.wantCode)
			if tt.wantCode == http.StatusOK {
				var out NodeDrainUpdateResponse
				r.decode(t, &out)
				if out.NodeModifyIndex == 0 || r.index(t) != out.Index || out.EvalIDs == nil {
					t.Errorf("got response %s (index header %s), want a NodeModifyIndex, the index and an EvalIDs list", r.body, r.header.Get(HeaderIndex))
				}
			}
			var n structs.Node
			call(t, "GET", ts.URL+"/v1/node/"+nodeID, nil).decode(t, &n)
			if n.Drain != tt.wantDrain || n.SchedulingEligibility != tt.wantEligibility {
				t.Errorf("node: drain %v eligibility %q, want %v and %q", n.Drain, n.SchedulingEligibility, tt.wantDrain, tt.wantEligibility)
			}
		})
	}
	if len(f.drains) == 0 {
		t.Fatal("the server got no drain request")
	}
	if d := f.drains[0].DrainStrategy; d == nil || d.Deadline != time.Minute || !d.IgnoreSystemJobs || f.drains[0].NodeID != nodeID {
		t.Errorf("first drain request = %+v, want node %s with a one-minute deadline ignoring system jobs", f.drains[0], nodeID)
	}
}

func TestNodeDrainWithoutServer(t *testing.T) {
	h := &httpServer{logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ts := httptest.NewServer(h.handler())
	t.Cleanup(ts.Close)
	r := call(t, "PUT", ts.URL+"/v1/node/abcd/drain", `{"DrainSpec": null}`)
	wantCode(t, r, http.StatusNotImplemented)
}
