package command

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/droverhq/drover/api"
)

func TestRelativeTime(t *testing.T) {
	tests := []struct {
		ago  time.Duration
		want string
	}{
		{3 * time.Second, "3s ago"},
		{130 * time.Second, "2m10s ago"},
		{4*time.Hour + 2*time.Minute, "4h2m ago"},
		{76 * time.Hour, "3d4h ago"},
	}
	for _, tt := range tests {
		if got := relativeTime(testNow, nanos(tt.ago)); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.ago, got, tt.want)
		}
	}
	if got := relativeTime(testNow, 0); got != "<none>" {
		t.Errorf("zero: got %q, want <none>", got)
	}
}

func TestWriteKVAligns(t *testing.T) {
	var b bytes.Buffer
	writeKV(&b, []kv{{"ID", "x"}, {"Long Key", "y"}})
	want := "ID       = x\nLong Key = y\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestAllocMetricLines(t *testing.T) {
	m := &api.AllocMetric{
		NodesEvaluated: 4,
		ClassFiltered:  map[string]int{"gpu": 1},
		ClassExhausted: map[string]int{"small": 2},
		QuotaExhausted: []string{"cpu"},
	}
	got := allocMetricLines(m)
	want := []string{`Class "gpu": 1 nodes excluded by filter`, `Class "small" exhausted on 2 nodes`, `Quota limit hit "cpu"`}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

func TestJSONListings(t *testing.T) {
	f, addr := newFakeAgent(t)
	f.evals = []*api.Evaluation{{ID: "e1"}}
	f.nodes = []*api.Node{{ID: "n1"}}
	f.allocs = []*api.Allocation{{ID: "a1", NodeID: "n1"}}
	f.jobs = []*api.Job{{ID: "web", Version: 1}}
	tests := []struct {
		args []string
		into interface{}
	}{
		{[]string{"eval", "list", "-json"}, &[]*api.Evaluation{}},
		{[]string{"eval", "status", "-json", "e1"}, &api.Evaluation{}},
		{[]string{"node", "status", "-json"}, &[]*api.NodeListStub{}},
		{[]string{"node", "status", "-json", "n1"}, &nodeStatusView{}},
		{[]string{"alloc", "status", "-json", "a1"}, &api.Allocation{}},
		{[]string{"status", "-json"}, &[]*api.JobListStub{}},
	}
	for _, tt := range tests {
		r := runCLI(t, addr, "", tt.args...)
		wantCode(t, r, 0)
		if err := json.Unmarshal([]byte(r.stdout), tt.into); err != nil {
			t.Errorf("%q: not JSON: %v\n%s", tt.args, err, r.stdout)
		}
	}
}

func TestAgentInfo(t *testing.T) {
	_, addr := newFakeAgent(t)
	r := runCLI(t, addr, "", "agent-info")
	wantCode(t, r, 0)
	want := "runtime\n  arch       = amd64\n  goroutines = 12\nserver\n  leader = true\n"
	if r.stdout != want {
		t.Errorf("got:\n%s\nwant:\n%s", r.stdout, want)
	}
}
