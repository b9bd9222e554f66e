package structs

import (
	"reflect"
	"testing"
	"time"
)

func minimalJob(jobType string) *Job {
	return &Job{
		ID:   "app",
		Type: jobType,
		TaskGroups: []*TaskGroup{{
			Name:     "g",
			Count:    1,
			Networks: []*NetworkResource{{DynamicPorts: []Port{{Label: "http"}}}},
			Services: []*Service{{PortLabel: "http"}},
			Spreads:  []*Spread{{Attribute: "${node.datacenter}"}},
			Tasks: []*Task{{
				Name: "t", Driver: "exec",
				Services:    []*Service{{PortLabel: "http"}},
				Constraints: []*Constraint{{LTarget: "${attr.os}", RTarget: "linux"}},
				Templates:   []*Template{{EmbeddedTmpl: "x", DestPath: "local/x"}},
			}},
		}},
	}
}

func TestCanonicalizeJobDefaults(t *testing.T) {
	j := &Job{ID: "app", TaskGroups: []*TaskGroup{{Name: "g", Tasks: []*Task{{Name: "t"}}}}}
	j.Canonicalize()
	checks := []struct {
		name      string
		got, want interface{}
	}{
		{"namespace", j.Namespace, "default"},
		{"region", j.Region, "global"},
		{"type", j.Type, "service"},
		{"priority", j.Priority, 50},
		{"datacenters", j.Datacenters, []string{"*"}},
		{"node pool", j.NodePool, "default"},
		{"name", j.Name, "app"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestCanonicalizeKeepsUserValues(t *testing.T) {
	j := &Job{ID: "app", Name: "App", Namespace: "ops", Region: "eu", Type: "batch", Priority: 70,
		Datacenters: []string{"dc2"}, NodePool: "gpu"}
	j.Canonicalize()
	want := &Job{ID: "app", Name: "App", Namespace: "ops", Region: "eu", Type: "batch", Priority: 70,
		Datacenters: []string{"dc2"}, NodePool: "gpu"}
	if !reflect.DeepEqual(j, want) {
		t.Errorf("got %+v, want %+v", j, want)
	}
}

func TestCanonicalizeGroupDefaultsByType(t *testing.T) {
	cases := []struct {
		jobType    string
		restart    *RestartPolicy
		reschedule *ReschedulePolicy
		migrate    bool
	}{
		{JobTypeService,
			&RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: "fail"},
			&ReschedulePolicy{Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour, Unlimited: true},
			true},
		{JobTypeBatch,
			&RestartPolicy{Attempts: 3, Interval: 24 * time.Hour, Delay: 15 * time.Second, Mode: "fail"},
			&ReschedulePolicy{Attempts: 1, Interval: 24 * time.Hour, Delay: 5 * time.Second, DelayFunction: "constant"},
			false},
		{JobTypeSystem,
			&RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: "fail"},
			nil, false},
		{JobTypeSysBatch,
			&RestartPolicy{Attempts: 3, Interval: 24 * time.Hour, Delay: 15 * time.Second, Mode: "fail"},
			nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.jobType, func(t *testing.T) {
			j := minimalJob(tc.jobType)
			j.Canonicalize()
			tg := j.TaskGroups[0]
			if !reflect.DeepEqual(tg.RestartPolicy, tc.restart) {
				t.Errorf("restart: got %+v, want %+v", tg.RestartPolicy, tc.restart)
			}
			if !reflect.DeepEqual(tg.ReschedulePolicy, tc.reschedule) {
				t.Errorf("reschedule: got %+v, want %+v", tg.ReschedulePolicy, tc.reschedule)
			}
			if got := tg.Migrate != nil; got != tc.migrate {
				t.Errorf("migrate set: got %v, want %v", got, tc.migrate)
			}
			if !reflect.DeepEqual(tg.Tasks[0].RestartPolicy, tc.restart) || tg.Tasks[0].RestartPolicy == tg.RestartPolicy {
				t.Errorf("task restart: got %+v (shared %v), want an own copy of %+v",
					tg.Tasks[0].RestartPolicy, tg.Tasks[0].RestartPolicy == tg.RestartPolicy, tc.restart)
			}
			if err := j.Validate(); err != nil {
				t.Errorf("canonicalized %s job: got %v, want valid", tc.jobType, err)
			}
		})
	}
}

func TestCanonicalizeTaskDefaults(t *testing.T) {
	j := minimalJob(JobTypeService)
	j.Canonicalize()
	tg := j.TaskGroups[0]
	task := tg.Tasks[0]
	checks := []struct {
		name      string
		got, want interface{}
	}{
		{"resources", *task.Resources, Resources{CPU: 100, MemoryMB: 300}},
		{"kill timeout", task.KillTimeout, 5 * time.Second},
		{"log config", *task.LogConfig, LogConfig{MaxFiles: 10, MaxFileSizeMB: 10}},
		{"ephemeral disk", *tg.EphemeralDisk, EphemeralDisk{SizeMB: 300}},
		{"network mode", tg.Networks[0].Mode, "host"},
		{"group service", *tg.Services[0], Service{Name: "app-g", PortLabel: "http", Provider: "nomad"}},
		{"task service", *task.Services[0], Service{Name: "app-g-t", PortLabel: "http", Provider: "nomad"}},
		{"constraint operand", task.Constraints[0].Operand, "="},
		{"spread weight", tg.Spreads[0].Weight, int8(50)},
		{"template", *task.Templates[0], Template{EmbeddedTmpl: "x", DestPath: "local/x", ChangeMode: "restart",
			Splay: 5 * time.Second, Perms: "0644", LeftDelim: "{{", RightDelim: "}}"}},
		{"update", tg.Update, (*UpdateStrategy)(nil)},
		{"migrate", tg.Migrate, DefaultMigrateStrategy()},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, c.got, c.want)
		}
	}
}

func TestCanonicalizeResources(t *testing.T) {
	cases := []struct {
		name string
		in   *Resources
		want Resources
	}{
		{"nil", nil, Resources{CPU: 100, MemoryMB: 300}},
		{"zero cpu", &Resources{MemoryMB: 64}, Resources{CPU: 100, MemoryMB: 64}},
		{"zero memory", &Resources{CPU: 500}, Resources{CPU: 500, MemoryMB: 300}},
		{"cores", &Resources{Cores: 2}, Resources{Cores: 2, MemoryMB: 300}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := minimalJob(JobTypeService)
			j.TaskGroups[0].Tasks[0].Resources = tc.in
			j.Canonicalize()
			if got := *j.TaskGroups[0].Tasks[0].Resources; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCanonicalizeUpdateMerge(t *testing.T) {
	cases := []struct {
		name     string
		jobType  string
		job, grp *UpdateStrategy
		want     *UpdateStrategy
	}{
		{"no blocks", JobTypeService, nil, nil, nil},
		{"job block", JobTypeService, &UpdateStrategy{MaxParallel: 3, Canary: 1}, nil,
			&UpdateStrategy{Stagger: 30 * time.Second, MaxParallel: 3, HealthCheck: "checks", MinHealthyTime: 10 * time.Second,
				HealthyDeadline: 5 * time.Minute, ProgressDeadline: 10 * time.Minute, Canary: 1}},
		{"group overrides job", JobTypeService, &UpdateStrategy{MaxParallel: 3, AutoRevert: true},
			&UpdateStrategy{MaxParallel: 5, HealthCheck: "task_states"},
			&UpdateStrategy{Stagger: 30 * time.Second, MaxParallel: 5, HealthCheck: "task_states", MinHealthyTime: 10 * time.Second,
				HealthyDeadline: 5 * time.Minute, ProgressDeadline: 10 * time.Minute, AutoRevert: true}},
		{"group block only", JobTypeSystem, nil, &UpdateStrategy{},
			&UpdateStrategy{Stagger: 30 * time.Second, MaxParallel: 1, HealthCheck: "checks", MinHealthyTime: 10 * time.Second,
				HealthyDeadline: 5 * time.Minute, ProgressDeadline: 10 * time.Minute}},
		{"batch drops it", JobTypeBatch, &UpdateStrategy{MaxParallel: 3}, &UpdateStrategy{MaxParallel: 2}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := minimalJob(tc.jobType)
			j.Update, j.TaskGroups[0].Update = tc.job, tc.grp
			j.Canonicalize()
			if got := j.TaskGroups[0].Update; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCanonicalizePartialPolicies(t *testing.T) {
	j := minimalJob(JobTypeService)
	j.Reschedule = &ReschedulePolicy{Attempts: 3, Interval: time.Hour}
	j.Migrate = &MigrateStrategy{MaxParallel: 4}
	j.TaskGroups[0].RestartPolicy = &RestartPolicy{Attempts: 1, Interval: time.Minute}
	j.Canonicalize()
	tg := j.TaskGroups[0]
	wantRes := &ReschedulePolicy{Attempts: 3, Interval: time.Hour, Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour}
	if !reflect.DeepEqual(tg.ReschedulePolicy, wantRes) {
		t.Errorf("reschedule: got %+v, want %+v", tg.ReschedulePolicy, wantRes)
	}
	if tg.ReschedulePolicy == j.Reschedule {
		t.Errorf("reschedule: group shares the job's policy, want a copy")
	}
	wantMig := &MigrateStrategy{MaxParallel: 4, HealthCheck: "checks", MinHealthyTime: 10 * time.Second, HealthyDeadline: 5 * time.Minute}
	if !reflect.DeepEqual(tg.Migrate, wantMig) {
		t.Errorf("migrate: got %+v, want %+v", tg.Migrate, wantMig)
	}
	wantRestart := &RestartPolicy{Attempts: 1, Interval: time.Minute, Delay: 15 * time.Second, Mode: "fail"}
	if !reflect.DeepEqual(tg.RestartPolicy, wantRestart) {
		t.Errorf("restart: got %+v, want %+v", tg.RestartPolicy, wantRestart)
	}
	if err := j.Validate(); err != nil {
		t.Errorf("got %v, want valid", err)
	}
}

func TestCanonicalizeRestartMerge(t *testing.T) {
	cases := []struct {
		name      string
		jobType   string
		grp, task *RestartPolicy
		wantGrp   RestartPolicy
		wantTask  RestartPolicy
	}{
		{"defaults", JobTypeService, nil, nil,
			RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: "fail"},
			RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: "fail"}},
		{"group partial", JobTypeBatch, &RestartPolicy{Attempts: 0, Mode: "delay"}, nil,
			RestartPolicy{Interval: 24 * time.Hour, Delay: 15 * time.Second, Mode: "delay"},
			RestartPolicy{Interval: 24 * time.Hour, Delay: 15 * time.Second, Mode: "delay"}},
		{"task partial over group", JobTypeService,
			&RestartPolicy{Attempts: 5, Interval: time.Hour, Delay: time.Minute, Mode: "delay"},
			&RestartPolicy{Attempts: 1, Delay: 5 * time.Second},
			RestartPolicy{Attempts: 5, Interval: time.Hour, Delay: time.Minute, Mode: "delay"},
			RestartPolicy{Attempts: 1, Interval: time.Hour, Delay: 5 * time.Second, Mode: "delay"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := minimalJob(tc.jobType)
			j.TaskGroups[0].RestartPolicy, j.TaskGroups[0].Tasks[0].RestartPolicy = tc.grp, tc.task
			j.Canonicalize()
			if got := *j.TaskGroups[0].RestartPolicy; got != tc.wantGrp {
				t.Errorf("group: got %+v, want %+v", got, tc.wantGrp)
			}
			if got := *j.TaskGroups[0].Tasks[0].RestartPolicy; got != tc.wantTask {
				t.Errorf("task: got %+v, want %+v", got, tc.wantTask)
			}
		})
	}
}

func TestCanonicalizeRescheduleMerge(t *testing.T) {
	cases := []struct {
		name     string
		jobType  string
		job, grp *ReschedulePolicy
		want     ReschedulePolicy
	}{
		{"service default", JobTypeService, nil, nil,
			ReschedulePolicy{Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour, Unlimited: true}},
		{"group timing only", JobTypeService, nil, &ReschedulePolicy{Delay: 10 * time.Second},
			ReschedulePolicy{Delay: 10 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour, Unlimited: true}},
		{"group disables", JobTypeService, &ReschedulePolicy{Attempts: 3, Interval: time.Hour}, &ReschedulePolicy{},
			ReschedulePolicy{}},
		{"job disables", JobTypeBatch, &ReschedulePolicy{}, nil, ReschedulePolicy{}},
		{"job attempts, group delay", JobTypeService, &ReschedulePolicy{Attempts: 3, Interval: time.Hour},
			&ReschedulePolicy{Delay: 10 * time.Second, DelayFunction: "constant"},
			ReschedulePolicy{Attempts: 3, Interval: time.Hour, Delay: 10 * time.Second, DelayFunction: "constant", MaxDelay: time.Hour}},
		{"batch attempts", JobTypeBatch, nil, &ReschedulePolicy{Attempts: 5},
			ReschedulePolicy{Attempts: 5, Interval: 24 * time.Hour, Delay: 5 * time.Second, DelayFunction: "constant"}},
		{"batch exponential", JobTypeBatch, nil, &ReschedulePolicy{Attempts: 2, DelayFunction: "exponential"},
			ReschedulePolicy{Attempts: 2, Interval: 24 * time.Hour, Delay: 5 * time.Second, DelayFunction: "exponential", MaxDelay: 5 * time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := minimalJob(tc.jobType)
			j.Reschedule, j.TaskGroups[0].ReschedulePolicy = tc.job, tc.grp
			j.Canonicalize()
			if got := *j.TaskGroups[0].ReschedulePolicy; got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			again := j.TaskGroups[0].Copy()
			j.Canonicalize()
			if got := *j.TaskGroups[0].ReschedulePolicy; got != *again.ReschedulePolicy {
				t.Errorf("second Canonicalize: got %+v, want %+v", got, *again.ReschedulePolicy)
			}
			if err := j.Validate(); err != nil {
				t.Errorf("got %v, want valid", err)
			}
		})
	}
}

func TestCanonicalizeIdempotent(t *testing.T) {
	jobs := map[string]*Job{
		"fixture": fixtureJob(),
		"service": minimalJob(JobTypeService),
		"batch":   minimalJob(JobTypeBatch),
		"system":  minimalJob(JobTypeSystem),
		"partial": func() *Job {
			j := minimalJob(JobTypeService)
			j.Update = &UpdateStrategy{Canary: 2}
			j.Reschedule = &ReschedulePolicy{Attempts: 2, Interval: time.Hour, DelayFunction: "fibonacci"}
			return j
		}(),
	}
	for name, j := range jobs {
		t.Run(name, func(t *testing.T) {
			j.Canonicalize()
			once := j.Copy()
			j.Canonicalize()
			if !reflect.DeepEqual(j, once) {
				t.Errorf("second Canonicalize changed the job:\ngot  %+v\nwant %+v", j, once)
			}
		})
	}
}

func TestCanonicalizeNilSafe(t *testing.T) {
	var j *Job
	j.Canonicalize() // must not panic
	j = &Job{ID: "x", TaskGroups: []*TaskGroup{nil, {Name: "g", Tasks: []*Task{nil}}}}
	j.Canonicalize()
	if j.TaskGroups[1].RestartPolicy == nil {
		t.Errorf("group after a nil group: got no restart policy, want the default")
	}
}
