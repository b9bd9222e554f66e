package allocrunner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/client/drivers/mock"
	"github.com/droverhq/drover/client/drivers/rawexec"
	"github.com/droverhq/drover/client/state"
	"github.com/droverhq/drover/structs"
)

func testAlloc(jobType string, tasks ...*structs.Task) *structs.Allocation {
	job := &structs.Job{ID: "web", Name: "web", Type: jobType, TaskGroups: []*structs.TaskGroup{{Name: "g", Tasks: tasks,
		RestartPolicy: &structs.RestartPolicy{Attempts: 0, Interval: time.Minute, Mode: structs.RestartPolicyModeFail}}}}
	return &structs.Allocation{ID: structs.GenerateUUID(), Name: "web.g[2]", JobID: "web", Namespace: "default", Job: job, TaskGroup: "g",
		DesiredStatus: structs.AllocDesiredStatusRun,
		AllocatedResources: &structs.AllocatedResources{Shared: structs.AllocatedSharedResources{
			Ports: []structs.AllocatedPortMapping{{Label: "http", Value: 25001, HostIP: "127.0.0.1"}}}}}
}

func mockTask(name string, cfg map[string]interface{}) *structs.Task {
	return &structs.Task{Name: name, Driver: "mock", Config: cfg, KillTimeout: time.Second}
}

func newRunner(t *testing.T, a *structs.Allocation) *AllocRunner {
	ar := New(Config{Alloc: a, AllocRoot: t.TempDir(), Region: "global", DB: state.NewMemDB(),
		Node:    &structs.Node{ID: "n1", Name: "node1", Datacenter: "dc1"},
		Drivers: map[string]drivers.Driver{"mock": mock.New(nil), "raw_exec": rawexec.New(true, nil)},
		HostEnv: map[string]string{"PATH": "/usr/bin:/bin"}})
	t.Cleanup(func() { ar.killAll("test over"); <-ar.WaitCh() })
	return ar
}

func waitFor(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func status(ar *AllocRunner, want string) func() error {
	return func() error {
		if u := ar.ClientUpdate(); u.ClientStatus != want {
			return fmt.Errorf("got client status %q, want %q", u.ClientStatus, want)
		}
		return nil
	}
}

func TestBatchAllocCompletes(t *testing.T) {
	a := testAlloc(structs.JobTypeBatch,
		mockTask("a", map[string]interface{}{"run_for": "20ms"}), mockTask("b", map[string]interface{}{"run_for": "40ms"}))
	ar := newRunner(t, a)
	go ar.Run()
	<-ar.WaitCh()
	u := ar.ClientUpdate()
	if u.ClientStatus != structs.AllocClientStatusComplete || len(u.TaskStates) != 2 {
		t.Fatalf("got %s with %d task states, want complete with 2", u.ClientStatus, len(u.TaskStates))
	}
	first := u.TaskStates["a"].Events[:2]
	if first[0].Type != structs.TaskReceived || first[1].Type != structs.TaskSetup {
		t.Fatalf("got first events %s, %s; want Received, Task Setup", first[0].Type, first[1].Type)
	}
	for _, p := range []string{"alloc/data", "alloc/logs", "alloc/tmp", "a/local", "a/secrets", "a/tmp", "b/local"} {
		if _, err := os.Stat(filepath.Join(ar.dir.root, p)); err != nil {
			t.Errorf("alloc dir %s: %v", p, err)
		}
	}
}

func TestStopAlloc(t *testing.T) {
	a := testAlloc(structs.JobTypeService, mockTask("web", map[string]interface{}{"run_for": "1h"}))
	ar := newRunner(t, a)
	go ar.Run()
	waitFor(t, status(ar, structs.AllocClientStatusRunning))
	stopped := *a
	stopped.DesiredStatus = structs.AllocDesiredStatusStop
	ar.Update(&stopped)
	<-ar.WaitCh()
	u := ar.ClientUpdate()
	var types []string
	for _, e := range u.TaskStates["web"].Events {
		types = append(types, e.Type)
	}
	got := strings.Join(types, ",")
	if u.ClientStatus != structs.AllocClientStatusComplete || !strings.Contains(got, "Killing") || !strings.HasSuffix(got, "Killed") {
		t.Fatalf("got %s with events %s, want complete with Killing ... Killed", u.ClientStatus, got)
	}
}

func TestFailedTaskKillsSiblings(t *testing.T) {
	a := testAlloc(structs.JobTypeService,
		mockTask("bad", map[string]interface{}{"run_for": "10ms", "exit_code": 1}), mockTask("good", map[string]interface{}{"run_for": "1h"}))
	ar := newRunner(t, a)
	go ar.Run()
	<-ar.WaitCh()
	u := ar.ClientUpdate()
	if u.ClientStatus != structs.AllocClientStatusFailed || !u.TaskStates["bad"].Failed || u.TaskStates["good"].State != structs.TaskStateDead {
		t.Fatalf("got %s, bad=%+v good=%s; want failed, bad failed, good dead", u.ClientStatus, u.TaskStates["bad"], u.TaskStates["good"].State)
	}
}

func TestMissingDriverFails(t *testing.T) {
	a := testAlloc(structs.JobTypeBatch, &structs.Task{Name: "x", Driver: "nope"})
	ar := newRunner(t, a)
	go ar.Run()
	<-ar.WaitCh()
	if u := ar.ClientUpdate(); u.ClientStatus != structs.AllocClientStatusFailed {
		t.Fatalf("got %s, want failed", u.ClientStatus)
	}
}

func TestRawExecEnvAndInterpolation(t *testing.T) {
	task := &structs.Task{Name: "echo", Driver: "raw_exec", Env: map[string]string{"GREETING": "hello ${node.unique.name}"},
		Config: map[string]interface{}{"command": "/bin/sh",
			"args": []interface{}{"-c", `echo "$GREETING $NOMAD_ALLOC_INDEX $DROVER_ADDR_http ${NOMAD_TASK_NAME}" > "$NOMAD_TASK_DIR/out"; pwd`}}}
	a := testAlloc(structs.JobTypeBatch, task)
	ar := newRunner(t, a)
	go ar.Run()
	<-ar.WaitCh()
	if u := ar.ClientUpdate(); u.ClientStatus != structs.AllocClientStatusComplete {
		t.Fatalf("got %s (%+v), want complete", u.ClientStatus, u.TaskStates["echo"].Events)
	}
	out, err := os.ReadFile(filepath.Join(ar.dir.root, "echo", "local", "out"))
	if want := "hello node1 2 127.0.0.1:25001 echo\n"; err != nil || string(out) != want {
		t.Fatalf("got %q (err %v), want %q", out, err, want)
	}
	stdout, _ := os.ReadFile(filepath.Join(ar.dir.root, "alloc", "logs", "echo.stdout.0"))
	if want := filepath.Join(ar.dir.root, "echo") + "\n"; string(stdout) != want {
		t.Fatalf("got stdout %q, want the task dir %q", stdout, want)
	}
}

func TestClientStatus(t *testing.T) {
	s := func(state string, failed bool) *structs.TaskState {
		return &structs.TaskState{State: state, Failed: failed}
	}
	tests := []struct {
		name   string
		states map[string]*structs.TaskState
		want   string
	}{
		{"all pending", map[string]*structs.TaskState{"a": s("pending", false)}, structs.AllocClientStatusPending},
		{"one running", map[string]*structs.TaskState{"a": s("pending", false), "b": s("running", false)}, structs.AllocClientStatusRunning},
		{"all dead ok", map[string]*structs.TaskState{"a": s("dead", false), "b": s("dead", false)}, structs.AllocClientStatusComplete},
		{"one failed", map[string]*structs.TaskState{"a": s("dead", true), "b": s("running", false)}, structs.AllocClientStatusFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, _ := ClientStatus(tt.states); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
