package logmon

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Rotator is an io.WriteCloser over numbered files Dir/<Base>.N. It is
// safe for concurrent use.
type Rotator struct {
	dir      string
	base     string
	maxFiles int
	maxBytes int64

	mu   sync.Mutex
	f    *os.File // current file; guarded by mu
	idx  int      // number of the current file; guarded by mu
	size int64    // bytes in the current file; guarded by mu
}

// NewRotator opens the rotator for dir/base.N, continuing after the
// highest N already there. maxFiles < 1 is taken as 1; maxBytes < 1 means
// no rotation.
func NewRotator(dir, base string, maxFiles int, maxBytes int64) (*Rotator, error) {
	if maxFiles < 1 {
		maxFiles = 1
	}
	r := &Rotator{dir: dir, base: base, maxFiles: maxFiles, maxBytes: maxBytes}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("log dir %s: %w", dir, err)
	}
	idxs, err := r.indexes()
	if err != nil {
		return nil, err
	}
	if len(idxs) > 0 {
		r.idx = idxs[len(idxs)-1]
	}
	if err := r.open(); err != nil {
		return nil, err
	}
	if r.full() {
		if err := r.rotate(); err != nil {
			return nil, err
		}
	} else {
		r.purge()
	}
	return r, nil
}

// path is the file dir/base.n.
func (r *Rotator) path(n int) string {
	return filepath.Join(r.dir, r.base+"."+strconv.Itoa(n))
}

// indexes lists the numbers of the files there, ascending.
func (r *Rotator) indexes() ([]int, error) {
	entries, err := os.ReadDir(r.dir)
	if err != nil {
		return nil, fmt.Errorf("list log dir %s: %w", r.dir, err)
	}
	var out []int
	prefix := r.base + "."
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(rest); err == nil && n >= 0 && strconv.Itoa(n) == rest {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// open opens (appends to) the current file.
func (r *Rotator) open() error {
	f, err := os.OpenFile(r.path(r.idx), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat log file: %w", err)
	}
	r.f, r.size = f, fi.Size()
	return nil
}

func (r *Rotator) full() bool { return r.maxBytes > 0 && r.size >= r.maxBytes }

// rotate closes the current file, opens the next number and deletes
// the files beyond maxFiles.
func (r *Rotator) rotate() error {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
	r.idx++
	if err := r.open(); err != nil {
		return err
	}
	r.purge()
	return nil
}

// purge deletes files numbered at or below idx-maxFiles.
func (r *Rotator) purge() {
	idxs, err := r.indexes()
	if err != nil {
		return
	}
	for _, n := range idxs {
		if n <= r.idx-r.maxFiles {
			_ = os.Remove(r.path(n))
		}
	}
}

// Write implements io.Writer. A write that does not fit is split across
// files, so that no file grows past maxBytes.
func (r *Rotator) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, os.ErrClosed
	}
	written := 0
	for len(p) > 0 {
		if r.full() {
			if err := r.rotate(); err != nil {
				return written, err
			}
		}
		chunk := p
		if r.maxBytes > 0 {
			if room := r.maxBytes - r.size; int64(len(chunk)) > room {
				chunk = chunk[:room]
			}
		}
		n, err := r.f.Write(chunk)
		written += n
		r.size += int64(n)
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

// Close closes the current file.
func (r *Rotator) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}

// Copy copies src into r until EOF (or a read error) and returns the
// number of bytes. Write errors (a full disk) drop the data rather than
// blocking the task on a full pipe.
func Copy(r *Rotator, src io.Reader) int64 {
	buf := make([]byte, 32*1024)
	var total int64
	for {
		n, err := src.Read(buf)
		if n > 0 {
			_, _ = r.Write(buf[:n])
			total += int64(n)
		}
		if err != nil { // EOF: every writer has closed the pipe
			return total
		}
	}
}
