package fingerprint

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/droverhq/drover/structs"
)

// Arch sets cpu.arch.
func Arch(_ *Env, n *structs.Node) error {
	n.Attributes["cpu.arch"] = runtime.GOARCH
	return nil
}

// cpuInfo is what /proc/cpuinfo says.
type cpuInfo struct {
	cores int
	mhz   float64
	model string
}

// CPU sets cpu.numcores, cpu.frequency (MHz), cpu.totalcompute, cpu.modelname
// and NodeResources.Cpu. Total compute is cores × MHz, Nomad's measure.
func CPU(e *Env, n *structs.Node) error {
	info, err := readCPUInfo(e.proc("cpuinfo"))
	if err != nil || info.cores == 0 {
		info.cores = runtime.NumCPU()
	}
	if info.mhz == 0 {
		info.mhz = maxFreqMHz(e)
	}
	if info.mhz == 0 {
		// Some VMs expose no frequency at all; assume a modest 1 GHz per
		// core rather than advertising no capacity.
		info.mhz = 1000
	}
	total := int64(float64(info.cores) * info.mhz)
	n.Attributes["cpu.numcores"] = strconv.Itoa(info.cores)
	n.Attributes["cpu.frequency"] = strconv.Itoa(int(info.mhz))
	n.Attributes["cpu.totalcompute"] = strconv.FormatInt(total, 10)
	if info.model != "" {
		n.Attributes["cpu.modelname"] = info.model
	}
	n.NodeResources.Cpu = structs.NodeCpuResources{CpuShares: total, TotalCpuCores: info.cores}
	return err
}

func readCPUInfo(path string) (cpuInfo, error) {
	var info cpuInfo
	f, err := os.Open(path)
	if err != nil {
		return info, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		key, val, ok := strings.Cut(s.Text(), ":")
		if !ok {
			continue
		}
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		switch key {
		case "processor":
			info.cores++
		case "cpu MHz":
			if v, err := strconv.ParseFloat(val, 64); err == nil && v > info.mhz {
				info.mhz = v
			}
		case "model name":
			info.model = val
		}
	}
	return info, s.Err()
}

// maxFreqMHz reads cpufreq's maximum, in kHz, for hosts whose cpuinfo has
// no "cpu MHz" (arm64).
func maxFreqMHz(e *Env) float64 {
	b, err := os.ReadFile(e.sys("devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"))
	if err != nil {
		return 0
	}
	khz, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
	if err != nil {
		return 0
	}
	return khz / 1000
}
