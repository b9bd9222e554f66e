package structs

import (
	"testing"
)

func diffTestJob() *Job {
	return &Job{ID: "web", Name: "web", Type: JobTypeService, Priority: 50, Datacenters: []string{"dc1"},
		TaskGroups: []*TaskGroup{{
			Name: "web", Count: 2,
			Constraints: []*Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}},
			Tasks: []*Task{{
				Name: "server", Driver: "raw_exec",
				Config:    map[string]interface{}{"command": "/bin/sleep", "args": []interface{}{"60"}},
				Env:       map[string]string{"COLOR": "blue"},
				Resources: &Resources{CPU: 100, MemoryMB: 128},
			}},
		}},
		Version: 3, JobModifyIndex: 10,
	}
}

func findField(fs []*FieldDiff, name string) *FieldDiff {
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func TestDiffJobs(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(j *Job)
		check func(t *testing.T, d *JobDiff)
	}{
		{
			name: "unchanged except bookkeeping",
			edit: func(j *Job) { j.Version, j.JobModifyIndex, j.Status = 4, 20, JobStatusRunning },
			check: func(t *testing.T, d *JobDiff) {
				if d.Type != DiffTypeNone || d.TaskGroups[0].Type != DiffTypeNone {
					t.Errorf("got type %s / group %s, want None / None", d.Type, d.TaskGroups[0].Type)
				}
			},
		},
		{
			name: "count and env",
			edit: func(j *Job) {
				j.TaskGroups[0].Count = 3
				j.TaskGroups[0].Tasks[0].Env["COLOR"] = "green"
			},
			check: func(t *testing.T, d *JobDiff) {
				tg := d.TaskGroups[0]
				if d.Type != DiffTypeEdited || tg.Type != DiffTypeEdited {
					t.Fatalf("got %s / %s, want Edited / Edited", d.Type, tg.Type)
				}
				c := findField(tg.Fields, "Count")
				if c == nil || c.Old != "2" || c.New != "3" || c.Annotations[0] != AnnotationForcesCreate {
					t.Errorf("Count: got %+v, want 2 => 3 (forces create)", c)
				}
				task := tg.Tasks[0]
				env := findField(task.Fields, "Env[COLOR]")
				if env == nil || env.Type != DiffTypeEdited || env.Old != "blue" || env.New != "green" {
					t.Errorf("Env[COLOR]: got %+v, want blue => green", env)
				}
				if len(task.Annotations) != 1 || task.Annotations[0] != AnnotationForcesDestructiveUpdate {
					t.Errorf("task annotations: got %v, want %q", task.Annotations, AnnotationForcesDestructiveUpdate)
				}
			},
		},
		{
			name: "driver config and resources",
			edit: func(j *Job) {
				j.TaskGroups[0].Tasks[0].Config["args"] = []interface{}{"120"}
				j.TaskGroups[0].Tasks[0].Resources.CPU = 200
			},
			check: func(t *testing.T, d *JobDiff) {
				task := d.TaskGroups[0].Tasks[0]
				var cfg, res *ObjectDiff
				for _, o := range task.Objects {
					switch o.Name {
					case "Config":
						cfg = o
					case "Resources":
						res = o
					}
				}
				if cfg == nil || findField(cfg.Fields, "args[0]") == nil || findField(cfg.Fields, "args[0]").New != "120" {
					t.Errorf("Config: got %+v, want args[0] 60 => 120", cfg)
				}
				if res == nil || findField(res.Fields, "CPU") == nil || findField(res.Fields, "CPU").Old != "100" {
					t.Errorf("Resources: got %+v, want CPU 100 => 200", res)
				}
			},
		},
		{
			name: "constraint replaced, datacenter added, group added",
			edit: func(j *Job) {
				j.TaskGroups[0].Constraints[0].RTarget = "darwin"
				j.Datacenters = append(j.Datacenters, "dc2")
				j.TaskGroups = append(j.TaskGroups, &TaskGroup{Name: "cache", Count: 1,
					Tasks: []*Task{{Name: "redis", Driver: "mock"}}})
			},
			check: func(t *testing.T, d *JobDiff) {
				if len(d.Objects) != 1 || d.Objects[0].Name != "Datacenters" || d.Objects[0].Fields[0].New != "dc2" {
					t.Errorf("Datacenters: got %+v, want dc2 added", d.Objects)
				}
				var types []DiffType
				for _, o := range d.TaskGroups[0].Objects {
					if o.Name == "Constraint" {
						types = append(types, o.Type)
					}
				}
				if len(types) != 2 {
					t.Errorf("constraint objects: got %v, want one Deleted and one Added", types)
				}
				if len(d.TaskGroups) != 2 || d.TaskGroups[1].Type != DiffTypeAdded || d.TaskGroups[1].Tasks[0].Type != DiffTypeAdded {
					t.Errorf("group cache: got %+v, want Added with an Added task", d.TaskGroups[1])
				}
			},
		},
		{
			name: "kill timeout changes in place",
			edit: func(j *Job) { j.TaskGroups[0].Tasks[0].KillTimeout = 10e9 },
			check: func(t *testing.T, d *JobDiff) {
				task := d.TaskGroups[0].Tasks[0]
				if f := findField(task.Fields, "KillTimeout"); f == nil || f.New != "10s" {
					t.Errorf("KillTimeout: got %+v, want added 10s", f)
				}
				if len(task.Annotations) != 1 || task.Annotations[0] != AnnotationForcesInplaceUpdate {
					t.Errorf("annotations: got %v, want %q", task.Annotations, AnnotationForcesInplaceUpdate)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			old, new := diffTestJob(), diffTestJob()
			tt.edit(new)
			tt.check(t, DiffJobs(old, new))
		})
	}
}

func TestDiffJobsNewJob(t *testing.T) {
	d := DiffJobs(nil, diffTestJob())
	if d.Type != DiffTypeAdded || d.TaskGroups[0].Type != DiffTypeAdded {
		t.Fatalf("got %s / %s, want Added / Added", d.Type, d.TaskGroups[0].Type)
	}
	if f := findField(d.Fields, "Priority"); f == nil || f.Type != DiffTypeAdded || f.New != "50" {
		t.Errorf("Priority: got %+v, want Added 50", f)
	}
}
