package exec

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/droverhq/drover/client/drivers"
)

// TestMain lets the test binary be re-executed as a task supervisor and as
// libcontainer's container init, as the drover binary is.
func TestMain(m *testing.M) {
	if handled, code := Main(os.Args); handled {
		os.Exit(code)
	}
	if os.Getenv(fakeAgentEnv) != "" {
		os.Exit(fakeAgent())
	}
	// Under -race every process sleeps a second at exit, waiting for late
	// race reports; the supervisors re-executed from this binary need not.
	if os.Getenv("GORACE") == "" {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	os.Exit(m.Run())
}

var (
	hostOnce sync.Once
	hostWhy  string // why containers cannot run here; "" if they can
)

// requireContainers skips the test when this kernel or user truly cannot
// make containers, saying why; any other failure of the probe fails.
func requireContainers(t testing.TB) {
	t.Helper()
	hostOnce.Do(func() {
		d := New(Options{StateDir: os.TempDir(), Executable: testExe(t)})
		if err := d.checkHost(); err != nil {
			hostWhy = err.Error()
		}
	})
	if hostWhy != "" {
		t.Skipf("containers unavailable on this host: %s", hostWhy)
	}
}

func testExe(t testing.TB) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	return exe
}

// newDriver returns a driver with its own state dir under the test's.
func newDriver(t testing.TB, stateDir string) *Driver {
	t.Helper()
	requireContainers(t)
	return New(Options{StateDir: stateDir, Executable: testExe(t)})
}

func sh(script string) map[string]interface{} {
	return map[string]interface{}{"command": "/bin/sh", "args": []interface{}{"-c", script}}
}

func trimLines(s string) []string {
	return strings.Split(strings.TrimSpace(s), "\n")
}

// fakeAgentEnv makes the test binary a short-lived agent: it starts the
// task described in the variable (a JSON fakeAgentJob), prints the handle
// as JSON and exits without stopping the task, as a crashing agent would.
const fakeAgentEnv = "DROVER_EXEC_TEST_AGENT"

type fakeAgentJob struct {
	StateDir string
	Task     *drivers.TaskConfig
}

func fakeAgent() int {
	var job fakeAgentJob
	if err := json.Unmarshal([]byte(os.Getenv(fakeAgentEnv)), &job); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	exe, _ := os.Executable()
	h, err := New(Options{StateDir: job.StateDir, Executable: exe}).StartTask(job.Task)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(h); err != nil {
		return 1
	}
	return 0
}
