package exec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/client/drivers/driverstest"
)

// The supervisor rotates the task's output at max_file_size and keeps
// max_files files, with Nomad's names.
func TestLogRotation(t *testing.T) {
	d := newDriver(t, t.TempDir())
	// 2.5 MiB of stdout, a line on stderr.
	tc := driverstest.TaskConfig(t, "chatty", sh(`head -c 2621440 /dev/zero | tr "\0" a; echo oops >&2`))
	tc.Logs.MaxFiles, tc.Logs.MaxFileSizeMB = 2, 1
	r, _ := runTask(t, d, tc)
	if !r.Successful() {
		t.Fatalf("got %+v, want success", r)
	}
	sizes := map[string]int64{}
	entries, _ := os.ReadDir(tc.Logs.Dir)
	for _, e := range entries {
		fi, _ := e.Info()
		sizes[e.Name()] = fi.Size()
	}
	want := map[string]int64{"chatty.stdout.1": 1 << 20, "chatty.stdout.2": 1 << 19, "chatty.stderr.0": 5}
	if len(sizes) != len(want) {
		t.Fatalf("got log files %v, want %v (stdout.0 rotated away)", sizes, want)
	}
	for name, size := range want {
		if sizes[name] != size {
			t.Fatalf("got log files %v, want %v", sizes, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(tc.Logs.Dir, "chatty.stderr.0")); string(b) != "oops\n" {
		t.Fatalf("got stderr %q, want %q", b, "oops\n")
	}
}

// Host volumes are bound at their destinations; a read-only one refuses
// writes, a writable one shows the task's writes on the host.
func TestVolumeMounts(t *testing.T) {
	d := newDriver(t, t.TempDir())
	rw, ro := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(ro, "config.txt"), []byte("from host"), 0o644); err != nil {
		t.Fatal(err)
	}
	tc := driverstest.TaskConfig(t, "vols", sh(`echo written > /data/out.txt && echo rw-ok; `+
		`cat /config/config.txt; echo; `+
		`if touch /config/x 2>/dev/null; then echo ro-writable; else echo ro-refused; fi`))
	tc.Mounts = []drivers.MountConfig{
		{HostPath: rw, TaskPath: "/data"},
		{HostPath: ro, TaskPath: "/config", ReadOnly: true},
	}
	r, out := runTask(t, d, tc)
	if !r.Successful() {
		t.Fatalf("got %+v (stdout %q), want success", r, out)
	}
	if got := trimLines(out); len(got) != 3 || got[0] != "rw-ok" || got[1] != "from host" || got[2] != "ro-refused" {
		t.Fatalf("got stdout %q, want rw-ok, the host's file, ro-refused", out)
	}
	if b, err := os.ReadFile(filepath.Join(rw, "out.txt")); err != nil || string(b) != "written\n" {
		t.Fatalf("host sees %q (%v), want the task's write", b, err)
	}
	if _, err := os.Stat(filepath.Join(ro, "x")); err == nil {
		t.Fatal("the read-only volume was written")
	}
	mounted, _ := mountsUnder(rw)
	for _, m := range mounted {
		if strings.HasPrefix(m, "/") && m != realPath(rw) {
			t.Fatalf("host sees mount %s below the volume", m)
		}
	}
}

func TestVolumeMountErrors(t *testing.T) {
	d := newDriver(t, t.TempDir())
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		mount drivers.MountConfig
		want  string
	}{
		{"relative source", drivers.MountConfig{HostPath: "data", TaskPath: "/data"}, "absolute"},
		{"missing source", drivers.MountConfig{HostPath: filepath.Join(dir, "nope"), TaskPath: "/data"}, "no such file"},
		{"root destination", drivers.MountConfig{HostPath: dir, TaskPath: "/"}, "below /"},
		{"hides /alloc", drivers.MountConfig{HostPath: dir, TaskPath: "/alloc"}, "hide"},
		{"inside read-only /usr", drivers.MountConfig{HostPath: dir, TaskPath: "/usr/no-such-dir"}, "read-only /usr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := driverstest.TaskConfig(t, "bad", sh("true"))
			cfg.Mounts = []drivers.MountConfig{tc.mount}
			_, err := d.StartTask(cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) || drivers.IsRecoverable(err) {
				t.Fatalf("got %v, want an unrecoverable error containing %q", err, tc.want)
			}
		})
	}
}
