package agent

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/droverhq/drover/api"
	"github.com/droverhq/drover/rpc"
)

// The /v1/client/fs/* endpoints: files and logs of an allocation's
// directory, in Nomad's shape. cat, readat and logs stream: bytes are
// flushed as they come, and closing the response cancels the stream on
// the client that serves it.

// fsList answers GET /v1/client/fs/ls/{alloc}?path=.
func (s *httpServer) fsList(w http.ResponseWriter, r *http.Request) (any, error) {
	t, err := s.targetAlloc(r)
	if err != nil {
		return nil, err
	}
	files, err := t.ops.FSList(r.Context(), &rpc.FSRequest{AllocID: t.id, Path: pathParam(r)})
	if err != nil {
		return nil, err
	}
	out := make([]*api.AllocFileInfo, 0, len(files))
	for _, f := range files {
		out = append(out, apiFileInfo(f))
	}
	return out, nil
}

// fsStat answers GET /v1/client/fs/stat/{alloc}?path=.
func (s *httpServer) fsStat(w http.ResponseWriter, r *http.Request) (any, error) {
	t, err := s.targetAlloc(r)
	if err != nil {
		return nil, err
	}
	f, err := t.ops.FSStat(r.Context(), &rpc.FSRequest{AllocID: t.id, Path: pathParam(r)})
	if err != nil {
		return nil, err
	}
	return apiFileInfo(f), nil
}

func apiFileInfo(f *rpc.AllocFileInfo) *api.AllocFileInfo {
	return &api.AllocFileInfo{Name: f.Name, IsDir: f.IsDir, Size: f.Size, FileMode: f.FileMode, ModTime: f.ModTime}
}

func pathParam(r *http.Request) string {
	if p := r.URL.Query().Get("path"); p != "" {
		return p
	}
	return "/"
}

// fsCat answers GET /v1/client/fs/cat/{alloc}?path= with the raw file.
func (s *httpServer) fsCat(w http.ResponseWriter, r *http.Request) error {
	return s.fsRead(w, r, &rpc.FSRequest{Path: pathParam(r)})
}

// fsReadAt answers GET /v1/client/fs/readat/{alloc}?path=&offset=&limit=.
func (s *httpServer) fsReadAt(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	off, err := int64Param(q.Get("offset"), "offset")
	if err != nil {
		return err
	}
	limit, err := int64Param(q.Get("limit"), "limit")
	if err != nil {
		return err
	}
	return s.fsRead(w, r, &rpc.FSRequest{Path: pathParam(r), Offset: off, Limit: limit})
}

func int64Param(v, name string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("%s=%q: want a number of bytes >= 0", name, v)
	}
	return n, nil
}

func (s *httpServer) fsRead(w http.ResponseWriter, r *http.Request, req *rpc.FSRequest) error {
	t, err := s.targetAlloc(r)
	if err != nil {
		return err
	}
	req.AllocID = t.id
	// Stat first, so a missing file is a 404 rather than an empty 200.
	fi, err := t.ops.FSStat(r.Context(), req)
	if err != nil {
		return err
	}
	if fi.IsDir {
		return badRequest("path %q is a directory: list it with /v1/client/fs/ls", req.Path)
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "application/octet-stream")
	return t.ops.FSRead(r.Context(), req, func(f *rpc.StreamFrame) error {
		if _, err := w.Write(f.Data); err != nil {
			return err
		}
		return rc.Flush()
	})
}

// fsLogs answers GET /v1/client/fs/logs/{alloc}?task=&type=&follow=&origin=
// &offset=&plain=: raw bytes with plain=true, else a stream of JSON
// StreamFrames (Data base64), as Nomad's.
func (s *httpServer) fsLogs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	req := &rpc.LogsRequest{Task: q.Get("task"), Type: q.Get("type"), Origin: q.Get("origin")}
	if req.Type == "" {
		req.Type = "stdout"
	}
	if req.Origin == "" {
		req.Origin = "start"
	}
	var err error
	if req.Offset, err = int64Param(q.Get("offset"), "offset"); err != nil {
		return err
	}
	if req.Follow, err = boolQuery(q.Get("follow"), "follow"); err != nil {
		return err
	}
	plain, err := boolQuery(q.Get("plain"), "plain")
	if err != nil {
		return err
	}
	t, err := s.targetAlloc(r)
	if err != nil {
		return err
	}
	req.AllocID = t.id
	if req.Task == "" && t.alloc != nil {
		if names := groupTasks(t.alloc); len(names) == 1 {
			req.Task = names[0]
		}
	}
	if req.Task == "" {
		return badRequest("task is required: name the task with ?task=")
	}
	rc := http.NewResponseController(w)
	if plain {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	// Headers go out at once, so a follower sees the stream open even
	// before the task writes anything.
	started := false
	start := func() {
		if !started {
			started = true
			w.WriteHeader(http.StatusOK)
			_ = rc.Flush()
		}
	}
	enc := json.NewEncoder(w)
	err = t.ops.Logs(r.Context(), req, func(f *rpc.StreamFrame) error {
		start()
		if plain {
			if _, err := w.Write(f.Data); err != nil {
				return err
			}
		} else if err := enc.Encode(&api.StreamFrame{Offset: f.Offset, Data: f.Data, File: f.File, FileEvent: f.FileEvent}); err != nil {
			return err
		}
		return rc.Flush()
	})
	if err != nil && r.Context().Err() != nil {
		return nil // the caller went away
	}
	if err == nil {
		start()
	}
	return err
}

func boolQuery(v, name string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest("%s=%q: want true or false", name, v)
	}
	return b, nil
}
