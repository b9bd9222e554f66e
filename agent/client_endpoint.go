package agent

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/droverhq/drover/api"
	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// The /v1/client/* endpoints act on allocations where they run. The agent
// serves a request from its own client when the allocation's node is that
// client's; a server agent relays it over the node's reverse session
// (rpc/session.go); a client-only agent without the allocation answers 404.

// localOps is the client in this process, as the client endpoints use it
// (*client.Client).
type localOps interface {
	rpc.AllocOps
	HasAlloc(allocID string) bool
}

// sessionRelay is the server in this process, as the client endpoints use
// it (*server.Server).
type sessionRelay interface {
	ClientOps(nodeID string) (rpc.AllocOps, error)
}

// allocStopper stops allocations (*server.Server).
type allocStopper interface {
	AllocStop(ctx context.Context, allocID string) (evalID string, index uint64, err error)
}

// registerClientRoutes adds the client and alloc-action endpoints.
func (s *httpServer) registerClientRoutes(mux *http.ServeMux, handle func(string, handlerFunc)) {
	handle("GET /v1/client/fs/ls/{alloc}", s.fsList)
	handle("GET /v1/client/fs/stat/{alloc}", s.fsStat)
	stream := func(pattern string, h streamFunc) { mux.Handle(pattern, s.wrapStream(h)) }
	stream("GET /v1/client/fs/cat/{alloc}", s.fsCat)
	stream("GET /v1/client/fs/readat/{alloc}", s.fsReadAt)
	stream("GET /v1/client/fs/logs/{alloc}", s.fsLogs)
	stream("GET /v1/client/allocation/{alloc}/exec", s.allocExec)
	handle("GET /v1/client/allocation/{alloc}/stats", s.allocStats)
	for _, m := range []string{"POST", "PUT"} {
		handle(m+" /v1/client/allocation/{alloc}/restart", s.allocRestart)
		handle(m+" /v1/client/allocation/{alloc}/signal", s.allocSignal)
		handle(m+" /v1/allocation/{alloc}/stop", s.allocStop)
	}
}

// streamFunc answers a request by streaming; an error it returns before it
// wrote anything becomes the status and message, as for handlerFunc.
type streamFunc func(w http.ResponseWriter, r *http.Request) error

// wrapStream turns a streamFunc into an http.Handler.
func (s *httpServer) wrapStream(h streamFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &startedWriter{ResponseWriter: w}
		if err := h(sw, r); err != nil {
			if !sw.started {
				s.writeError(w, r, err)
				return
			}
			s.logger.Debug("stream ended with an error", "path", r.URL.Path, "error", err)
		}
	})
}

// startedWriter remembers whether the response has begun.
type startedWriter struct {
	http.ResponseWriter
	started bool
}

func (w *startedWriter) WriteHeader(code int) {
	w.started = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *startedWriter) Write(p []byte) (int, error) {
	w.started = true
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *startedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// allocTarget is the allocation a client request acts on and who serves it.
type allocTarget struct {
	id    string
	alloc *structs.Allocation // nil when only the local client knew it
	ops   rpc.AllocOps
}

// targetAlloc resolves the {alloc} of a request (a unique prefix will do
// on a server agent) and picks who serves it.
func (s *httpServer) targetAlloc(r *http.Request) (*allocTarget, error) {
	id := r.PathValue("alloc")
	if id == "" {
		return nil, badRequest("missing allocation ID in the path")
	}
	local, _ := s.client.(localOps)
	if s.srv == nil {
		if local != nil && local.HasAlloc(id) {
			return &allocTarget{id: id, ops: local}, nil
		}
		return nil, &httpError{code: http.StatusNotFound, msg: fmt.Sprintf(
			"alloc %q is not running on this client agent (and it runs no server to relay to): give the full ID, or send the request to a server agent", id)}
	}
	a, err := lookupAlloc(nil, s.srv.State(), "*", id)
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, &httpError{code: http.StatusNotFound, msg: fmt.Sprintf("alloc %q not found", id)}
	}
	t := &allocTarget{id: a.ID, alloc: a}
	if local != nil && s.client.NodeID() == a.NodeID && local.HasAlloc(a.ID) {
		t.ops = local
		return t, nil
	}
	relay, ok := s.srv.(sessionRelay)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: "this server cannot relay to clients"}
	}
	ops, err := relay.ClientOps(a.NodeID)
	if err != nil {
		return nil, err
	}
	t.ops = ops
	return t, nil
}

// allocStats answers GET /v1/client/allocation/{alloc}/stats in Nomad's
// shape; ?task= limits it to one task.
func (s *httpServer) allocStats(w http.ResponseWriter, r *http.Request) (any, error) {
	t, err := s.targetAlloc(r)
	if err != nil {
		return nil, err
	}
	st, err := t.ops.AllocStats(r.Context(), &rpc.AllocRequest{AllocID: t.id, Task: r.URL.Query().Get("task")})
	if err != nil {
		return nil, err
	}
	usage := func(u *rpc.TaskUsage) *api.ResourceUsage {
		return &api.ResourceUsage{MemoryStats: &api.MemoryStats{RSS: u.MemoryRSS, Usage: u.MemoryUsage},
			CpuStats: &api.CpuStats{TotalTicks: u.CPUTotalMs, Percent: u.CPUPercent}}
	}
	out := &api.AllocResourceUsage{ResourceUsage: usage(&st.Total), Tasks: map[string]*api.TaskResourceUsage{},
		Timestamp: st.Timestamp.UnixNano()}
	for name, u := range st.Tasks {
		out.Tasks[name] = &api.TaskResourceUsage{ResourceUsage: usage(u), Timestamp: u.Timestamp.UnixNano()}
	}
	return out, nil
}

// allocRestart answers PUT /v1/client/allocation/{alloc}/restart with a
// body {"TaskName", "AllTasks"} (empty: every running task).
func (s *httpServer) allocRestart(w http.ResponseWriter, r *http.Request) (any, error) {
	var body struct {
		TaskName string
		AllTasks bool
	}
	if err := decodeOptionalBody(r, &body); err != nil {
		return nil, err
	}
	t, err := s.targetAlloc(r)
	if err != nil {
		return nil, err
	}
	if err := t.ops.Restart(r.Context(), &rpc.AllocRequest{AllocID: t.id, Task: body.TaskName, AllTasks: body.AllTasks}); err != nil {
		return nil, err
	}
	return map[string]string{}, nil
}

// allocSignal answers PUT /v1/client/allocation/{alloc}/signal with a body
// {"Task", "Signal"} (no task: every running task; no signal: SIGKILL).
func (s *httpServer) allocSignal(w http.ResponseWriter, r *http.Request) (any, error) {
	var body struct {
		Task   string
		Signal string
	}
	if err := decodeOptionalBody(r, &body); err != nil {
		return nil, err
	}
	if body.Signal != "" && !strings.HasPrefix(strings.ToUpper(body.Signal), "SIG") {
		body.Signal = "SIG" + body.Signal
	}
	body.Signal = strings.ToUpper(body.Signal)
	t, err := s.targetAlloc(r)
	if err != nil {
		return nil, err
	}
	if err := t.ops.Signal(r.Context(), &rpc.AllocRequest{AllocID: t.id, Task: body.Task, Signal: body.Signal}); err != nil {
		return nil, err
	}
	return map[string]string{}, nil
}

// allocStop answers PUT /v1/allocation/{alloc}/stop: the servers stop the
// allocation and the scheduler replaces it (an eval is returned).
func (s *httpServer) allocStop(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.srv == nil {
		return nil, errNoServer
	}
	stopper, ok := s.srv.(allocStopper)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: "this server cannot stop allocations"}
	}
	a, err := lookupAlloc(nil, s.srv.State(), "*", r.PathValue("alloc"))
	if err != nil {
		return nil, err
	}
	if a == nil {
		return nil, &httpError{code: http.StatusNotFound, msg: fmt.Sprintf("alloc %q not found", r.PathValue("alloc"))}
	}
	evalID, index, err := stopper.AllocStop(r.Context(), a.ID)
	if err != nil {
		return nil, err
	}
	w.Header().Set(HeaderIndex, fmt.Sprint(index))
	return &api.AllocStopResponse{EvalID: evalID, Index: index}, nil
}

// allocExec answers GET /v1/client/allocation/{alloc}/exec?task=&command=
// ["sh"]&tty=true: after checks it upgrades the connection to the exec
// protocol (api.ExecUpgradeProtocol, frames described in api) and relays
// stdin, resizes, output and the exit code.
func (s *httpServer) allocExec(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var cmd []string
	if err := json.Unmarshal([]byte(q.Get("command")), &cmd); err != nil || len(cmd) == 0 {
		return badRequest(`command=%q: give the command as a JSON list, e.g. command=["sh","-c","echo hi"]`, q.Get("command"))
	}
	if !strings.EqualFold(r.Header.Get("Upgrade"), api.ExecUpgradeProtocol) {
		return badRequest("exec needs an upgraded connection: send Connection: Upgrade and Upgrade: %s (the drover CLI and api package do)", api.ExecUpgradeProtocol)
	}
	t, err := s.targetAlloc(r)
	if err != nil {
		return err
	}
	task := q.Get("task")
	if task == "" && t.alloc != nil {
		if names := groupTasks(t.alloc); len(names) == 1 {
			task = names[0]
		} else {
			return badRequest("alloc %s has tasks %s: name one with ?task=", t.id, strings.Join(names, ", "))
		}
	}
	rc := http.NewResponseController(w)
	conn, brw, err := rc.Hijack()
	if err != nil {
		return fmt.Errorf("exec: hijack connection: %w", err)
	}
	if sw, ok := w.(*startedWriter); ok {
		sw.started = true
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Time{})
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: %s\r\nConnection: Upgrade\r\n\r\n", api.ExecUpgradeProtocol)
	if err := brw.Flush(); err != nil {
		return nil
	}
	// The request's context stays valid after the hijack until this
	// handler returns, and ends at agent shutdown.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	var wmu sync.Mutex
	send := func(typ byte, p []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		if err := api.WriteExecFrame(brw, typ, p); err != nil {
			return err
		}
		return brw.Flush()
	}
	input := make(chan *rpc.ExecInput, 16)
	go func() {
		defer close(input)
		for {
			typ, p, err := api.ReadExecFrame(brw)
			if err != nil {
				// The caller went away: kill the command.
				cancel()
				return
			}
			in := &rpc.ExecInput{}
			switch typ {
			case api.ExecFrameStdin:
				in.Stdin = p
			case api.ExecFrameStdinEOF:
				in.StdinEOF = true
			case api.ExecFrameResize:
				if len(p) == 4 {
					in.Width, in.Height = binary.BigEndian.Uint16(p), binary.BigEndian.Uint16(p[2:])
				}
			default:
				continue
			}
			select {
			case input <- in:
			case <-ctx.Done():
				return
			}
		}
	}()
	req := &rpc.ExecRequest{AllocID: t.id, Task: task, Cmd: cmd, TTY: q.Get("tty") == "true"}
	code, err := t.ops.Exec(ctx, req, input, func(o *rpc.ExecOutput) error {
		if len(o.Stdout) > 0 {
			if err := send(api.ExecFrameStdout, o.Stdout); err != nil {
				return err
			}
		}
		if len(o.Stderr) > 0 {
			return send(api.ExecFrameStderr, o.Stderr)
		}
		return nil
	})
	if err != nil {
		_ = send(api.ExecFrameError, []byte(err.Error()))
		return nil
	}
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, uint32(int32(code)))
	_ = send(api.ExecFrameExit, b)
	return nil
}

// groupTasks names the tasks of an allocation's group.
func groupTasks(a *structs.Allocation) []string {
	if a.Job == nil {
		return nil
	}
	for _, tg := range a.Job.TaskGroups {
		if tg.Name == a.TaskGroup {
			names := make([]string, 0, len(tg.Tasks))
			for _, t := range tg.Tasks {
				names = append(names, t.Name)
			}
			return names
		}
	}
	return nil
}
