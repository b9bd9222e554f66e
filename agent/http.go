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
	"reflect"
	"runtime/debug"
	"strings"
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
	s.registerLaunchRoutes(handle)
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
	http.Error(w, errorMessage(err, code), code)
}

// errorMessage is err's text for an API answer with status code. Errors
// carry their category as a suffix (`...: invalid`, `...: conflict`) for
// statusOf; the status code says that already, so it is dropped when the
// rest of the message stands on its own. "not found" is kept: it is often
// the whole point ("job \"x\" not found").
func errorMessage(err error, code int) string {
	msg := err.Error()
	var suffix string
	switch code {
	case http.StatusBadRequest:
		suffix = structs.ErrInvalid.Error()
	case http.StatusConflict:
		suffix = structs.ErrConflict.Error()
	default:
		return msg
	}
	if trimmed, ok := strings.CutSuffix(msg, ": "+suffix); ok && trimmed != "" {
		return trimmed
	}
	return msg
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
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if tooLarge := bodyTooLarge(err); tooLarge != nil {
			return tooLarge
		}
		if errors.Is(err, io.EOF) {
			return badRequest("invalid JSON body: the body is empty")
		}
		return badRequest("invalid JSON body: %s", jsonBodyProblem(err))
	}
	if dec.More() {
		return badRequest("invalid JSON body: unexpected data after the JSON value")
	}
	return nil
}

// bodyTooLarge is the 413 for a body over maxBodyBytes, nil for other
// errors. (Cut short silently, the body would read as truncated JSON.)
func bodyTooLarge(err error) error {
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) {
		return nil
	}
	return &httpError{code: http.StatusRequestEntityTooLarge,
		msg: fmt.Sprintf("the request body is larger than the %d MiB limit", mbe.Limit>>20)}
}

// jsonBodyProblem describes an encoding/json decode error in the API's
// terms: the field path and the JSON types, without Go type names.
func jsonBodyProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("the body is not valid JSON at byte %d: %s", syn.Offset,
			strings.TrimPrefix(syn.Error(), "json: "))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("the body must be %s, got a JSON %s", jsonKind(typ.Type), typ.Value)
		}
		got := typ.Value
		if strings.HasPrefix(got, "number ") { // "number 1.5": a number that does not fit
			return fmt.Sprintf("%q must be %s, got %s", typ.Field, jsonKind(typ.Type), got)
		}
		return fmt.Sprintf("%q must be %s, got a JSON %s", typ.Field, jsonKind(typ.Type), got)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if strings.HasPrefix(msg, "unknown field ") {
		return msg + " (field names are Nomad's API names, such as \"Job\", \"TaskGroups\" or \"MemoryMB\"; check the spelling and case)"
	}
	return msg
}

// jsonKind names what a Go type takes in JSON.
func jsonKind(t reflect.Type) string {
	if t == reflect.TypeOf(time.Duration(0)) {
		return "a whole number of nanoseconds"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number of 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.Kind().String()
}

// decodeOptionalBody is decodeBody for endpoints whose body may be empty.
func decodeOptionalBody(r *http.Request, v any) error {
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	if err != nil {
		if tooLarge := bodyTooLarge(err); tooLarge != nil {
			return tooLarge
		}
		return badRequest("read body: %v", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return decodeBody(r, v)
}
