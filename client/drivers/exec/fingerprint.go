package exec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/opencontainers/cgroups"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/structs"
)

// probeRetry is how long a failed container probe is trusted before the
// next Fingerprint tries again (the operator may have fixed the host).
const probeRetry = time.Minute

// prober runs the one real container start that proves the driver works,
// once, and caches the answer.
type prober struct {
	mu      sync.Mutex
	done    bool      // guarded by mu
	err     error     // guarded by mu
	triedAt time.Time // guarded by mu
}

// Fingerprint implements drivers.Driver. Cheap checks run every time; a
// real container start runs once (and again a minute after a failure).
func (d *Driver) Fingerprint() *structs.DriverInfo {
	info := &structs.DriverInfo{UpdateTime: d.now(), Attributes: map[string]string{}}
	if err := d.checkHost(); err != nil {
		info.HealthDescription = err.Error()
		return info
	}
	info.Attributes["driver.exec.cgroups"] = cgroupLayout()
	if err := d.probeOnce(); err != nil {
		info.Detected = true
		info.HealthDescription = "exec: a test container failed to start: " + err.Error()
		return info
	}
	info.Detected, info.Healthy, info.HealthDescription = true, true, "Healthy"
	return info
}

// checkHost names the first missing prerequisite.
func (d *Driver) checkHost() error {
	switch {
	case d.stateDir == "":
		return errors.New("exec: no state dir configured (Options.StateDir)")
	case os.Geteuid() != 0:
		return fmt.Errorf("exec: the agent must run as root to create containers (running as uid %d)", os.Geteuid())
	case cgroupLayout() == "none":
		return errors.New("exec: no cgroup filesystem at /sys/fs/cgroup (neither cgroup2 nor v1 memory controller)")
	}
	for _, ns := range []string{"mnt", "pid", "ipc", "uts"} {
		if _, err := os.Stat("/proc/self/ns/" + ns); err != nil {
			return fmt.Errorf("exec: the kernel has no %s namespaces (%v)", ns, err)
		}
	}
	if d.exe == "" {
		return errors.New("exec: no binary to re-execute as the container init (a Go test binary cannot be; set Options.Executable)")
	}
	if _, err := os.Stat(d.exe); err != nil {
		return fmt.Errorf("exec: cannot re-execute the agent binary %q: %v", d.exe, err)
	}
	return nil
}

// cgroupLayout says which cgroup hierarchy the host has: "v2", "hybrid"
// (v1 controllers, cgroup2 at /sys/fs/cgroup/unified), "v1" or "none".
func cgroupLayout() string {
	switch {
	case cgroups.IsCgroup2UnifiedMode():
		return "v2"
	case cgroups.IsCgroup2HybridMode():
		return "hybrid"
	}
	if _, err := os.Stat("/sys/fs/cgroup/memory"); err == nil {
		return "v1"
	}
	return "none"
}

// probeOnce starts `/bin/true` in a container through the whole
// supervisor path, once, and caches the answer.
func (d *Driver) probeOnce() error {
	p := &d.probe
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done && (p.err == nil || d.now().Sub(p.triedAt) < probeRetry) {
		return p.err
	}
	p.err, p.done, p.triedAt = d.runProbe(), true, d.now()
	return p.err
}

// runProbe runs the probe task in a scratch dir under the state dir.
func (d *Driver) runProbe() error {
	if err := os.MkdirAll(d.stateDir, 0o700); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(d.stateDir, "probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	id := "probe-" + strconv.Itoa(os.Getpid()) + "-" + filepath.Base(dir)
	cfg := &drivers.TaskConfig{
		ID: id, AllocID: id, Name: "probe", Config: map[string]interface{}{"command": "/bin/true"},
		Env:      map[string]string{"PATH": "/usr/bin:/bin"},
		AllocDir: filepath.Join(dir, "alloc"), TaskDir: filepath.Join(dir, "probe"),
		LocalDir: filepath.Join(dir, "probe", "local"), SecretsDir: filepath.Join(dir, "probe", "secrets"),
		Resources: drivers.Resources{MemoryMB: 32, CPUMHz: 100},
	}
	for _, p := range []string{cfg.AllocDir, cfg.LocalDir, cfg.SecretsDir} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return err
		}
	}
	if _, err := d.StartTask(cfg); err != nil {
		return err
	}
	defer d.DestroyTask(id, true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ch, err := d.WaitTask(ctx, id)
	if err != nil {
		return err
	}
	r, ok := <-ch
	switch {
	case !ok:
		return errors.New("/bin/true did not exit within 30s")
	case !r.Successful():
		return fmt.Errorf("/bin/true ended with %+v", *r)
	}
	return nil
}
