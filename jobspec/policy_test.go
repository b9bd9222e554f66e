package jobspec

import "testing"

// A restart block that leaves out attempts gets the job type's default, as
// Nomad's does, instead of zero attempts.
func TestRestartAttemptsDefault(t *testing.T) {
	cases := []struct {
		name, jobType, restart string
		want                   int
	}{
		{"service, attempts omitted", "service", `delay = "5s"`, 2},
		{"batch, attempts omitted", "batch", `delay = "5s"`, 3},
		{"type omitted means service", "", `mode = "delay"`, 2},
		{"explicit zero kept", "batch", `attempts = 0`, 0},
		{"explicit value kept", "service", `attempts = 7`, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			typ := ""
			if tc.jobType != "" {
				typ = "type = \"" + tc.jobType + "\"\n"
			}
			src := "job \"j\" {\n" + typ + "group \"g\" {\nrestart {\n" + tc.restart + "\n}\ntask \"t\" {\ndriver = \"mock\"\nrestart {\n" + tc.restart + "\n}\n}\n}\n}\n"
			job, err := Parse(&ParseConfig{Path: "j.hcl", Body: []byte(src)})
			if err != nil {
				t.Fatal(err)
			}
			g := job.TaskGroups[0]
			if got := g.RestartPolicy.Attempts; got != tc.want {
				t.Errorf("group restart attempts = %d, want %d", got, tc.want)
			}
			if got := g.Tasks[0].RestartPolicy.Attempts; got != tc.want {
				t.Errorf("task restart attempts = %d, want %d", got, tc.want)
			}
		})
	}
}
