package command

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/droverhq/drover/api"
)

// opsAgent is a fake agent for the alloc logs/fs/exec/restart/signal/stop
// commands: one allocation with one task and a small alloc dir.
type opsAgent struct {
	mu       sync.Mutex
	requests []string // method, path, query and body of writes
}

const opsAllocID = "5f0c1a2b-0000-4000-8000-000000000001"

func newOpsAgent(t *testing.T) (*opsAgent, string) {
	t.Helper()
	f := &opsAgent{}
	alloc := &api.Allocation{ID: opsAllocID, Name: "web.g[0]", JobID: "web", TaskGroup: "g", ClientStatus: "running",
		DesiredStatus: "run", Job: &api.Job{ID: "web", TaskGroups: []*api.TaskGroup{{Name: "g", Tasks: []*api.Task{{Name: "t"}}}}},
		TaskStates: map[string]*api.TaskState{"t": {State: "running"}}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/allocations", func(w http.ResponseWriter, r *http.Request) {
		reply(w, []*api.AllocationListStub{alloc.Stub()})
	})
	mux.HandleFunc("GET /v1/allocation/{id}", func(w http.ResponseWriter, r *http.Request) { reply(w, alloc) })
	mux.HandleFunc("GET /v1/client/fs/logs/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.record(r, "")
		q := r.URL.Query()
		if q.Get("origin") == "end" {
			io.WriteString(w, "l1\nl2\nl3\n")
			return
		}
		fmt.Fprintf(w, "%s of %s\n", q.Get("type"), q.Get("task"))
	})
	mux.HandleFunc("GET /v1/client/fs/stat/{id}", func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Query().Get("path")
		reply(w, &api.AllocFileInfo{Name: p, IsDir: !strings.HasSuffix(p, ".0")})
	})
	mux.HandleFunc("GET /v1/client/fs/ls/{id}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, []*api.AllocFileInfo{{Name: "t.stdout.0", Size: 2048, FileMode: "-rw-r--r--", ModTime: testNow},
			{Name: "data", IsDir: true, Size: 4096, FileMode: "drwxr-xr-x", ModTime: testNow}})
	})
	mux.HandleFunc("GET /v1/client/fs/cat/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "file body\n") })
	mux.HandleFunc("GET /v1/client/allocation/{id}/stats", func(w http.ResponseWriter, r *http.Request) {
		reply(w, &api.AllocResourceUsage{Tasks: map[string]*api.TaskResourceUsage{"t": {ResourceUsage: &api.ResourceUsage{
			MemoryStats: &api.MemoryStats{RSS: 3 << 20}, CpuStats: &api.CpuStats{Percent: 12.5, TotalTicks: 40}}}}})
	})
	for _, p := range []string{"PUT /v1/client/allocation/{id}/restart", "PUT /v1/client/allocation/{id}/signal", "PUT /v1/allocation/{id}/stop"} {
		mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			f.record(r, string(b))
			reply(w, &api.AllocStopResponse{EvalID: "eval-1", Index: 9})
		})
	}
	mux.HandleFunc("GET /v1/client/allocation/{id}/exec", func(w http.ResponseWriter, r *http.Request) {
		f.record(r, "")
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: %s\r\nConnection: Upgrade\r\n\r\n", api.ExecUpgradeProtocol)
		var stdin bytes.Buffer
		for {
			brw.Flush()
			typ, p, err := api.ReadExecFrame(brw)
			if err != nil {
				return
			}
			if typ == api.ExecFrameStdin {
				stdin.Write(p)
			}
			if typ == api.ExecFrameStdinEOF {
				var cmd []string
				json.Unmarshal([]byte(r.URL.Query().Get("command")), &cmd)
				api.WriteExecFrame(brw, api.ExecFrameStdout, []byte(strings.Join(cmd, " ")+"|"+stdin.String()))
				api.WriteExecFrame(brw, api.ExecFrameExit, []byte{0, 0, 0, 4})
				brw.Flush()
				return
			}
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func (f *opsAgent) record(r *http.Request, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, strings.TrimSpace(r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+" "+body))
}

func (f *opsAgent) last() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		return ""
	}
	return f.requests[len(f.requests)-1]
}

// runOps runs the CLI with -address first, so commands that stop parsing
// flags at their first argument (alloc exec) still see it.
func runOps(t *testing.T, addr, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	m := newMeta(strings.NewReader(stdin), &out, &errb)
	m.now = func() time.Time { return testNow }
	m.pollInterval = time.Millisecond
	code := m.run(append([]string{"-address", addr}, args...))
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func TestAllocLogsCommand(t *testing.T) {
	f, addr := newOpsAgent(t)
	r := runOps(t, addr, "", "alloc", "logs", "5f0c")
	wantCode(t, r, 0)
	if r.stdout != "stdout of t\n" {
		t.Errorf("got %q, want the only task's stdout", r.stdout)
	}
	r = runOps(t, addr, "", "alloc", "logs", "-stderr", "-f", "5f0c", "t")
	wantCode(t, r, 0)
	wantContains(t, "alloc logs -stderr -f", f.last(), "type=stderr", "follow=true", "task=t", "plain=true")
	r = runOps(t, addr, "", "alloc", "logs", "-tail", "-n", "2", "5f0c")
	wantCode(t, r, 0)
	if r.stdout != "l2\nl3\n" {
		t.Errorf("-tail -n 2: got %q, want the last two lines", r.stdout)
	}
	r = runOps(t, addr, "", "alloc", "logs", "5f0c", "nope")
	wantCode(t, r, 1)
	wantContains(t, "unknown task", r.stderr, `no task "nope"`, "tasks: t")
}

func TestAllocFSCommand(t *testing.T) {
	_, addr := newOpsAgent(t)
	r := runOps(t, addr, "", "alloc", "fs", "5f0c", "alloc/logs")
	wantCode(t, r, 0)
	wantContains(t, "alloc fs dir", r.stdout, "Mode", "Size", "Name", "t.stdout.0", "2.0 KiB", "data/")
	r = runOps(t, addr, "", "alloc", "fs", "5f0c", "alloc/logs/t.stdout.0")
	wantCode(t, r, 0)
	if r.stdout != "file body\n" {
		t.Errorf("alloc fs file: got %q, want its contents", r.stdout)
	}
}

func TestAllocExecCommand(t *testing.T) {
	f, addr := newOpsAgent(t)
	r := runOps(t, addr, "input", "alloc", "exec", "5f0c", "sh", "-c", "cat")
	if r.code != 4 || r.stdout != "sh -c cat|input" {
		t.Errorf("alloc exec: exit %d, stdout %q, stderr %q; want 4 and the command with its stdin", r.code, r.stdout, r.stderr)
	}
	wantContains(t, "exec request", f.last(), "task=t", "tty=false")
}

func TestAllocRestartSignalStopCommands(t *testing.T) {
	f, addr := newOpsAgent(t)
	r := runOps(t, addr, "", "alloc", "restart", "-task", "t", "5f0c")
	wantCode(t, r, 0)
	wantContains(t, "restart", f.last(), "/restart", `"TaskName":"t"`)
	r = runOps(t, addr, "", "alloc", "signal", "-s", "hup", "5f0c")
	wantCode(t, r, 0)
	wantContains(t, "signal", f.last(), "/signal", `"Signal":"SIGHUP"`)
	r = runOps(t, addr, "", "alloc", "stop", "-detach", "5f0c")
	wantCode(t, r, 0)
	wantContains(t, "stop", r.stdout, "eval-1")
	wantContains(t, "stop request", f.last(), "PUT /v1/allocation/"+opsAllocID+"/stop")
	r = runOps(t, addr, "", "alloc", "status", "-stats", "5f0c")
	wantCode(t, r, 0)
	wantContains(t, "status -stats", r.stdout, "Task Resource Usage", "12.5%", "3.0 MiB")
}
