package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// Response headers of every read, as Nomad's X-Nomad-* ones.
const (
	HeaderIndex       = "X-Drover-Index"
	HeaderKnownLeader = "X-Drover-KnownLeader"
	HeaderLastContact = "X-Drover-LastContact"
)

// maxBodyBytes bounds a request body.
const maxBodyBytes = 16 << 20

// serverAPI is what the HTTP API needs from the server in this process.
// *server.Server implements it. Methods may be called from any goroutine;
// writes block until committed or ctx ends.
type serverAPI interface {
	State() *state.StateStore
	IsLeader() bool
	Leader() string
	Peers() []string
	Stats() map[string]string
	JobRegister(ctx context.Context, req *structs.JobRegisterRequest) (*structs.JobRegisterResponse, error)
	JobDeregister(ctx context.Context, req *structs.JobDeregisterRequest) (*structs.JobDeregisterResponse, error)
	JobEvaluate(ctx context.Context, namespace, jobID string) (evalID string, index uint64, err error)
}

// clientAPI is what the HTTP API needs from the client in this process.
type clientAPI interface {
	NodeID() string
	Stats() map[string]string
}

// httpServer holds the API's handlers and what they read from.
type httpServer struct {
	srv    serverAPI // nil when this agent runs no server
	client clientAPI // nil when this agent runs no client
	agent  *Agent    // for /v1/agent/*; may be nil in tests
	logger *slog.Logger
}

// handlerFunc answers a request with a value to encode as JSON, or an
// error that becomes the status code and a plain-text body.
type handlerFunc func(w http.ResponseWriter, r *http.Request) (any, error)

// withStatus is a handler's answer with a status other than 200.
type withStatus struct {
	code int
	body any
}

// httpError is an error with its own status code.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{code: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// errNoServer answers server endpoints on a client-only agent.
var errNoServer = &httpError{code: http.StatusNotImplemented,
	msg: "this agent runs no server: send the request to a server agent's HTTP address"}

// handler returns the API's handler: routes, with panic recovery.
func (s *httpServer) handler() http.Handler {
	mux := http.NewServeMux()
	s.routes(mux)
	return s.logRequests(s.recoverPanics(mux))
}

// routes registers every endpoint. Go's ServeMux answers a known path with
// the wrong method with 405 and an Allow header.
func (s *httpServer) routes(mux *http.ServeMux) {
	handle := func(pattern string, h handlerFunc) { mux.Handle(pattern, s.wrap(h)) }
	for _, m := range []string{"POST", "PUT"} {
		handle(m+" /v1/jobs", s.jobsRegister)
		handle(m+" /v1/jobs/parse", s.jobsParse)
		handle(m+" /v1/validate/job", s.jobValidate)
		handle(m+" /v1/job/{id}", s.jobRegister)
		handle(m+" /v1/job/{id}/evaluate", s.jobEvaluate)
		handle(m+" /v1/job/{id}/plan", s.jobPlan)
		handle(m+" /v1/job/{id}/scale", s.jobScale)
		handle(m+" /v1/operator/scheduler/configuration", s.operatorSchedulerSet)
		handle(m+" /v1/node/{id}/drain", s.nodeDrain)
		handle(m+" /v1/node/{id}/eligibility", s.nodeEligibility)
	}
	handle("GET /v1/jobs", s.jobsList)
	handle("GET /v1/job/{id}", s.jobGet)
	handle("DELETE /v1/job/{id}", s.jobDeregister)
	handle("GET /v1/job/{id}/allocations", s.jobAllocations)
	handle("GET /v1/job/{id}/evaluations", s.jobEvaluations)
	handle("GET /v1/job/{id}/versions", s.jobVersions)
	handle("GET /v1/job/{id}/summary", s.jobSummary)
	handle("GET /v1/job/{id}/scale", s.jobScaleStatus)
	handle("GET /v1/operator/scheduler/configuration", s.operatorSchedulerGet)

	handle("GET /v1/allocations", s.allocsList)
	handle("GET /v1/allocation/{id}", s.allocGet)
	handle("GET /v1/evaluations", s.evalsList)
	handle("GET /v1/evaluation/{id}", s.evalGet)
	handle("GET /v1/evaluation/{id}/allocations", s.evalAllocations)
	handle("GET /v1/nodes", s.nodesList)
	handle("GET /v1/node/{id}", s.nodeGet)
	handle("GET /v1/node/{id}/allocations", s.nodeAllocations)

	handle("GET /v1/status/leader", s.statusLeader)
	handle("GET /v1/status/peers", s.statusPeers)
	handle("GET /v1/agent/self", s.agentSelf)
	handle("GET /v1/agent/health", s.agentHealth)
	s.clusterRoutes(mux, handle)
	s.registerClientRoutes(mux, handle)
	handle("PUT /v1/system/gc", s.systemGC)
}

// wrap turns a handlerFunc into an http.Handler: JSON out, errors mapped.
func (s *httpServer) wrap(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, err := h(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if ws, ok := out.(*withStatus); ok {
			writeJSON(w, r, ws.code, ws.body)
			return
		}
		writeJSON(w, r, http.StatusOK, out)
	})
}

// recoverPanics turns a handler panic into a logged 500.
func (s *httpServer) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.logger.Error("http handler panicked", "method", r.Method, "path", r.URL.Path,
					"panic", p, "stack", string(debug.Stack()))
				http.Error(w, "internal error: the agent's log has the details", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// logRequests logs each request at debug level with its status and time.
func (s *httpServer) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		s.logger.Debug("request", "method", r.Method, "url", r.URL.String(), "status", sw.code,
			"duration", time.Since(start))
	})
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// statusOf maps an error's category to an HTTP status.
func statusOf(err error) int {
	var he *httpError
	switch {
	case errors.As(err, &he):
		return he.code
	case errors.Is(err, structs.ErrInvalid), errors.Is(err, structs.ErrAmbiguousPrefix):
		return http.StatusBadRequest
	case errors.Is(err, structs.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, structs.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, structs.ErrPermissionDenied):
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

// writeError answers with err's status and message as plain text, as
// Nomad's API does.
func (s *httpServer) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := statusOf(err)
	if code >= 500 {
		s.logger.Error("http request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	http.Error(w, err.Error(), code)
}

// writeJSON encodes v; ?pretty indents it.
func writeJSON(w http.ResponseWriter, r *http.Request, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	if _, ok := r.URL.Query()["pretty"]; ok {
		enc.SetIndent("", "    ")
	}
	_ = enc.Encode(v) // the client went away; nothing to do
}

// decodeBody decodes a JSON body into v, rejecting unknown fields and
// trailing data.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return badRequest("invalid JSON body: the body is empty")
		}
		return badRequest("invalid JSON body: %v", err)
	}
	if dec.More() {
		return badRequest("invalid JSON body: unexpected data after the JSON value")
	}
	return nil
}

// decodeOptionalBody is decodeBody for endpoints whose body may be empty.
func decodeOptionalBody(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		return badRequest("read body: %v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return decodeBody(r, v)
}
