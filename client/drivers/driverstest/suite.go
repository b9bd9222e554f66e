// Package driverstest is the conformance suite every task driver passes.
// A driver's test supplies a Harness that says how to express a few kinds
// of task in that driver's config; the suite checks the Driver contract.
package driverstest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/structs"
)

// Harness adapts the suite to one driver.
type Harness struct {
	// New returns a fresh driver; a second call models a restarted client.
	New func(t *testing.T) drivers.Driver
	// ExitWith is a task that prints "hi" to stdout and exits with code.
	ExitWith func(code int) map[string]interface{}
	// RunLong is a task that runs until stopped and dies of SIGTERM.
	RunLong func() map[string]interface{}
	// IgnoreTerm is a task that ignores SIGTERM, so only SIGKILL stops it.
	// It prints "ready" to stdout once it ignores SIGTERM.
	IgnoreTerm func() map[string]interface{}
	// RecoveredExitKnown says whether a recovered task reports its real
	// exit (mock) or an unknown one (raw_exec).
	RecoveredExitKnown bool
}

// Run runs the conformance suite.
func Run(t *testing.T, h Harness) {
	t.Run("Fingerprint", func(t *testing.T) { testFingerprint(t, h) })
	t.Run("ExitCodeAndStdout", func(t *testing.T) { testExitCode(t, h) })
	t.Run("StopGraceful", func(t *testing.T) { testStopGraceful(t, h) })
	t.Run("StopEscalatesToKill", func(t *testing.T) { testStopKill(t, h) })
	t.Run("Destroy", func(t *testing.T) { testDestroy(t, h) })
	t.Run("UnknownTask", func(t *testing.T) { testUnknown(t, h) })
	t.Run("WaitCanceled", func(t *testing.T) { testWaitCanceled(t, h) })
	t.Run("Recover", func(t *testing.T) { testRecover(t, h) })
}

// TaskConfig returns a task config with its directories under a temp dir.
func TaskConfig(t *testing.T, name string, cfg map[string]interface{}) *drivers.TaskConfig {
	dir := t.TempDir()
	taskDir := filepath.Join(dir, name)
	for _, d := range []string{filepath.Join(dir, "alloc", "logs"), filepath.Join(taskDir, "local"), filepath.Join(taskDir, "secrets")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &drivers.TaskConfig{
		ID: structs.GenerateUUID() + "/" + name + "/0", AllocID: "alloc1", Name: name, JobName: "job", TaskGroupName: "group",
		Env: map[string]string{"PATH": "/usr/bin:/bin", "DROVER_TASK_NAME": name}, Config: cfg,
		AllocDir: filepath.Join(dir, "alloc"), TaskDir: taskDir,
		LocalDir: filepath.Join(taskDir, "local"), SecretsDir: filepath.Join(taskDir, "secrets"),
		StdoutPath: filepath.Join(dir, "alloc", "logs", name+".stdout.0"),
		StderrPath: filepath.Join(dir, "alloc", "logs", name+".stderr.0"),
		// Rotated logs, as the alloc runner asks: their first files are
		// StdoutPath and StderrPath.
		Logs: &drivers.LogConfig{Dir: filepath.Join(dir, "alloc", "logs"), MaxFiles: 3, MaxFileSizeMB: 1},
	}
}

// start starts a task and destroys it when the test ends.
func start(t *testing.T, d drivers.Driver, tc *drivers.TaskConfig) *drivers.TaskHandle {
	t.Helper()
	h, err := d.StartTask(tc)
	if err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(tc.ID, true) })
	return h
}

// wait waits for the task's exit, failing after a generous bound.
func wait(t *testing.T, d drivers.Driver, id string) *drivers.ExitResult {
	t.Helper()
	ch, err := d.WaitTask(context.Background(), id)
	if err != nil {
		t.Fatalf("WaitTask: %v", err)
	}
	select {
	case r, ok := <-ch:
		if !ok || r == nil {
			t.Fatal("WaitTask channel closed without a result")
		}
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("task did not exit within 30s")
	}
	return nil
}

func testFingerprint(t *testing.T, h Harness) {
	d := h.New(t)
	fp := d.Fingerprint()
	if fp == nil || !fp.Detected || !fp.Healthy {
		t.Fatalf("got fingerprint %+v, want detected and healthy", fp)
	}
	if d.Name() == "" {
		t.Fatal("got empty Name()")
	}
}

func testExitCode(t *testing.T, h Harness) {
	d := h.New(t)
	tc := TaskConfig(t, "exit", h.ExitWith(3))
	handle := start(t, d, tc)
	if handle.Driver != d.Name() || handle.Config == nil || handle.Config.ID != tc.ID {
		t.Fatalf("got handle %+v, want driver %q and the task config", handle, d.Name())
	}
	r := wait(t, d, tc.ID)
	if r.ExitCode != 3 || r.Signal != 0 || r.Successful() {
		t.Fatalf("got exit %+v, want code 3, no signal", r)
	}
	// A second wait after exit still yields the result.
	if r2 := wait(t, d, tc.ID); r2.ExitCode != 3 {
		t.Fatalf("got second wait %+v, want code 3", r2)
	}
	out, err := os.ReadFile(tc.StdoutPath)
	if err != nil || !strings.Contains(string(out), "hi") {
		t.Fatalf("got stdout %q (err %v), want it to contain hi", out, err)
	}
	st, err := d.InspectTask(tc.ID)
	if err != nil || st.State != drivers.TaskStateExited || st.ExitResult == nil || st.ExitResult.ExitCode != 3 {
		t.Fatalf("got inspect %+v (err %v), want exited with code 3", st, err)
	}
}

func testStopGraceful(t *testing.T, h Harness) {
	d := h.New(t)
	tc := TaskConfig(t, "long", h.RunLong())
	start(t, d, tc)
	if st, err := d.InspectTask(tc.ID); err != nil || st.State != drivers.TaskStateRunning {
		t.Fatalf("got inspect %+v (err %v), want running", st, err)
	}
	if err := d.StopTask(tc.ID, 10*time.Second, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	r := wait(t, d, tc.ID)
	if r.Signal != 15 {
		t.Fatalf("got exit %+v, want signal 15 (SIGTERM)", r)
	}
	// Stopping an exited task is not an error.
	if err := d.StopTask(tc.ID, time.Second, ""); err != nil {
		t.Fatalf("second StopTask: got %v, want nil", err)
	}
}

func testStopKill(t *testing.T, h Harness) {
	d := h.New(t)
	tc := TaskConfig(t, "stubborn", h.IgnoreTerm())
	start(t, d, tc)
	waitForStdout(t, tc.StdoutPath, "ready")
	if err := d.StopTask(tc.ID, 300*time.Millisecond, "SIGTERM"); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	r := wait(t, d, tc.ID)
	if r.Signal != 9 {
		t.Fatalf("got exit %+v, want signal 9 (SIGKILL after the timeout)", r)
	}
}

func testDestroy(t *testing.T, h Harness) {
	d := h.New(t)
	tc := TaskConfig(t, "destroy", h.RunLong())
	start(t, d, tc)
	if err := d.DestroyTask(tc.ID, false); !errors.Is(err, drivers.ErrTaskRunning) {
		t.Fatalf("DestroyTask(force=false) on a running task: got %v, want ErrTaskRunning", err)
	}
	if err := d.DestroyTask(tc.ID, true); err != nil {
		t.Fatalf("DestroyTask(force=true): %v", err)
	}
	if _, err := d.InspectTask(tc.ID); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Fatalf("InspectTask after destroy: got %v, want ErrTaskNotFound", err)
	}
	if err := d.DestroyTask(tc.ID, false); err != nil {
		t.Fatalf("second DestroyTask: got %v, want nil", err)
	}
}

func testUnknown(t *testing.T, h Harness) {
	d := h.New(t)
	if _, err := d.WaitTask(context.Background(), "nope"); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Fatalf("WaitTask: got %v, want ErrTaskNotFound", err)
	}
	if err := d.StopTask("nope", time.Second, ""); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Fatalf("StopTask: got %v, want ErrTaskNotFound", err)
	}
	if err := d.SignalTask("nope", "SIGHUP"); !errors.Is(err, drivers.ErrTaskNotFound) {
		t.Fatalf("SignalTask: got %v, want ErrTaskNotFound", err)
	}
}

func testWaitCanceled(t *testing.T, h Harness) {
	d := h.New(t)
	tc := TaskConfig(t, "wait", h.RunLong())
	start(t, d, tc)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := d.WaitTask(ctx, tc.ID)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case r, ok := <-ch:
		if ok {
			t.Fatalf("got result %+v, want channel closed on cancel", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("channel not closed after cancel")
	}
	if _, err := d.TaskStats(context.Background(), tc.ID); err != nil {
		t.Fatalf("TaskStats: %v", err)
	}
}

func testRecover(t *testing.T, h Harness) {
	d1 := h.New(t)
	tc := TaskConfig(t, "recover", h.RunLong())
	handle := start(t, d1, tc)

	d2 := h.New(t)
	if err := d2.RecoverTask(handle); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	t.Cleanup(func() { _ = d2.DestroyTask(tc.ID, true) })
	if err := d2.RecoverTask(handle); err != nil {
		t.Fatalf("second RecoverTask: got %v, want nil (idempotent)", err)
	}
	st, err := d2.InspectTask(tc.ID)
	if err != nil || st.State != drivers.TaskStateRunning {
		t.Fatalf("got inspect %+v (err %v), want running after recover", st, err)
	}
	if err := d2.StopTask(tc.ID, 5*time.Second, "SIGTERM"); err != nil {
		t.Fatalf("StopTask of recovered task: %v", err)
	}
	r := wait(t, d2, tc.ID)
	if h.RecoveredExitKnown && r.Signal != 15 {
		t.Fatalf("got exit %+v, want signal 15", r)
	}
	if !h.RecoveredExitKnown && r.Err == nil {
		t.Fatalf("got exit %+v, want Err saying the exit code is unknown", r)
	}
}

// waitForStdout waits until the task's stdout contains want.
func waitForStdout(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("got stdout %q, want it to contain %q within 10s", b, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
