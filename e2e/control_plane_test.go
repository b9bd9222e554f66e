package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// devAgent starts `drover agent -dev` on fresh ports.
func devAgent(t *testing.T) *agent {
	t.Helper()
	cfg, addr, rpc := agentConfig(t, t.TempDir(), "")
	a := startAgent(t, addr, rpc, "-dev", "-config", cfg)
	a.waitReadyNodes(1)
	return a
}

type allocStub struct {
	ID, Name, NodeID, ClientStatus, DesiredStatus string
}

func jobAllocs(t *testing.T, a *agent, jobID string) []allocStub {
	t.Helper()
	var allocs []allocStub
	if err := a.get("/v1/job/"+jobID+"/allocations", &allocs); err != nil {
		t.Fatal(err)
	}
	return allocs
}

func countStatus(allocs []allocStub, status string) int {
	n := 0
	for _, a := range allocs {
		if a.ClientStatus == status {
			n++
		}
	}
	return n
}

// jobIDOf reads a job file's ID through `job run -output`.
func jobIDOf(t *testing.T, a *agent, file string) (string, []byte) {
	t.Helper()
	out, stderr, code := a.cli("job", "run", "-output", file)
	if code != 0 {
		t.Fatalf("job run -output %s: exit %d: %s", file, code, stderr)
	}
	var wrapped struct{ Job struct{ ID string } }
	if err := json.Unmarshal([]byte(out), &wrapped); err != nil {
		t.Fatalf("-output is not JSON: %v\n%s", err, out)
	}
	if wrapped.Job.ID == "" {
		t.Fatalf("-output has no Job.ID:\n%s", out)
	}
	return wrapped.Job.ID, []byte(out)
}

// Acceptance 1: the batch example completes with three allocations.
func TestBatchExampleCompletes(t *testing.T) {
	a := devAgent(t)
	id, _ := jobIDOf(t, a, example("batch.hcl"))
	out, stderr, code := a.cli("job", "run", example("batch.hcl"))
	if code != 0 {
		t.Fatalf("job run: exit %d\nstdout:\n%s\nstderr:\n%s\nagent:\n%s", code, out, stderr, a.log)
	}
	waitFor(t, 60*time.Second, func() error {
		allocs := jobAllocs(t, a, id)
		if n := countStatus(allocs, "complete"); n != 3 || len(allocs) != 3 {
			return fmt.Errorf("got %d allocs, %d complete; want 3 complete: %+v", len(allocs), n, allocs)
		}
		return nil
	})
	status, _, code := a.cli("job", "status", id)
	if code != 0 || !strings.Contains(status, "complete") {
		t.Fatalf("job status: exit %d, want 0 and a summary:\n%s", code, status)
	}
	t.Logf("job status %s:\n%s", id, status)
}

// Acceptance 2: -output JSON posted to /v1/jobs registers the same job.
func TestOutputJSONRegistersSameJob(t *testing.T) {
	a := devAgent(t)
	id, body := jobIDOf(t, a, example("batch.hcl"))
	resp, err := http.Post(a.addr+"/v1/jobs", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /v1/jobs: %d %s", resp.StatusCode, msg)
	}
	var posted struct{ Job map[string]interface{} }
	json.Unmarshal(body, &posted)
	var stored map[string]interface{}
	if err := a.get("/v1/job/"+id, &stored); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"ID", "Name", "Type", "Datacenters"} {
		if fmt.Sprint(stored[field]) != fmt.Sprint(posted.Job[field]) && posted.Job[field] != nil {
			t.Errorf("%s: stored %v, posted %v", field, stored[field], posted.Job[field])
		}
	}
	groups := stored["TaskGroups"].([]interface{})
	postedGroups := posted.Job["TaskGroups"].([]interface{})
	if len(groups) != len(postedGroups) {
		t.Fatalf("got %d groups, want %d", len(groups), len(postedGroups))
	}
	g, pg := groups[0].(map[string]interface{}), postedGroups[0].(map[string]interface{})
	if g["Name"] != pg["Name"] || fmt.Sprint(g["Count"]) != fmt.Sprint(pg["Count"]) {
		t.Fatalf("group: got %v/%v, want %v/%v", g["Name"], g["Count"], pg["Name"], pg["Count"])
	}
}

// Acceptance 5: bad input gets a clear error, exit 1 or HTTP 400, and nothing is written.
func TestBadInputIsRejected(t *testing.T) {
	a := devAgent(t)
	dir := t.TempDir()
	files := map[string]struct{ body, want string }{
		"broken.hcl":  {"job \"x\" {\n  group \"g\" {\n    task \"t\" {\n", "broken.hcl:"},
		"unknown.hcl": {"job \"x\" {\n  group \"g\" {\n    colour = \"red\"\n    task \"t\" {\n      driver = \"raw_exec\"\n    }\n  }\n}\n", "unknown.hcl:3"},
		"invalid.hcl": {"job \"x\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"raw_exec\"\n      resources {\n        memory = 5\n      }\n    }\n  }\n}\n", "memory"},
	}
	for name, tc := range files {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(tc.body), 0o644)
		out, stderr, code := a.cli("job", "run", path)
		if code != 1 || !strings.Contains(out+stderr, tc.want) {
			t.Errorf("%s: exit %d, want 1 and a message containing %q; got:\n%s%s", name, code, tc.want, out, stderr)
		}
	}
	for _, body := range []string{"this is not json", `{"Job": {"ID": "x", "Nonsense": 1}}`} {
		resp, err := http.Post(a.addr+"/v1/jobs", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || len(msg) == 0 {
			t.Errorf("POST %q: got %d %q, want 400 with a message", body, resp.StatusCode, msg)
		}
	}
	var jobs []map[string]interface{}
	if err := a.get("/v1/jobs", &jobs); err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 0 {
		t.Fatalf("bad input wrote %d jobs, want 0", len(jobs))
	}
}

// Acceptance 4: state survives SIGTERM and kill -9; blocking queries block.
func TestStateSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	cfg, addr, rpc := agentConfig(t, dir, fmt.Sprintf("data_dir = %q\nserver {\n  enabled = true\n  bootstrap_expect = 1\n}\nclient {\n  enabled = true\n  options = {\n    \"driver.raw_exec.enable\" = \"1\"\n  }\n}\n", filepath.Join(dir, "data")))
	a := startAgent(t, addr, rpc, "-config", cfg)
	a.waitReadyNodes(1)
	id, _ := jobIDOf(t, a, example("batch.hcl"))
	if out, stderr, code := a.cli("job", "run", example("batch.hcl")); code != 0 {
		t.Fatalf("job run: exit %d\n%s%s", code, out, stderr)
	}
	waitFor(t, 60*time.Second, func() error {
		if n := countStatus(jobAllocs(t, a, id), "complete"); n != 3 {
			return fmt.Errorf("%d complete, want 3", n)
		}
		return nil
	})
	// A second version, so history must survive too.
	_, body := jobIDOf(t, a, example("batch.hcl"))
	var wrapped map[string]map[string]interface{}
	json.Unmarshal(body, &wrapped)
	wrapped["Job"]["Meta"] = map[string]string{"edited": "yes"}
	body, _ = json.Marshal(wrapped)
	resp, err := http.Post(a.addr+"/v1/jobs", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("register version 2: %v %v", err, resp)
	}
	resp.Body.Close()
	waitFor(t, 30*time.Second, func() error {
		var evals []map[string]interface{}
		if err := a.get("/v1/job/"+id+"/evaluations", &evals); err != nil {
			return err
		}
		for _, e := range evals {
			if e["Status"] == "pending" {
				return fmt.Errorf("eval %v still pending", e["ID"])
			}
		}
		return nil
	})
	before := snapshotState(t, a, id)

	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		a.kill(sig)
		a = startAgent(t, addr, rpc, "-config", cfg)
		a.waitReadyNodes(1)
		after := snapshotState(t, a, id)
		if before != after {
			t.Fatalf("after %v restart:\n got %s\nwant %s", sig, after, before)
		}
	}

	// A blocking query on the jobs list returns only after a change. Let the
	// restarted client's re-registration and status reports settle first: a
	// query that returns early must have been woken by a higher index.
	a.waitReadyNodes(1)
	index := jobsIndex(t, a, "")
	for i := 0; i < 10; i++ {
		next := jobsIndex(t, a, "&wait=1s&index="+index)
		if next == index {
			break
		}
		if n, _ := strconv.Atoi(next); n < mustAtoi(t, index) {
			t.Fatalf("blocking query returned index %s, lower than %s", next, index)
		}
		index = next
	}
	done := make(chan time.Duration, 1)
	start := time.Now()
	go func() {
		r, err := http.Get(a.addr + "/v1/jobs?wait=20s&index=" + index)
		if err == nil {
			r.Body.Close()
		}
		done <- time.Since(start)
	}()
	select {
	case d := <-done:
		t.Fatalf("blocking query returned after %s with no change", d)
	case <-time.After(1 * time.Second):
	}
	if out, stderr, code := a.cli("job", "run", example("mock.hcl")); code != 0 {
		t.Fatalf("job run mock: exit %d\n%s%s", code, out, stderr)
	}
	select {
	case d := <-done:
		t.Logf("blocking query returned %s after start, once a job was registered", d)
	case <-time.After(15 * time.Second):
		t.Fatal("blocking query did not return after a change")
	}
}

// snapshotState summarizes what the API shows of a job, for comparing across restarts.
func snapshotState(t *testing.T, a *agent, id string) string {
	t.Helper()
	var versions struct{ Versions []map[string]interface{} }
	var evals, allocs, jobs []map[string]interface{}
	for path, out := range map[string]interface{}{"/v1/job/" + id + "/versions": &versions,
		"/v1/job/" + id + "/evaluations": &evals, "/v1/job/" + id + "/allocations": &allocs, "/v1/jobs": &jobs} {
		if err := a.get(path, out); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(list []map[string]interface{}, keys ...string) string {
		var parts []string
		for _, m := range list {
			var p []string
			for _, k := range keys {
				p = append(p, fmt.Sprint(m[k]))
			}
			parts = append(parts, strings.Join(p, "/"))
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprintf("jobs=[%s] versions=[%s] evals=[%s] allocs=[%s]", ids(jobs, "ID"), ids(versions.Versions, "Version"),
		ids(evals, "ID", "Status"), ids(allocs, "ID", "ClientStatus"))
}

// jobsIndex GETs /v1/jobs with extra query parameters and returns its X-Drover-Index.
func jobsIndex(t *testing.T, a *agent, query string) string {
	t.Helper()
	resp, err := http.Get(a.addr + "/v1/jobs?" + query)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	index := resp.Header.Get("X-Drover-Index")
	if index == "" {
		t.Fatal("no X-Drover-Index header on /v1/jobs")
	}
	return index
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("index %q is not a number", s)
	}
	return n
}

// Acceptance 3: a job too big for every node is not placed; the CLI says
// which dimension was exhausted, and the blocked eval runs when a bigger node joins.
func TestTooBigJobWaitsForBiggerNode(t *testing.T) {
	a := devAgent(t)
	out, stderr, code := a.cli("job", "run", example("big-memory.hcl"))
	if code != 2 || !strings.Contains(out, `Dimension "memory" exhausted on 1 nodes`) ||
		!strings.Contains(out, "waiting for additional capacity") {
		t.Fatalf("job run: exit %d, want 2 and the exhausted dimension:\n%s%s", code, out, stderr)
	}
	var evals []struct{ ID, Status, BlockedEval string }
	if err := a.get("/v1/job/big-memory/evaluations", &evals); err != nil {
		t.Fatal(err)
	}
	var failed, blocked string
	for _, e := range evals {
		if e.BlockedEval != "" {
			failed, blocked = e.ID, e.BlockedEval
		}
	}
	if blocked == "" {
		t.Fatalf("no evaluation points at a blocked eval: %+v", evals)
	}
	status, _, code := a.cli("eval", "status", failed)
	if code != 0 || !strings.Contains(status, `Dimension "memory" exhausted on 1 nodes`) {
		t.Fatalf("eval status: exit %d, want the exhausted dimension:\n%s", code, status)
	}
	if n := len(jobAllocs(t, a, "big-memory")); n != 0 {
		t.Fatalf("%d allocs placed, want 0 while no node is big enough", n)
	}

	dir := t.TempDir()
	cfg, addr, rpc := agentConfig(t, dir, fmt.Sprintf("data_dir = %q\nname = \"big\"\nclient {\n  enabled = true\n  servers = [%q]\n  memory_total_mb = 20000000\n}\n", filepath.Join(dir, "data"), a.rpcAddr))
	big := startClientAgent(t, addr, rpc, "-config", cfg)
	_ = big
	waitFor(t, 60*time.Second, func() error {
		allocs := jobAllocs(t, a, "big-memory")
		if len(allocs) != 1 || allocs[0].ClientStatus != "running" {
			return fmt.Errorf("got allocs %+v, want one running on the big node", allocs)
		}
		var node struct{ Name string }
		if err := a.get("/v1/node/"+allocs[0].NodeID, &node); err != nil {
			return err
		}
		if node.Name != "big" {
			return fmt.Errorf("placed on node %q, want \"big\"", node.Name)
		}
		return nil
	})
	var eval struct{ Status string }
	if err := a.get("/v1/evaluation/"+blocked, &eval); err != nil {
		t.Fatal(err)
	}
	if eval.Status != "complete" {
		t.Fatalf("blocked eval is %q after placement, want complete", eval.Status)
	}
}
