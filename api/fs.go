package api

import (
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"time"
)

// AllocFileInfo describes a file of an allocation directory.
type AllocFileInfo struct {
	Name     string
	IsDir    bool
	Size     int64
	FileMode string
	ModTime  time.Time
}

// StreamFrame is one chunk of a file or log stream in its JSON form (Data
// is base64 in JSON, as Nomad's).
type StreamFrame struct {
	Offset    int64
	Data      []byte
	File      string
	FileEvent string
}

// AllocFS is the /v1/client/fs endpoints: files and logs of allocations,
// served by the client that runs them (an agent relays to it).
type AllocFS struct{ c *Client }

// AllocFS returns the allocation filesystem endpoints.
func (c *Client) AllocFS() *AllocFS { return &AllocFS{c: c} }

// List lists a directory of an allocation.
func (a *AllocFS) List(allocID, path string, q *QueryOptions) ([]*AllocFileInfo, error) {
	var out []*AllocFileInfo
	_, err := a.c.query("/v1/client/fs/ls/"+escape(allocID), &out, withParams(q, map[string]string{"path": path}))
	return out, err
}

// Stat describes one file of an allocation.
func (a *AllocFS) Stat(allocID, path string, q *QueryOptions) (*AllocFileInfo, error) {
	var out AllocFileInfo
	if _, err := a.c.query("/v1/client/fs/stat/"+escape(allocID), &out, withParams(q, map[string]string{"path": path})); err != nil {
		return nil, err
	}
	return &out, nil
}

// Cat returns a reader of a file's contents; close it when done.
func (a *AllocFS) Cat(allocID, path string, q *QueryOptions) (io.ReadCloser, error) {
	return a.raw("/v1/client/fs/cat/"+escape(allocID), withParams(q, map[string]string{"path": path}))
}

// ReadAt returns a reader of limit bytes of a file from offset (limit 0:
// to its end).
func (a *AllocFS) ReadAt(allocID, path string, offset, limit int64, q *QueryOptions) (io.ReadCloser, error) {
	return a.raw("/v1/client/fs/readat/"+escape(allocID), withParams(q, map[string]string{
		"path": path, "offset": strconv.FormatInt(offset, 10), "limit": strconv.FormatInt(limit, 10)}))
}

// LogsOptions select a task's log stream.
type LogsOptions struct {
	Task   string
	Type   string // "stdout" (default) or "stderr"
	Follow bool
	Origin string // "start" (default) or "end"
	Offset int64  // bytes from Origin
}

func (o *LogsOptions) params() map[string]string {
	typ := o.Type
	if typ == "" {
		typ = "stdout"
	}
	origin := o.Origin
	if origin == "" {
		origin = "start"
	}
	return map[string]string{"task": o.Task, "type": typ, "follow": strconv.FormatBool(o.Follow),
		"origin": origin, "offset": strconv.FormatInt(o.Offset, 10)}
}

// Logs streams a task's log as raw bytes (plain=true); close the reader to
// stop following. Cancel q's context to stop as well.
func (a *AllocFS) Logs(allocID string, opts *LogsOptions, q *QueryOptions) (io.ReadCloser, error) {
	p := opts.params()
	p["plain"] = "true"
	return a.raw("/v1/client/fs/logs/"+escape(allocID), withParams(q, p))
}

// LogFrames streams a task's log as frames, sending each to frames until
// the stream ends or ctx (q's context) ends; errors end up on the returned
// channel, which is closed at the end.
func (a *AllocFS) LogFrames(allocID string, opts *LogsOptions, q *QueryOptions) (<-chan *StreamFrame, <-chan error) {
	frames, errc := make(chan *StreamFrame, 16), make(chan error, 1)
	go func() {
		defer close(frames)
		defer close(errc)
		body, err := a.raw("/v1/client/fs/logs/"+escape(allocID), withParams(q, opts.params()))
		if err != nil {
			errc <- err
			return
		}
		defer body.Close()
		dec := json.NewDecoder(body)
		for {
			f := new(StreamFrame)
			if err := dec.Decode(f); err != nil {
				if !errors.Is(err, io.EOF) && q.Context().Err() == nil {
					errc <- err
				}
				return
			}
			frames <- f
		}
	}()
	return frames, errc
}

func (a *AllocFS) raw(path string, q *QueryOptions) (io.ReadCloser, error) {
	r := a.c.newRequest("GET", path)
	r.setQuery(q)
	resp, _, err := a.c.do(r)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// withParams returns a copy of q with params added.
func withParams(q *QueryOptions, params map[string]string) *QueryOptions {
	out := &QueryOptions{}
	if q != nil {
		*out = *q
	}
	merged := map[string]string{}
	for k, v := range out.Params {
		merged[k] = v
	}
	for k, v := range params {
		merged[k] = v
	}
	out.Params = merged
	return out
}
