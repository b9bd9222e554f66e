package allocrunner

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/droverhq/drover/client/state"
	"github.com/droverhq/drover/structs"
)

// Destroy detaches what is still mounted in the alloc dir before removing
// it, so that it neither fails on a busy mount point nor deletes inside a
// mount.
func TestDestroyUnmountsLeftovers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	a := testAlloc(structs.JobTypeBatch, mockTask("t", nil))
	root := t.TempDir()
	ar := New(Config{Alloc: a, AllocRoot: root, DB: state.NewMemDB()})
	secrets := filepath.Join(root, a.ID, "t", "secrets")
	if err := unix.Mount("leftover", secrets, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatalf("mount tmpfs: %v", err)
	}
	t.Cleanup(func() { _ = unix.Unmount(secrets, unix.MNT_DETACH) })
	if err := os.WriteFile(filepath.Join(secrets, "key"), []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ar.Destroy(); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, a.ID)); !os.IsNotExist(err) {
		t.Fatalf("alloc dir still there (stat: %v)", err)
	}
	if mounted, _ := mountinfo.Mounted(secrets); mounted {
		t.Fatal("the tmpfs is still mounted")
	}
}
