package command

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/droverhq/drover/api"
)

const drainNodeID = "5f1c0d6e-1111-2222-3333-444455556666"

// drainAgent is a fake agent with one node whose drain plays out over
// reads: each allocations read advances one step of steps.
type drainAgent struct {
	mu          sync.Mutex
	drains      []api.NodeUpdateDrainRequest
	eligibility []api.NodeUpdateEligibilityRequest
	steps       []drainStep
	step        int
}

// drainStep is what the node and its allocations look like at one read.
type drainStep struct {
	drain  bool
	allocs []*api.Allocation
}

func newDrainAgent(t *testing.T, steps []drainStep) (*drainAgent, string) {
	d := &drainAgent{steps: steps}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/nodes", func(w http.ResponseWriter, r *http.Request) {
		reply(w, []*api.NodeListStub{{ID: drainNodeID, Name: "n1", Status: api.NodeStatusReady}})
	})
	mux.HandleFunc("GET /v1/node/{id}", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		reply(w, &api.Node{ID: drainNodeID, Status: api.NodeStatusReady, Drain: d.current().drain})
	})
	mux.HandleFunc("GET /v1/node/{id}/allocations", func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.step < len(d.steps)-1 && r.URL.Query().Get("index") != "" {
			d.step++
		}
		w.Header().Set(api.HeaderIndex, strconv.Itoa(d.step+1))
		reply(w, d.current().allocs)
	})
	mux.HandleFunc("PUT /v1/node/{id}/drain", func(w http.ResponseWriter, r *http.Request) {
		var req api.NodeUpdateDrainRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("drain body: %v", err)
		}
		d.mu.Lock()
		d.drains = append(d.drains, req)
		d.mu.Unlock()
		reply(w, &api.NodeDrainUpdateResponse{NodeModifyIndex: 7})
	})
	mux.HandleFunc("PUT /v1/node/{id}/eligibility", func(w http.ResponseWriter, r *http.Request) {
		var req api.NodeUpdateEligibilityRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("eligibility body: %v", err)
		}
		d.mu.Lock()
		d.eligibility = append(d.eligibility, req)
		d.mu.Unlock()
		reply(w, &api.NodeDrainUpdateResponse{NodeModifyIndex: 8})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return d, srv.URL
}

func (d *drainAgent) current() drainStep {
	if len(d.steps) == 0 {
		return drainStep{}
	}
	return d.steps[d.step]
}

func TestNodeDrainRequests(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		stdin        string
		wantCode     int
		wantRequests int
		wantSpec     *api.DrainSpec
		wantEligible bool
		wantOut      string
	}{
		{name: "enable with deadline", args: []string{"-enable", "-yes", "-detach", "-deadline", "30m", "-ignore-system"},
			wantRequests: 1, wantSpec: &api.DrainSpec{Deadline: 30 * time.Minute, IgnoreSystemJobs: true}, wantOut: "drain strategy set"},
		{name: "default deadline", args: []string{"-enable", "-yes", "-detach"},
			wantRequests: 1, wantSpec: &api.DrainSpec{Deadline: time.Hour}},
		{name: "force", args: []string{"-enable", "-yes", "-detach", "-force"},
			wantRequests: 1, wantSpec: &api.DrainSpec{Deadline: -1}},
		{name: "no deadline", args: []string{"-enable", "-yes", "-detach", "-no-deadline"},
			wantRequests: 1, wantSpec: &api.DrainSpec{}},
		{name: "disable marks eligible", args: []string{"-disable", "-yes"},
			wantRequests: 1, wantEligible: true, wantOut: "drain strategy unset"},
		{name: "disable keep ineligible", args: []string{"-disable", "-yes", "-keep-ineligible"}, wantRequests: 1},
		{name: "not confirmed", args: []string{"-enable"}, stdin: "n\n", wantOut: "Canceling drain toggle"},
		{name: "confirmed", args: []string{"-enable", "-detach"}, stdin: "y\n",
			wantRequests: 1, wantSpec: &api.DrainSpec{Deadline: time.Hour}},
		{name: "monitor without a drain", args: []string{"-monitor"}, wantOut: "No drain strategy set for node " + drainNodeID},
		{name: "no mode", args: []string{"-yes"}, wantCode: 1},
		{name: "two modes", args: []string{"-enable", "-disable", "-yes"}, wantCode: 1},
		{name: "force and no deadline", args: []string{"-enable", "-yes", "-force", "-no-deadline"}, wantCode: 1},
		// -deadline 0 would silently mean "no deadline" to the API.
		{name: "zero deadline", args: []string{"-enable", "-yes", "-detach", "-deadline", "0s"}, wantCode: 1},
		{name: "deadline and no deadline", args: []string{"-enable", "-yes", "-detach", "-deadline", "5m", "-no-deadline"}, wantCode: 1},
		{name: "deadline and force", args: []string{"-enable", "-yes", "-detach", "-deadline", "5m", "-force"}, wantCode: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, addr := newDrainAgent(t, nil)
			r := runCLI(t, addr, tt.stdin, append(append([]string{"node", "drain"}, tt.args...), "5f1c")...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			if len(d.drains) != tt.wantRequests {
				t.Fatalf("got %d drain requests, want %d", len(d.drains), tt.wantRequests)
			}
			if tt.wantOut != "" {
				wantContains(t, "stdout", r.stdout, tt.wantOut)
			}
			if tt.wantRequests == 0 {
				return
			}
			got := d.drains[0]
			if got.NodeID != drainNodeID {
				t.Errorf("NodeID = %q, want the resolved %q", got.NodeID, drainNodeID)
			}
			if (got.DrainSpec == nil) != (tt.wantSpec == nil) || (got.DrainSpec != nil && *got.DrainSpec != *tt.wantSpec) {
				t.Errorf("DrainSpec = %+v, want %+v", got.DrainSpec, tt.wantSpec)
			}
			if got.MarkEligible != tt.wantEligible {
				t.Errorf("MarkEligible = %v, want %v", got.MarkEligible, tt.wantEligible)
			}
		})
	}
}

func TestNodeDrainMonitor(t *testing.T) {
	alloc := func(desired, client string) []*api.Allocation {
		return []*api.Allocation{{ID: "a1b2c3d4-0000-0000-0000-000000000000", DesiredStatus: desired, ClientStatus: client}}
	}
	_, addr := newDrainAgent(t, []drainStep{
		{drain: true, allocs: alloc("run", "running")},
		{drain: true, allocs: alloc("stop", "running")},
		{drain: false, allocs: alloc("stop", "running")},
		{drain: false, allocs: alloc("stop", "complete")},
	})
	r := runCLI(t, addr, "", "node", "drain", "-enable", "-yes", drainNodeID)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	wantContains(t, "monitor output", r.stdout,
		`Node "`+drainNodeID+`" drain strategy set`,
		`Alloc "a1b2c3d4" marked for migration`,
		`Drain complete for node `+drainNodeID,
		`Alloc "a1b2c3d4" status running -> complete`,
		`All allocations on node "`+drainNodeID+`" have stopped`,
	)
}

func TestNodeEligibilityCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"enable", []string{"-enable"}, 0, api.NodeSchedulingEligible},
		{"disable", []string{"-disable"}, 0, api.NodeSchedulingIneligible},
		{"neither", nil, 1, ""},
		{"both", []string{"-enable", "-disable"}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, addr := newDrainAgent(t, nil)
			r := runCLI(t, addr, "", append(append([]string{"node", "eligibility"}, tt.args...), "5f1c")...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, tt.wantCode, r.stderr)
			}
			if tt.want == "" {
				if len(d.eligibility) != 0 {
					t.Errorf("got %d eligibility requests, want none", len(d.eligibility))
				}
				return
			}
			if len(d.eligibility) != 1 || d.eligibility[0].Eligibility != tt.want || d.eligibility[0].NodeID != drainNodeID {
				t.Fatalf("eligibility requests = %+v, want one %q for %s", d.eligibility, tt.want, drainNodeID)
			}
			wantContains(t, "stdout", r.stdout, "scheduling eligibility set: "+tt.want)
		})
	}
}
