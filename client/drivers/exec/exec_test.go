package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/sys/mountinfo"
	"github.com/opencontainers/cgroups"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/client/drivers/driverstest"
)

func TestConformance(t *testing.T) {
	requireContainers(t)
	state := t.TempDir() // shared, so that a second New models a restarted agent
	driverstest.Run(t, driverstest.Harness{
		New:      func(t *testing.T) drivers.Driver { return newDriver(t, state) },
		ExitWith: func(code int) map[string]interface{} { return sh(fmt.Sprintf("echo hi; exit %d", code)) },
		// sleep is PID 1 and does not catch SIGTERM: the driver carries out
		// the default action.
		RunLong:            func() map[string]interface{} { return sleep100() },
		IgnoreTerm:         func() map[string]interface{} { return sh("trap '' TERM; echo ready; sleep 100") },
		RecoveredExitKnown: true,
	})
}

// runTask starts a task, waits for its end and returns the result and its
// stdout.
func runTask(t *testing.T, d *Driver, tc *drivers.TaskConfig) (*drivers.ExitResult, string) {
	t.Helper()
	if _, err := d.StartTask(tc); err != nil {
		t.Fatalf("StartTask: %v", err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(tc.ID, true) })
	r := waitExit(t, d, tc.ID)
	out, _ := os.ReadFile(tc.StdoutPath)
	return r, string(out)
}

func waitExit(t *testing.T, d *Driver, id string) *drivers.ExitResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ch, err := d.WaitTask(ctx, id)
	if err != nil {
		t.Fatalf("WaitTask: %v", err)
	}
	r, ok := <-ch
	if !ok {
		t.Fatal("task did not exit within 60s")
	}
	return r
}

func TestTaskIsPID1AndAlone(t *testing.T) {
	d := newDriver(t, t.TempDir())
	// Only shell builtins before the last line, so no other process exists
	// while /proc is listed.
	tc := driverstest.TaskConfig(t, "pidns", sh(`echo $$; for p in /proc/[0-9]*; do echo $p; done; cat /proc/sys/kernel/hostname`))
	r, out := runTask(t, d, tc)
	if !r.Successful() {
		t.Fatalf("got %+v, want success; stdout %q", r, out)
	}
	lines := trimLines(out)
	host, _ := os.Hostname()
	if len(lines) != 3 || lines[0] != "1" || lines[1] != "/proc/1" {
		t.Fatalf("got stdout %q, want PID 1 and /proc/1 as the only process", out)
	}
	if lines[2] == host || lines[2] != "pidns" {
		t.Fatalf("got hostname %q, want the task's name %q, not the host's %q", lines[2], "pidns", host)
	}
}

func TestFilesystem(t *testing.T) {
	d := newDriver(t, t.TempDir())
	script := `
touch /usr/drover-exec-test 2>/dev/null && echo usr=writable || echo usr=readonly
echo data > /local/out && echo local=ok
echo shared > /alloc/data.txt && echo alloc=ok
echo "secrets=$(stat -c %a /secrets) $(stat -f -c %T /secrets) $(cat /secrets/token)"
echo "tmp=$(stat -f -c %T /tmp)"
echo "cwd=$(pwd)"
echo "taskdir=$NOMAD_TASK_DIR alloc=$NOMAD_ALLOC_DIR secretsdir=$NOMAD_SECRETS_DIR"
`
	tc := driverstest.TaskConfig(t, "fs", sh(script))
	tc.Env["NOMAD_TASK_DIR"] = tc.LocalDir
	tc.Env["NOMAD_ALLOC_DIR"] = tc.AllocDir
	tc.Env["NOMAD_SECRETS_DIR"] = tc.SecretsDir
	// Written before the start (a template): copied into the tmpfs.
	if err := os.WriteFile(filepath.Join(tc.SecretsDir, "token"), []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, out := runTask(t, d, tc)
	if !r.Successful() {
		t.Fatalf("got %+v, want success; stdout %q", r, out)
	}
	want := []string{"usr=readonly", "local=ok", "alloc=ok", "secrets=700 tmpfs s3cret", "tmp=tmpfs", "cwd=/local",
		"taskdir=/local alloc=/alloc secretsdir=/secrets"}
	if got := trimLines(out); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := os.Stat("/usr/drover-exec-test"); err == nil {
		os.Remove("/usr/drover-exec-test")
		t.Fatal("the task created a file in the host's /usr")
	}
	if b, err := os.ReadFile(filepath.Join(tc.LocalDir, "out")); err != nil || string(b) != "data\n" {
		t.Fatalf("got local/out %q (err %v), want %q", b, err, "data\n")
	}
	if b, err := os.ReadFile(filepath.Join(tc.AllocDir, "data.txt")); err != nil || string(b) != "shared\n" {
		t.Fatalf("got alloc/data.txt %q (err %v), want %q", b, err, "shared\n")
	}
}

func TestUser(t *testing.T) {
	d := newDriver(t, t.TempDir())
	tc := driverstest.TaskConfig(t, "user", sh(`id -u; id -g; touch /local/mine && echo wrote`))
	tc.User = "nobody"
	r, out := runTask(t, d, tc)
	if !r.Successful() {
		t.Fatalf("got %+v, want success; stdout %q", r, out)
	}
	if got := trimLines(out); len(got) != 3 || got[0] != "65534" || got[2] != "wrote" {
		t.Fatalf("got stdout %q, want uid 65534 and a writable /local", out)
	}
}

func TestOOMKilled(t *testing.T) {
	d := newDriver(t, t.TempDir())
	// The shell keeps the 200 MB output of the substitution in its memory.
	tc := driverstest.TaskConfig(t, "hog", sh(`x=$(head -c 200000000 /dev/zero | tr "\0" a); echo survived`))
	tc.Resources = drivers.Resources{MemoryMB: 32, CPUMHz: 100}
	r, out := runTask(t, d, tc)
	if !r.OOMKilled || r.Signal != 9 || r.Successful() {
		t.Fatalf("got %+v (stdout %q), want OOMKilled by SIGKILL", r, out)
	}
}

func TestMemoryMaxIsTheLimit(t *testing.T) {
	d := newDriver(t, t.TempDir())
	tc := driverstest.TaskConfig(t, "burst", sh(`x=$(head -c 30000000 /dev/zero | tr "\0" a); echo survived`))
	tc.Resources = drivers.Resources{MemoryMB: 16, MemoryMaxMB: 256}
	r, out := runTask(t, d, tc)
	if !r.Successful() || !strings.Contains(out, "survived") {
		t.Fatalf("got %+v (stdout %q), want success within memory_max", r, out)
	}
}

func TestSignalCaughtByTask(t *testing.T) {
	d := newDriver(t, t.TempDir())
	tc := driverstest.TaskConfig(t, "hup", sh(`trap 'echo got-hup; exit 7' HUP; while :; do sleep 0.1; done`))
	if _, err := d.StartTask(tc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(tc.ID, true) })
	waitFor(t, func() error { return trapInstalled(d, tc.ID) })
	if err := d.SignalTask(tc.ID, "SIGHUP"); err != nil {
		t.Fatal(err)
	}
	r := waitExit(t, d, tc.ID)
	out, _ := os.ReadFile(tc.StdoutPath)
	if r.ExitCode != 7 || r.Signal != 0 || string(out) != "got-hup\n" {
		t.Fatalf("got %+v, stdout %q; want the trap's exit 7", r, out)
	}
}

// trapInstalled reports whether the task's PID 1 catches SIGHUP yet.
func trapInstalled(d *Driver, id string) error {
	tk, err := d.get(id)
	if err != nil {
		return err
	}
	caught, _, err := dispositions(tk.state.Init.Pid)
	if err != nil {
		return err
	}
	if caught&(1<<0) == 0 {
		return fmt.Errorf("SIGHUP not caught yet")
	}
	return nil
}

// waitFor polls cond until it returns nil, failing after 20s.
func waitFor(t *testing.T, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after 20s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSupervisorSurvivesDriver(t *testing.T) {
	state := t.TempDir()
	tc := driverstest.TaskConfig(t, "survivor", sleep100())
	// The first driver value lives only in this function; its supervisor
	// outlives it. The handle goes through the client's state as bytes.
	h2 := func() drivers.TaskHandle {
		h, err := newDriver(t, state).StartTask(tc)
		if err != nil {
			t.Fatal(err)
		}
		c := *h
		c.DriverState = append([]byte(nil), h.DriverState...)
		return c
	}()
	var st driverState
	if err := json.Unmarshal(h2.DriverState, &st); err != nil {
		t.Fatal(err)
	}

	d2 := newDriver(t, state)
	if err := d2.RecoverTask(&h2); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	t.Cleanup(func() { _ = d2.DestroyTask(tc.ID, true) })
	stats, err := d2.TaskStats(context.Background(), tc.ID)
	if err != nil {
		t.Fatalf("TaskStats: %v", err)
	}
	if len(stats.PIDs) != 1 || stats.PIDs[0] != st.Init.Pid {
		t.Fatalf("got PIDs %v in the cgroup, want just the original init %d", stats.PIDs, st.Init.Pid)
	}
	if stats.MemoryUsage == 0 {
		t.Fatalf("got stats %+v, want memory usage from the cgroup", stats)
	}
	if !isSupervisor(st.Supervisor, st.SpecPath) {
		t.Fatalf("supervisor %d not found after the driver was dropped", st.Supervisor.Pid)
	}
	if err := d2.StopTask(tc.ID, 10*time.Second, "SIGINT"); err != nil {
		t.Fatal(err)
	}
	if r := waitExit(t, d2, tc.ID); r.Signal != 2 || r.ExitCode != 130 {
		t.Fatalf("got %+v, want the recovered task ended by SIGINT (2)", r)
	}
}

func TestDestroyLeavesNothing(t *testing.T) {
	state := t.TempDir()
	d := newDriver(t, state)
	tc := driverstest.TaskConfig(t, "tidy", sleep100())
	if _, err := d.StartTask(tc); err != nil {
		t.Fatal(err)
	}
	spec := mustTask(t, d, tc.ID).spec
	cgDirs := cgroupDirs(t, spec.CgroupPath)
	if len(cgDirs) == 0 {
		t.Fatalf("no cgroup dir found for %s while the task runs", spec.CgroupPath)
	}
	if ms := mountsContaining(t, tc.SecretsDir); len(ms) != 1 {
		t.Fatalf("got mounts %v, want the secrets tmpfs while the task runs", ms)
	}
	if err := d.DestroyTask(tc.ID, true); err != nil {
		t.Fatalf("DestroyTask: %v", err)
	}
	for _, dir := range cgDirs {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("cgroup dir %s remains", dir)
		}
		if _, err := os.Stat(filepath.Dir(dir)); err == nil {
			t.Errorf("alloc cgroup dir %s remains", filepath.Dir(dir))
		}
	}
	for _, p := range []string{filepath.Join(spec.StateRoot, spec.ContainerID), spec.Rootfs, spec.FilesDir} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s remains", p)
		}
	}
	for _, dir := range []string{state, filepath.Dir(tc.TaskDir)} {
		if ms := mountsContaining(t, dir); len(ms) > 0 {
			t.Errorf("mounts remain under %s: %v", dir, ms)
		}
	}
}

func mustTask(t *testing.T, d *Driver, id string) *task {
	t.Helper()
	tk, err := d.get(id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// cgroupDirs lists the existing directories of a cgroup path in every
// mounted hierarchy.
func cgroupDirs(t *testing.T, cg string) []string {
	t.Helper()
	ms, err := mountinfo.GetMounts(mountinfo.FSTypeFilter("cgroup", "cgroup2"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		dir := filepath.Join(m.Mountpoint, cg)
		if _, err := os.Stat(dir); err == nil {
			out = append(out, dir)
		}
	}
	return out
}

// mountsContaining lists mount points below dir in /proc/self/mountinfo.
func mountsContaining(t *testing.T, dir string) []string {
	t.Helper()
	ms, err := mountsUnder(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

func TestStartErrors(t *testing.T) {
	d := newDriver(t, t.TempDir())
	tests := []struct {
		name string
		cfg  map[string]interface{}
		user string
		want string
	}{
		{"no command", map[string]interface{}{}, "", `"command" is required`},
		{"missing binary", map[string]interface{}{"command": "/no/such/binary"}, "", "/no/such/binary"},
		{"not executable", map[string]interface{}{"command": "/etc/passwd"}, "", "/etc/passwd"},
		{"unknown user", sh("true"), "no-such-user-xyz", "no-such-user-xyz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := driverstest.TaskConfig(t, "bad", tt.cfg)
			tc.User = tt.user
			_, err := d.StartTask(tc)
			if err == nil {
				_ = d.DestroyTask(tc.ID, true)
				t.Fatalf("got no error, want one naming %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error naming %q", err, tt.want)
			}
			// Restarting cannot fix any of these: the task runner must
			// not retry them, and the event must be the cause alone, not
			// the supervisor's log with its unrelated warnings.
			if drivers.IsRecoverable(err) {
				t.Fatalf("got a recoverable error %v, want an unrecoverable one", err)
			}
			if strings.Contains(err.Error(), "supervisor log") {
				t.Fatalf("got %q, want the cause without the supervisor log", err)
			}
			if _, err := d.InspectTask(tc.ID); err == nil {
				t.Fatal("a failed start left the task known to the driver")
			}
			if _, err := os.Stat(filepath.Join(d.containersDir(), containerID(tc.ID))); err == nil {
				t.Fatal("a failed start left libcontainer state behind")
			}
		})
	}
}

// startInFakeAgent starts the task from another process that exits at
// once, as an agent that crashes, and returns the handle it persisted.
func startInFakeAgent(t *testing.T, state string, tc *drivers.TaskConfig) *drivers.TaskHandle {
	t.Helper()
	job, _ := json.Marshal(fakeAgentJob{StateDir: state, Task: tc})
	cmd := osexec.Command(testExe(t))
	cmd.Env = append(os.Environ(), fakeAgentEnv+"="+string(job))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("fake agent: %v (stderr %s)", err, exitStderr(err))
	}
	var h drivers.TaskHandle
	if err := json.Unmarshal(out, &h); err != nil {
		t.Fatalf("handle from the fake agent %q: %v", out, err)
	}
	return &h
}

// TestRecoverAfterTaskEnded: the task ends while no agent runs; the next
// agent still learns its real exit code from the supervisor's record.
func TestRecoverAfterTaskEnded(t *testing.T) {
	state := t.TempDir()
	d := newDriver(t, state)
	tc := driverstest.TaskConfig(t, "gone", sh("sleep 0.2; exit 3"))
	h := startInFakeAgent(t, state, tc)
	status := filepath.Join(tc.TaskDir, ".exec", containerID(tc.ID), "status.json")
	waitFor(t, func() error { _, err := os.Stat(status); return err })
	if err := d.RecoverTask(h); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(tc.ID, true) })
	if r := waitExit(t, d, tc.ID); r.ExitCode != 3 || r.Err != nil {
		t.Fatalf("got %+v, want exit code 3 from status.json", r)
	}
}

// TestSupervisorSurvivesAgentProcess starts a task from another process
// that then exits, as an agent that crashes or restarts: the task keeps
// running and writing its log, and a new driver recovers it and learns
// how it ended.
func TestSupervisorSurvivesAgentProcess(t *testing.T) {
	state := t.TempDir()
	d := newDriver(t, state)
	tc := driverstest.TaskConfig(t, "orphan", sh("while :; do echo tick; sleep 0.05; done"))
	h := startInFakeAgent(t, state, tc)
	if err := d.RecoverTask(h); err != nil {
		t.Fatalf("RecoverTask: %v", err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(tc.ID, true) })
	// The agent is gone: the log must keep growing (no SIGPIPE, no pipe).
	size := func() int64 { fi, _ := os.Stat(tc.StdoutPath); return fi.Size() }
	before := size()
	waitFor(t, func() error {
		if size() < before+50 {
			return fmt.Errorf("stdout stuck at %d bytes after the agent exited", size())
		}
		return nil
	})
	if st, err := d.InspectTask(tc.ID); err != nil || st.State != drivers.TaskStateRunning {
		t.Fatalf("got %+v (err %v), want running", st, err)
	}
	if err := d.StopTask(tc.ID, 10*time.Second, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	if r := waitExit(t, d, tc.ID); r.Signal != 15 || r.Err != nil {
		t.Fatalf("got %+v, want signal 15 learned from the supervisor", r)
	}
}

func exitStderr(err error) string {
	var ee *osexec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}

func TestCgroupLimits(t *testing.T) {
	d := newDriver(t, t.TempDir())
	tc := driverstest.TaskConfig(t, "limits", sleep100())
	tc.Resources = drivers.Resources{CPUMHz: 500, MemoryMB: 64, MemoryMaxMB: 128}
	if _, err := d.StartTask(tc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(tc.ID, true) })
	tk := mustTask(t, d, tc.ID)
	procCg, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", tk.state.Init.Pid))
	if err != nil || !strings.Contains(string(procCg), ":/drover/alloc1/limits\n") {
		t.Fatalf("got /proc/<init>/cgroup %q (err %v), want the task in /drover/alloc1/limits", procCg, err)
	}
	want := map[string]string{ // v1 files
		"memory/drover/alloc1/limits/memory.limit_in_bytes":      strconv.Itoa(128 * mib),
		"memory/drover/alloc1/limits/memory.soft_limit_in_bytes": strconv.Itoa(64 * mib),
		"cpu/drover/alloc1/limits/cpu.shares":                    "500",
		"pids/drover/alloc1/limits/pids.max":                     strconv.Itoa(DefaultPidsLimit),
	}
	if cgroupLayout() == "v2" {
		want = map[string]string{
			"drover/alloc1/limits/memory.max":      strconv.Itoa(128 * mib),
			"drover/alloc1/limits/memory.low":      strconv.Itoa(64 * mib),
			"drover/alloc1/limits/cpu.weight":      strconv.FormatUint(cgroups.ConvertCPUSharesToCgroupV2Value(500), 10),
			"drover/alloc1/limits/pids.max":        strconv.Itoa(DefaultPidsLimit),
			"drover/alloc1/limits/memory.swap.max": "0",
		}
	}
	for file, w := range want {
		b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", file))
		if got := strings.TrimSpace(string(b)); err != nil || got != w {
			t.Errorf("%s: got %q (err %v), want %q", file, got, err, w)
		}
	}
}

// sleep100 is a task that runs /bin/sleep as PID 1 directly: a shell in
// front of it would catch SIGINT for a moment (dash -c does).
func sleep100() map[string]interface{} {
	return map[string]interface{}{"command": "/bin/sleep", "args": []interface{}{"100"}}
}

func TestPidsLimit(t *testing.T) {
	requireContainers(t)
	d := New(Options{StateDir: t.TempDir(), Executable: testExe(t), PidsLimit: 8})
	tc := driverstest.TaskConfig(t, "forky", sh(`for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 5 & done; echo all-forked`))
	r, out := runTask(t, d, tc)
	stderr, _ := os.ReadFile(tc.StderrPath)
	if r.Successful() || strings.Contains(out, "all-forked") || !strings.Contains(string(stderr), "fork") {
		t.Fatalf("got %+v, stdout %q, stderr %q; want a failed fork past 8 processes", r, out, stderr)
	}
}

func TestOOMScores(t *testing.T) {
	d := newDriver(t, t.TempDir())
	tc := driverstest.TaskConfig(t, "scores", sleep100())
	if _, err := d.StartTask(tc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.DestroyTask(tc.ID, true) })
	tk := mustTask(t, d, tc.ID)
	own, _ := os.ReadFile("/proc/self/oom_score_adj")
	sup, _ := os.ReadFile(fmt.Sprintf("/proc/%d/oom_score_adj", tk.state.Supervisor.Pid))
	task, _ := os.ReadFile(fmt.Sprintf("/proc/%d/oom_score_adj", tk.state.Init.Pid))
	if string(task) != string(own) {
		t.Fatalf("got task oom_score_adj %q, want the agent's own %q", task, own)
	}
	if !hasCapSysResource(t) {
		t.Skip("no CAP_SYS_RESOURCE here (a sandbox): the supervisor cannot lower its OOM score")
	}
	if got := strings.TrimSpace(string(sup)); got != strconv.Itoa(supervisorOOMScoreAdj) {
		t.Fatalf("got supervisor oom_score_adj %q, want %d", got, supervisorOOMScoreAdj)
	}
}

// hasCapSysResource reads CapEff of this process (bit 24).
func hasCapSysResource(t *testing.T) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && n&(1<<24) != 0
		}
	}
	return false
}

// TestParallelTasks starts several tasks of one alloc at once: shared
// parents (state dir, /drover/<alloc> cgroup) must not trip them up.
func TestParallelTasks(t *testing.T) {
	d := newDriver(t, t.TempDir())
	const n = 4
	tcs := make([]*drivers.TaskConfig, n)
	for i := range tcs {
		tcs[i] = driverstest.TaskConfig(t, fmt.Sprintf("par%d", i), sh(`echo "$DROVER_TASK_NAME"`))
	}
	errs := make(chan error, n)
	for _, tc := range tcs {
		go func() {
			if _, err := d.StartTask(tc); err != nil {
				errs <- err
				return
			}
			ch, err := d.WaitTask(context.Background(), tc.ID)
			if err == nil {
				if r := <-ch; !r.Successful() {
					err = fmt.Errorf("task %s: got %+v, want success", tc.Name, r)
				}
			}
			if derr := d.DestroyTask(tc.ID, true); err == nil {
				err = derr
			}
			errs <- err
		}()
	}
	for range tcs {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	for _, tc := range tcs {
		if out, _ := os.ReadFile(tc.StdoutPath); string(out) != tc.Name+"\n" {
			t.Errorf("task %s: got stdout %q, want its name", tc.Name, out)
		}
	}
	if dirs := cgroupDirs(t, "/drover/alloc1"); len(dirs) > 0 {
		t.Errorf("alloc cgroup dirs remain: %v", dirs)
	}
}
