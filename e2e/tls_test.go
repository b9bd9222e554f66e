package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tlsCluster is a CA and certificates made by `drover tls`, in dir.
type tlsCluster struct {
	t   *testing.T
	dir string
}

// drover runs the binary in the cluster's dir with env added, returning
// stdout, stderr and the exit code.
func (c *tlsCluster) drover(env []string, args ...string) (string, string, int) {
	c.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("run drover %s: %v", strings.Join(args, " "), err)
	}
	return stdout.String(), stderr.String(), code
}

func (c *tlsCluster) path(name string) string { return filepath.Join(c.dir, name) }

// startTLSAgent runs `drover agent -config` with body plus a tls block
// using the named certificate, and waits until its HTTPS API answers.
func (c *tlsCluster) startTLSAgent(body, cert string, client *http.Client) *agent {
	t := c.t
	t.Helper()
	tlsBlock := fmt.Sprintf(`
tls {
  http = true
  rpc  = true
  ca_file   = %q
  cert_file = %q
  key_file  = %q
  verify_server_hostname = true
  verify_https_client    = true
}
`, c.path("drover-agent-ca.pem"), c.path(cert+".pem"), c.path(cert+"-key.pem"))
	cfg, addr, rpc := agentConfig(t, c.dir, body+tlsBlock)
	a := &agent{t: t, log: &bytes.Buffer{}, addr: strings.Replace(addr, "http://", "https://", 1), rpcAddr: rpc, exited: make(chan struct{})}
	a.cmd = exec.Command(binary, "agent", "-config", cfg)
	a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.cmd.Wait(); close(a.exited) }()
	t.Cleanup(func() { a.kill(syscall.SIGTERM) })
	waitFor(t, 30*time.Second, func() error {
		select {
		case <-a.exited:
			t.Fatalf("agent exited early:\n%s", a.log.String())
		default:
		}
		resp, err := client.Get(a.addr + "/v1/agent/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		return nil
	})
	return a
}

// httpsGet decodes a GET over client into out.
func httpsGet(client *http.Client, url string, out interface{}) error {
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return json.Unmarshal(body, out)
}

// A cluster secured with certificates from `drover tls`: a server+client
// agent and a client-only agent talk mutual TLS over gRPC, the CLI runs
// a job over HTTPS with the cli certificate, and plain HTTP, HTTPS
// without a client certificate and gRPC without one are all refused.
func TestTLSCluster(t *testing.T) {
	c := &tlsCluster{t: t, dir: t.TempDir()}
	for _, args := range [][]string{
		{"tls", "ca", "create"},
		{"tls", "cert", "create", "-server"},
		{"tls", "cert", "create", "-client"},
		{"tls", "cert", "create", "-cli"},
	} {
		if out, stderr, code := c.drover(nil, args...); code != 0 {
			t.Fatalf("drover %s: exit %d\n%s%s", strings.Join(args, " "), code, out, stderr)
		}
	}

	caPEM, err := os.ReadFile(c.path("drover-agent-ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cliCert, err := tls.LoadX509KeyPair(c.path("global-cli-drover.pem"), c.path("global-cli-drover-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	https := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cliCert}}}}

	server := c.startTLSAgent(fmt.Sprintf(`data_dir = %q
server {
  enabled          = true
  bootstrap_expect = 1
}
client {
  enabled = true
}
`, c.path("data-server")), "global-server-drover", https)
	client := c.startTLSAgent(fmt.Sprintf(`data_dir = %q
name = "tls-client"
client {
  enabled = true
  servers = [%q]
}
`, c.path("data-client"), server.rpcAddr), "global-client-drover", https)
	t.Logf("server agent %s (rpc %s), client agent %s", server.addr, server.rpcAddr, client.addr)

	// Both clients registered over mutual TLS gRPC.
	waitFor(t, 30*time.Second, func() error {
		var nodes []struct{ Name, Status string }
		if err := httpsGet(https, server.addr+"/v1/nodes", &nodes); err != nil {
			return err
		}
		ready := 0
		for _, n := range nodes {
			if n.Status == "ready" {
				ready++
			}
		}
		if ready != 2 {
			return fmt.Errorf("got nodes %+v, want 2 ready", nodes)
		}
		return nil
	})

	// The CLI, with the cli certificate from the environment, over https.
	env := []string{"DROVER_ADDR=" + server.addr, "DROVER_CACERT=" + c.path("drover-agent-ca.pem"),
		"DROVER_CLIENT_CERT=" + c.path("global-cli-drover.pem"), "DROVER_CLIENT_KEY=" + c.path("global-cli-drover-key.pem")}
	mock, err := filepath.Abs(example("mock.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	if out, stderr, code := c.drover(env, "job", "run", mock); code != 0 {
		t.Fatalf("job run over https: exit %d\n%s%s\nagent:\n%s", code, out, stderr, server.log)
	}
	waitFor(t, 60*time.Second, func() error {
		var allocs []struct{ ID, ClientStatus string }
		if err := httpsGet(https, server.addr+"/v1/job/mock/allocations", &allocs); err != nil {
			return err
		}
		if len(allocs) != 1 || allocs[0].ClientStatus != "complete" {
			return fmt.Errorf("got allocs %+v, want 1 complete", allocs)
		}
		return nil
	})
	out, stderr, code := c.drover(nil, "job", "status", "-address", server.addr, "-ca-cert", c.path("drover-agent-ca.pem"),
		"-client-cert", c.path("global-cli-drover.pem"), "-client-key", c.path("global-cli-drover-key.pem"), "mock")
	if code != 0 || !strings.Contains(out, "complete") {
		t.Fatalf("job status with the global TLS flags: exit %d\n%s%s", code, out, stderr)
	}

	// Refused: plain HTTP, HTTPS without a client certificate, gRPC
	// without a client certificate.
	plain := "http://" + strings.TrimPrefix(server.addr, "https://")
	if resp, err := http.Get(plain + "/v1/nodes"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatalf("plain HTTP: got 200 %s, want it refused", body)
		}
		t.Logf("plain HTTP refused: %d %s", resp.StatusCode, strings.TrimSpace(string(body)))
	} else {
		t.Logf("plain HTTP refused: %v", err)
	}
	_, stderr, code = c.drover([]string{"DROVER_ADDR=" + plain}, "node", "status")
	if code == 0 {
		t.Fatal("CLI over plain HTTP succeeded, want it refused")
	}
	noCert := []string{"DROVER_ADDR=" + server.addr, "DROVER_CACERT=" + c.path("drover-agent-ca.pem")}
	_, stderr, code = c.drover(noCert, "node", "status")
	if code == 0 || !strings.Contains(stderr, "the agent requires a client certificate") {
		t.Fatalf("CLI without a client certificate: exit %d, stderr %q; want refused, saying a client certificate is required", code, stderr)
	}
	t.Logf("HTTPS without a client certificate refused: %s", strings.TrimSpace(stderr))
	conn, err := tls.Dial("tcp", server.rpcAddr, &tls.Config{RootCAs: pool, ServerName: "server.global.drover", NextProtos: []string{"h2"}})
	if err == nil {
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, err = conn.Read(make([]byte, 1))
		conn.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "certificate required") {
		t.Fatalf("gRPC port without a client certificate: got %v, want \"certificate required\"", err)
	}
	t.Logf("gRPC without a client certificate refused: %v", err)
}
