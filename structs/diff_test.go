package structs

import (
	"testing"
	"time"
)

func TestLookupTaskGroup(t *testing.T) {
	j := fixtureJob()
	other := &TaskGroup{Name: "db"}
	j.TaskGroups = append(j.TaskGroups, nil, other)
	cases := []struct {
		name string
		want *TaskGroup
	}{
		{"web", j.TaskGroups[0]},
		{"db", other},
		{"cache", nil},
		{"", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := j.LookupTaskGroup(tc.name); got != tc.want {
				t.Errorf("LookupTaskGroup(%q): got %p, want %p", tc.name, got, tc.want)
			}
		})
	}
	if got := (*Job)(nil).LookupTaskGroup("web"); got != nil {
		t.Errorf("nil job: got %v, want nil", got)
	}
	if got := j.TaskGroups[0].LookupTask("api"); got != j.TaskGroups[0].Tasks[0] {
		t.Errorf("LookupTask(api): got %p, want the task", got)
	}
	if got := j.TaskGroups[0].LookupTask("nope"); got != nil {
		t.Errorf("LookupTask(nope): got %v, want nil", got)
	}
}

func TestSpecChanged(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(j *Job)
		want   bool
	}{
		{"nothing", func(j *Job) {}, false},
		{"status", func(j *Job) { j.Status = JobStatusRunning; j.StatusDescription = "ok" }, false},
		{"stable", func(j *Job) { j.Stable = true }, false},
		{"version", func(j *Job) { j.Version = 7 }, false},
		{"submit time", func(j *Job) { j.SubmitTime = 12345 }, false},
		{"indexes", func(j *Job) { j.CreateIndex, j.ModifyIndex, j.JobModifyIndex = 1, 2, 3 }, false},
		{"meta removed", func(j *Job) { j.Meta = nil }, true},
		{"empty task meta", func(j *Job) { j.TaskGroups[0].Tasks[0].Meta = map[string]string{} }, false},
		{"empty constraints", func(j *Job) { j.Affinities = []*Affinity{} }, false},
		{"config int vs float", func(j *Job) {
			j.TaskGroups[0].Tasks[0].Config["nested"] = map[string]interface{}{"k": []interface{}{1.0, int64(2)}}
		}, false},
		{"config value", func(j *Job) { j.TaskGroups[0].Tasks[0].Config["command"] = "/bin/other" }, true},
		{"config nested", func(j *Job) {
			j.TaskGroups[0].Tasks[0].Config["nested"] = map[string]interface{}{"k": []interface{}{1, 3}}
		}, true},
		{"priority", func(j *Job) { j.Priority = 60 }, true},
		{"stop", func(j *Job) { j.Stop = true }, true},
		{"count", func(j *Job) { j.TaskGroups[0].Count = 5 }, true},
		{"memory", func(j *Job) { j.TaskGroups[0].Tasks[0].Resources.MemoryMB = 256 }, true},
		{"meta", func(j *Job) { j.Meta["owner"] = "dev" }, true},
		{"update", func(j *Job) { j.Update.MaxParallel = 4 }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := fixtureJob(), fixtureJob()
			tc.mutate(b)
			if got := a.SpecChanged(b); got != tc.want {
				t.Errorf("a.SpecChanged(b): got %v, want %v", got, tc.want)
			}
			if got := b.SpecChanged(a); got != tc.want {
				t.Errorf("b.SpecChanged(a): got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSpecChangedNil(t *testing.T) {
	j := fixtureJob()
	cases := []struct {
		name string
		a, b *Job
		want bool
	}{
		{"both nil", nil, nil, false},
		{"nil receiver", nil, j, true},
		{"nil other", j, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.SpecChanged(tc.b); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTaskGroupSpecChanged(t *testing.T) {
	task := func(tg *TaskGroup) *Task { return tg.Tasks[0] }
	cases := []struct {
		name   string
		mutate func(tg *TaskGroup)
		want   bool
	}{
		{"nothing", func(tg *TaskGroup) {}, false},
		{"count", func(tg *TaskGroup) { tg.Count = 10 }, false},
		{"restart", func(tg *TaskGroup) { tg.RestartPolicy.Attempts = 9 }, false},
		{"reschedule", func(tg *TaskGroup) { tg.ReschedulePolicy.Delay = time.Minute }, false},
		{"update", func(tg *TaskGroup) { tg.Update.Canary = 1 }, false},
		{"migrate", func(tg *TaskGroup) { tg.Migrate.MaxParallel = 3 }, false},
		{"group services", func(tg *TaskGroup) { tg.Services[0].Tags = []string{"v2"} }, false},
		{"kill timeout", func(tg *TaskGroup) { task(tg).KillTimeout = time.Minute }, false},
		{"task restart", func(tg *TaskGroup) { task(tg).RestartPolicy.Delay = time.Second }, false},
		{"nil vs empty env", func(tg *TaskGroup) { task(tg).Meta = map[string]string{} }, false},
		{"driver", func(tg *TaskGroup) { task(tg).Driver = "raw_exec" }, true},
		{"user", func(tg *TaskGroup) { task(tg).User = "nobody" }, true},
		{"config", func(tg *TaskGroup) { task(tg).Config["args"] = []interface{}{"-port", "9090"} }, true},
		{"env", func(tg *TaskGroup) { task(tg).Env["MODE"] = "dev" }, true},
		{"task meta", func(tg *TaskGroup) { task(tg).Meta = map[string]string{"a": "b"} }, true},
		{"cpu", func(tg *TaskGroup) { task(tg).Resources.CPU = 300 }, true},
		{"memory max", func(tg *TaskGroup) { task(tg).Resources.MemoryMaxMB = 512 }, true},
		{"template", func(tg *TaskGroup) { task(tg).Templates[0].EmbeddedTmpl = "y" }, true},
		{"volume mount", func(tg *TaskGroup) { task(tg).VolumeMounts[0].ReadOnly = true }, true},
		{"log config", func(tg *TaskGroup) { task(tg).LogConfig.MaxFiles = 3 }, true},
		{"kill signal", func(tg *TaskGroup) { task(tg).KillSignal = "SIGTERM" }, true},
		{"lifecycle", func(tg *TaskGroup) { task(tg).Lifecycle = &TaskLifecycleConfig{Hook: "prestart"} }, true},
		{"network port", func(tg *TaskGroup) { tg.Networks[0].ReservedPorts[0].Value = 9001 }, true},
		{"network port to", func(tg *TaskGroup) { tg.Networks[0].DynamicPorts[0].To = 9090 }, true},
		{"volumes", func(tg *TaskGroup) { tg.Volumes["data"].Source = "other" }, true},
		{"ephemeral disk", func(tg *TaskGroup) { tg.EphemeralDisk.SizeMB = 500 }, true},
		{"group meta", func(tg *TaskGroup) { tg.Meta["tier"] = "back" }, true},
		{"constraint", func(tg *TaskGroup) { tg.Constraints = []*Constraint{{LTarget: "a", RTarget: "b", Operand: "="}} }, true},
		{"affinity", func(tg *TaskGroup) {
			tg.Affinities = []*Affinity{{LTarget: "a", RTarget: "b", Operand: "=", Weight: 50}}
		}, true},
		{"spread", func(tg *TaskGroup) { tg.Spreads = []*Spread{{Attribute: "a", Weight: 50}} }, true},
		{"task added", func(tg *TaskGroup) {
			c := task(tg).Copy()
			c.Name = "side"
			tg.Tasks = append(tg.Tasks, c)
		}, true},
		{"task renamed", func(tg *TaskGroup) { task(tg).Name = "api2" }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := fixtureJob().TaskGroups[0]
			b := a.Copy()
			tc.mutate(b)
			if got := TaskGroupSpecChanged(a, b); got != tc.want {
				t.Errorf("TaskGroupSpecChanged(a, b): got %v, want %v", got, tc.want)
			}
			if got := TaskGroupSpecChanged(b, a); got != tc.want {
				t.Errorf("TaskGroupSpecChanged(b, a): got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTaskGroupSpecChangedNil(t *testing.T) {
	tg := fixtureJob().TaskGroups[0]
	if TaskGroupSpecChanged(nil, nil) {
		t.Errorf("nil, nil: got true, want false")
	}
	if !TaskGroupSpecChanged(tg, nil) || !TaskGroupSpecChanged(nil, tg) {
		t.Errorf("one nil: got false, want true")
	}
}
