package jobspec

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/droverhq/drover/api"
)

// parseString parses src as a job file named test.hcl.
func parseString(src string) (*api.Job, error) {
	return Parse(&ParseConfig{Path: "test.hcl", Body: []byte(src), Strict: true})
}

// mustParse parses src and fails the test on an error.
func mustParse(t *testing.T, src string) *api.Job {
	t.Helper()
	j, err := parseString(src)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return j
}

// taskOf wraps task-block lines in a job with one group and one task.
func taskOf(body string) string {
	return "job \"j\" {\n  group \"g\" {\n    task \"t\" {\n" + body + "\n    }\n  }\n}\n"
}

// groupOf wraps group-block lines in a job with one group.
func groupOf(body string) string {
	return "job \"j\" {\n  group \"g\" {\n" + body + "\n  }\n}\n"
}

// jobOf wraps job-block lines in a job.
func jobOf(body string) string {
	return "job \"j\" {\n" + body + "\n}\n"
}

func firstTask(j *api.Job) *api.Task { return j.TaskGroups[0].Tasks[0] }

// assertEqual compares as JSON on failure, so the difference is readable.
func assertEqual(t *testing.T, got, want interface{}) {
	t.Helper()
	if reflect.DeepEqual(got, want) {
		return
	}
	g, _ := json.MarshalIndent(got, "", "  ")
	w, _ := json.MarshalIndent(want, "", "  ")
	t.Errorf("got:\n%s\nwant:\n%s", g, w)
}

func intp(i int) *int { return &i }
