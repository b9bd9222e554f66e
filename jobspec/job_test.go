package jobspec

import (
	"os"
	"testing"
	"time"

	"github.com/droverhq/drover/api"
)

func TestParseFullJob(t *testing.T) {
	j, err := ParseFile("testdata/full.hcl", nil, nil)
	if err != nil {
		t.Fatalf("ParseFile: %v", err)
	}
	shutdown := 5 * time.Second
	want := &api.Job{
		ID: "full", Name: "full-name", Region: "eu", Namespace: "prod", Type: "service",
		Priority: 70, AllAtOnce: true, Datacenters: []string{"dc1", "dc2"}, NodePool: "gpu",
		Meta:        map[string]string{"owner": "team-a", "build": "42"},
		Constraints: []*api.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="}},
		Affinities:  []*api.Affinity{{LTarget: "${node.datacenter}", RTarget: "dc2", Operand: "!=", Weight: -30}},
		Spreads: []*api.Spread{{Attribute: "${node.datacenter}", Weight: 80, SpreadTarget: []*api.SpreadTarget{
			{Value: "dc1", Percent: 60}, {Value: "dc2", Percent: 40}}}},
		Update: &api.UpdateStrategy{MaxParallel: 2, HealthCheck: "checks", MinHealthyTime: 15 * time.Second,
			HealthyDeadline: 5 * time.Minute, ProgressDeadline: 10 * time.Minute, AutoRevert: true,
			AutoPromote: true, Canary: 1, Stagger: 30 * time.Second},
		Reschedule: &api.ReschedulePolicy{Attempts: 5, Interval: time.Hour, Delay: 30 * time.Second,
			DelayFunction: "exponential", MaxDelay: 10 * time.Minute},
		Migrate: &api.MigrateStrategy{MaxParallel: 1, HealthCheck: "task_states",
			MinHealthyTime: 10 * time.Second, HealthyDeadline: 2 * time.Minute},
		TaskGroups: []*api.TaskGroup{wantWebGroup(&shutdown), {
			Name: "cron", Count: intp(1), Tasks: []*api.Task{{Name: "t", Driver: "mock"}},
		}},
	}
	assertEqual(t, j, want)
}

func wantWebGroup(shutdown *time.Duration) *api.TaskGroup {
	return &api.TaskGroup{
		Name: "web", Count: intp(3), ShutdownDelay: shutdown,
		Meta:        map[string]string{"tier": "front"},
		Constraints: []*api.Constraint{{Operand: "distinct_hosts"}},
		Volumes: map[string]*api.VolumeRequest{"data": {Name: "data", Type: "host",
			Source: "shared-data", ReadOnly: true}},
		RestartPolicy: &api.RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second,
			Mode: "fail", RenderTemplates: true},
		EphemeralDisk: &api.EphemeralDisk{Sticky: true, SizeMB: 300, Migrate: true},
		Networks: []*api.NetworkResource{{Mode: "host",
			DynamicPorts:  []api.Port{{Label: "http", To: 8080}},
			ReservedPorts: []api.Port{{Label: "admin", Value: 9000, HostNetwork: "private"}}}},
		Services: []*api.Service{{Name: "web", PortLabel: "http", Tags: []string{"a", "b"}, Provider: "nomad",
			Meta: map[string]string{"version": "1"},
			Checks: []*api.ServiceCheck{
				{Name: "alive", Type: "http", Path: "/health", Protocol: "http", PortLabel: "http",
					Interval: 10 * time.Second, Timeout: 2 * time.Second},
				{Type: "script", Command: "/bin/check", Args: []string{"-v"}, Interval: time.Minute,
					Timeout: 5 * time.Second},
			}}},
		Tasks: []*api.Task{wantServerTask(), {
			Name: "log-shipper", Driver: "raw_exec",
			Lifecycle: &api.TaskLifecycleConfig{Hook: "poststart", Sidecar: true},
			Config:    map[string]interface{}{"command": "/bin/ship"},
		}},
	}
}

func wantServerTask() *api.Task {
	return &api.Task{
		Name: "server", Driver: "exec", User: "nobody", KillTimeout: 20 * time.Second,
		KillSignal: "SIGINT", Leader: true, ShutdownDelay: 3 * time.Second,
		Config: map[string]interface{}{
			"command": "/usr/bin/server",
			"args":    []interface{}{"-port", "${NOMAD_PORT_http}"},
			"ratio":   0.5, "workers": 4, "debug": true,
			"mount": []interface{}{
				map[string]interface{}{"source": "a"},
				map[string]interface{}{"source": "b"},
			},
			"labels": map[string]interface{}{"app": "web"},
		},
		Env:           map[string]string{"PORT": "${NOMAD_PORT_http}", "HOST": "${attr.unique.network.ip-address}"},
		Meta:          map[string]string{"role": "main"},
		Resources:     &api.Resources{CPU: 500, MemoryMB: 256, MemoryMaxMB: 512, DiskMB: 100},
		RestartPolicy: &api.RestartPolicy{Attempts: 1, Mode: "delay"},
		LogConfig:     &api.LogConfig{MaxFiles: 3, MaxFileSizeMB: 5},
		Templates: []*api.Template{
			{EmbeddedTmpl: "port={{ env \"NOMAD_PORT_http\" }}\n", DestPath: "local/app.conf",
				ChangeMode: "signal", ChangeSignal: "SIGHUP", Splay: 5 * time.Second, Perms: "0644",
				LeftDelim: "{{", RightDelim: "}}"},
			{SourcePath: "local/in.tpl", DestPath: "secrets/out.env", Envvars: true},
		},
		VolumeMounts: []*api.VolumeMount{{Volume: "data", Destination: "/srv/data", ReadOnly: true}},
		Services:     []*api.Service{{Name: "server-metrics", PortLabel: "admin"}},
		Constraints:  []*api.Constraint{{LTarget: "${attr.cpu.arch}", RTarget: "amd64", Operand: "="}},
		Affinities:   []*api.Affinity{{LTarget: "${meta.rack}", RTarget: "r1", Operand: "=", Weight: 50}},
	}
}

func TestParsePeriodicParameterized(t *testing.T) {
	j, err := ParseFile("testdata/periodic.hcl", nil, nil)
	if err != nil {
		t.Fatalf("ParseFile: %v", err)
	}
	assertEqual(t, j.Periodic, &api.PeriodicConfig{Enabled: true, Spec: "*/15 * * * *",
		Specs: []string{"0 1 * * *", "0 2 * * *"}, SpecType: "cron", ProhibitOverlap: true,
		TimeZone: "Europe/Berlin"})
	assertEqual(t, j.ParameterizedJob, &api.ParameterizedJobConfig{Payload: "required",
		MetaRequired: []string{"customer"}, MetaOptional: []string{"priority"}})

	off := mustParse(t, jobOf(`periodic {
  crons   = ["@daily"]
  enabled = false
}`))
	if off.Periodic.Enabled {
		t.Errorf("Periodic.Enabled: got true, want false")
	}
}

func TestParseExamples(t *testing.T) {
	tests := []struct {
		file   string
		id     string
		typ    string
		count  int
		driver string
		check  func(t *testing.T, j *api.Job)
	}{
		{file: "batch.hcl", id: "batch", typ: "batch", count: 3, driver: "raw_exec", check: func(t *testing.T, j *api.Job) {
			args := firstTask(j).Config["args"].([]interface{})
			if got, want := args[1], "echo hello from ${NOMAD_ALLOC_INDEX}; sleep 1"; got != want {
				t.Errorf("args[1]: got %q, want %q", got, want)
			}
			assertEqual(t, firstTask(j).Resources, &api.Resources{CPU: 100, MemoryMB: 64})
		}},
		{file: "service.hcl", id: "sleeper", typ: "service", count: 2, driver: "raw_exec", check: func(t *testing.T, j *api.Job) {
			assertEqual(t, j.TaskGroups[0].Networks[0].DynamicPorts, []api.Port{{Label: "http"}})
			if got := firstTask(j).Env["LISTEN_PORT"]; got != "${NOMAD_PORT_http}" {
				t.Errorf("env LISTEN_PORT: got %q, want ${NOMAD_PORT_http}", got)
			}
		}},
		{file: "mock.hcl", id: "mock", typ: "batch", count: 1, driver: "mock", check: func(t *testing.T, j *api.Job) {
			assertEqual(t, firstTask(j).Config, map[string]interface{}{"run_for": "5s", "exit_code": 0})
		}},
		{file: "big-memory.hcl", id: "big-memory", typ: "service", count: 1, driver: "mock", check: func(t *testing.T, j *api.Job) {
			if got := firstTask(j).Resources.MemoryMB; got != 10000000 {
				t.Errorf("MemoryMB: got %d, want 10000000", got)
			}
		}},
		{file: "variables.hcl", id: "greet", typ: "batch", count: 2, driver: "raw_exec", check: func(t *testing.T, j *api.Job) {
			if j.Name != "greet-hello" {
				t.Errorf("Name: got %q, want greet-hello", j.Name)
			}
			args := firstTask(j).Config["args"].([]interface{})
			if got, want := args[1], "echo hello from ${NOMAD_ALLOC_ID} on ${node.unique.name}"; got != want {
				t.Errorf("args[1]: got %q, want %q", got, want)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			j, err := ParseFile("../examples/"+tt.file, nil, nil)
			if err != nil {
				t.Fatalf("ParseFile: %v", err)
			}
			if j.ID != tt.id || j.Type != tt.typ {
				t.Errorf("ID, Type: got %q, %q, want %q, %q", j.ID, j.Type, tt.id, tt.typ)
			}
			if got := *j.TaskGroups[0].Count; got != tt.count {
				t.Errorf("Count: got %d, want %d", got, tt.count)
			}
			if got := firstTask(j).Driver; got != tt.driver {
				t.Errorf("Driver: got %q, want %q", got, tt.driver)
			}
			tt.check(t, j)
		})
	}
	if _, err := os.Stat("../examples/variables.hcl"); err != nil {
		t.Fatal(err)
	}
}

func TestParseExampleVariablesOverride(t *testing.T) {
	j, err := ParseFile("../examples/variables.hcl", []string{"instances=5", "greeting=Hi"}, nil)
	if err != nil {
		t.Fatalf("ParseFile: %v", err)
	}
	if got := *j.TaskGroups[0].Count; got != 5 {
		t.Errorf("Count: got %d, want 5", got)
	}
	if j.Name != "greet-hi" || j.Meta["greeting"] != "HI" {
		t.Errorf("Name, Meta: got %q, %v, want greet-hi, greeting=HI", j.Name, j.Meta)
	}
	_, err = ParseFile("../examples/variables.hcl", []string{"instances=50"}, nil)
	want := "../examples/variables.hcl:15,21-62: Invalid value for variable; instances must be from 1 to 10."
	if err == nil || err.Error() != want {
		t.Errorf("validation error:\ngot  %v\nwant %s", err, want)
	}
}
