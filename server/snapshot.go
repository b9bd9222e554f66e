package server

// Operator snapshots: a whole cluster's state in one file, to back it up
// and to recover a cluster (or start a fresh one) from it.
//
// The file is gzip-compressed and holds, in order:
//
//	"drover-snapshot 1\n"
//	the header, one line of JSON (structs.SnapshotHeader): index, term,
//	  region, time, object counts, and the SHA-256 and size of the stream
//	  that follows
//	the state store's Persist stream (the format of Raft snapshots)
//
// gzip's CRC and the SHA-256 catch corruption; restoring also decodes the
// whole stream into a scratch store before anything is touched, so a bad
// file is refused with a clear message and never half-applied.
//
// Restore goes through Raft: the leader installs the stream as a user
// snapshot (raft.Restore) at an index past both its log and the file's,
// so every follower, lagging behind that hole in the log, is sent the
// snapshot and installs it too. The leader then rebuilds its queues (eval
// broker, blocked evals, heartbeats) from the restored state.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/raft"

	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

const (
	snapshotMagic  = "drover-snapshot 1\n"
	snapshotFormat = 1
	// maxSnapshotHeader bounds the header line.
	maxSnapshotHeader = 1 << 20
	// snapshotRestoreTimeout bounds installing a restored snapshot.
	snapshotRestoreTimeout = 2 * time.Minute
)

// ErrSnapshotCorrupt marks a snapshot file that failed its checks.
var ErrSnapshotCorrupt = errors.New("snapshot file is corrupt or not a drover snapshot")

// SnapshotSave writes a snapshot of the cluster's state to w. On a
// follower it first catches up with the leader (unless stale), so the file
// holds every acknowledged write.
func (s *Server) SnapshotSave(ctx context.Context, w io.Writer, stale bool) (*structs.SnapshotHeader, error) {
	if !stale {
		if err := s.ReadBarrier(ctx); err != nil {
			return nil, fmt.Errorf("save snapshot: %w", err)
		}
	}
	snap := s.state.Snapshot()
	tmp, err := os.CreateTemp(s.config.DataDir, "snapshot-save-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(tmp, h)}
	if err := snap.Persist(cw); err != nil {
		return nil, fmt.Errorf("save snapshot: persist state: %w", err)
	}
	counts, err := stateCounts(snap)
	if err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	term, _ := strconv.ParseUint(s.raft.Stats()["term"], 10, 64)
	hdr := &structs.SnapshotHeader{Format: snapshotFormat, Index: snap.LatestIndex(), Term: term,
		Region: s.config.Region, Created: s.now().UTC(), SHA256: hex.EncodeToString(h.Sum(nil)), Size: cw.n, Counts: counts}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	if err := writeSnapshot(w, hdr, tmp); err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	return hdr, nil
}

// writeSnapshot writes the gzipped file: magic, header, stream.
func writeSnapshot(w io.Writer, hdr *structs.SnapshotHeader, stream io.Reader) error {
	zw := gzip.NewWriter(w)
	line, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(zw, snapshotMagic); err != nil {
		return err
	}
	if _, err := zw.Write(append(line, '\n')); err != nil {
		return err
	}
	if _, err := io.Copy(zw, stream); err != nil {
		return err
	}
	return zw.Close()
}

// stateCounts counts the objects in a state snapshot, by kind.
func stateCounts(snap *state.StateSnapshot) (map[string]int, error) {
	jobs, err := snap.JobsList(nil, allNamespaces)
	if err != nil {
		return nil, err
	}
	allocs, err := snap.AllocsList(nil, allNamespaces)
	if err != nil {
		return nil, err
	}
	evals, err := snap.EvalsList(nil, allNamespaces)
	if err != nil {
		return nil, err
	}
	nodes, err := snap.NodesList(nil)
	if err != nil {
		return nil, err
	}
	deps, err := snap.DeploymentsList(nil, allNamespaces)
	if err != nil {
		return nil, err
	}
	return map[string]int{"Jobs": len(jobs), "Allocations": len(allocs), "Evaluations": len(evals),
		"Nodes": len(nodes), "Deployments": len(deps)}, nil
}

// corruptError is a refused snapshot file: it is ErrSnapshotCorrupt and
// structs.ErrInvalid (a 400), and says what was wrong.
type corruptError struct{ detail string }

func (e *corruptError) Error() string {
	return fmt.Sprintf("%v (%s); the file was not restored", ErrSnapshotCorrupt, e.detail)
}

func (e *corruptError) Is(target error) bool {
	return target == ErrSnapshotCorrupt || target == structs.ErrInvalid
}

// verifiedSnapshot is a snapshot file that passed every check: its state
// stream is in a temporary file, and a scratch store holds it decoded.
type verifiedSnapshot struct {
	header *structs.SnapshotHeader
	stream *os.File
}

func (v *verifiedSnapshot) close() {
	v.stream.Close()
	os.Remove(v.stream.Name())
}

// verifySnapshot reads a snapshot file from r into a temporary file in
// dir, checking gzip, magic, header, size, SHA-256 and that the stream
// decodes. Errors wrap ErrSnapshotCorrupt and structs.ErrInvalid.
func verifySnapshot(r io.Reader, dir string) (*verifiedSnapshot, error) {
	corrupt := func(format string, args ...any) error {
		return &corruptError{detail: fmt.Sprintf(format, args...)}
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, corrupt("not gzip: %v", err)
	}
	br := bufio.NewReader(zr)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return nil, corrupt("it does not start with %q", strings.TrimSpace(snapshotMagic))
	}
	line, err := readLine(br, maxSnapshotHeader)
	if err != nil {
		return nil, corrupt("read header: %v", err)
	}
	var hdr structs.SnapshotHeader
	if err := json.Unmarshal(line, &hdr); err != nil {
		return nil, corrupt("decode header: %v", err)
	}
	if hdr.Format != snapshotFormat {
		return nil, corrupt("format %d is not %d: it was written by another drover version", hdr.Format, snapshotFormat)
	}
	tmp, err := os.CreateTemp(dir, "snapshot-restore-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("restore snapshot: %w", err)
	}
	v := &verifiedSnapshot{header: &hdr, stream: tmp}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), br)
	if err != nil {
		v.close()
		return nil, corrupt("read state stream after %d bytes: %v", n, err)
	}
	if n != hdr.Size {
		v.close()
		return nil, corrupt("state stream is %d bytes, the header says %d", n, hdr.Size)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != hdr.SHA256 {
		v.close()
		return nil, corrupt("SHA-256 of the state stream is %s, the header says %s", sum, hdr.SHA256)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		v.close()
		return nil, err
	}
	scratch, err := state.NewStateStore()
	if err == nil {
		err = scratch.Restore(tmp)
	}
	if err != nil {
		v.close()
		return nil, corrupt("decode state: %v", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		v.close()
		return nil, err
	}
	return v, nil
}

// readLine reads one '\n'-terminated line of at most max bytes.
func readLine(br *bufio.Reader, max int) ([]byte, error) {
	var out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		out = append(out, chunk...)
		if len(out) > max {
			return nil, fmt.Errorf("header longer than %d bytes", max)
		}
		if err == nil {
			return out[:len(out)-1], nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
	}
}

// InspectSnapshot checks a snapshot file and returns its header.
func InspectSnapshot(r io.Reader, tmpDir string) (*structs.SnapshotHeader, error) {
	v, err := verifySnapshot(r, tmpDir)
	if err != nil {
		return nil, err
	}
	defer v.close()
	return v.header, nil
}

// SnapshotRestore replaces the whole cluster's state with a snapshot file
// read from r, through Raft (see the top of this file). A follower
// forwards the file to the leader. It returns the Raft index of the
// restore.
func (s *Server) SnapshotRestore(ctx context.Context, r io.Reader) (uint64, error) {
	if !s.IsLeader() {
		body, err := io.ReadAll(io.LimitReader(r, maxRPCMessage+1))
		if err != nil {
			return 0, fmt.Errorf("restore snapshot: read: %w", err)
		}
		if len(body) > maxRPCMessage {
			return 0, fmt.Errorf("restore snapshot: the file is over %d MiB: send it to the leader's HTTP API directly: %w",
				maxRPCMessage>>20, structs.ErrInvalid)
		}
		resp, err := s.snapshotRestoreRPC(ctx, &snapshotRestoreRequest{File: body})
		if err != nil {
			return 0, err
		}
		return resp.Index, nil
	}
	return s.restoreLocal(r)
}

// snapshotRestoreRequest carries a whole snapshot file to the leader.
type snapshotRestoreRequest struct {
	File []byte
}

// snapshotRestoreResponse is the Raft index of the restore (not a state
// index: the forwarding server does not wait for it).
type snapshotRestoreResponse struct {
	Index uint64
}

func (s *Server) snapshotRestoreRPC(ctx context.Context, req *snapshotRestoreRequest) (*snapshotRestoreResponse, error) {
	if resp, ok, err := forwarded[snapshotRestoreResponse](ctx, s, methodSnapshotRestore, req); ok {
		return resp, err
	}
	index, err := s.restoreLocal(bytes.NewReader(req.File))
	if err != nil {
		return nil, err
	}
	return &snapshotRestoreResponse{Index: index}, nil
}

// restoreLocal verifies the file and installs it through Raft, on the
// leader.
func (s *Server) restoreLocal(r io.Reader) (uint64, error) {
	v, err := verifySnapshot(r, s.config.DataDir)
	if err != nil {
		return 0, fmt.Errorf("restore snapshot: %w", err)
	}
	defer v.close()
	meta := &raft.SnapshotMeta{Version: raft.SnapshotVersionMax, Index: v.header.Index, Term: v.header.Term, Size: v.header.Size}
	if err := s.raft.Restore(meta, v.stream, snapshotRestoreTimeout); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
			return 0, fmt.Errorf("restore snapshot: %w", s.notLeaderError())
		}
		return 0, fmt.Errorf("restore snapshot: %w", err)
	}
	index := s.raft.LastIndex()
	s.logger.Info("restored snapshot through raft", "snapshot_index", v.header.Index, "raft_index", index,
		"counts", v.header.Counts)
	// The broker, blocked evals and heartbeat timers describe the old
	// state: rebuild them from the restored one.
	s.revokeLeadership()
	if s.IsLeader() {
		s.establishLeadership()
	}
	return index, nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
