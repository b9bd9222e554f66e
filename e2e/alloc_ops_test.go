package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tickerJob is a raw_exec service that prints a numbered line every 200ms
// and "got-usr1" when it receives SIGUSR1.
const tickerJob = `job "ticker" {
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "trap 'echo got-usr1' USR1; i=0; while true; do echo \"line $i\"; i=$((i+1)); sleep 0.2; done"]
      }
      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
`

// stopJobAtEnd stops the job when the test ends, before its agents are
// killed, and waits until its allocations are no longer running: agents
// killed with SIGKILL leave their tasks running by design.
func stopJobAtEnd(t *testing.T, a *agent, jobID string) {
	t.Helper()
	t.Cleanup(func() {
		if _, stderr, code := a.cli("job", "stop", "-detach", jobID); code != 0 {
			t.Logf("job stop %s: %s", jobID, stderr)
			return
		}
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			running := 0
			for _, al := range jobAllocs(t, a, jobID) {
				if al.ClientStatus == "running" || al.ClientStatus == "pending" {
					running++
				}
			}
			if running == 0 {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("job %s still has running allocations after job stop", jobID)
	})
}

// runTicker runs the ticker job and returns its running alloc's ID.
func runTicker(t *testing.T, a *agent) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ticker.hcl")
	if err := os.WriteFile(path, []byte(tickerJob), 0o644); err != nil {
		t.Fatal(err)
	}
	stopJobAtEnd(t, a, "ticker")
	if out, stderr, code := a.cli("job", "run", path); code != 0 {
		t.Fatalf("job run: exit %d\n%s%s", code, out, stderr)
	}
	return runningAllocOf(t, a, "ticker", "")
}

// runningAllocOf waits for a running alloc of the job other than not.
func runningAllocOf(t *testing.T, a *agent, jobID, not string) string {
	t.Helper()
	var id string
	waitFor(t, 60*time.Second, func() error {
		for _, al := range jobAllocs(t, a, jobID) {
			if al.ID != not && al.ClientStatus == "running" && al.DesiredStatus == "run" {
				id = al.ID
				return nil
			}
		}
		return fmt.Errorf("no running alloc of %s yet", jobID)
	})
	return id
}

// followLogs runs `alloc logs -f` and returns the first n "line" lines it
// prints, killing the CLI afterwards.
func followLogs(t *testing.T, a *agent, allocID string, n int, args ...string) []string {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"alloc", "logs", "-f"}, append(args, allocID)...)...)
	cmd.Env = append(os.Environ(), "DROVER_ADDR="+a.addr)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var got []string
	deadline := time.After(30 * time.Second)
	for len(got) < n {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("alloc logs -f ended after %v; stderr: %s", got, stderr.String())
			}
			if strings.HasPrefix(l, "line ") {
				got = append(got, l)
			}
		case <-deadline:
			t.Fatalf("alloc logs -f: got %v after 30s, want %d lines; stderr: %s", got, n, stderr.String())
		}
	}
	return got
}

// TestAllocOps drives logs, fs, exec, signal, restart and stop of a
// running alloc through the CLI of the real binary, on a dev agent.
func TestAllocOps(t *testing.T) {
	a := devAgent(t)
	id := runTicker(t, a)
	short := id[:8]

	// logs -f streams new lines as they are printed.
	start := time.Now()
	got := followLogs(t, a, id, 4, "-tail", "-n", "1")
	if elapsed := time.Since(start); elapsed < 400*time.Millisecond {
		t.Logf("note: 4 lines arrived in %s", elapsed)
	}
	var first, last int
	fmt.Sscanf(got[0], "line %d", &first)
	fmt.Sscanf(got[len(got)-1], "line %d", &last)
	if last-first != len(got)-1 {
		t.Errorf("alloc logs -f: got %v, want consecutive lines", got)
	}

	// logs without -f prints what is there.
	out, stderr, code := a.cli("alloc", "logs", short, "t")
	if code != 0 || !strings.HasPrefix(out, "line 0\n") {
		t.Errorf("alloc logs: exit %d, stdout starts %q, stderr %s; want line 0 first", code, firstLine(out), stderr)
	}

	// fs lists alloc/logs and reads a file.
	out, stderr, code = a.cli("alloc", "fs", short, "alloc/logs")
	if code != 0 || !strings.Contains(out, "t.stdout.0") || !strings.Contains(out, "Mode") {
		t.Errorf("alloc fs alloc/logs: exit %d\n%s%s\nwant a table with t.stdout.0", code, out, stderr)
	}
	out, _, code = a.cli("alloc", "fs", short, "alloc/logs/t.stdout.0")
	if code != 0 || !strings.HasPrefix(out, "line 0\n") {
		t.Errorf("alloc fs of a file: exit %d, starts %q; want the log", code, firstLine(out))
	}
	if _, stderr, code := a.cli("alloc", "fs", short, "../../.."); code == 0 || !strings.Contains(stderr, "leaves the allocation directory") {
		t.Errorf("alloc fs ../../..: exit %d, stderr %q; want refused", code, stderr)
	}

	// exec runs a command in the task's environment.
	out, stderr, code = a.cli("alloc", "exec", short, "echo", "hi")
	if code != 0 || out != "hi\n" {
		t.Errorf("alloc exec echo hi: exit %d, stdout %q, stderr %q; want hi", code, out, stderr)
	}
	if _, _, code := a.cli("alloc", "exec", "-i=false", short, "sh", "-c", "exit 7"); code != 7 {
		t.Errorf("alloc exec exit 7: got exit %d, want 7", code)
	}

	// signal: the task traps SIGUSR1.
	if out, stderr, code := a.cli("alloc", "signal", "-s", "SIGUSR1", short); code != 0 {
		t.Fatalf("alloc signal: exit %d\n%s%s", code, out, stderr)
	}
	waitFor(t, 30*time.Second, func() error {
		out, _, _ := a.cli("alloc", "logs", short)
		if !strings.Contains(out, "got-usr1") {
			return fmt.Errorf("no got-usr1 in the logs yet")
		}
		return nil
	})

	// restart adds a Restart Signaled event and the task runs again.
	if out, stderr, code := a.cli("alloc", "restart", short); code != 0 {
		t.Fatalf("alloc restart: exit %d\n%s%s", code, out, stderr)
	}
	waitFor(t, 30*time.Second, func() error {
		out, _, _ := a.cli("alloc", "status", short)
		if !strings.Contains(out, "Restart Signaled") || !strings.Contains(out, "Total Restarts = 1") ||
			!strings.Contains(out, `Task "t" is "running"`) {
			return fmt.Errorf("alloc status after restart:\n%s", out)
		}
		return nil
	})

	// status -stats shows cpu and memory.
	out, stderr, code = a.cli("alloc", "status", "-stats", short)
	if code != 0 || !strings.Contains(out, "Task Resource Usage") {
		t.Errorf("alloc status -stats: exit %d\n%s%s", code, out, stderr)
	}

	// stop replaces the alloc.
	out, stderr, code = a.cli("alloc", "stop", short)
	if code != 0 {
		t.Fatalf("alloc stop: exit %d\n%s%s", code, out, stderr)
	}
	repl := runningAllocOf(t, a, "ticker", id)
	if repl == id {
		t.Fatalf("replacement has the stopped alloc's ID")
	}
	waitFor(t, 30*time.Second, func() error {
		for _, al := range jobAllocs(t, a, "ticker") {
			if al.ID == id && al.DesiredStatus == "stop" && al.ClientStatus == "complete" {
				return nil
			}
		}
		return fmt.Errorf("stopped alloc is not complete yet")
	})
}

// TestAllocOpsRelayedToClient: a server agent relays logs and exec to a
// client-only agent over the client's session.
func TestAllocOpsRelayedToClient(t *testing.T) {
	dir := t.TempDir()
	cfg, addr, rpc := agentConfig(t, dir, fmt.Sprintf("data_dir = %q\nserver {\n  enabled = true\n  bootstrap_expect = 1\n}\n", filepath.Join(dir, "server")))
	srv := startAgent(t, addr, rpc, "-config", cfg)
	ccfg, caddr, crpc := agentConfig(t, dir, fmt.Sprintf("data_dir = %q\nclient {\n  enabled = true\n  servers = [%q]\n  options = {\n    \"driver.raw_exec.enable\" = \"1\"\n  }\n}\n",
		filepath.Join(dir, "client"), rpc))
	startClientAgent(t, caddr, crpc, "-config", ccfg)
	srv.waitReadyNodes(1)
	id := runTicker(t, srv)
	followLogs(t, srv, id, 3)
	out, stderr, code := srv.cli("alloc", "exec", "-i=false", id[:8], "echo", "relayed")
	if code != 0 || out != "relayed\n" {
		t.Errorf("alloc exec through the server: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestAllocExecJoinsContainer: with the exec driver, `alloc exec` runs in
// the task's container: its PID namespace (the task is PID 1) and its
// root filesystem.
func TestAllocExecJoinsContainer(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the exec driver needs root")
	}
	a := devAgent(t)
	path := filepath.Join(t.TempDir(), "box.hcl")
	job := `job "box" {
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver = "exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "echo started; while true; do sleep 1; done"]
      }
      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
`
	if err := os.WriteFile(path, []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	stopJobAtEnd(t, a, "box")
	if out, stderr, code := a.cli("job", "run", path); code != 0 {
		t.Skipf("exec job did not run here (exit %d): %s%s", code, out, stderr)
	}
	id := runningAllocOf(t, a, "box", "")
	out, stderr, code := a.cli("alloc", "exec", id, "cat", "/proc/1/comm")
	if code != 0 || strings.TrimSpace(out) != "sh" {
		t.Errorf("alloc exec cat /proc/1/comm: exit %d, stdout %q, stderr %q; want sh (the task is PID 1 of the container)", code, out, stderr)
	}
	out, stderr, code = a.cli("alloc", "exec", id, "sh", "-c", "touch /usr/x 2>/dev/null && echo writable || echo read-only")
	if code != 0 || strings.TrimSpace(out) != "read-only" {
		t.Errorf("alloc exec touch /usr/x: exit %d, stdout %q, stderr %q; want read-only", code, out, stderr)
	}

	// -t: an interactive shell gets a terminal made in the container, of
	// the caller's size. script(1) gives the CLI a terminal of its own.
	scriptBin, err := exec.LookPath("script")
	if err != nil {
		t.Skip("no script(1) to run the CLI on a terminal")
	}
	cmd := exec.Command(scriptBin, "-qfec", fmt.Sprintf("stty cols 100 rows 30; %s alloc exec -t %s /bin/sh", binary, id), "/dev/null")
	cmd.Env = append(os.Environ(), "DROVER_ADDR="+a.addr)
	stdin, _ := cmd.StdinPipe()
	var tout strings.Builder
	cmd.Stdout, cmd.Stderr = &tout, &tout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(500 * time.Millisecond)
		io.WriteString(stdin, "tty; stty size\n")
		time.Sleep(500 * time.Millisecond)
		io.WriteString(stdin, "exit 5\n")
		time.Sleep(2 * time.Second)
		stdin.Close()
	}()
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 5 || !strings.Contains(tout.String(), "/dev/pts/") || !strings.Contains(tout.String(), "30 100") {
		t.Errorf("alloc exec -t: got %v and output:\n%s\nwant exit 5, a /dev/pts terminal of 30 rows and 100 columns", err, tout.String())
	}
}

// TestAllocLogsFollowAcrossRotation: `alloc logs -f` moves on to the next
// rotated file as soon as it appears, without losing or repeating lines.
func TestAllocLogsFollowAcrossRotation(t *testing.T) {
	a := devAgent(t)
	job := `job "chatty" {
  datacenters = ["dc1"]
  group "g" {
    task "t" {
      driver = "raw_exec"
      config {
        command = "/bin/sh"
        args    = ["-c", "i=0; while true; do echo \"mark $i\"; i=$((i+1)); head -c 200000 /dev/zero | tr '\\0' x; echo; sleep 0.05; done"]
      }
      logs {
        max_files     = 2
        max_file_size = 1
      }
      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
`
	path := filepath.Join(t.TempDir(), "chatty.hcl")
	if err := os.WriteFile(path, []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	stopJobAtEnd(t, a, "chatty")
	if out, stderr, code := a.cli("job", "run", path); code != 0 {
		t.Fatalf("job run: exit %d\n%s%s", code, out, stderr)
	}
	id := runningAllocOf(t, a, "chatty", "")

	cmd := exec.Command(binary, "alloc", "logs", "-f", "-tail", "-c", "0", id)
	cmd.Env = append(os.Environ(), "DROVER_ADDR="+a.addr)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}()
	marks := make(chan int)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var n int
			if _, err := fmt.Sscanf(sc.Text(), "mark %d", &n); err == nil {
				marks <- n
			}
		}
		close(marks)
	}()
	// 1 MB files and 200 KB per mark: 15 marks cross at least two rotations.
	var got []int
	deadline := time.After(60 * time.Second)
	for len(got) < 15 {
		select {
		case n, ok := <-marks:
			if !ok {
				t.Fatalf("alloc logs -f ended after marks %v", got)
			}
			if len(got) > 0 && n != got[len(got)-1]+1 {
				t.Fatalf("marks %v then %d: want consecutive marks across rotations", got, n)
			}
			got = append(got, n)
		case <-deadline:
			t.Fatalf("got marks %v after 60s, want 15", got)
		}
	}
	out, _, _ := a.cli("alloc", "fs", id, "alloc/logs")
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[len(f)-1] == "t.stdout.0" {
			t.Errorf("t.stdout.0 is still there: the log did not rotate (max_files = 2):\n%s", out)
		}
	}
}

// TestAllocOpsRelayedBetweenServers: the client holds its session with
// one server; the CLI talks to the other, which relays through the first.
func TestAllocOpsRelayedBetweenServers(t *testing.T) {
	dir := t.TempDir()
	type ports struct{ http, rpc, serf int }
	p1 := ports{freePort(t), freePort(t), freePort(t)}
	p2 := ports{freePort(t), freePort(t), freePort(t)}
	write := func(name string, p ports, body string) string {
		path := filepath.Join(dir, name+".hcl")
		cfg := fmt.Sprintf("name = %q\nbind_addr = \"127.0.0.1\"\ndata_dir = %q\nports {\n  http = %d\n  rpc = %d\n  serf = %d\n}\n%s\n",
			name, filepath.Join(dir, name), p.http, p.rpc, p.serf, body)
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	join := fmt.Sprintf("server {\n  enabled = true\n  bootstrap_expect = 2\n  server_join {\n    retry_join = [\"127.0.0.1:%d\"]\n  }\n}\n", p1.serf)
	c1 := write("s1", p1, join)
	c2 := write("s2", p2, join)
	addr := func(p ports) string { return fmt.Sprintf("http://127.0.0.1:%d", p.http) }
	rpcAddr := func(p ports) string { return fmt.Sprintf("127.0.0.1:%d", p.rpc) }
	// Both servers must be up before either can elect a leader.
	a1 := startClientAgent(t, addr(p1), rpcAddr(p1), "-config", c1)
	a2 := startClientAgent(t, addr(p2), rpcAddr(p2), "-config", c2)
	for _, a := range []*agent{a1, a2} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			var leader string
			if err := a.get("/v1/status/leader", &leader); err == nil && leader != "" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no leader after 30s; s1 log:\n%s\ns2 log:\n%s", a1.log.String(), a2.log.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	pc := ports{freePort(t), freePort(t), freePort(t)}
	cc := write("c1", pc, fmt.Sprintf("client {\n  enabled = true\n  servers = [%q]\n  options = {\n    \"driver.raw_exec.enable\" = \"1\"\n  }\n}\n", rpcAddr(p2)))
	startClientAgent(t, addr(pc), rpcAddr(pc), "-config", cc)
	a1.waitReadyNodes(1)
	id := runTicker(t, a1)
	followLogs(t, a1, id, 3)
	out, stderr, code := a1.cli("alloc", "exec", id, "echo", "via-peer")
	if code != 0 || out != "via-peer\n" {
		t.Errorf("alloc exec through the other server: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	// The server holding the session answers directly.
	if out, stderr, code := a2.cli("alloc", "fs", id, "alloc/logs"); code != 0 || !strings.Contains(out, "t.stdout.0") {
		t.Errorf("alloc fs through the session's server: exit %d\n%s%s", code, out, stderr)
	}
}
