package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/droverhq/drover/client/allocrunner"
	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// logPoll is how often a followed log is checked for new bytes or a new
// rotation index.
const logPoll = 100 * time.Millisecond

// logFiles is one task stream's rotated files: <dir>/<task>.<type>.<N>.
type logFiles struct {
	dir, base string
}

func (l logFiles) path(n int) string { return filepath.Join(l.dir, l.base+"."+strconv.Itoa(n)) }

// indexes lists the rotation indexes present, ascending.
func (l logFiles) indexes() []int {
	entries, err := os.ReadDir(l.dir)
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), l.base+".")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(rest); err == nil && n >= 0 {
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}

func (l logFiles) exists(n int) bool {
	_, err := os.Stat(l.path(n))
	return err == nil
}

// start finds where to begin: origin "start" skips offset bytes from the
// oldest file; "end" goes back offset bytes from the newest byte, across
// rotated files.
func (l logFiles) start(origin string, offset int64) (idx int, off int64) {
	idxs := l.indexes()
	if len(idxs) == 0 {
		return 0, 0
	}
	sizes := make([]int64, len(idxs))
	for i, n := range idxs {
		if fi, err := os.Stat(l.path(n)); err == nil {
			sizes[i] = fi.Size()
		}
	}
	if origin == "end" {
		for i := len(idxs) - 1; i >= 0; i-- {
			if offset <= sizes[i] {
				return idxs[i], sizes[i] - offset
			}
			offset -= sizes[i]
		}
		return idxs[0], 0
	}
	for i, n := range idxs {
		if offset < sizes[i] || i == len(idxs)-1 {
			return n, min(offset, sizes[i])
		}
		offset -= sizes[i]
	}
	return idxs[0], 0
}

// Logs streams a task's stdout or stderr. With Follow it keeps streaming
// bytes as they are written, moving to the next rotation index when it
// appears, until ctx ends or the task's runner has ended for good.
func (c *Client) Logs(ctx context.Context, req *rpc.LogsRequest, emit func(*rpc.StreamFrame) error) error {
	switch req.Type {
	case "stdout", "stderr":
	default:
		return fmt.Errorf("logs: type %q: want stdout or stderr: %w", req.Type, structs.ErrInvalid)
	}
	switch req.Origin {
	case "", "start", "end":
	default:
		return fmt.Errorf("logs: origin %q: want start or end: %w", req.Origin, structs.ErrInvalid)
	}
	if req.Offset < 0 {
		return fmt.Errorf("logs: offset must not be negative: %w", structs.ErrInvalid)
	}
	ar, err := c.allocRunner(req.AllocID)
	if err != nil {
		return err
	}
	tr, err := c.taskRunner(req.AllocID, req.Task)
	if err != nil {
		return err
	}
	lf := logFiles{dir: filepath.Join(ar.Dir(), allocrunner.SharedDirName, "logs"), base: tr.Name() + "." + req.Type}
	idx, off := lf.start(req.Origin, req.Offset)
	buf := make([]byte, fsChunk)
	for {
		f, err := os.Open(lf.path(idx))
		if errors.Is(err, os.ErrNotExist) {
			// Not written yet, or rotated away: jump to what exists.
			if idxs := lf.indexes(); len(idxs) > 0 && idxs[len(idxs)-1] > idx {
				for _, n := range idxs {
					if n > idx {
						idx, off = n, 0
						break
					}
				}
				continue
			}
			if !req.Follow {
				return nil
			}
			if err := waitPoll(ctx, tr.WaitCh()); err != nil {
				return ignoreDone(err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("logs: %w", err)
		}
		next, err := c.streamLogFile(ctx, f, lf, idx, off, req.Follow, tr.WaitCh(), buf, emit)
		f.Close()
		if err != nil || next < 0 {
			return ignoreDone(err)
		}
		idx, off = next, 0
	}
}

// errTaskDone ends a follow once the task's runner has ended.
var errTaskDone = errors.New("task ended")

func ignoreDone(err error) error {
	if errors.Is(err, errTaskDone) {
		return nil
	}
	return err
}

// waitPoll waits one poll interval; it fails when ctx ends or done closes.
func waitPoll(ctx context.Context, done <-chan struct{}) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-done:
		return errTaskDone
	case <-time.After(logPoll):
		return nil
	}
}

// streamLogFile emits f from off. At EOF it moves on when the next index
// exists (after a last read, for bytes written before the rotation) and
// returns that index; without follow, and no next file, it returns -1.
func (c *Client) streamLogFile(ctx context.Context, f *os.File, lf logFiles, idx int, off int64, follow bool,
	done <-chan struct{}, buf []byte, emit func(*rpc.StreamFrame) error) (int, error) {
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return -1, fmt.Errorf("logs: %w", err)
	}
	name := filepath.Base(lf.path(idx))
	drain := func() error {
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			n, err := f.Read(buf)
			if n > 0 {
				if eerr := emit(&rpc.StreamFrame{Data: append([]byte(nil), buf[:n]...), File: name, Offset: off}); eerr != nil {
					return eerr
				}
				off += int64(n)
			}
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("logs: %w", err)
			}
		}
	}
	for {
		if err := drain(); err != nil {
			return -1, err
		}
		if lf.exists(idx + 1) {
			if err := drain(); err != nil {
				return -1, err
			}
			return idx + 1, nil
		}
		if !follow {
			return -1, nil
		}
		// A file cut short was truncated: read it again from its start.
		if fi, err := f.Stat(); err == nil && fi.Size() < off {
			off = 0
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return -1, fmt.Errorf("logs: %w", err)
			}
			continue
		}
		if err := waitPoll(ctx, done); err != nil {
			if errors.Is(err, errTaskDone) {
				// The task ended: send what it wrote last, then stop.
				if derr := drain(); derr != nil {
					return -1, derr
				}
			}
			return -1, err
		}
	}
}
