package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/droverhq/drover/server/testutil"
	"github.com/droverhq/drover/structs"
)

// populated starts a server with a node running a job's allocations.
func populated(t *testing.T) (*Server, *structs.Job, *structs.Node) {
	t.Helper()
	s := startServer(t, testConfig(t, t.TempDir()))
	node := mockNode(8192)
	registerNode(t, dial(t, s), node)
	job := mockJob(3, 256)
	registerJob(t, s, job)
	waitAllocs(t, s, node.ID, 3)
	return s, job, node
}

func TestSnapshotSaveRestoreIntoFreshServer(t *testing.T) {
	src, job, node := populated(t)
	var buf bytes.Buffer
	hdr, err := src.SnapshotSave(context.Background(), &buf, false)
	if err != nil {
		t.Fatalf("save: %v", err)
	}
	if hdr.Counts["Jobs"] != 1 || hdr.Counts["Allocations"] != 3 || hdr.Counts["Nodes"] != 1 || hdr.Index == 0 {
		t.Fatalf("got header %+v, want 1 job, 3 allocs, 1 node and an index", hdr)
	}
	got, err := InspectSnapshot(bytes.NewReader(buf.Bytes()), t.TempDir())
	if err != nil || got.SHA256 != hdr.SHA256 {
		t.Fatalf("inspect: got %+v, %v; want the saved header", got, err)
	}

	dst := startServer(t, testConfig(t, t.TempDir()))
	other := mockJob(1, 64)
	other.ID = "overwritten"
	registerJob(t, dst, other)
	index, err := dst.SnapshotRestore(context.Background(), bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if index <= hdr.Index {
		t.Fatalf("restore index %d, want past the snapshot's %d", index, hdr.Index)
	}
	if j, _ := dst.State().JobByID(nil, job.Namespace, job.ID); j == nil {
		t.Fatalf("restored server has no job %s", job.ID)
	}
	if j, _ := dst.State().JobByID(nil, other.Namespace, other.ID); j != nil {
		t.Fatalf("restored server still has job %s from before the restore", other.ID)
	}
	allocs, _ := dst.State().AllocsByNode(nil, node.ID)
	if len(allocs) != 3 {
		t.Fatalf("restored server has %d allocs on the node, want 3", len(allocs))
	}
	// The restored cluster keeps working: writes land past the restore.
	testutil.WaitFor(t, func() error {
		if !dst.IsLeader() || !dst.broker.Enabled() {
			return fmt.Errorf("restored server is not leading with its loops")
		}
		return nil
	})
	again := mockJob(1, 64)
	again.ID = "after-restore"
	if resp := registerJob(t, dst, again); resp.Index <= index {
		t.Fatalf("write after restore at index %d, want past %d", resp.Index, index)
	}
}

func TestSnapshotRestoreRefusesCorruptFiles(t *testing.T) {
	src, job, _ := populated(t)
	var buf bytes.Buffer
	if _, err := src.SnapshotSave(context.Background(), &buf, false); err != nil {
		t.Fatal(err)
	}
	// Corrupt the state stream inside a valid gzip container, so only the
	// SHA-256 can catch it.
	zr, err := gzip.NewReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	plain[len(plain)-10] ^= 0xff
	var bad bytes.Buffer
	zw := gzip.NewWriter(&bad)
	zw.Write(plain)
	zw.Close()
	truncated := buf.Bytes()[:buf.Len()/2]
	flipped := bytes.Clone(buf.Bytes())
	flipped[len(flipped)/2] ^= 0xff

	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"sha mismatch", bad.Bytes()},
		{"truncated", truncated},
		{"flipped byte", flipped},
		{"not a snapshot", []byte("hello")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := src.SnapshotRestore(context.Background(), bytes.NewReader(tc.file))
			if !errors.Is(err, ErrSnapshotCorrupt) || !errors.Is(err, structs.ErrInvalid) {
				t.Fatalf("got %v, want a corrupt snapshot error", err)
			}
			t.Logf("refused: %v", err)
		})
	}
	if j, _ := src.State().JobByID(nil, job.Namespace, job.ID); j == nil {
		t.Fatalf("a refused restore changed the state")
	}
}

func TestSnapshotRestoreReachesEveryServer(t *testing.T) {
	src, job, _ := populated(t)
	var buf bytes.Buffer
	if _, err := src.SnapshotSave(context.Background(), &buf, false); err != nil {
		t.Fatal(err)
	}
	servers := newCluster(t, 3)
	// Restore through a follower: it forwards the file to the leader.
	f := followers(servers)[0]
	if _, err := f.SnapshotRestore(context.Background(), bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatalf("restore through follower: %v", err)
	}
	for _, s := range servers {
		waitJob(t, s, job.Namespace, job.ID)
	}
	waitLeader(t, servers)
}
