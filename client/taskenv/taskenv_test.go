package taskenv

import (
	"reflect"
	"testing"

	"github.com/droverhq/drover/structs"
)

func testEnv() *Env {
	job := &structs.Job{ID: "web", Name: "web", Meta: map[string]string{"owner": "ops"},
		TaskGroups: []*structs.TaskGroup{{Name: "frontend"}}}
	task := &structs.Task{Name: "server", Resources: &structs.Resources{CPU: 100, MemoryMB: 64},
		Env: map[string]string{"LISTEN": "${NOMAD_ADDR_http}", "DC": "${node.datacenter}"}}
	alloc := &structs.Allocation{ID: "a-1", Name: "web.frontend[3]", Namespace: "default", JobID: "web",
		TaskGroup: "frontend", Job: job,
		AllocatedResources: &structs.AllocatedResources{
			Tasks:  map[string]*structs.AllocatedTaskResources{"server": {Cpu: structs.AllocatedCpuResources{CpuShares: 250}, Memory: structs.AllocatedMemoryResources{MemoryMB: 128}}},
			Shared: structs.AllocatedSharedResources{Ports: []structs.AllocatedPortMapping{{Label: "http", Value: 23456, HostIP: "10.0.0.5"}, {Label: "db", Value: 25000, To: 5432, HostIP: "10.0.0.5"}}},
		}}
	node := &structs.Node{ID: "n-1", Name: "node1", Datacenter: "dc1",
		Attributes: map[string]string{"kernel.name": "linux"}, Meta: map[string]string{"rack": "r1"}}
	return Build(&Params{Alloc: alloc, Task: task, Node: node, Region: "global",
		AllocDir: "/d/alloc", LocalDir: "/d/server/local", SecretsDir: "/d/server/secrets",
		HostEnv: map[string]string{"PATH": "/bin"}})
}

func TestEnvVars(t *testing.T) {
	env := testEnv().Map()
	tests := []struct{ key, want string }{
		{"DROVER_ALLOC_ID", "a-1"}, {"NOMAD_ALLOC_ID", "a-1"},
		{"NOMAD_ALLOC_NAME", "web.frontend[3]"}, {"NOMAD_ALLOC_INDEX", "3"},
		{"NOMAD_JOB_NAME", "web"}, {"NOMAD_JOB_ID", "web"}, {"NOMAD_GROUP_NAME", "frontend"},
		{"NOMAD_TASK_NAME", "server"}, {"NOMAD_DC", "dc1"}, {"NOMAD_REGION", "global"},
		{"NOMAD_NAMESPACE", "default"}, {"NOMAD_ALLOC_DIR", "/d/alloc"}, {"NOMAD_TASK_DIR", "/d/server/local"},
		{"NOMAD_SECRETS_DIR", "/d/server/secrets"}, {"NOMAD_CPU_LIMIT", "250"}, {"NOMAD_MEMORY_LIMIT", "128"},
		{"NOMAD_PORT_http", "23456"}, {"NOMAD_HOST_PORT_http", "23456"}, {"NOMAD_IP_http", "10.0.0.5"},
		{"NOMAD_ADDR_http", "10.0.0.5:23456"}, {"DROVER_PORT_db", "5432"}, {"DROVER_HOST_PORT_db", "25000"},
		{"NOMAD_META_owner", "ops"}, {"PATH", "/bin"},
		{"LISTEN", "10.0.0.5:23456"}, {"DC", "dc1"},
	}
	for _, tt := range tests {
		if got := env[tt.key]; got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestReplace(t *testing.T) {
	e := testEnv()
	tests := []struct{ name, in, want string }{
		{"plain", "hello", "hello"},
		{"nomad var", "port=${NOMAD_PORT_http}", "port=23456"},
		{"drover var", "${DROVER_ALLOC_INDEX}", "3"},
		{"env dot", "${env.NOMAD_TASK_NAME}", "server"},
		{"node name", "${node.unique.name}", "node1"},
		{"node id", "${node.unique.id}", "n-1"},
		{"datacenter", "${node.datacenter}", "dc1"},
		{"attr", "${attr.kernel.name}", "linux"},
		{"meta", "${meta.rack}", "r1"},
		{"unknown kept", "${nope} ${attr.missing}", "${nope} ${attr.missing}"},
		{"two", "${NOMAD_IP_http}:${NOMAD_PORT_http}", "10.0.0.5:23456"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.Replace(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	e := testEnv()
	in := map[string]interface{}{
		"command": "/bin/${NOMAD_TASK_NAME}",
		"args":    []interface{}{"-port", "${NOMAD_PORT_http}", 7},
		"nested":  map[string]interface{}{"dc": "${node.datacenter}", "list": []string{"${meta.rack}"}},
		"count":   3,
	}
	want := map[string]interface{}{
		"command": "/bin/server",
		"args":    []interface{}{"-port", "23456", 7},
		"nested":  map[string]interface{}{"dc": "dc1", "list": []string{"r1"}},
		"count":   3,
	}
	got := e.Config(in)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
	if in["command"] != "/bin/${NOMAD_TASK_NAME}" {
		t.Fatal("Config modified its input")
	}
}

func TestAllocIndex(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{{"a.b[0]", 0}, {"a.b[12]", 12}, {"a.b", -1}, {"a.b[x]", -1}, {"x[1].y[2]", 2}}
	for _, tt := range tests {
		if got := AllocIndex(tt.in); got != tt.want {
			t.Errorf("AllocIndex(%q): got %d, want %d", tt.in, got, tt.want)
		}
	}
}

// TestTaskUserDoesNotInheritAgentHome: a task run as another user must not
// get the agent's HOME=/root (its driver sets the user's own); a task
// without a user and the task's env block still get what they ask for.
func TestTaskUserDoesNotInheritAgentHome(t *testing.T) {
	host := map[string]string{"PATH": "/bin", "HOME": "/root", "USER": "root", "LOGNAME": "root"}
	env := Build(&Params{Task: &structs.Task{Name: "t", User: "nobody"}, HostEnv: host}).Map()
	for _, k := range []string{"HOME", "USER", "LOGNAME"} {
		if v, ok := env[k]; ok {
			t.Errorf("user task got %s=%q from the agent, want it unset", k, v)
		}
	}
	if env["PATH"] != "/bin" {
		t.Errorf("got PATH %q, want the agent's", env["PATH"])
	}
	env = Build(&Params{Task: &structs.Task{Name: "t", User: "nobody", Env: map[string]string{"HOME": "/local"}}, HostEnv: host}).Map()
	if env["HOME"] != "/local" {
		t.Errorf("got HOME %q, want the env block's /local", env["HOME"])
	}
	env = Build(&Params{Task: &structs.Task{Name: "t"}, HostEnv: host}).Map()
	if env["HOME"] != "/root" {
		t.Errorf("task without a user: got HOME %q, want the agent's /root", env["HOME"])
	}
}
