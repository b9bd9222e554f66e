package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/droverhq/drover/client/allocrunner"
	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/client/taskrunner"
	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// The client's side of operator actions on its allocations (rpc.AllocOps):
// the agent in the same process calls these directly; servers reach them
// over the client's session. Files: clientops.go (lookups, fs, stats,
// restart, signal), clientops_logs.go (logs and follow), clientops_exec.go.

var _ rpc.AllocOps = (*Client)(nil)

// fsChunk is the size of one read of a file or log stream.
const fsChunk = 64 << 10

// statsInterval spaces the two samples CPU percent is computed from.
const statsInterval = 100 * time.Millisecond

// HasAlloc reports whether this client runs the allocation.
func (c *Client) HasAlloc(allocID string) bool {
	_, err := c.allocRunner(allocID)
	return err == nil
}

func (c *Client) allocRunner(id string) (*allocrunner.AllocRunner, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ar := c.allocs[id]; ar != nil {
		return ar, nil
	}
	return nil, fmt.Errorf("alloc %q is not running on this client: %w", id, structs.ErrNotFound)
}

func (c *Client) taskRunner(allocID, task string) (*taskrunner.TaskRunner, error) {
	ar, err := c.allocRunner(allocID)
	if err != nil {
		return nil, err
	}
	if task == "" {
		names := ar.TaskNames()
		if len(names) != 1 {
			return nil, fmt.Errorf("alloc %s has tasks %s: name one: %w", allocID, strings.Join(names, ", "), structs.ErrInvalid)
		}
		task = names[0]
	}
	tr := ar.TaskRunner(task)
	if tr == nil {
		return nil, fmt.Errorf("alloc %s has no task %q (tasks: %s): %w", allocID, task,
			strings.Join(ar.TaskNames(), ", "), structs.ErrNotFound)
	}
	return tr, nil
}

// resolveAllocPath maps a path inside an alloc dir to the host, rejecting
// paths that leave it with ".." or through a symlink.
func (c *Client) resolveAllocPath(allocID, p string) (root, full string, err error) {
	ar, err := c.allocRunner(allocID)
	if err != nil {
		return "", "", err
	}
	root = ar.Dir()
	rel := filepath.Clean(strings.TrimPrefix(filepath.ToSlash(p), "/"))
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", "", fmt.Errorf("path %q leaves the allocation directory: %w", p, structs.ErrInvalid)
	}
	full = filepath.Join(root, rel)
	resolved, err := filepath.EvalSymlinks(full)
	if errors.Is(err, os.ErrNotExist) {
		return "", "", fmt.Errorf("path %q does not exist in alloc %s: %w", p, allocID, structs.ErrNotFound)
	}
	if err != nil {
		return "", "", fmt.Errorf("path %q: %w", p, err)
	}
	rootResolved, err := filepath.EvalSymlinks(root)
	if err != nil {
		return "", "", fmt.Errorf("alloc dir of %s: %w", allocID, err)
	}
	if resolved != rootResolved && !strings.HasPrefix(resolved, rootResolved+string(filepath.Separator)) {
		return "", "", fmt.Errorf("path %q leaves the allocation directory through a symlink: %w", p, structs.ErrInvalid)
	}
	return root, resolved, nil
}

func fileInfo(name string, fi os.FileInfo) *rpc.AllocFileInfo {
	return &rpc.AllocFileInfo{Name: name, IsDir: fi.IsDir(), Size: fi.Size(), FileMode: fi.Mode().String(), ModTime: fi.ModTime()}
}

// FSList lists a directory of an allocation.
func (c *Client) FSList(ctx context.Context, req *rpc.FSRequest) ([]*rpc.AllocFileInfo, error) {
	_, full, err := c.resolveAllocPath(req.AllocID, req.Path)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(full)
	if err != nil {
		return nil, fmt.Errorf("list %q: %w", req.Path, err)
	}
	out := make([]*rpc.AllocFileInfo, 0, len(entries))
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, fileInfo(e.Name(), fi))
	}
	return out, nil
}

// FSStat describes one file of an allocation.
func (c *Client) FSStat(ctx context.Context, req *rpc.FSRequest) (*rpc.AllocFileInfo, error) {
	_, full, err := c.resolveAllocPath(req.AllocID, req.Path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(full)
	if err != nil {
		return nil, fmt.Errorf("stat %q: %w", req.Path, err)
	}
	return fileInfo(filepath.Base(full), fi), nil
}

// FSRead streams a file from Offset, at most Limit bytes (0: to its end).
func (c *Client) FSRead(ctx context.Context, req *rpc.FSRequest, emit func(*rpc.StreamFrame) error) error {
	if req.Offset < 0 || req.Limit < 0 {
		return fmt.Errorf("read %q: offset and limit must not be negative: %w", req.Path, structs.ErrInvalid)
	}
	_, full, err := c.resolveAllocPath(req.AllocID, req.Path)
	if err != nil {
		return err
	}
	f, err := os.Open(full)
	if err != nil {
		return fmt.Errorf("read %q: %w", req.Path, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return fmt.Errorf("read %q: it is a directory: list it instead: %w", req.Path, structs.ErrInvalid)
	}
	if _, err := f.Seek(req.Offset, io.SeekStart); err != nil {
		return fmt.Errorf("read %q: %w", req.Path, err)
	}
	var r io.Reader = f
	if req.Limit > 0 {
		r = io.LimitReader(f, req.Limit)
	}
	off := req.Offset
	buf := make([]byte, fsChunk)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := r.Read(buf)
		if n > 0 {
			if eerr := emit(&rpc.StreamFrame{Data: append([]byte(nil), buf[:n]...), File: req.Path, Offset: off}); eerr != nil {
				return eerr
			}
			off += int64(n)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %q: %w", req.Path, err)
		}
	}
}

// AllocStats samples the resource usage of the alloc's running tasks (or of
// one task), twice statsInterval apart for the CPU percentage.
func (c *Client) AllocStats(ctx context.Context, req *rpc.AllocRequest) (*rpc.AllocStats, error) {
	ar, err := c.allocRunner(req.AllocID)
	if err != nil {
		return nil, err
	}
	names := ar.TaskNames()
	if req.Task != "" {
		if ar.TaskRunner(req.Task) == nil {
			return nil, fmt.Errorf("alloc %s has no task %q: %w", req.AllocID, req.Task, structs.ErrNotFound)
		}
		names = []string{req.Task}
	}
	sample := func() map[string]*drivers.TaskResourceUsage {
		out := map[string]*drivers.TaskResourceUsage{}
		for _, n := range names {
			tr := ar.TaskRunner(n)
			h := tr.Running()
			if h == nil || tr.Driver() == nil {
				continue
			}
			if u, err := tr.Driver().TaskStats(ctx, h.Config.ID); err == nil && u != nil {
				out[n] = u
			}
		}
		return out
	}
	first := sample()
	start := c.now()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(statsInterval):
	}
	second := sample()
	elapsed := c.now().Sub(start)
	res := &rpc.AllocStats{Timestamp: c.now(), Tasks: map[string]*rpc.TaskUsage{}}
	for _, n := range names {
		u := &rpc.TaskUsage{Timestamp: res.Timestamp}
		if s := second[n]; s != nil {
			u.CPUTotalMs, u.MemoryRSS, u.MemoryUsage, u.PIDs = s.CPUTotalMs, s.MemoryRSS, s.MemoryUsage, len(s.PIDs)
			if f := first[n]; f != nil && elapsed > 0 {
				u.CPUPercent = max(0, (s.CPUTotalMs-f.CPUTotalMs)/float64(elapsed.Milliseconds())*100)
			}
		}
		res.Tasks[n] = u
		res.Total.CPUTotalMs += u.CPUTotalMs
		res.Total.CPUPercent += u.CPUPercent
		res.Total.MemoryRSS += u.MemoryRSS
		res.Total.MemoryUsage += u.MemoryUsage
		res.Total.PIDs += u.PIDs
	}
	res.Total.Timestamp = res.Timestamp
	return res, nil
}

// Restart restarts one task, or every running task of the alloc when no
// task is named (or AllTasks), outside the restart policy.
func (c *Client) Restart(ctx context.Context, req *rpc.AllocRequest) error {
	ar, err := c.allocRunner(req.AllocID)
	if err != nil {
		return err
	}
	if req.Task != "" && !req.AllTasks {
		tr := ar.TaskRunner(req.Task)
		if tr == nil {
			return fmt.Errorf("alloc %s has no task %q: %w", req.AllocID, req.Task, structs.ErrNotFound)
		}
		return tr.Restart()
	}
	restarted := 0
	for _, n := range ar.TaskNames() {
		tr := ar.TaskRunner(n)
		if tr.Running() == nil {
			continue
		}
		if err := tr.Restart(); err != nil {
			return err
		}
		restarted++
	}
	if restarted == 0 {
		return fmt.Errorf("restart alloc %s: none of its tasks is running: %w", req.AllocID, structs.ErrConflict)
	}
	return nil
}

// Signal sends a signal to one task, or to every running task of the
// alloc when no task is named. The default signal is SIGKILL, as Nomad's.
func (c *Client) Signal(ctx context.Context, req *rpc.AllocRequest) error {
	ar, err := c.allocRunner(req.AllocID)
	if err != nil {
		return err
	}
	sig := req.Signal
	if sig == "" {
		sig = "SIGKILL"
	}
	if req.Task != "" {
		tr := ar.TaskRunner(req.Task)
		if tr == nil {
			return fmt.Errorf("alloc %s has no task %q: %w", req.AllocID, req.Task, structs.ErrNotFound)
		}
		return tr.Signal(sig)
	}
	signaled := 0
	for _, n := range ar.TaskNames() {
		tr := ar.TaskRunner(n)
		if tr.Running() == nil {
			continue
		}
		if err := tr.Signal(sig); err != nil {
			return err
		}
		signaled++
	}
	if signaled == 0 {
		return fmt.Errorf("signal alloc %s: none of its tasks is running: %w", req.AllocID, structs.ErrConflict)
	}
	return nil
}
