package fingerprint

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/droverhq/drover/structs"
)

// Memory sets memory.totalbytes and NodeResources.Memory from MemTotal.
func Memory(e *Env, n *structs.Node) error {
	total, err := memTotal(e.proc("meminfo"))
	if err != nil {
		return err
	}
	n.Attributes["memory.totalbytes"] = strconv.FormatUint(total, 10)
	n.NodeResources.Memory.MemoryMB = int64(total / 1024 / 1024)
	return nil
}

func memTotal(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseUint(fields[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: MemTotal %q: %w", path, fields[1], err)
			}
			return kb * 1024, nil
		}
	}
	if err := s.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s: no MemTotal line", path)
}

// Storage sets unique.storage.volume, unique.storage.bytestotal,
// unique.storage.bytesfree and NodeResources.Disk (free MB) for the
// filesystem holding the data dir, where allocation directories live.
func Storage(e *Env, n *structs.Node) error {
	dir := orDefault(e.DataDir, os.TempDir())
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fmt.Errorf("statfs %s: %w", dir, err)
	}
	free := st.Bavail * uint64(st.Bsize)
	n.Attributes["unique.storage.volume"] = volumeOf(e, dir)
	n.Attributes["unique.storage.bytestotal"] = strconv.FormatUint(st.Blocks*uint64(st.Bsize), 10)
	n.Attributes["unique.storage.bytesfree"] = strconv.FormatUint(free, 10)
	n.NodeResources.Disk.DiskMB = int64(free / 1024 / 1024)
	return nil
}

// volumeOf names the device of the longest mount point that holds dir.
func volumeOf(e *Env, dir string) string {
	b, err := os.ReadFile(e.proc("mounts"))
	if err != nil {
		return dir
	}
	best, dev := "", dir
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		mp := f[1]
		if (dir == mp || strings.HasPrefix(dir, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best, dev = mp, f[0]
		}
	}
	return dev
}
