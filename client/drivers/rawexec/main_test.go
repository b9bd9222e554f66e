package rawexec

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/client/drivers/driverstest"
	"github.com/droverhq/drover/client/logmon"
)

// fakeAgentEnv makes the test binary a short-lived agent: it starts the
// task in the variable (JSON TaskConfig) with a re-executed log collector,
// prints the handle and exits, as a crashing agent would.
const fakeAgentEnv = "DROVER_RAWEXEC_TEST_AGENT"

// TestMain lets the test binary be re-executed as a log collector, as the
// drover binary is, and as a fake agent.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == logmon.CollectorArg {
		os.Exit(logmon.RunCollector(os.Args[2:]))
	}
	if job := os.Getenv(fakeAgentEnv); job != "" {
		os.Exit(fakeAgent(job))
	}
	os.Exit(m.Run())
}

func fakeAgent(job string) int {
	var tc drivers.TaskConfig
	if err := json.Unmarshal([]byte(job), &tc); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	exe, _ := os.Executable()
	d := NewWithOptions(Options{Enabled: true, LogCollector: exe})
	h, err := d.StartTask(&tc)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	json.NewEncoder(os.Stdout).Encode(h)
	return 0
}

// A task started by an agent that then exits keeps running and logging
// through its detached collector, and rotation keeps going.
func TestLogsOutliveAgent(t *testing.T) {
	tc := driverstest.TaskConfig(t, "orphan", sh("while :; do echo tick; sleep 0.05; done"))
	job, _ := json.Marshal(tc)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), fakeAgentEnv+"="+string(job))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fake agent: %v", err)
	}
	var h drivers.TaskHandle
	if err := json.Unmarshal(out, &h); err != nil {
		t.Fatalf("fake agent printed %q: %v", out, err)
	}
	var st driverState
	json.Unmarshal(h.DriverState, &st)
	t.Cleanup(func() { syscall.Kill(-st.Pid, syscall.SIGKILL) })

	size := func() int64 {
		if fi, err := os.Stat(tc.StdoutPath); err == nil {
			return fi.Size()
		}
		return 0
	}
	before := size()
	deadline := time.Now().Add(10 * time.Second)
	for size() < before+50 {
		if time.Now().After(deadline) {
			t.Fatalf("stdout stuck at %d bytes after the agent exited", size())
		}
		time.Sleep(20 * time.Millisecond)
	}
	d := New(true, nil)
	if err := d.RecoverTask(&h); err != nil {
		t.Fatal(err)
	}
	if err := d.StopTask(tc.ID, 5*time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	if err := d.DestroyTask(tc.ID, true); err != nil {
		t.Fatal(err)
	}
}
