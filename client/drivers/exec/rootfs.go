package exec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// secretsSource names the tmpfs the driver mounts on a task's secrets dir,
// so that DestroyTask unmounts only a mount of its own.
const secretsSource = "drover-secrets"

// secretsSize bounds the secrets tmpfs; secrets are small, and the memory
// is the node's.
const secretsSize = "4m"

// defaultChrootEnv is the host's directories a task sees (host ->
// container), as Nomad's default chroot_env minus what tasks rarely need.
var defaultChrootEnv = map[string]string{
	"/bin": "/bin", "/etc": "/etc", "/lib": "/lib", "/lib64": "/lib64",
	"/sbin": "/sbin", "/usr": "/usr",
}

// prepareRootfs creates the task's root directory: symlinks recreated from
// chroot_env entries that are symlinks on the host (on merged-/usr hosts
// /bin -> usr/bin). It returns the entries to bind-mount read-only; those
// mounts happen inside the container's mount namespace.
func prepareRootfs(s *launchSpec) ([][2]string, error) {
	if err := os.MkdirAll(s.Rootfs, 0o755); err != nil {
		return nil, fmt.Errorf("create rootfs %s: %w", s.Rootfs, err)
	}
	var binds [][2]string
	for _, e := range sortedChrootEnv(s.ChrootEnv) {
		host, ctr := e[0], e[1]
		fi, err := os.Lstat(host)
		if errors.Is(err, fs.ErrNotExist) {
			continue // e.g. no /lib64 on this host: nothing to show
		}
		if err != nil {
			return nil, fmt.Errorf("chroot_env %s: %w", host, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			binds = append(binds, e)
			continue
		}
		if err := copySymlink(host, filepath.Join(s.Rootfs, ctr)); err != nil {
			return nil, err
		}
	}
	return binds, nil
}

// copySymlink recreates the host's symlink at dst with the same target.
func copySymlink(src, dst string) error {
	target, err := os.Readlink(src)
	if err != nil {
		return fmt.Errorf("chroot_env %s: %w", src, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("chroot_env %s: %w", src, err)
	}
	if cur, err := os.Readlink(dst); err == nil && cur == target {
		return nil
	}
	if err := os.Symlink(target, dst); err != nil {
		return fmt.Errorf("chroot_env %s: %w", src, err)
	}
	return nil
}

// removeRootfs deletes a task's root directory. It removes only symlinks,
// empty files and empty directories (what prepareRootfs and libcontainer
// leave there), so that a bind mount that somehow remained on the host can
// never turn this into a deletion of the host's /usr.
func removeRootfs(dir string) error {
	if mounted, _ := mountsUnder(dir); len(mounted) > 0 {
		return fmt.Errorf("remove rootfs %s: still has mounts %v", dir, mounted)
	}
	var paths []string
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove rootfs %s: %w", dir, err)
	}
	// Children before parents.
	for i := len(paths) - 1; i >= 0; i-- {
		if err := removeIfEmpty(paths[i]); err != nil {
			return fmt.Errorf("remove rootfs: %w", err)
		}
	}
	return nil
}

func removeIfEmpty(p string) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if fi.Mode().IsRegular() && fi.Size() > 0 {
		return fmt.Errorf("%s is a non-empty file, not made by the driver: left in place", p)
	}
	return os.Remove(p) // fails on a non-empty directory, as wanted
}

// realPath resolves symlinks, since mountinfo lists resolved paths.
func realPath(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return filepath.Clean(p)
}

// mountsUnder lists mount points at or below dir in this mount namespace.
func mountsUnder(dir string) ([]string, error) {
	ms, err := mountinfo.GetMounts(mountinfo.PrefixFilter(realPath(dir)))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Mountpoint)
	}
	return out, nil
}

// mountSecrets makes the task's secrets dir a tmpfs of mode 0700, unless it
// already is a mount point (the alloc runner's own tmpfs). Files already
// there are copied in; the originals stay on disk below the mount.
func mountSecrets(dir string, uid, gid int) error {
	if dir == "" {
		return nil
	}
	if mounted, err := mountinfo.Mounted(dir); err == nil && mounted {
		return nil
	}
	files, err := readSmallTree(dir)
	if err != nil {
		return fmt.Errorf("secrets dir %s: %w", dir, err)
	}
	data := "mode=0700,size=" + secretsSize + ",uid=" + strconv.Itoa(uid) + ",gid=" + strconv.Itoa(gid)
	if err := unix.Mount(secretsSource, dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, data); err != nil {
		return fmt.Errorf("mount tmpfs on secrets dir %s: %w", dir, err)
	}
	for rel, f := range files {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.data, f.mode); err != nil {
			return fmt.Errorf("copy secret %s: %w", rel, err)
		}
		_ = os.Lchown(p, uid, gid)
	}
	return nil
}

type smallFile struct {
	data []byte
	mode fs.FileMode
}

// readSmallTree reads the regular files below dir (secrets are small).
func readSmallTree(dir string) (map[string]smallFile, error) {
	files := map[string]smallFile{}
	err := filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || !de.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := de.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[rel] = smallFile{data: b, mode: info.Mode().Perm()}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return files, os.MkdirAll(dir, 0o700)
	}
	return files, err
}

// unmountSecrets removes the driver's tmpfs from the secrets dir, if any.
func unmountSecrets(dir string) error {
	if dir == "" {
		return nil
	}
	dir = realPath(dir)
	// Every mount at dir, not only the first: a second StartTask could
	// have stacked another.
	ms, err := mountinfo.GetMounts(func(m *mountinfo.Info) (skip, stop bool) {
		return m.Mountpoint != dir, false
	})
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Source != secretsSource {
			continue
		}
		if err := unix.Unmount(dir, 0); err != nil {
			// Busy (a process of a leaked task still there): detach, so
			// that it goes when the last user does.
			if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
				return fmt.Errorf("unmount secrets tmpfs %s: %w", dir, err)
			}
		}
	}
	return nil
}
