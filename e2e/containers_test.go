package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestContainers runs the exec driver's acceptance checks on the real
// binary, as root: web.hcl answers on its ports from PID 1 of a container
// with its own hostname and a read-only /usr; a memory hog is OOM killed
// and restarted per policy; kill_signal then SIGKILL after kill_timeout; a
// task survives `kill -9` of its agent with the same PID; and after `job
// stop -purge` and `system gc` nothing of the jobs is left on the host.
func TestContainers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("containers need root: run the e2e tests as root")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg, addr, rpc := agentConfig(t, dir, fmt.Sprintf(`data_dir = %q
server {
  enabled          = true
  bootstrap_expect = 1
}
client {
  enabled = true
}
`, data))
	a := startAgent(t, addr, rpc, "-config", cfg)
	a.waitReadyNodes(1)
	requireExecDriver(t, a)
	h := &containerHarness{t: t, a: a, data: data, cfg: cfg}
	t.Cleanup(h.cleanup) // runs before the agent is killed

	t.Run("WebAnswersFromIsolatedContainers", h.testWeb)
	t.Run("IsolationSeenFromInside", h.testInside)
	t.Run("OOMKilledThenRestarted", h.testOOM)
	t.Run("KillSignalThenSIGKILL", h.testKillTimeout)
	t.Run("TaskSurvivesAgentKill9", h.testAgentKill9)
	t.Run("PurgeAndGCLeaveNothing", h.testPurgeGC)
}

// requireExecDriver skips when the node's exec driver reports that this
// host cannot make containers (not detected), printing why; a driver that
// is detected but unhealthy (its probe container failed) fails the test.
func requireExecDriver(t *testing.T, a *agent) {
	t.Helper()
	var nodes []struct{ ID string }
	if err := a.get("/v1/nodes", &nodes); err != nil || len(nodes) == 0 {
		t.Fatalf("list nodes: %v (%d nodes)", err, len(nodes))
	}
	var node struct {
		Drivers map[string]struct {
			Detected, Healthy bool
			HealthDescription string
		}
	}
	if err := a.get("/v1/node/"+nodes[0].ID, &node); err != nil {
		t.Fatal(err)
	}
	d := node.Drivers["exec"]
	switch {
	case !d.Detected:
		t.Skipf("this host cannot make containers: %s", d.HealthDescription)
	case !d.Healthy:
		t.Fatalf("exec driver detected but unhealthy: %s\nagent log:\n%s", d.HealthDescription, a.log)
	}
}

type containerHarness struct {
	t    *testing.T
	a    *agent
	data string // the agent's data_dir
	cfg  string // the agent's config file
	// allocIDs are every alloc the tests ran, for the leftover checks.
	allocIDs []string
	jobs     []string
}

// allocDetail is what the tests read of GET /v1/allocation/:id.
type allocDetail struct {
	ID, JobID, ClientStatus, DesiredStatus string
	AllocatedResources                     struct {
		Shared struct {
			Ports []struct {
				Label  string
				Value  int
				HostIP string
			}
		}
	}
	TaskStates map[string]struct {
		State    string
		Failed   bool
		Restarts int
		Events   []struct {
			Type           string
			DisplayMessage string
			ExitCode       int
			Signal         int
		}
	}
}

func (d *allocDetail) eventTypes(task string) []string {
	var out []string
	for _, e := range d.TaskStates[task].Events {
		out = append(out, e.Type)
	}
	return out
}

func (h *containerHarness) alloc(id string) *allocDetail {
	h.t.Helper()
	var d allocDetail
	if err := h.a.get("/v1/allocation/"+id, &d); err != nil {
		h.t.Fatal(err)
	}
	return &d
}

// run writes a job file into the test's dir, runs it detached and
// records its allocations as they appear.
func (h *containerHarness) run(name, body string) {
	h.t.Helper()
	path := filepath.Join(h.t.TempDir(), name+".hcl")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		h.t.Fatal(err)
	}
	h.runFile(name, path)
}

func (h *containerHarness) runFile(jobID, path string) {
	h.t.Helper()
	out, stderr, code := h.a.cli("job", "run", "-detach", path)
	if code != 0 {
		h.t.Fatalf("job run %s: exit %d\n%s%s", path, code, out, stderr)
	}
	h.jobs = append(h.jobs, jobID)
}

// waitAllocs waits until the job has n allocs that satisfy ok and returns them.
func (h *containerHarness) waitAllocs(jobID string, n int, timeout time.Duration, ok func(*allocDetail) error) []*allocDetail {
	h.t.Helper()
	var got []*allocDetail
	waitFor(h.t, timeout, func() error {
		got = nil
		stubs := jobAllocs(h.t, h.a, jobID)
		for _, s := range stubs {
			h.remember(s.ID)
			d := h.alloc(s.ID)
			if err := ok(d); err != nil {
				return fmt.Errorf("alloc %s: %w", s.ID, err)
			}
			got = append(got, d)
		}
		if len(got) != n {
			return fmt.Errorf("job %s has %d allocs, want %d", jobID, len(got), n)
		}
		return nil
	})
	return got
}

func (h *containerHarness) remember(id string) {
	for _, have := range h.allocIDs {
		if have == id {
			return
		}
	}
	h.allocIDs = append(h.allocIDs, id)
}

func clientStatus(want string) func(*allocDetail) error {
	return func(d *allocDetail) error {
		if d.ClientStatus != want {
			return fmt.Errorf("client status %q, want %q", d.ClientStatus, want)
		}
		return nil
	}
}

// taskPIDs returns the host PIDs in the task's cgroup (v1: the memory
// controller's hierarchy; v2: the unified one).
func taskPIDs(allocID, task string) ([]int, error) {
	for _, base := range []string{"/sys/fs/cgroup/memory", "/sys/fs/cgroup"} {
		b, err := os.ReadFile(filepath.Join(base, "drover", allocID, task, "cgroup.procs"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var pids []int
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				pids = append(pids, n)
			}
		}
		return pids, nil
	}
	return nil, fmt.Errorf("no cgroup for task %s of alloc %s", task, allocID)
}

// nsPID returns the PID a process has in its own PID namespace (the last
// NSpid field).
func nsPID(pid int) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "NSpid:"); ok {
			fs := strings.Fields(v)
			return strconv.Atoi(fs[len(fs)-1])
		}
	}
	return 0, fmt.Errorf("no NSpid in /proc/%d/status", pid)
}

// initPID is the host PID of the task's PID 1.
func initPID(allocID, task string) (int, error) {
	pids, err := taskPIDs(allocID, task)
	if err != nil {
		return 0, err
	}
	for _, p := range pids {
		if n, err := nsPID(p); err == nil && n == 1 {
			return p, nil
		}
	}
	return 0, fmt.Errorf("no PID 1 among %v in the task's cgroup", pids)
}

func (h *containerHarness) testWeb(t *testing.T) {
	h.runFile("web", example("web.hcl"))
	allocs := h.waitAllocs("web", 2, 90*time.Second, clientStatus("running"))
	host, _ := os.Hostname()
	ports := map[int]bool{}
	for _, d := range allocs {
		port := 0
		for _, p := range d.AllocatedResources.Shared.Ports {
			if p.Label == "http" {
				port = p.Value
			}
		}
		if port == 0 || ports[port] {
			t.Fatalf("alloc %s: port %d, want a distinct dynamic port %q: %+v", d.ID, port, "http", d.AllocatedResources.Shared.Ports)
		}
		ports[port] = true
		waitFor(t, 30*time.Second, func() error {
			resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("GET :%d: %d", port, resp.StatusCode)
			}
			return nil
		})
		pid, err := initPID(d.ID, "server")
		if err != nil {
			t.Fatal(err)
		}
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if !strings.HasPrefix(string(comm), "python3") {
			t.Fatalf("PID 1 of alloc %s is %q, want python3", d.ID, comm)
		}
		pids, _ := taskPIDs(d.ID, "server")
		if len(pids) != 1 {
			t.Fatalf("alloc %s: task cgroup holds %v, want only its PID 1", d.ID, pids)
		}
		uts, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/uts", pid))
		self, _ := os.Readlink("/proc/self/ns/uts")
		if uts == self {
			t.Fatalf("alloc %s shares the host's UTS namespace (hostname %q)", d.ID, host)
		}
		t.Logf("alloc %s: port %d answers; PID 1 is host PID %d (python3); own UTS namespace", d.ID[:8], port, pid)
	}
}

// A batch exec task reports what it sees from inside: its PID, the
// processes it can see, its hostname, and whether /usr is writable.
func (h *containerHarness) testInside(t *testing.T) {
	h.run("inside", `job "inside" {
  datacenters = ["dc1"]
  type        = "batch"
  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }
    task "probe" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args = ["-c", "echo pid=$$; n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; echo procs=$n; read h < /proc/sys/kernel/hostname; echo host=$h; if touch /usr/x 2>/dev/null; then echo usr=writable; exit 3; fi; echo usr=readonly"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`)
	allocs := h.waitAllocs("inside", 1, 60*time.Second, func(d *allocDetail) error {
		if d.ClientStatus == "failed" {
			t.Fatalf("probe failed (exit 3 = /usr writable): %+v", d.TaskStates)
		}
		return clientStatus("complete")(d)
	})
	out, err := os.ReadFile(filepath.Join(h.data, "client", "alloc", allocs[0].ID, "alloc", "logs", "probe.stdout.0"))
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	got := strings.Fields(string(out))
	// Only builtins run until /proc is counted: the shell is alone.
	want := []string{"pid=1", "procs=1", "host=probe", "usr=readonly"}
	if strings.Join(got, " ") != strings.Join(want, " ") || host == "probe" {
		t.Fatalf("probe printed %q, want %q (host's name is %q)", out, want, host)
	}
	if _, err := os.Stat("/usr/x"); err == nil {
		t.Fatal("/usr/x exists on the host")
	}
}

func (h *containerHarness) testOOM(t *testing.T) {
	h.run("hog", `job "hog" {
  datacenters = ["dc1"]
  type        = "batch"
  group "g" {
    restart {
      attempts = 1
      delay    = "1s"
      interval = "10m"
      mode     = "fail"
    }
    reschedule {
      attempts  = 0
      unlimited = false
    }
    task "hog" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`)
	allocs := h.waitAllocs("hog", 1, 90*time.Second, clientStatus("failed"))
	d := allocs[0]
	types := d.eventTypes("hog")
	count := func(typ string) int {
		n := 0
		for _, x := range types {
			if x == typ {
				n++
			}
		}
		return n
	}
	if count("OOM Killed") != 2 || count("Restarting") != 1 || count("Not Restarting") != 1 {
		t.Fatalf("got events %v, want OOM Killed, Restarting, OOM Killed, Not Restarting", types)
	}
	status, _, code := h.a.cli("alloc", "status", d.ID)
	if code != 0 || !strings.Contains(status, "OOM Killed") {
		t.Fatalf("alloc status: exit %d, want an OOM Killed event:\n%s", code, status)
	}
}

// A task that ignores its kill_signal is killed with SIGKILL once
// kill_timeout has passed.
func (h *containerHarness) testKillTimeout(t *testing.T) {
	h.run("stubborn", `job "stubborn" {
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver       = "exec"
      kill_signal  = "SIGUSR1"
      kill_timeout = "2s"
      config {
        command = "/bin/sh"
        args    = ["-c", "trap 'echo got-usr1' USR1; while :; do sleep 0.2; done"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`)
	allocs := h.waitAllocs("stubborn", 1, 60*time.Second, clientStatus("running"))
	start := time.Now()
	if out, stderr, code := h.a.cli("job", "stop", "-detach", "stubborn"); code != 0 {
		t.Fatalf("job stop: exit %d\n%s%s", code, out, stderr)
	}
	h.waitAllocs("stubborn", 1, 60*time.Second, clientStatus("complete"))
	took := time.Since(start)
	d := h.alloc(allocs[0].ID)
	var sig int
	for _, e := range d.TaskStates["t"].Events {
		if e.Type == "Terminated" {
			sig = e.Signal
		}
	}
	types := strings.Join(d.eventTypes("t"), ",")
	if !strings.Contains(types, "Killing,Terminated,Killed") || sig != int(syscall.SIGKILL) {
		t.Fatalf("got events %s (terminated by signal %d), want Killing, Terminated by SIGKILL, Killed", types, sig)
	}
	logs, _ := os.ReadFile(filepath.Join(h.data, "client", "alloc", d.ID, "alloc", "logs", "t.stdout.0"))
	if !strings.Contains(string(logs), "got-usr1") {
		t.Fatalf("task stdout %q, want the trap's got-usr1 (kill_signal delivered)", logs)
	}
	t.Logf("stop took %v with kill_timeout 2s", took.Round(100*time.Millisecond))
}

func (h *containerHarness) testAgentKill9(t *testing.T) {
	h.run("long", `job "long" {
  datacenters = ["dc1"]
  group "g" {
    task "sleep" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.2; done"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
`)
	allocs := h.waitAllocs("long", 1, 60*time.Second, clientStatus("running"))
	id := allocs[0].ID
	before, err := initPID(id, "sleep")
	if err != nil {
		t.Fatal(err)
	}
	supervisor := findProcess(supervisorArg, id)
	t.Logf("task PID %d; supervisor PID %d: %s", before, supervisor, rss(supervisor))
	logFile := filepath.Join(h.data, "client", "alloc", id, "alloc", "logs", "sleep.stdout.0")

	h.a.kill(syscall.SIGKILL)
	size := fileSize(logFile)
	waitFor(t, 10*time.Second, func() error {
		if fileSize(logFile) <= size {
			return fmt.Errorf("log stuck at %d bytes while the agent is down", size)
		}
		return nil
	})
	// Started on the parent test, so that the agent outlives this subtest.
	h.a = startAgent(h.t, h.a.addr, h.a.rpcAddr, "-config", h.cfg)
	h.a.waitReadyNodes(1)
	// Give the restarted client time to re-attach and report.
	waitFor(t, 30*time.Second, func() error {
		d := h.alloc(id)
		if d.ClientStatus != "running" || d.TaskStates["sleep"].State != "running" {
			return fmt.Errorf("alloc %s is %s/%s, want running", id, d.ClientStatus, d.TaskStates["sleep"].State)
		}
		return nil
	})
	after, err := initPID(id, "sleep")
	if err != nil || after != before {
		t.Fatalf("task PID after the restart: %d (%v), want %d", after, err, before)
	}
	d := h.alloc(id)
	if n := strings.Count(strings.Join(d.eventTypes("sleep"), ","), "Started"); n != 1 {
		t.Fatalf("got events %v, want one Started: the task must not have been restarted", d.eventTypes("sleep"))
	}
	if out, stderr, code := h.a.cli("job", "stop", "-detach", "long"); code != 0 {
		t.Fatalf("job stop: exit %d\n%s%s", code, out, stderr)
	}
	h.waitAllocs("long", 1, 60*time.Second, clientStatus("complete"))
	waitFor(t, 10*time.Second, func() error {
		if syscall.Kill(before, 0) == nil {
			return fmt.Errorf("task PID %d still runs after job stop", before)
		}
		return nil
	})
}

// After job stop -purge and system gc, no container state, cgroup, mount
// or alloc dir of any job this test ran is left.
func (h *containerHarness) testPurgeGC(t *testing.T) {
	for _, job := range h.jobs {
		if out, stderr, code := h.a.cli("job", "stop", "-purge", "-detach", job); code != 0 && !strings.Contains(out+stderr, "not found") {
			t.Fatalf("job stop -purge %s: exit %d\n%s%s", job, code, out, stderr)
		}
	}
	waitFor(t, 60*time.Second, func() error {
		var allocs []allocStub
		if err := h.a.get("/v1/allocations", &allocs); err != nil {
			return err
		}
		for _, a := range allocs {
			if a.ClientStatus == "running" || a.ClientStatus == "pending" {
				return fmt.Errorf("alloc %s still %s", a.ID, a.ClientStatus)
			}
		}
		return nil
	})
	out, stderr, code := h.a.cli("system", "gc")
	if code != 0 {
		t.Fatalf("system gc: exit %d\n%s%s", code, out, stderr)
	}
	t.Logf("system gc: %s", strings.TrimSpace(out))
	waitFor(t, 60*time.Second, func() error {
		var allocs []allocStub
		if err := h.a.get("/v1/allocations", &allocs); err != nil {
			return err
		}
		if len(allocs) != 0 {
			return fmt.Errorf("%d allocs left in state after gc", len(allocs))
		}
		return h.leftovers()
	})
}

// leftovers names the first trace of the test's allocs on the host.
func (h *containerHarness) leftovers() error {
	containers, _ := os.ReadDir(filepath.Join(h.data, "client", "exec", "containers"))
	if len(containers) > 0 {
		return fmt.Errorf("container state left: %s", containers[0].Name())
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	for _, id := range h.allocIDs {
		if _, err := os.Stat(filepath.Join(h.data, "client", "alloc", id)); err == nil {
			return fmt.Errorf("alloc dir of %s left", id)
		}
		cg, _ := filepath.Glob("/sys/fs/cgroup/*/drover/" + id)
		cg2, _ := filepath.Glob("/sys/fs/cgroup/drover/" + id)
		if all := append(cg, cg2...); len(all) > 0 {
			return fmt.Errorf("cgroup left: %s", all[0])
		}
		if strings.Contains(string(mounts), id) {
			return fmt.Errorf("a mount of alloc %s is left in /proc/self/mountinfo", id)
		}
	}
	if strings.Contains(string(mounts), h.data) {
		return fmt.Errorf("a mount under the data dir %s is left", h.data)
	}
	return nil
}

// cleanup stops whatever the tests left running, so that no container
// outlives the test even when it failed halfway; as a last resort it
// kills what is left in the allocs' cgroups.
func (h *containerHarness) cleanup() {
	for _, job := range h.jobs {
		h.a.cli("job", "stop", "-purge", "-detach", job)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if h.runningTasks() == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if h.runningTasks() == 0 && h.leftovers() == nil {
		return
	}
	h.t.Logf("cleaning up by hand what the agent left: %v", h.leftovers())
	for _, id := range h.allocIDs {
		dirs, _ := filepath.Glob("/sys/fs/cgroup/*/drover/" + id + "/*/cgroup.procs")
		for _, f := range dirs {
			b, _ := os.ReadFile(f)
			for _, p := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(p); err == nil {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
	}
	time.Sleep(time.Second) // let the supervisors see their tasks end
	for _, id := range h.allocIDs {
		tasks, _ := filepath.Glob("/sys/fs/cgroup/*/drover/" + id + "/*")
		for _, d := range tasks {
			syscall.Rmdir(d)
		}
		allocs, _ := filepath.Glob("/sys/fs/cgroup/*/drover/" + id)
		for _, d := range allocs {
			syscall.Rmdir(d)
		}
	}
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], h.data) {
				syscall.Unmount(f[4], syscall.MNT_DETACH)
			}
		}
	}
}

func (h *containerHarness) runningTasks() int {
	n := 0
	for _, id := range h.allocIDs {
		procs, _ := filepath.Glob("/sys/fs/cgroup/*/drover/" + id + "/*/cgroup.procs")
		for _, f := range procs {
			if b, _ := os.ReadFile(f); len(strings.TrimSpace(string(b))) > 0 {
				n++
			}
		}
	}
	return n
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// supervisorArg is how the exec driver's supervisor process is called.
const supervisorArg = "__drover_task_supervisor"

// findProcess returns the PID of a process whose command line contains
// every one of words (0 if none).
func findProcess(words ...string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		all := true
		for _, w := range words {
			all = all && strings.Contains(string(b), w)
		}
		if all {
			return pid
		}
	}
	return 0
}

// rss is a process's memory: resident, proportional (shared pages split
// between their users) and private, from /proc/<pid>/smaps_rollup.
func rss(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return "?"
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && (f[0] == "Rss:" || f[0] == "Pss:" || f[0] == "Private_Dirty:") {
			out = append(out, strings.TrimSuffix(f[0], ":")+" "+f[1]+" kB")
		}
	}
	return strings.Join(out, ", ")
}
