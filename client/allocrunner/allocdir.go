package allocrunner

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"

	"github.com/droverhq/drover/client/drivers"
)

// Layout of an allocation directory under <DataDir>/alloc/<allocID>:
//
//	alloc/data  shared by the group's tasks, kept for sticky ephemeral disk
//	alloc/logs  <task>.stdout.0 and <task>.stderr.0
//	alloc/tmp
//	<task>/local    the task's own files (NOMAD_TASK_DIR)
//	<task>/secrets  (NOMAD_SECRETS_DIR)
//	<task>/tmp
const (
	SharedDirName = "alloc"
	LocalDirName  = "local"
	SecretsName   = "secrets"
	TmpDirName    = "tmp"
)

// allocDir is the paths of one allocation's directory.
type allocDir struct{ root string }

func (d allocDir) shared() string             { return filepath.Join(d.root, SharedDirName) }
func (d allocDir) logs() string               { return filepath.Join(d.shared(), "logs") }
func (d allocDir) taskDir(task string) string { return filepath.Join(d.root, task) }

// sharedDirModes are the modes of alloc/ and its subdirectories. As in
// Nomad, the group's tasks may run as different users (`user = "nobody"`),
// so alloc/, alloc/data and alloc/tmp are writable by all (tmp with the
// sticky bit); logs/ is written by the client and its supervisors only.
var sharedDirModes = []struct {
	sub  string
	mode os.FileMode
}{
	{"", 0o777},
	{"data", 0o777},
	{"logs", 0o755},
	{TmpDirName, 0o777 | os.ModeSticky},
}

// build creates the shared directories.
func (d allocDir) build() error {
	for _, m := range sharedDirModes {
		p := filepath.Join(d.shared(), m.sub)
		if err := os.MkdirAll(p, 0o755); err != nil {
			return fmt.Errorf("create alloc dir: %w", err)
		}
		// Explicitly: MkdirAll's mode is filtered by the umask.
		if err := os.Chmod(p, m.mode); err != nil {
			return fmt.Errorf("create alloc dir: %w", err)
		}
	}
	return nil
}

// buildTask creates a task's directories and returns the paths a driver
// gets. secrets/ is private to the task's user.
func (d allocDir) buildTask(task string) (*drivers.TaskConfig, error) {
	td := d.taskDir(task)
	tc := &drivers.TaskConfig{
		AllocDir: d.shared(), TaskDir: td,
		LocalDir: filepath.Join(td, LocalDirName), SecretsDir: filepath.Join(td, SecretsName),
		StdoutPath: filepath.Join(d.logs(), task+".stdout.0"),
		StderrPath: filepath.Join(d.logs(), task+".stderr.0"),
	}
	for _, p := range []struct {
		path string
		mode os.FileMode
	}{{tc.LocalDir, 0o755}, {tc.SecretsDir, 0o700}, {filepath.Join(td, TmpDirName), 0o1777}} {
		if err := os.MkdirAll(p.path, p.mode); err != nil {
			return nil, fmt.Errorf("create task dir for %q: %w", task, err)
		}
	}
	return tc, nil
}

// unmountBelow detaches every mount at or below dir, deepest first.
func unmountBelow(dir string) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil // no dir, no mounts
	}
	ms, err := mountinfo.GetMounts(mountinfo.PrefixFilter(real))
	if err != nil || len(ms) == 0 {
		return nil // no mount table (not Linux) or nothing mounted
	}
	points := make([]string, 0, len(ms))
	for _, m := range ms {
		points = append(points, m.Mountpoint)
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
	for _, p := range points {
		if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && err != unix.EINVAL {
			return fmt.Errorf("unmount %s: %w", p, err)
		}
	}
	return nil
}
