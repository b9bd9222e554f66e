package jobspec

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/droverhq/drover/api"
)

func TestParseJSONFile(t *testing.T) {
	j, err := ParseFile("testdata/full.json", nil, nil)
	if err != nil {
		t.Fatalf("ParseFile: %v", err)
	}
	want := &api.Job{ID: "api-job", Name: "api-job", Type: "batch", Datacenters: []string{"dc1"},
		TaskGroups: []*api.TaskGroup{{Name: "g", Count: intp(1), Tasks: []*api.Task{{
			Name: "t", Driver: "raw_exec", KillTimeout: 5 * time.Second,
			Config: map[string]interface{}{"command": "/bin/true", "n": 3, "f": 1.5,
				"nested": map[string]interface{}{"k": []interface{}{1, 2}}},
			Resources: &api.Resources{CPU: 100, MemoryMB: 64},
		}}}}}
	assertEqual(t, j, want)
}

func TestParseJSON(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantID  string
		wantCnt int
		wantErr string
	}{
		{name: "wrapped", body: `{"Job": {"ID": "a", "TaskGroups": [{"Name": "g", "Count": 2}]}}`, wantID: "a", wantCnt: 2},
		{name: "bare", body: `{"ID": "b", "TaskGroups": [{"Name": "g"}]}`, wantID: "b", wantCnt: 1},
		{name: "bare with leading space", body: "\n  \t{\"ID\": \"c\", \"TaskGroups\": [{\"Name\": \"g\"}]}", wantID: "c", wantCnt: 1},
		{name: "case-insensitive names", body: `{"id": "d", "taskgroups": [{"name": "g"}]}`, wantID: "d", wantCnt: 1},
		{name: "unknown empty fields ignored", body: `{"Job": {"ID": "e", "Multiregion": null, "ConsulToken": "",
			"TaskGroups": [{"Name": "g", "Scaling": {}, "Tasks": [{"Name": "t", "Artifacts": []}]}]}}`, wantID: "e", wantCnt: 1},
		{name: "hcl json syntax", body: `{"job": {"h": {"group": {"g": {"count": 4, "task": {"t": {"driver": "mock"}}}}}}}`,
			wantID: "h", wantCnt: 4},
		{name: "unknown field", body: `{"Job": {"ID": "x", "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Artifacts": [{"GetterSource": "s"}]}]}]}}`,
			wantErr: `t.json: Unsupported field; "Job.TaskGroups[0].Tasks[0].Artifacts" is not a field drover knows; remove it or check its spelling (JSON jobs use Nomad's API field names, such as TaskGroups and MemoryMB).`},
		{name: "unknown fields all listed", body: `{"ID": "x", "Foo": 1, "Bar": "y"}`,
			wantErr: `t.json: Unsupported field; "Bar" is not a field drover knows; remove it or check its spelling (JSON jobs use Nomad's API field names, such as TaskGroups and MemoryMB).` + "\n" +
				`t.json: Unsupported field; "Foo" is not a field drover knows; remove it or check its spelling (JSON jobs use Nomad's API field names, such as TaskGroups and MemoryMB).`},
		{name: "unknown wrapper field", body: `{"Job": {"ID": "x"}, "EnforceIndex": true}`,
			wantErr: `t.json: Unsupported field; "EnforceIndex" is not a field drover knows; remove it or check its spelling (JSON jobs use Nomad's API field names, such as TaskGroups and MemoryMB).`},
		{name: "wrong type", body: "{\"Job\": {\n  \"ID\": \"x\",\n  \"Priority\": \"high\"\n}}",
			wantErr: `t.json:3,20-21: Incorrect field type; "Job.Priority" must be a number (int), got a JSON string.`},
		{name: "syntax error", body: "{\"Job\": {\n  \"ID\": \"x\",\n  \"Priority\": 5,,\n}}",
			wantErr: `t.json:3,17-18: Invalid JSON; invalid character ',' looking for beginning of object key string.`},
		{name: "truncated", body: `{"Job": {"ID": "x"`,
			wantErr: `t.json: Invalid JSON; The JSON ends too early.`},
		{name: "trailing data", body: `{"ID": "x"} {}`,
			wantErr: `t.json:1,12-13: Invalid JSON; Extra data after the job object.`},
		{name: "null job", body: `{"Job": null}`,
			wantErr: `t.json: Invalid JSON job; "Job" is null.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := Parse(&ParseConfig{Path: "t.json", Body: []byte(tt.body)})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error:\ngot  %v\nwant %s", err, tt.wantErr)
				}
				if !errors.Is(err, ErrInvalid) {
					t.Errorf("errors.Is(err, ErrInvalid): got false, want true")
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if j.ID != tt.wantID || *j.TaskGroups[0].Count != tt.wantCnt {
				t.Errorf("ID, Count: got %q, %d, want %q, %d", j.ID, *j.TaskGroups[0].Count, tt.wantID, tt.wantCnt)
			}
		})
	}
}

// TestJSONRoundTrip checks that the JSON of a parsed HCL job parses back to
// the same job.
func TestJSONRoundTrip(t *testing.T) {
	for _, f := range []string{"testdata/full.hcl", "testdata/periodic.hcl", "../examples/service.hcl"} {
		t.Run(f, func(t *testing.T) {
			j, err := ParseFile(f, nil, nil)
			if err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			for _, body := range []interface{}{map[string]interface{}{"Job": j}, j} {
				b, err := json.Marshal(body)
				if err != nil {
					t.Fatal(err)
				}
				back, err := Parse(&ParseConfig{Path: "rt.json", Body: b})
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				assertEqual(t, back, j)
			}
		})
	}
}
