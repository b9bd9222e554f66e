package exec

import (
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/client/logmon"
	"github.com/droverhq/drover/structs"
)

// Paths of the task's directories inside the container.
const (
	containerAllocDir   = "/alloc"
	containerLocalDir   = "/local"
	containerSecretsDir = "/secrets"
)

// launchSpec is everything the supervisor needs to build and run one
// container. The driver writes it as spec.json; it is the whole contract
// between the agent and the supervisor, so it carries no Go-only types.
type launchSpec struct {
	ContainerID string `json:"container_id"`
	StateRoot   string `json:"state_root"` // libcontainer's root
	Rootfs      string `json:"rootfs"`
	// ChrootEnv maps host paths to paths in the container.
	ChrootEnv  map[string]string `json:"chroot_env"`
	AllocDir   string            `json:"alloc_dir"`
	LocalDir   string            `json:"local_dir"`
	SecretsDir string            `json:"secrets_dir"`
	Hostname   string            `json:"hostname"`

	Args   []string `json:"args"`
	Env    []string `json:"env"`
	Cwd    string   `json:"cwd"`
	UID    int      `json:"uid"`
	GID    int      `json:"gid"`
	Groups []int    `json:"groups,omitempty"`

	CgroupPath        string `json:"cgroup_path"`
	MemoryBytes       int64  `json:"memory_bytes"`
	MemoryReservation int64  `json:"memory_reservation_bytes"`
	CPUShares         uint64 `json:"cpu_shares"`
	PidsLimit         int64  `json:"pids_limit"`

	StdoutPath string `json:"stdout_path"`
	StderrPath string `json:"stderr_path"`
	// Logs, when set, makes the supervisor copy the task's stdout and
	// stderr from pipes into rotated files (it replaces the paths above).
	Logs *logmon.Config `json:"logs,omitempty"`
	// Mounts are host directories bound into the container (host volumes).
	Mounts []specMount `json:"mounts,omitempty"`
	// FilesDir holds status.json, killsig and supervisor.log.
	FilesDir string `json:"files_dir"`
}

func (s *launchSpec) specPath() string   { return filepath.Join(s.FilesDir, "spec.json") }
func (s *launchSpec) statusPath() string { return filepath.Join(s.FilesDir, "status.json") }
func (s *launchSpec) killSigPath() string {
	return filepath.Join(s.FilesDir, "killsig")
}
func (s *launchSpec) logPath() string { return filepath.Join(s.FilesDir, "supervisor.log") }

// specMount is a host directory bound at a path in the container.
type specMount struct {
	Host     string `json:"host"`
	Ctr      string `json:"ctr"`
	ReadOnly bool   `json:"read_only"`
}

// taskCommand is the job's `config` block.
type taskCommand struct {
	Command string
	Args    []string
}

func parseTaskCommand(cfg map[string]interface{}) (*taskCommand, error) {
	command, err := drivers.ConfigString(cfg, "command")
	if err != nil {
		return nil, fmt.Errorf("exec: %w: %w", err, structs.ErrInvalid)
	}
	if command == "" {
		return nil, fmt.Errorf("exec: config \"command\" is required: %w", structs.ErrInvalid)
	}
	args, err := drivers.ConfigStringList(cfg, "args")
	if err != nil {
		return nil, fmt.Errorf("exec: %w: %w", err, structs.ErrInvalid)
	}
	return &taskCommand{Command: command, Args: args}, nil
}

// unsafeIDChars are the characters libcontainer refuses in a container ID.
var unsafeIDChars = regexp.MustCompile(`[^A-Za-z0-9_+.-]`)

// containerID turns a task ID ("<alloc>/<task>/<attempt>") into a valid,
// readable libcontainer ID.
func containerID(taskID string) string {
	id := unsafeIDChars.ReplaceAllString(taskID, "_")
	if id == "" || id == "." || id == ".." {
		id = "task" + id
	}
	return id
}

// cgroupPath is /drover/<alloc>/<task>, each part made safe as a path
// element.
func cgroupPath(allocID, task string) string {
	return "/drover/" + containerID(allocID) + "/" + containerID(task)
}

var unsafeHostChars = regexp.MustCompile(`[^A-Za-z0-9-]+`)

// hostname is the task's name cut to a valid host name.
func hostname(task string) string {
	h := strings.Trim(unsafeHostChars.ReplaceAllString(task, "-"), "-")
	if h == "" {
		h = "task"
	}
	if len(h) > 63 {
		h = h[:63]
	}
	return h
}

// buildSpec turns a task config into the supervisor's launch spec.
func (d *Driver) buildSpec(cfg *drivers.TaskConfig, cmd *taskCommand) (*launchSpec, error) {
	cid := containerID(cfg.ID)
	s := &launchSpec{
		ContainerID: cid,
		StateRoot:   d.containersDir(),
		Rootfs:      filepath.Join(d.rootfsDir(), cid),
		ChrootEnv:   d.chrootEnv,
		AllocDir:    cfg.AllocDir, LocalDir: cfg.LocalDir, SecretsDir: cfg.SecretsDir,
		Hostname:   hostname(cfg.Name),
		Args:       append([]string{cmd.Command}, cmd.Args...),
		Env:        containerEnv(cfg),
		Cwd:        containerLocalDir,
		CgroupPath: cgroupPath(cfg.AllocID, cfg.Name),
		PidsLimit:  d.pidsLimit,
		StdoutPath: cfg.StdoutPath, StderrPath: cfg.StderrPath,
		FilesDir: filepath.Join(cfg.TaskDir, ".exec", cid),
	}
	if cfg.LocalDir == "" {
		s.Cwd = "/" // no /local without a local dir
	}
	if l := cfg.Logs; l != nil && l.Dir != "" {
		s.Logs = &logmon.Config{Dir: l.Dir, Task: cfg.Name, MaxFiles: l.MaxFiles, MaxFileSizeMB: l.MaxFileSizeMB}
	}
	for _, m := range cfg.Mounts {
		sm, err := checkMount(m)
		if err == nil {
			err = d.checkMountInChroot(sm)
		}
		if err != nil {
			return nil, err
		}
		s.Mounts = append(s.Mounts, sm)
	}
	s.MemoryBytes, s.MemoryReservation = memoryLimits(cfg.Resources)
	s.CPUShares = cpuShares(cfg.Resources.CPUMHz)
	if err := s.setUser(cfg.User); err != nil {
		return nil, err
	}
	return s, nil
}

const mib = 1 << 20

// checkMountInChroot refuses a destination inside a read-only chroot_env
// directory where no mount point exists: none can be created there.
func (d *Driver) checkMountInChroot(m specMount) error {
	for host, ctr := range d.chrootEnv {
		rel, err := filepath.Rel(filepath.Clean(ctr), m.Ctr)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			continue
		}
		if _, err := os.Stat(filepath.Join(host, rel)); err != nil {
			return fmt.Errorf("exec: volume mount destination %q is inside the container's read-only %s, where it does not exist: choose a path outside the chroot_env directories, e.g. /data: %w", m.Ctr, ctr, structs.ErrInvalid)
		}
	}
	return nil
}

// checkMount validates a volume mount: an absolute, existing host path
// and an absolute container path that is not one of the task's own dirs.
func checkMount(m drivers.MountConfig) (specMount, error) {
	dst := filepath.Clean(m.TaskPath)
	switch {
	case !filepath.IsAbs(m.HostPath):
		return specMount{}, fmt.Errorf("exec: volume mount source %q must be an absolute path: %w", m.HostPath, structs.ErrInvalid)
	case !filepath.IsAbs(dst) || dst == "/":
		return specMount{}, fmt.Errorf("exec: volume mount destination %q must be an absolute path below /: %w", m.TaskPath, structs.ErrInvalid)
	}
	for _, own := range []string{"/proc", "/dev", "/sys", containerAllocDir, containerLocalDir, containerSecretsDir} {
		if dst == own {
			return specMount{}, fmt.Errorf("exec: volume mount destination %q would hide the container's %s: %w", m.TaskPath, own, structs.ErrInvalid)
		}
	}
	fi, err := os.Stat(m.HostPath)
	if err != nil {
		return specMount{}, fmt.Errorf("exec: volume mount source %q: %w: %w", m.HostPath, err, structs.ErrInvalid)
	}
	if !fi.IsDir() && !fi.Mode().IsRegular() {
		return specMount{}, fmt.Errorf("exec: volume mount source %q is neither a directory nor a file: %w", m.HostPath, structs.ErrInvalid)
	}
	return specMount{Host: m.HostPath, Ctr: dst, ReadOnly: m.ReadOnly}, nil
}

// memoryLimits returns the hard limit and the reservation in bytes:
// memory_max is the limit when set, memory the reservation; otherwise
// memory is both. 0 means no limit.
func memoryLimits(r drivers.Resources) (limit, reservation int64) {
	limit, reservation = r.MemoryMB*mib, r.MemoryMB*mib
	if r.MemoryMaxMB > r.MemoryMB {
		limit = r.MemoryMaxMB * mib
	}
	return limit, reservation
}

// cpuShares uses the MHz as cgroup v1 shares, as Nomad does; the kernel
// refuses fewer than 2. 0 means the default weight.
func cpuShares(mhz int64) uint64 {
	switch {
	case mhz <= 0:
		return 0
	case mhz < 2:
		return 2
	case mhz > 262144: // cpu.shares maximum
		return 262144
	}
	return uint64(mhz)
}

// setUser looks the task's user up in the host's /etc/passwd (which is also
// the container's /etc unless chroot_env says otherwise). "" is root.
func (s *launchSpec) setUser(name string) error {
	if name == "" {
		return nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("exec: user %q: %w: %w", name, err, structs.ErrInvalid)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("exec: user %q has a non-numeric uid %q or gid %q: %w", name, u.Uid, u.Gid, structs.ErrInvalid)
	}
	s.UID, s.GID = uid, gid
	// As a login would: without these the task sees HOME=/root (what
	// libcontainer falls back to) and no USER, whoever it runs as. The
	// job's own env wins.
	s.setEnvDefault("HOME", u.HomeDir)
	s.setEnvDefault("USER", u.Username)
	gids, _ := u.GroupIds() // supplementary groups are a nicety, not a need
	for _, g := range gids {
		if n, err := strconv.Atoi(g); err == nil && n != gid {
			s.Groups = append(s.Groups, n)
		}
	}
	return nil
}

// setEnvDefault adds key=value to the task's environment unless the key is
// set already or value is empty.
func (s *launchSpec) setEnvDefault(key, value string) {
	if value == "" {
		return
	}
	for _, kv := range s.Env {
		if strings.HasPrefix(kv, key+"=") {
			return
		}
	}
	s.Env = append(s.Env, key+"="+value)
}

// containerEnv is the task's environment with host paths of its
// directories replaced by where the container sees them, so
// NOMAD_TASK_DIR=/local, NOMAD_ALLOC_DIR=/alloc, NOMAD_SECRETS_DIR=/secrets.
func containerEnv(cfg *drivers.TaskConfig) []string {
	// Longest host path first, in case one directory holds another.
	repl := []struct{ host, ctr string }{
		{cfg.SecretsDir, containerSecretsDir},
		{cfg.LocalDir, containerLocalDir},
		{cfg.AllocDir, containerAllocDir},
	}
	out := make([]string, 0, len(cfg.Env))
	for k, v := range cfg.Env {
		for _, r := range repl {
			if r.host == "" {
				continue
			}
			if v == r.host {
				v = r.ctr
				break
			}
			if strings.HasPrefix(v, r.host+"/") {
				v = r.ctr + v[len(r.host):]
				break
			}
		}
		out = append(out, k+"="+v)
	}
	return out
}

// writeSpec writes spec.json, creating the files dir.
func writeSpec(s *launchSpec) error {
	if err := os.MkdirAll(s.FilesDir, 0o700); err != nil {
		return fmt.Errorf("exec: create %s: %w", s.FilesDir, err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(s.specPath(), b)
}

func readSpec(path string) (*launchSpec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s launchSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	return &s, nil
}

// writeFileAtomic replaces path with data, so that a reader never sees a
// half-written file (the agent may read while the supervisor writes).
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
