package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is the drover binary built once for all tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "drover-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "drover")
	build := exec.Command("go", "build", "-o", binary, "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build drover:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort asks the kernel for an unused loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// agent is one running `drover agent` process.
type agent struct {
	t       *testing.T
	cmd     *exec.Cmd
	log     *bytes.Buffer
	addr    string // http://127.0.0.1:port
	rpcAddr string
	exited  chan struct{}
}

// agentConfig writes an agent config file with fresh ports and returns its
// path, the HTTP address and the RPC address.
func agentConfig(t *testing.T, dir, body string) (string, string, string) {
	t.Helper()
	http, rpc, serf := freePort(t), freePort(t), freePort(t)
	cfg := fmt.Sprintf("bind_addr = \"127.0.0.1\"\nports {\n  http = %d\n  rpc = %d\n  serf = %d\n}\n%s\n", http, rpc, serf, body)
	path := filepath.Join(dir, fmt.Sprintf("agent-%d.hcl", http))
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, fmt.Sprintf("http://127.0.0.1:%d", http), fmt.Sprintf("127.0.0.1:%d", rpc)
}

// startAgent runs `drover agent ARGS...` and waits until its HTTP API
// answers and knows a leader.
func startAgent(t *testing.T, addr, rpcAddr string, args ...string) *agent {
	t.Helper()
	return start(t, addr, rpcAddr, "/v1/status/leader", args...)
}

// startClientAgent runs a client-only agent and waits until it answers.
func startClientAgent(t *testing.T, addr, rpcAddr string, args ...string) *agent {
	t.Helper()
	return start(t, addr, rpcAddr, "", args...)
}

func start(t *testing.T, addr, rpcAddr, readyPath string, args ...string) *agent {
	t.Helper()
	a := &agent{t: t, log: &bytes.Buffer{}, addr: addr, rpcAddr: rpcAddr, exited: make(chan struct{})}
	a.cmd = exec.Command(binary, append([]string{"agent"}, args...)...)
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.cmd.Wait(); close(a.exited) }()
	t.Cleanup(func() { a.kill(syscall.SIGTERM) }) // SIGTERM lets a dev agent stop its tasks
	waitFor(t, 30*time.Second, func() error {
		select {
		case <-a.exited:
			t.Fatalf("agent exited early:\n%s", a.log.String())
		default:
		}
		if readyPath == "" {
			_, err := http.Get(a.addr + "/v1/agent/health")
			return err
		}
		var leader string
		if err := a.get(readyPath, &leader); err != nil {
			return err
		}
		if leader == "" {
			return fmt.Errorf("no leader yet")
		}
		return nil
	})
	return a
}

// waitReadyNodes waits until the cluster has at least n ready client nodes.
func (a *agent) waitReadyNodes(n int) {
	a.t.Helper()
	waitFor(a.t, 30*time.Second, func() error {
		var nodes []struct{ ID, Status string }
		if err := a.get("/v1/nodes", &nodes); err != nil {
			return err
		}
		ready := 0
		for _, node := range nodes {
			if node.Status == "ready" {
				ready++
			}
		}
		if ready < n {
			return fmt.Errorf("%d ready nodes, want %d", ready, n)
		}
		return nil
	})
}

// kill signals the agent's process group and waits for it to exit.
func (a *agent) kill(sig syscall.Signal) {
	if a.cmd.Process == nil {
		return
	}
	select {
	case <-a.exited:
		return
	default:
	}
	syscall.Kill(-a.cmd.Process.Pid, sig)
	select {
	case <-a.exited:
	case <-time.After(30 * time.Second):
		syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
		<-a.exited
	}
}

// get decodes a GET of the agent's API into out.
func (a *agent) get(path string, out interface{}) error {
	resp, err := http.Get(a.addr + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return json.Unmarshal(body, out)
}

// cli runs the drover CLI against the agent and returns stdout, stderr and the exit code.
func (a *agent) cli(args ...string) (string, string, int) {
	a.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "DROVER_ADDR="+a.addr)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		a.t.Fatalf("run drover %s: %v", strings.Join(args, " "), err)
	}
	return stdout.String(), stderr.String(), code
}

// waitFor retries cond until it returns nil or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = cond(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("condition not met after %s: %v", timeout, err)
}

// example returns the path of a file in examples/.
func example(name string) string { return filepath.Join("..", "examples", name) }
