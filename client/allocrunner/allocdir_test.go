package allocrunner

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSharedDirsWritableByTaskUsers: a task with `user = "nobody"` must be
// able to write alloc/data and alloc/tmp, the group's shared directories.
func TestSharedDirsWritableByTaskUsers(t *testing.T) {
	d := allocDir{root: t.TempDir()}
	if err := d.build(); err != nil {
		t.Fatal(err)
	}
	want := map[string]os.FileMode{
		"":     os.ModeDir | 0o777,
		"data": os.ModeDir | 0o777,
		"tmp":  os.ModeDir | os.ModeSticky | 0o777,
		"logs": os.ModeDir | 0o755,
	}
	for sub, mode := range want {
		fi, err := os.Stat(filepath.Join(d.shared(), sub))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != mode {
			t.Errorf("alloc/%s: got mode %v, want %v", sub, fi.Mode(), mode)
		}
	}
}
