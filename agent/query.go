package agent

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	memdb "github.com/hashicorp/go-memdb"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// queryOptions are the query parameters every endpoint understands.
type queryOptions struct {
	namespace string // "" if not given
	prefix    string
	index     uint64
	wait      time.Duration
	token     string // accepted for compatibility; ACLs come later
}

// parseQuery reads namespace, prefix, index, wait and the token headers.
func parseQuery(r *http.Request) (queryOptions, error) {
	q := r.URL.Query()
	o := queryOptions{namespace: q.Get("namespace"), prefix: q.Get("prefix")}
	o.token = r.Header.Get("X-Drover-Token")
	if o.token == "" {
		o.token = r.Header.Get("X-Nomad-Token")
	}
	if v := q.Get("index"); v != "" {
		idx, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return o, badRequest("index=%q is not a number: use the X-Drover-Index of an earlier answer", v)
		}
		o.index = idx
	}
	if v := q.Get("wait"); v != "" {
		d, err := parseWait(v)
		if err != nil {
			return o, err
		}
		o.wait = d
	}
	return o, nil
}

// parseWait reads a Go duration ("30s", "5m") or plain seconds ("30"),
// capped at structs.MaxBlockingQueryTime.
func parseWait(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, serr := strconv.ParseUint(v, 10, 32)
		if serr != nil {
			return 0, badRequest("wait=%q is not a duration: use e.g. wait=30s or wait=5m", v)
		}
		d = time.Duration(secs) * time.Second
	}
	if d < 0 {
		return 0, badRequest("wait=%q is negative", v)
	}
	return min(d, structs.MaxBlockingQueryTime), nil
}

// ns is the namespace to use: the query's, else def.
func (o queryOptions) ns(def string) string {
	if o.namespace != "" {
		return o.namespace
	}
	return def
}

// readFn reads one answer from the state store, adding what it read to ws.
type readFn func(ws memdb.WatchSet, st *state.StateStore) (any, error)

// blockingRead runs read as a blocking query over the given tables: the
// answer's index is the newest of their indexes. It sets the read headers.
func (s *httpServer) blockingRead(w http.ResponseWriter, r *http.Request, o queryOptions, read readFn, tables ...string) (any, error) {
	if s.srv == nil {
		return nil, errNoServer
	}
	if err := s.consistentRead(r); err != nil {
		return nil, err
	}
	st := s.srv.State()
	query := func(ws memdb.WatchSet, st *state.StateStore) (any, uint64, error) {
		var index uint64
		for _, t := range tables {
			index = max(index, st.IndexWatch(ws, t))
		}
		out, err := read(ws, st)
		return out, index, err
	}
	out, index, err := st.BlockingQuery(r.Context(), o.index, o.wait, query)
	s.setReadHeaders(w, max(index, 1))
	return out, err
}

// setReadHeaders sets the index, known-leader and last-contact headers.
func (s *httpServer) setReadHeaders(w http.ResponseWriter, index uint64) {
	h := w.Header()
	h.Set(HeaderIndex, strconv.FormatUint(index, 10))
	h.Set(HeaderKnownLeader, strconv.FormatBool(s.srv.Leader() != ""))
	h.Set(HeaderLastContact, "0")
}

// setWriteIndex sets the index header of a write.
func setWriteIndex(w http.ResponseWriter, index uint64) {
	w.Header().Set(HeaderIndex, strconv.FormatUint(index, 10))
}

// emptyIfNil makes nil slices encode as [] rather than null.
func emptyIfNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// resolvePrefix picks the one object whose ID starts with prefix. kind
// names the object in errors ("alloc", "eval", "node", "job").
func resolvePrefix[T any](kind, prefix string, found []*T, idOf func(*T) string) (*T, error) {
	switch len(found) {
	case 0:
		return nil, &categoryError{msg: fmt.Sprintf("%s %q not found", kind, prefix), category: structs.ErrNotFound}
	case 1:
		return found[0], nil
	}
	ids := make([]string, 0, len(found))
	for _, f := range found {
		ids = append(ids, idOf(f))
	}
	return nil, &categoryError{
		msg: fmt.Sprintf("%s prefix %q is ambiguous: it matches %d, give more characters: %s",
			kind, prefix, len(found), strings.Join(ids, ", ")),
		category: structs.ErrAmbiguousPrefix,
	}
}

// categoryError is an error of a structs.Err* category whose message does
// not repeat the category's text.
type categoryError struct {
	msg      string
	category error
}

func (e *categoryError) Error() string { return e.msg }
func (e *categoryError) Unwrap() error { return e.category }
