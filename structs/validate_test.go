package structs

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fixtureJob returns a canonicalized service job that passes validation and
// uses most blocks: ports, services, checks, volumes, templates, update.
func fixtureJob() *Job {
	j := &Job{
		ID:     "web",
		Type:   JobTypeService,
		Update: &UpdateStrategy{MaxParallel: 2},
		Meta:   map[string]string{"owner": "ops"},
		Constraints: []*Constraint{
			{LTarget: "${attr.kernel.name}", RTarget: "linux", Operand: "="},
		},
		TaskGroups: []*TaskGroup{fixtureGroup()},
	}
	j.Canonicalize()
	return j
}

func fixtureGroup() *TaskGroup {
	return &TaskGroup{
		Name:  "web",
		Count: 2,
		Networks: []*NetworkResource{{
			DynamicPorts:  []Port{{Label: "http", To: 8080}},
			ReservedPorts: []Port{{Label: "admin", Value: 9000}},
		}},
		Services: []*Service{{
			Name:      "web",
			PortLabel: "http",
			Tags:      []string{"v1"},
			Checks:    []*ServiceCheck{{Type: "http", Path: "/health", Interval: 10 * time.Second, Timeout: 2 * time.Second}},
		}},
		Volumes: map[string]*VolumeRequest{"data": {Type: "host", Source: "data"}},
		Meta:    map[string]string{"tier": "front"},
		Tasks:   []*Task{fixtureTask()},
	}
}

func fixtureTask() *Task {
	return &Task{
		Name:   "api",
		Driver: "exec",
		Config: map[string]interface{}{
			"command": "/bin/server",
			"args":    []interface{}{"-port", "8080"},
			"nested":  map[string]interface{}{"k": []interface{}{1, 2}},
		},
		Env:          map[string]string{"MODE": "prod"},
		Resources:    &Resources{CPU: 200, MemoryMB: 128},
		VolumeMounts: []*VolumeMount{{Volume: "data", Destination: "/data"}},
		Templates:    []*Template{{EmbeddedTmpl: "x={{ .x }}", DestPath: "local/x.env", Envvars: true}},
		KillSignal:   "SIGINT",
	}
}

// problemsOf returns the problems Validate found, failing unless err is a
// *ValidationError that wraps ErrInvalid.
func problemsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("got error of type %T, want *ValidationError: %v", err, err)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is(err, ErrInvalid) = false, want true")
	}
	return verr.Errors
}

func TestFixtureJobIsValid(t *testing.T) {
	if err := fixtureJob().Validate(); err != nil {
		t.Fatalf("fixture job: got %v, want no error", err)
	}
}

type validateCase struct {
	name   string
	mutate func(j *Job)
	want   string // one expected problem, exactly
}

func runValidateCases(t *testing.T, cases []validateCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := fixtureJob()
			tc.mutate(j)
			got := problemsOf(t, j.Validate())
			for _, p := range got {
				if p == tc.want {
					return
				}
			}
			t.Errorf("got problems %q, want one of them to be %q", got, tc.want)
		})
	}
}

func group0(j *Job) *TaskGroup { return j.TaskGroups[0] }
func task0(j *Job) *Task       { return j.TaskGroups[0].Tasks[0] }

func TestValidateJobHeader(t *testing.T) {
	runValidateCases(t, []validateCase{
		{"empty id", func(j *Job) { j.ID = "" }, "id must not be empty"},
		{"id with space", func(j *Job) { j.ID = "my job" }, `id "my job" must not contain spaces`},
		{"id with null", func(j *Job) { j.ID = "a\x00b" }, `id "a\x00b" must not contain null bytes`},
		{"id too long", func(j *Job) { j.ID = strings.Repeat("a", 129) }, "id must be at most 128 characters (got 129)"},
		{"empty name", func(j *Job) { j.Name = "" }, "name must not be empty"},
		{"empty namespace", func(j *Job) { j.Namespace = "" }, "namespace must not be empty"},
		{"wildcard namespace", func(j *Job) { j.Namespace = "*" },
			`namespace "*" is not a valid name: use 1 to 128 letters, digits and dashes, e.g. "default" ("*" only selects every namespace when listing)`},
		{"namespace with space", func(j *Job) { j.Namespace = "my ns" },
			`namespace "my ns" is not a valid name: use 1 to 128 letters, digits and dashes, e.g. "default" ("*" only selects every namespace when listing)`},
		{"unknown type", func(j *Job) { j.Type = "cron" }, `type "cron" is unknown; allowed: service, batch, system, sysbatch`},
		{"priority low", func(j *Job) { j.Priority = 0 }, "priority must be between 1 and 100 (got 0)"},
		{"priority high", func(j *Job) { j.Priority = 101 }, "priority must be between 1 and 100 (got 101)"},
		{"no datacenters", func(j *Job) { j.Datacenters = nil }, `datacenters must list at least one datacenter ("*" for all)`},
		{"empty datacenter", func(j *Job) { j.Datacenters = []string{"dc1", ""} }, "datacenters[1] must not be empty"},
		{"no groups", func(j *Job) { j.TaskGroups = nil }, "job must have at least one group"},
	})
}

func TestValidateGroups(t *testing.T) {
	runValidateCases(t, []validateCase{
		{"empty group name", func(j *Job) { group0(j).Name = "" }, "group[0]: name must not be empty"},
		{"duplicate group", func(j *Job) { j.TaskGroups = append(j.TaskGroups, group0(j).Copy()) },
			`group "web": name is used by another group; group names must be unique`},
		{"nil group", func(j *Job) { j.TaskGroups = append(j.TaskGroups, nil) }, "group[1]: group is missing"},
		{"negative count", func(j *Job) { group0(j).Count = -1 }, `group "web": count must be >= 0 (got -1)`},
		{"system count", func(j *Job) { j.Type = JobTypeSystem; group0(j).Count = 3 },
			`group "web": count must be 0 or 1 in system jobs, which run one allocation per node (got 3)`},
		{"sysbatch count", func(j *Job) { j.Type = JobTypeSysBatch; group0(j).Count = 2 },
			`group "web": count must be 0 or 1 in sysbatch jobs, which run one allocation per node (got 2)`},
		{"no tasks", func(j *Job) { group0(j).Tasks = nil }, `group "web": group must have at least one task`},
		{"two leaders", func(j *Job) {
			t2 := task0(j).Copy()
			t2.Name = "side"
			task0(j).Leader, t2.Leader = true, true
			group0(j).Tasks = append(group0(j).Tasks, t2)
		}, `group "web": only one task may be the leader (got 2)`},
		{"negative disk", func(j *Job) { group0(j).EphemeralDisk.SizeMB = -1 }, `group "web": ephemeral_disk.size must be >= 0 (got -1)`},
		{"logs exceed disk", func(j *Job) { group0(j).EphemeralDisk.SizeMB = 50 },
			`group "web": ephemeral_disk.size 50 MB is smaller than the 100 MB the tasks' logs may use ` +
				`(logs.max_files x logs.max_file_size, summed over tasks); raise the size or lower the log limits`},
		{"volume type", func(j *Job) { group0(j).Volumes["data"].Type = "csi" }, `group "web" volume "data": type "csi" is not supported; allowed: host`},
		{"volume source", func(j *Job) { group0(j).Volumes["data"].Source = "" }, `group "web" volume "data": source must name a host volume of the client`},
	})
}

func TestValidateTasks(t *testing.T) {
	runValidateCases(t, []validateCase{
		{"empty task name", func(j *Job) { task0(j).Name = "" }, `group "web" task[0]: name must not be empty`},
		{"slash in name", func(j *Job) { task0(j).Name = "a/b" }, `group "web" task "a/b": name "a/b" must not contain "/"`},
		{"duplicate task", func(j *Job) { group0(j).Tasks = append(group0(j).Tasks, task0(j).Copy()) },
			`group "web" task "api": name is used by another task in the group; task names must be unique`},
		{"no driver", func(j *Job) { task0(j).Driver = "" }, `group "web" task "api": driver must not be empty`},
		{"cpu zero", func(j *Job) { task0(j).Resources.CPU = 0 }, `group "web" task "api": resources.cpu must be >= 1 (got 0)`},
		{"cpu and cores", func(j *Job) { task0(j).Resources.Cores = 2 }, `group "web" task "api": resources: set either cpu or cores, not both`},
		{"negative cores", func(j *Job) { task0(j).Resources.Cores = -1 }, `group "web" task "api": resources.cores must be >= 0 (got -1)`},
		{"memory low", func(j *Job) { task0(j).Resources.MemoryMB = 5 }, `group "web" task "api": resources.memory must be >= 10 (got 5)`},
		{"memory max low", func(j *Job) { task0(j).Resources.MemoryMaxMB = 64 },
			`group "web" task "api": resources.memory_max must be >= memory (128) when set (got 64)`},
		{"negative disk", func(j *Job) { task0(j).Resources.DiskMB = -1 }, `group "web" task "api": resources.disk must be >= 0 (got -1)`},
		{"kill signal", func(j *Job) { task0(j).KillSignal = "SIGFOO" },
			`group "web" task "api": kill_signal "SIGFOO" is unknown; use a signal name such as SIGTERM, SIGINT or SIGQUIT`},
		{"negative kill timeout", func(j *Job) { task0(j).KillTimeout = -time.Second }, `group "web" task "api": kill_timeout must be >= 0 (got -1s)`},
		{"log files", func(j *Job) { task0(j).LogConfig.MaxFiles = 0 }, `group "web" task "api": logs.max_files must be >= 1 (got 0)`},
		{"log size", func(j *Job) { task0(j).LogConfig.MaxFileSizeMB = 0 }, `group "web" task "api": logs.max_file_size must be >= 1 (got 0)`},
		{"lifecycle", func(j *Job) { task0(j).Lifecycle = &TaskLifecycleConfig{Hook: "later"} },
			`group "web" task "api": lifecycle.hook "later" is unknown; allowed: prestart, poststart, poststop`},
		{"mount undeclared", func(j *Job) { task0(j).VolumeMounts[0].Volume = "logs" },
			`group "web" task "api" volume_mount[0]: volume "logs" is not declared in the group; declared: data`},
		{"mount destination", func(j *Job) { task0(j).VolumeMounts[0].Destination = "" },
			`group "web" task "api" volume_mount[0]: destination must not be empty`},
		{"template source", func(j *Job) { task0(j).Templates[0].EmbeddedTmpl = "" }, `group "web" task "api" template[0]: set source or data`},
		{"template destination", func(j *Job) { task0(j).Templates[0].DestPath = "" },
			`group "web" task "api" template[0]: destination must not be empty`},
		{"template change mode", func(j *Job) { task0(j).Templates[0].ChangeMode = "reload" },
			`group "web" task "api" template[0]: change_mode "reload" is unknown; allowed: noop, restart, signal, script`},
		{"template signal", func(j *Job) { task0(j).Templates[0].ChangeMode = "signal" },
			`group "web" task "api" template[0]: change_signal must be set when change_mode is "signal"`},
		{"template perms", func(j *Job) { task0(j).Templates[0].Perms = "rw" },
			`group "web" task "api" template[0]: perms "rw" must be an octal file mode such as "0644"`},
	})
}

func TestValidateLowercaseSignalAccepted(t *testing.T) {
	j := fixtureJob()
	task0(j).KillSignal = "sigterm"
	if err := j.Validate(); err != nil {
		t.Errorf("kill_signal sigterm: got %v, want no error", err)
	}
}

func TestValidatePorts(t *testing.T) {
	net := func(j *Job) *NetworkResource { return group0(j).Networks[0] }
	runValidateCases(t, []validateCase{
		{"duplicate label", func(j *Job) { net(j).DynamicPorts = append(net(j).DynamicPorts, Port{Label: "admin"}) },
			`group "web" network.port "admin": label is used by another port in the group; port labels must be unique`},
		{"duplicate label in task network", func(j *Job) {
			task0(j).Resources.Networks = []*NetworkResource{{Mode: "host", DynamicPorts: []Port{{Label: "http"}}}}
		}, `group "web" task "api" network.port "http": label is used by another port in the group; port labels must be unique`},
		{"empty label", func(j *Job) { net(j).DynamicPorts[0].Label = "" }, `group "web" network.port[0]: label must not be empty`},
		{"static zero", func(j *Job) { net(j).ReservedPorts[0].Value = 0 },
			`group "web" network.port "admin": static must be between 1 and 65535 (got 0)`},
		{"static too high", func(j *Job) { net(j).ReservedPorts[0].Value = 70000 },
			`group "web" network.port "admin": static must be between 1 and 65535 (got 70000)`},
		{"static twice", func(j *Job) { net(j).ReservedPorts = append(net(j).ReservedPorts, Port{Label: "b", Value: 9000}) },
			`group "web" network.port "b": static port 9000 is used by another port in the group`},
		{"to too low", func(j *Job) { net(j).DynamicPorts[0].To = -2 },
			`group "web" network.port "http": to must be between -1 and 65535 (got -2)`},
		{"to too high", func(j *Job) { net(j).DynamicPorts[0].To = 65536 },
			`group "web" network.port "http": to must be between -1 and 65535 (got 65536)`},
		{"dynamic with value", func(j *Job) { net(j).DynamicPorts[0].Value = 8080 },
			`group "web" network.port "http": a dynamic port must not set static (got 8080); declare it as a reserved port instead`},
		{"two networks", func(j *Job) { group0(j).Networks = append(group0(j).Networks, &NetworkResource{Mode: "host"}) },
			`group "web": only one network block is allowed per group (got 2)`},
		{"mode", func(j *Job) { net(j).Mode = "overlay" },
			`group "web": network.mode "overlay" is unknown; allowed: host, bridge, none, cni/<name>`},
	})
}

func TestValidateServices(t *testing.T) {
	svc := func(j *Job) *Service { return group0(j).Services[0] }
	runValidateCases(t, []validateCase{
		{"unknown port label", func(j *Job) { svc(j).PortLabel = "grpc" },
			`group "web" service "web": port "grpc" is not a port label declared in the group's network; declared: admin, http`},
		{"numeric port out of range", func(j *Job) { svc(j).PortLabel = "0" }, `group "web" service "web": port must be between 1 and 65535 (got 0)`},
		{"provider", func(j *Job) { svc(j).Provider = "etcd" }, `group "web" service "web": provider "etcd" is unknown; allowed: nomad, consul`},
		{"empty name", func(j *Job) { svc(j).Name = "" }, `group "web" service[0]: name must not be empty`},
		{"check type", func(j *Job) { svc(j).Checks[0].Type = "udp" },
			`group "web" service "web" check[0]: type "udp" is unknown; allowed: http, tcp, grpc, script`},
		{"http check path", func(j *Job) { svc(j).Checks[0].Path = "" }, `group "web" service "web" check[0]: path must be set for http checks`},
		{"script check command", func(j *Job) { svc(j).Checks[0].Type = "script" },
			`group "web" service "web" check[0]: command must be set for script checks`},
		{"check interval", func(j *Job) { svc(j).Checks[0].Interval = 0 },
			`group "web" service "web" check[0]: interval must be at least 1s (got 0s)`},
		{"check timeout", func(j *Job) { svc(j).Checks[0].Timeout = 0 },
			`group "web" service "web" check[0]: timeout must be at least 1s (got 0s)`},
		{"check port", func(j *Job) { svc(j).Checks[0].PortLabel = "nope" },
			`group "web" service "web" check[0]: port "nope" is not a port label declared in the group's network; declared: admin, http`},
		{"task service port", func(j *Job) { task0(j).Services = []*Service{{Name: "api", Provider: "nomad", PortLabel: "x"}} },
			`group "web" task "api" service "api": port "x" is not a port label declared in the group's network; declared: admin, http`},
	})
}

func TestValidateRestart(t *testing.T) {
	rp := func(j *Job) *RestartPolicy { return group0(j).RestartPolicy }
	runValidateCases(t, []validateCase{
		{"mode", func(j *Job) { rp(j).Mode = "retry" }, `group "web": restart.mode "retry" is unknown; allowed: delay, fail`},
		{"attempts", func(j *Job) { rp(j).Attempts = -1 }, `group "web": restart.attempts must be >= 0 (got -1)`},
		{"delay", func(j *Job) { rp(j).Delay = -time.Second }, `group "web": restart.delay must be >= 0 (got -1s)`},
		{"interval zero", func(j *Job) { rp(j).Interval = 0 }, `group "web": restart.interval must be at least 5s when attempts > 0 (got 0s)`},
		{"does not fit", func(j *Job) { rp(j).Attempts = 10; rp(j).Delay = time.Minute; rp(j).Interval = 5 * time.Minute },
			`group "web": restart: 10 attempts with a delay of 1m0s do not fit in an interval of 5m0s; raise the interval or lower attempts or delay`},
		{"task level", func(j *Job) { task0(j).RestartPolicy.Mode = "" }, `group "web" task "api": restart.mode "" is unknown; allowed: delay, fail`},
	})
}

// TestValidateInheritedRestartReportedOnce: a task's restart policy copied
// from its group is not reported a second time for the task.
func TestValidateInheritedRestartReportedOnce(t *testing.T) {
	j := fixtureJob()
	group0(j).RestartPolicy.Mode = "sometimes"
	p := *group0(j).RestartPolicy
	task0(j).RestartPolicy = &p
	var n int
	for _, problem := range problemsOf(t, j.Validate()) {
		if strings.Contains(problem, "restart.mode") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("got %d restart.mode problems, want 1 (at the group only)", n)
	}
}

func TestValidateReschedule(t *testing.T) {
	rp := func(j *Job) *ReschedulePolicy { return group0(j).ReschedulePolicy }
	runValidateCases(t, []validateCase{
		{"delay function", func(j *Job) { rp(j).DelayFunction = "linear" },
			`group "web": reschedule.delay_function "linear" is unknown; allowed: constant, exponential, fibonacci`},
		{"attempts and unlimited", func(j *Job) { rp(j).Attempts = 3 },
			`group "web": reschedule: attempts (3) and unlimited = true are exclusive; set one of them`},
		{"short delay", func(j *Job) { rp(j).Delay = time.Second }, `group "web": reschedule.delay must be at least 5s (got 1s)`},
		{"max delay", func(j *Job) { rp(j).MaxDelay = 10 * time.Second },
			`group "web": reschedule.max_delay (10s) must be >= delay (30s) with delay_function "exponential"`},
		{"negative", func(j *Job) { rp(j).Attempts = -1 },
			`group "web": reschedule: attempts, interval, delay and max_delay must be >= 0`},
		{"no interval", func(j *Job) { rp(j).Unlimited = false; rp(j).Attempts = 2 },
			`group "web": reschedule.interval must be > 0 when attempts is set (got 0s)`},
		{"interval too short constant", func(j *Job) {
			*rp(j) = ReschedulePolicy{Attempts: 3, Interval: time.Minute, Delay: 30 * time.Second, DelayFunction: "constant"}
		}, `group "web": reschedule.interval 1m0s is too short for 3 attempts with a constant delay starting at 30s; it must be at least 1m30s`},
		{"interval too short exponential", func(j *Job) {
			*rp(j) = ReschedulePolicy{Attempts: 4, Interval: time.Minute, Delay: 10 * time.Second, DelayFunction: "exponential", MaxDelay: 25 * time.Second}
		}, `group "web": reschedule.interval 1m0s is too short for 4 attempts with a exponential delay starting at 10s; it must be at least 1m20s`},
		{"interval too short fibonacci", func(j *Job) {
			*rp(j) = ReschedulePolicy{Attempts: 5, Interval: time.Minute, Delay: 10 * time.Second, DelayFunction: "fibonacci", MaxDelay: time.Hour}
		}, `group "web": reschedule.interval 1m0s is too short for 5 attempts with a fibonacci delay starting at 10s; it must be at least 2m0s`},
	})
}

func TestRescheduleMinIntervalSaturates(t *testing.T) {
	p := &ReschedulePolicy{Attempts: 1 << 40, Delay: time.Hour, DelayFunction: "exponential", MaxDelay: 1 << 62}
	if got := rescheduleMinInterval(p); got <= 0 {
		t.Errorf("rescheduleMinInterval of a huge policy: got %s, want a large positive duration", got)
	}
}

func TestValidateUpdateAndMigrate(t *testing.T) {
	up := func(j *Job) *UpdateStrategy { return group0(j).Update }
	runValidateCases(t, []validateCase{
		{"max parallel", func(j *Job) { up(j).MaxParallel = -1 }, `group "web": update.max_parallel must be >= 0 (got -1)`},
		{"canary", func(j *Job) { up(j).Canary = -1 }, `group "web": update.canary must be >= 0 (got -1)`},
		{"health check", func(j *Job) { up(j).HealthCheck = "ping" },
			`group "web": update.health_check "ping" is unknown; allowed: checks, task_states, manual`},
		{"min healthy", func(j *Job) { up(j).MinHealthyTime = 10 * time.Minute },
			`group "web": update.min_healthy_time (10m0s) must be less than healthy_deadline (5m0s)`},
		{"progress", func(j *Job) { up(j).ProgressDeadline = time.Minute },
			`group "web": update.progress_deadline (1m0s) must be >= healthy_deadline (5m0s), or 0 to disable it`},
		{"migrate max parallel", func(j *Job) { group0(j).Migrate.MaxParallel = -1 }, `group "web": migrate.max_parallel must be >= 0 (got -1)`},
		{"migrate health check", func(j *Job) { group0(j).Migrate.HealthCheck = "manual" },
			`group "web": migrate.health_check "manual" is unknown; allowed: checks, task_states`},
	})
}

func TestValidatePeriodicAndParameterized(t *testing.T) {
	batch := func(j *Job) { j.Type = JobTypeBatch; group0(j).Update = nil; group0(j).Migrate = nil }
	runValidateCases(t, []validateCase{
		{"periodic on service", func(j *Job) { j.Periodic = &PeriodicConfig{Enabled: true, Spec: "@daily"} },
			`periodic is only allowed on batch and sysbatch jobs (type is "service")`},
		{"periodic fields", func(j *Job) { batch(j); j.Periodic = &PeriodicConfig{Enabled: true, Spec: "* * *"} },
			`periodic cron "* * *" must have 5 to 7 fields (got 3)`},
		{"periodic bad field", func(j *Job) { batch(j); j.Periodic = &PeriodicConfig{Enabled: true, Spec: "* * * * $"} },
			`periodic cron "* * * * $" has an invalid field "$"`},
		{"periodic descriptor", func(j *Job) { batch(j); j.Periodic = &PeriodicConfig{Enabled: true, Spec: "@sometimes"} },
			`periodic cron "@sometimes" is not a known descriptor; allowed: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly`},
		{"periodic empty", func(j *Job) { batch(j); j.Periodic = &PeriodicConfig{Enabled: true} },
			`periodic.crons must hold at least one cron expression`},
		{"periodic spec type", func(j *Job) { batch(j); j.Periodic = &PeriodicConfig{Enabled: true, Spec: "@daily", SpecType: "rrule"} },
			`periodic.spec_type "rrule" is unknown; allowed: cron`},
		{"parameterized on service", func(j *Job) { j.ParameterizedJob = &ParameterizedJobConfig{Payload: "optional"} },
			`parameterized is only allowed on batch and sysbatch jobs (type is "service")`},
		{"payload", func(j *Job) { batch(j); j.ParameterizedJob = &ParameterizedJobConfig{Payload: "maybe"} },
			`parameterized.payload "maybe" is unknown; allowed: optional, required, forbidden`},
		{"meta both", func(j *Job) {
			batch(j)
			j.ParameterizedJob = &ParameterizedJobConfig{Payload: "optional", MetaRequired: []string{"x"}, MetaOptional: []string{"x"}}
		}, `parameterized: meta key "x" is both required and optional`},
	})
}

func TestValidateDisabledPeriodicIgnored(t *testing.T) {
	j := fixtureJob()
	j.Periodic = &PeriodicConfig{Spec: "not a cron"}
	if err := j.Validate(); err != nil {
		t.Errorf("disabled periodic block: got %v, want no error", err)
	}
}

func TestValidPeriodicBatchJob(t *testing.T) {
	for _, spec := range []string{"*/5 * * * *", "0 0 3 * * *", "0 0 3 * * * 2030", "@hourly"} {
		t.Run(spec, func(t *testing.T) {
			j := fixtureJob()
			j.Type = JobTypeBatch
			j.Periodic = &PeriodicConfig{Enabled: true, Spec: spec}
			j.ParameterizedJob = &ParameterizedJobConfig{}
			j.Canonicalize()
			if err := j.Validate(); err != nil {
				t.Errorf("got %v, want no error", err)
			}
		})
	}
}

func TestValidateConstraints(t *testing.T) {
	con := func(j *Job) *Constraint { return j.Constraints[0] }
	set := func(op, l, r string) func(j *Job) {
		return func(j *Job) { *con(j) = Constraint{Operand: op, LTarget: l, RTarget: r} }
	}
	runValidateCases(t, []validateCase{
		{"unknown operand", set("~", "${attr.a}", "b"),
			`constraint[0]: operator "~" is unknown; allowed: =, ==, is, !=, not, <, <=, >, >=, regexp, version, semver, ` +
				`set_contains, set_contains_all, set_contains_any, is_set, is_not_set, distinct_hosts, distinct_property`},
		{"regexp", set("regexp", "${attr.a}", "a("),
			"constraint[0]: regexp \"a(\" does not compile: error parsing regexp: missing closing ): `a(`"},
		{"version empty", set("version", "${attr.a}", ""), `constraint[0]: value must not be empty for operator "version"`},
		{"semver bad", set("semver", "${attr.a}", ">> 1"), `constraint[0]: semver constraint ">> 1" does not parse: malformed constraint: >> 1`},
		{"set_contains empty", set("set_contains", "${attr.a}", ""), `constraint[0]: value must not be empty for operator "set_contains"`},
		{"less empty", set("<", "${attr.a}", ""), `constraint[0]: value must not be empty for operator "<"`},
		{"no attribute", set("=", "", "x"), `constraint[0]: attribute must not be empty for operator "="`},
		{"is_set no attribute", set("is_set", "", ""), `constraint[0]: attribute must not be empty for operator "is_set"`},
		{"distinct_property value", set("distinct_property", "${meta.rack}", "zero"),
			`constraint[0]: distinct_property value must be a positive integer (got "zero")`},
		{"group level", func(j *Job) { group0(j).Constraints = []*Constraint{{Operand: "!"}} },
			`group "web" constraint[0]: operator "!" is unknown; allowed: =, ==, is, !=, not, <, <=, >, >=, regexp, version, semver, ` +
				`set_contains, set_contains_all, set_contains_any, is_set, is_not_set, distinct_hosts, distinct_property`},
		{"distinct_hosts on task", func(j *Job) { task0(j).Constraints = []*Constraint{{Operand: "distinct_hosts"}} },
			`group "web" task "api" constraint[0]: distinct_hosts is only allowed on jobs and groups, not tasks`},
	})
}

func TestValidConstraintOperands(t *testing.T) {
	cases := []Constraint{
		{Operand: "=", LTarget: "${attr.a}", RTarget: "b"},
		{Operand: "==", LTarget: "${attr.a}", RTarget: "b"},
		{Operand: "is", LTarget: "${attr.a}", RTarget: "b"},
		{Operand: "!=", LTarget: "${attr.a}", RTarget: "b"},
		{Operand: "not", LTarget: "${attr.a}", RTarget: "b"},
		{Operand: "<", LTarget: "${attr.a}", RTarget: "3"},
		{Operand: "<=", LTarget: "${attr.a}", RTarget: "3"},
		{Operand: ">", LTarget: "${attr.a}", RTarget: "3"},
		{Operand: ">=", LTarget: "${attr.a}", RTarget: "3"},
		{Operand: "regexp", LTarget: "${attr.a}", RTarget: "^x.*$"},
		{Operand: "version", LTarget: "${attr.a}", RTarget: ">= 1.2, < 2"},
		{Operand: "semver", LTarget: "${attr.a}", RTarget: ">= 1.2.0-beta"},
		{Operand: "set_contains", LTarget: "${attr.a}", RTarget: "a,b"},
		{Operand: "set_contains_all", LTarget: "${attr.a}", RTarget: "a,b"},
		{Operand: "set_contains_any", LTarget: "${attr.a}", RTarget: "a,b"},
		{Operand: "is_set", LTarget: "${attr.a}"},
		{Operand: "is_not_set", LTarget: "${attr.a}"},
		{Operand: "distinct_hosts"},
		{Operand: "distinct_property", LTarget: "${meta.rack}", RTarget: "2"},
	}
	for _, c := range cases {
		t.Run(c.Operand, func(t *testing.T) {
			j := fixtureJob()
			con := c
			j.Constraints = []*Constraint{&con}
			if err := j.Validate(); err != nil {
				t.Errorf("got %v, want no error", err)
			}
		})
	}
}

func TestValidateAffinitiesAndSpreads(t *testing.T) {
	aff := func(w int8, op string) func(j *Job) {
		return func(j *Job) {
			j.Affinities = []*Affinity{{LTarget: "${node.class}", RTarget: "fast", Operand: op, Weight: w}}
		}
	}
	spread := func(w int8, targets ...*SpreadTarget) func(j *Job) {
		return func(j *Job) {
			group0(j).Spreads = []*Spread{{Attribute: "${node.datacenter}", Weight: w, SpreadTarget: targets}}
		}
	}
	runValidateCases(t, []validateCase{
		{"affinity zero weight", aff(0, "="), "affinity[0]: weight must be between -100 and 100 and not 0 (got 0)"},
		{"affinity high weight", aff(101, "="), "affinity[0]: weight must be between -100 and 100 and not 0 (got 101)"},
		{"affinity low weight", aff(-101, "="), "affinity[0]: weight must be between -100 and 100 and not 0 (got -101)"},
		{"affinity operand", aff(50, "distinct_hosts"),
			`affinity[0]: operator "distinct_hosts" is unknown; allowed: =, ==, is, !=, not, <, <=, >, >=, regexp, version, semver, ` +
				`set_contains, set_contains_all, set_contains_any`},
		{"spread negative weight", spread(-1), `group "web" spread[0]: weight must be between 0 and 100 (got -1)`},
		{"spread high weight", spread(101), `group "web" spread[0]: weight must be between 0 and 100 (got 101)`},
		{"spread sum", spread(50, &SpreadTarget{Value: "a", Percent: 60}, &SpreadTarget{Value: "b", Percent: 50}),
			`group "web" spread[0]: target percents must sum to at most 100 (got 110)`},
		{"spread duplicate target", spread(50, &SpreadTarget{Value: "a", Percent: 10}, &SpreadTarget{Value: "a", Percent: 10}),
			`group "web" spread[0]: target "a" is listed twice`},
		{"spread empty target", spread(50, &SpreadTarget{Percent: 10}), `group "web" spread[0]: target[0] value must not be empty`},
		{"spread attribute", func(j *Job) { j.Spreads = []*Spread{{Weight: 10}} }, "spread[0]: attribute must not be empty"},
	})
}

func TestValidateReportsAllProblems(t *testing.T) {
	j := fixtureJob()
	j.Priority = 500
	task0(j).Resources.MemoryMB = 5
	group0(j).Count = -2
	err := j.Validate()
	want := "3 problems in job \"web\":\n" +
		"  * priority must be between 1 and 100 (got 500)\n" +
		"  * group \"web\": count must be >= 0 (got -2)\n" +
		"  * group \"web\" task \"api\": resources.memory must be >= 10 (got 5)"
	if err == nil || err.Error() != want {
		t.Errorf("got error\n%v\nwant\n%s", err, want)
	}
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is(err, ErrInvalid) = false, want true")
	}
}

func TestValidationErrorSingular(t *testing.T) {
	err := &ValidationError{Errors: []string{"id must not be empty"}}
	if got, want := err.Error(), "1 problem:\n  * id must not be empty"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestValidateNilJob(t *testing.T) {
	var j *Job
	if got := problemsOf(t, j.Validate()); len(got) != 1 || got[0] != "job is missing" {
		t.Errorf("got %q, want [job is missing]", got)
	}
}

func TestNodeValidate(t *testing.T) {
	cases := []struct {
		name string
		node *Node
		want []string
	}{
		{"valid", &Node{ID: "n1", Name: "a", Datacenter: "dc1", Status: NodeStatusReady}, nil},
		{"empty", &Node{}, []string{"id must not be empty", "name must not be empty", "datacenter must not be empty"}},
		{"status", &Node{ID: "n1", Name: "a", Datacenter: "dc1", Status: "gone"},
			[]string{`status "gone" is unknown; allowed: initializing, ready, down`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := problemsOf(t, tc.node.Validate())
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
