package exec

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/manager"
	"github.com/opencontainers/runc/libcontainer"

	"github.com/droverhq/drover/client/drivers"
)

// cleanup removes everything of a task attempt that is still there. The
// supervisor normally destroyed the container itself; this covers a
// supervisor that crashed or a start that failed halfway. It is
// idempotent.
func (d *Driver) cleanup(s *launchSpec, log *slog.Logger) error {
	var errs []error
	if c, err := libcontainer.Load(s.StateRoot, s.ContainerID); err == nil {
		errs = append(errs, destroyContainer(c, 10*time.Second))
	} else if !errors.Is(err, libcontainer.ErrNotExist) {
		errs = append(errs, fmt.Errorf("load container: %w", err))
	}
	errs = append(errs, removeCgroup(s.CgroupPath))
	errs = append(errs, unmountSecrets(s.SecretsDir))
	errs = append(errs, removeRootfs(s.Rootfs))
	if err := os.RemoveAll(s.FilesDir); err != nil {
		errs = append(errs, err)
	}
	// The task dir's .exec/ once its last attempt is gone.
	_ = os.Remove(filepath.Dir(s.FilesDir))
	if err := errors.Join(errs...); err != nil {
		log.Warn("cleanup of task left something behind", "err", err)
		return fmt.Errorf("exec: clean up container %s: %w", s.ContainerID, err)
	}
	return nil
}

// removeCgroup removes the task's cgroup if libcontainer did not, then its
// alloc's parent (/drover/<alloc>) once empty.
func removeCgroup(p string) error {
	if p == "" {
		return nil
	}
	m, err := manager.New(&cgroups.Cgroup{Path: p, Resources: &cgroups.Resources{}})
	if err != nil {
		return fmt.Errorf("cgroup %s: %w", p, err)
	}
	if m.Exists() {
		if err := m.Destroy(); err != nil {
			return fmt.Errorf("remove cgroup %s: %w", p, err)
		}
	}
	parent := path.Dir(p)
	if parent == "/drover" || parent == "/" {
		return nil
	}
	pm, err := manager.New(&cgroups.Cgroup{Path: parent, Resources: &cgroups.Resources{}})
	if err != nil {
		return nil
	}
	for _, dir := range pm.GetPaths() {
		// rmdir fails while another task of the alloc has a cgroup there:
		// that is the "still in use" answer, not an error.
		_ = os.Remove(dir)
	}
	return nil
}

// cleanStale destroys stopped containers that earlier runs left in the
// state dir (it survives reboots) and root directories without a
// container. Running containers belong to supervisors that RecoverTask
// will find.
func (d *Driver) cleanStale() {
	entries, _ := os.ReadDir(d.containersDir())
	for _, e := range entries {
		c, err := libcontainer.Load(d.containersDir(), e.Name())
		if err != nil {
			continue
		}
		if st, err := c.Status(); err == nil && st == libcontainer.Stopped {
			if err := c.Destroy(); err != nil {
				d.log.Warn("remove stale container", "container", e.Name(), "err", err)
			}
		}
	}
	roots, _ := os.ReadDir(d.rootfsDir())
	for _, e := range roots {
		if _, err := os.Stat(filepath.Join(d.containersDir(), e.Name())); errors.Is(err, fs.ErrNotExist) {
			if err := removeRootfs(filepath.Join(d.rootfsDir(), e.Name())); err != nil {
				d.log.Warn("remove stale root directory", "err", err)
			}
		}
	}
}

// TaskStats implements drivers.Driver: memory and CPU from the task's
// cgroup, and the PIDs in it.
func (d *Driver) TaskStats(_ context.Context, id string) (*drivers.TaskResourceUsage, error) {
	t, err := d.get(id)
	if err != nil {
		return nil, err
	}
	if t.exited() {
		return nil, fmt.Errorf("exec: stats of task %q: task has exited", id)
	}
	m, err := manager.New(&cgroups.Cgroup{Path: t.spec.CgroupPath, Resources: &cgroups.Resources{}})
	if err != nil {
		return nil, fmt.Errorf("exec: stats of task %q: %w", id, err)
	}
	st, err := m.GetStats()
	if err != nil {
		return nil, fmt.Errorf("exec: stats of task %q: %w", id, err)
	}
	pids, _ := m.GetAllPids()
	return &drivers.TaskResourceUsage{
		Timestamp:   d.now(),
		CPUTotalMs:  float64(st.CpuStats.CpuUsage.TotalUsage) / 1e6,
		MemoryRSS:   rss(st.MemoryStats),
		MemoryUsage: st.MemoryStats.Usage.Usage,
		PIDs:        pids,
	}, nil
}

// rss is anonymous memory: "rss" in v1's memory.stat, "anon" in v2's.
func rss(m cgroups.MemoryStats) uint64 {
	if v, ok := m.Stats["total_rss"]; ok {
		return v
	}
	if v, ok := m.Stats["rss"]; ok {
		return v
	}
	return m.Stats["anon"]
}
