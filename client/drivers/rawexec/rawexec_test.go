package rawexec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/client/drivers/driverstest"
)

func sh(script string) map[string]interface{} {
	return map[string]interface{}{"command": "/bin/sh", "args": []interface{}{"-c", script}}
}

func TestConformance(t *testing.T) {
	driverstest.Run(t, driverstest.Harness{
		New:        func(*testing.T) drivers.Driver { return New(true, nil) },
		ExitWith:   func(code int) map[string]interface{} { return sh(fmt.Sprintf("echo hi; exit %d", code)) },
		RunLong:    func() map[string]interface{} { return sh("exec sleep 100") },
		IgnoreTerm: func() map[string]interface{} { return sh("trap '' TERM; echo ready; sleep 100") },
	})
}

func TestDisabled(t *testing.T) {
	d := New(false, nil)
	fp := d.Fingerprint()
	if fp.Detected || fp.Healthy || fp.HealthDescription != DisabledDescription {
		t.Fatalf("got %+v, want undetected with the enable hint", fp)
	}
	tc := driverstest.TaskConfig(t, "x", sh("true"))
	if _, err := d.StartTask(tc); !errors.Is(err, drivers.ErrDisabled) {
		t.Fatalf("StartTask: got %v, want ErrDisabled", err)
	}
}

func TestEnvAndDir(t *testing.T) {
	d := New(true, nil)
	tc := driverstest.TaskConfig(t, "env", sh(`echo "$DROVER_TASK_NAME $(pwd)"`))
	if _, err := d.StartTask(tc); err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(tc.ID, true)
	ch, _ := d.WaitTask(t.Context(), tc.ID)
	if r := <-ch; !r.Successful() {
		t.Fatalf("got %+v, want success", r)
	}
	got := readFile(t, tc.StdoutPath)
	if want := "env " + tc.TaskDir + "\n"; got != want {
		t.Fatalf("got stdout %q, want %q", got, want)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStopKillsProcessGroup: a child the command forked dies with it.
func TestStopKillsProcessGroup(t *testing.T) {
	d := New(true, nil)
	tc := driverstest.TaskConfig(t, "group", sh(`sleep 100 & echo $! > child.pid; wait`))
	if _, err := d.StartTask(tc); err != nil {
		t.Fatal(err)
	}
	defer d.DestroyTask(tc.ID, true)
	pidFile := filepath.Join(tc.TaskDir, "child.pid")
	var pid int
	deadline := time.Now().Add(10 * time.Second)
	for pid == 0 {
		b, _ := os.ReadFile(pidFile)
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		if time.Now().After(deadline) {
			t.Fatal("child never wrote its pid")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := d.StopTask(tc.ID, 5*time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d still alive after the task was stopped", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
