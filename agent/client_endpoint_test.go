package agent

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/droverhq/drover/api"
	"github.com/droverhq/drover/structs"
)

// tickerScript prints a numbered line every 200ms and "got-usr1" on SIGUSR1.
const tickerScript = `trap 'echo got-usr1' USR1; i=0; while true; do echo "line $i"; i=$((i+1)); sleep 0.2; done`

func tickerJob(id string) *api.Job {
	one := 1
	return &api.Job{
		ID: id, Name: id, Type: structs.JobTypeService, Datacenters: []string{"dc1"},
		TaskGroups: []*api.TaskGroup{{
			Name: "g", Count: &one,
			Tasks: []*api.Task{{
				Name: "t", Driver: "raw_exec",
				Config:    map[string]interface{}{"command": "/bin/sh", "args": []string{"-c", tickerScript}},
				Resources: &api.Resources{CPU: 100, MemoryMB: 32},
			}},
		}},
	}
}

func apiClient(t *testing.T, addr string) *api.Client {
	t.Helper()
	c, err := api.NewClient(&api.Config{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runningAlloc waits for the job's one running alloc whose task has started.
func runningAlloc(t *testing.T, c *api.Client, jobID string, not map[string]bool) *api.Allocation {
	t.Helper()
	var out *api.Allocation
	waitFor(t, func() error {
		stubs, _, err := c.Allocations().List(nil)
		if err != nil {
			return err
		}
		for _, s := range stubs {
			if s.JobID != jobID || not[s.ID] || s.ClientStatus != api.AllocClientStatusRunning || s.DesiredStatus != api.AllocDesiredStatusRun {
				continue
			}
			a, _, err := c.Allocations().Info(s.ID, nil)
			if err != nil {
				return err
			}
			out = a
			return nil
		}
		return fmt.Errorf("no running alloc of %s yet", jobID)
	})
	return out
}

// TestClientEndpointsRelayOverSession runs a server-only agent and a
// client-only agent: every /v1/client request to the server is relayed
// over the client's reverse session.
func TestClientEndpointsRelayOverSession(t *testing.T) {
	srv := testAgent(t, func(c *Config) { c.Client.Enabled = false })
	waitForLeader(t, srv)
	cl := testAgent(t, func(c *Config) {
		c.Name = "client-only"
		c.Server.Enabled = false
		c.Client.Servers = []string{srv.RPCAddr()}
	})
	c := apiClient(t, srv.HTTPAddr())
	register(t, srv.HTTPAddr(), tickerJob("ticker"))
	alloc := runningAlloc(t, c, "ticker", nil)

	// fs: the alloc dir has alloc/logs with the task's stdout.
	var files []*api.AllocFileInfo
	waitFor(t, func() error {
		var err error
		files, err = c.AllocFS().List(alloc.ID, "alloc/logs", nil)
		if err != nil {
			return err
		}
		for _, f := range files {
			if f.Name == "t.stdout.0" && f.Size > 0 {
				return nil
			}
		}
		return fmt.Errorf("got %d files, want t.stdout.0 with data", len(files))
	})
	if _, err := c.AllocFS().List(alloc.ID, "../..", nil); err == nil || !strings.Contains(err.Error(), "400") {
		t.Errorf("ls ../..: got %v, want a 400", err)
	}
	if _, err := c.AllocFS().Stat(alloc.ID, "alloc/nope", nil); !api.IsNotFound(err) {
		t.Errorf("stat of a missing file: got %v, want 404", err)
	}
	body, err := c.AllocFS().Cat(alloc.ID, "alloc/logs/t.stdout.0", nil)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(body)
	body.Close()
	if !strings.HasPrefix(string(data), "line 0\n") {
		t.Errorf("cat: got %q, want it to start with \"line 0\\n\"", data)
	}
	body, err = c.AllocFS().ReadAt(alloc.ID, "alloc/logs/t.stdout.0", 5, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, _ = io.ReadAll(body)
	body.Close()
	if string(data) != "0" {
		t.Errorf("readat offset 5 limit 1: got %q, want \"0\"", data)
	}

	// logs -f streams lines as they are printed; closing stops it.
	ctx, cancel := context.WithCancel(context.Background())
	logs, err := c.AllocFS().Logs(alloc.ID, &api.LogsOptions{Task: "t", Follow: true, Origin: "end"}, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(logs)
	var got []string
	for len(got) < 3 && sc.Scan() {
		if strings.HasPrefix(sc.Text(), "line ") {
			got = append(got, sc.Text())
		}
	}
	cancel()
	logs.Close()
	if len(got) < 3 {
		t.Fatalf("follow: got lines %v, want 3 new ones", got)
	}

	// JSON frames without plain.
	fctx, fcancel := context.WithCancel(context.Background())
	frames, errc := c.AllocFS().LogFrames(alloc.ID, &api.LogsOptions{Task: "t"}, (&api.QueryOptions{}).WithContext(fctx))
	var n int
	for f := range frames {
		n += len(f.Data)
	}
	fcancel()
	if err := <-errc; err != nil || n == 0 {
		t.Errorf("log frames: got %d bytes, err %v; want some bytes", n, err)
	}

	// stats
	st, err := c.Allocations().Stats(alloc.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if u := st.Tasks["t"]; u == nil || u.ResourceUsage.MemoryStats.RSS == 0 {
		t.Errorf("stats: got %+v, want task t with an RSS", st.Tasks["t"])
	}

	// signal: the task traps USR1 and says so.
	if err := c.Allocations().Signal(alloc.ID, "t", "SIGUSR1", nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() error {
		b, err := c.AllocFS().Cat(alloc.ID, "alloc/logs/t.stdout.0", nil)
		if err != nil {
			return err
		}
		defer b.Close()
		d, _ := io.ReadAll(b)
		if !bytes.Contains(d, []byte("got-usr1")) {
			return errors.New("no got-usr1 in the log yet")
		}
		return nil
	})

	// exec
	var out bytes.Buffer
	code, err := c.Allocations().Exec(alloc.ID, []string{"sh", "-c", "echo hi; cat; exit 3"},
		&api.ExecOptions{Stdin: strings.NewReader("from stdin\n"), Stdout: &out}, nil)
	if err != nil || code != 3 || out.String() != "hi\nfrom stdin\n" {
		t.Errorf("exec: got code %d, output %q, err %v; want 3 and \"hi\\nfrom stdin\\n\"", code, out.String(), err)
	}

	// restart: a Restart Signaled event and a new start.
	if err := c.Allocations().Restart(alloc.ID, "", false, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() error {
		a, _, err := c.Allocations().Info(alloc.ID, nil)
		if err != nil {
			return err
		}
		ts := a.TaskStates["t"]
		if ts == nil || ts.Restarts != 1 || ts.State != "running" {
			return fmt.Errorf("task state %+v, want running after 1 restart", ts)
		}
		for _, e := range ts.Events {
			if e.Type == "Restart Signaled" {
				return nil
			}
		}
		return errors.New("no Restart Signaled event")
	})

	// The client-only agent serves its own alloc, and says 404 for others.
	cc := apiClient(t, cl.HTTPAddr())
	if _, err := cc.AllocFS().List(alloc.ID, "/", nil); err != nil {
		t.Errorf("ls on the client agent: %v", err)
	}
	if _, err := cc.AllocFS().List("00000000-0000-0000-0000-000000000000", "/", nil); !api.IsNotFound(err) {
		t.Errorf("ls of an unknown alloc on a client agent: got %v, want 404", err)
	}

	// stop: the alloc stops and a replacement runs.
	resp, err := c.Allocations().Stop(alloc.ID, nil)
	if err != nil || resp.EvalID == "" {
		t.Fatalf("stop: got %+v, %v", resp, err)
	}
	repl := runningAlloc(t, c, "ticker", map[string]bool{alloc.ID: true})
	a, _, err := c.Allocations().Info(alloc.ID, nil)
	if err != nil || a.DesiredStatus != api.AllocDesiredStatusStop {
		t.Errorf("stopped alloc: desired %q, err %v; want stop", a.DesiredStatus, err)
	}
	if repl.ID == alloc.ID {
		t.Errorf("replacement has the stopped alloc's ID")
	}
	waitFor(t, func() error {
		a, _, err := c.Allocations().Info(alloc.ID, nil)
		if err != nil {
			return err
		}
		if a.ClientStatus != api.AllocClientStatusComplete {
			return fmt.Errorf("stopped alloc is %s, want complete", a.ClientStatus)
		}
		return nil
	})
}
