package exec

import (
	"os"
	"path/filepath"
	"sort"

	"github.com/opencontainers/cgroups"
	devconfig "github.com/opencontainers/cgroups/devices/config"
	"github.com/opencontainers/runc/libcontainer/configs"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"golang.org/x/sys/unix"
)

// defaultCaps is what a task keeps of root's capabilities: Docker's
// default set, enough for ordinary programs (chown, bind low ports, ping)
// and nothing that reaches beyond the container (no SYS_ADMIN, SYS_MODULE,
// NET_ADMIN...).
var defaultCaps = []string{
	"CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_MKNOD", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SETFCAP",
	"CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT",
}

const (
	noExecSuidDev = unix.MS_NOEXEC | unix.MS_NOSUID | unix.MS_NODEV
	roBind        = unix.MS_BIND | unix.MS_REC | unix.MS_RDONLY
	rwBind        = unix.MS_BIND | unix.MS_REC | unix.MS_NOSUID | unix.MS_NODEV
)

// containerConfig is libcontainer's config for the spec. binds are the
// chroot_env directories and files to bind read-only (host -> container),
// as found by prepareRootfs.
func containerConfig(s *launchSpec, binds [][2]string) *configs.Config {
	return &configs.Config{
		Rootfs:   s.Rootfs,
		Hostname: s.Hostname,
		Namespaces: configs.Namespaces{
			{Type: configs.NEWNS}, {Type: configs.NEWPID},
			{Type: configs.NEWIPC}, {Type: configs.NEWUTS},
		},
		Capabilities:  capabilities(s.UID),
		Mounts:        mounts(s, binds),
		Devices:       specconv.AllowedDevices,
		Cgroups:       cgroupConfig(s),
		MaskPaths:     []string{"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"},
		ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
		// Not ParentDeathSignal: it is tied to a thread of the supervisor
		// and would kill the task at the wrong moment.
	}
}

// capabilities keeps defaultCaps for root. Another user gets them only in
// the bounding set (what setuid programs may gain), as with Docker.
func capabilities(uid int) *configs.Capabilities {
	if uid != 0 {
		return &configs.Capabilities{Bounding: defaultCaps}
	}
	return &configs.Capabilities{
		Bounding: defaultCaps, Effective: defaultCaps, Permitted: defaultCaps,
	}
}

// mounts lists the container's mounts in the order libcontainer makes
// them: parents before children.
func mounts(s *launchSpec, binds [][2]string) []*configs.Mount {
	m := []*configs.Mount{
		{Source: "proc", Destination: "/proc", Device: "proc", Flags: noExecSuidDev},
		{Source: "tmpfs", Destination: "/dev", Device: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_STRICTATIME, Data: "mode=755,size=65536k"},
		{Source: "devpts", Destination: "/dev/pts", Device: "devpts", Flags: unix.MS_NOSUID | unix.MS_NOEXEC, Data: "newinstance,ptmxmode=0666,mode=0620"},
		{Source: "shm", Destination: "/dev/shm", Device: "tmpfs", Flags: noExecSuidDev, Data: "mode=1777,size=65536k"},
		{Source: "sysfs", Destination: "/sys", Device: "sysfs", Flags: noExecSuidDev | unix.MS_RDONLY},
		{Source: "tmpfs", Destination: "/tmp", Device: "tmpfs", Flags: unix.MS_NOSUID | unix.MS_NODEV, Data: "mode=1777"},
	}
	for _, b := range binds {
		m = append(m, &configs.Mount{Source: b[0], Destination: b[1], Device: "bind", Flags: roBind,
			// Recursively read-only, so that mounts below /usr stay read-only too.
			RecAttr: &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}})
	}
	task := []struct {
		host, ctr string
		flags     int
	}{
		{s.AllocDir, containerAllocDir, rwBind},
		{s.LocalDir, containerLocalDir, rwBind},
		{s.SecretsDir, containerSecretsDir, rwBind | unix.MS_NOEXEC},
	}
	for _, t := range task {
		if t.host != "" {
			m = append(m, &configs.Mount{Source: t.host, Destination: t.ctr, Device: "bind", Flags: t.flags})
		}
	}
	// Host volumes last, so that one may sit below /alloc or /local.
	vols := append([]specMount(nil), s.Mounts...)
	sort.Slice(vols, func(i, j int) bool { return vols[i].Ctr < vols[j].Ctr })
	for _, v := range vols {
		cm := &configs.Mount{Source: v.Host, Destination: v.Ctr, Device: "bind", Flags: rwBind}
		if v.ReadOnly {
			cm.Flags = roBind | unix.MS_NOSUID | unix.MS_NODEV
			cm.RecAttr = &unix.MountAttr{Attr_set: unix.MOUNT_ATTR_RDONLY}
		}
		m = append(m, cm)
	}
	return m
}

// cgroupConfig sets the task's limits at its absolute cgroup path.
func cgroupConfig(s *launchSpec) *cgroups.Cgroup {
	r := &cgroups.Resources{
		Memory:            s.MemoryBytes,
		MemoryReservation: s.MemoryReservation,
		Devices:           deviceRules(),
	}
	if s.PidsLimit > 0 {
		r.PidsLimit = &s.PidsLimit
	}
	// Without swap limited the task would swap instead of meeting its
	// limit; v1 only has the knob with swap accounting on.
	if s.MemoryBytes > 0 && (cgroups.IsCgroup2UnifiedMode() || v1SwapAccounting()) {
		r.MemorySwap = s.MemoryBytes
	}
	if cgroups.IsCgroup2UnifiedMode() {
		r.CpuWeight = cgroups.ConvertCPUSharesToCgroupV2Value(s.CPUShares)
	} else {
		r.CpuShares = s.CPUShares
	}
	return &cgroups.Cgroup{Path: s.CgroupPath, Resources: r}
}

func v1SwapAccounting() bool {
	_, err := os.Stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
	return err == nil
}

// deviceRules allows the devices libcontainer creates in /dev, and no
// others.
func deviceRules() []*devconfig.Rule {
	rules := make([]*devconfig.Rule, 0, len(specconv.AllowedDevices))
	for _, d := range specconv.AllowedDevices {
		rules = append(rules, &d.Rule)
	}
	return rules
}

// sortedChrootEnv returns the chroot_env entries ordered by container path,
// so that /usr is mounted before /usr/local when both are listed.
func sortedChrootEnv(env map[string]string) [][2]string {
	out := make([][2]string, 0, len(env))
	for host, ctr := range env {
		out = append(out, [2]string{filepath.Clean(host), filepath.Clean(ctr)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][1] < out[j][1] })
	return out
}
