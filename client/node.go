package client

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/droverhq/drover/client/drivers"
	execdriver "github.com/droverhq/drover/client/drivers/exec"
	"github.com/droverhq/drover/client/drivers/mock"
	"github.com/droverhq/drover/client/drivers/rawexec"
	"github.com/droverhq/drover/client/fingerprint"
	"github.com/droverhq/drover/client/logmon"
	"github.com/droverhq/drover/structs"
)

// buildDrivers makes the client's drivers. mock is always present (tests,
// scale simulation); raw_exec runs tasks only when enabled; exec runs
// tasks in containers when the host allows (its fingerprint says why not).
// Both re-execute this binary (logmon.SelfExecutable: not a test binary)
// as helper processes that outlive the agent. The options
// "driver.allowlist" and "driver.denylist" (comma-separated names, as
// Nomad's) leave drivers out: a scale simulator running many clients in
// one process keeps only mock, so that no client probes for containers.
func buildDrivers(cfg *Config, now func() time.Time, logger *slog.Logger) map[string]drivers.Driver {
	rawExec := cfg.RawExecEnabled || truthy(cfg.Options["driver.raw_exec.enable"])
	self := logmon.SelfExecutable()
	list := []drivers.Driver{
		mock.New(now),
		rawexec.NewWithOptions(rawexec.Options{Enabled: rawExec, Now: now, LogCollector: self}),
		execdriver.New(execdriver.Options{
			StateDir: filepath.Join(cfg.DataDir, "exec"), ChrootEnv: cfg.ChrootEnv,
			Executable: self, Logger: logger.With("driver", execdriver.Name), Now: now,
		}),
	}
	allow, deny := nameSet(cfg.Options["driver.allowlist"]), nameSet(cfg.Options["driver.denylist"])
	out := make(map[string]drivers.Driver, len(list))
	for _, d := range list {
		if deny[d.Name()] || (len(allow) > 0 && !allow[d.Name()]) {
			continue
		}
		out[d.Name()] = d
	}
	return out
}

// nameSet parses a comma-separated list ("mock, raw_exec").
func nameSet(list string) map[string]bool {
	out := map[string]bool{}
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out[n] = true
		}
	}
	return out
}

func truthy(s string) bool {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// buildNode fingerprints the machine into the Node this client registers.
func (c *Client) buildNode() (*structs.Node, error) {
	cfg := c.cfg
	id, secret, err := fingerprint.NodeIdentity(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("client node identity: %w", err)
	}
	n := &structs.Node{
		ID: id, SecretID: secret,
		Datacenter: orDefault(cfg.Datacenter, structs.DefaultDatacenter),
		Name:       cfg.NodeName, HTTPAddr: cfg.HTTPAddr, NodeClass: cfg.NodeClass,
		NodePool:   orDefault(cfg.NodePool, structs.DefaultNodePool),
		Attributes: map[string]string{}, Meta: copyMap(cfg.Meta),
		Drivers:     map[string]*structs.DriverInfo{},
		HostVolumes: cfg.HostVolumes,
		NodeResources: &structs.NodeResources{
			MinDynamicPort: orDefaultInt(cfg.MinDynamicPort, structs.DefaultMinDynamicPort),
			MaxDynamicPort: orDefaultInt(cfg.MaxDynamicPort, structs.DefaultMaxDynamicPort),
		},
		ReservedResources: &structs.NodeReservedResources{
			Cpu:      structs.NodeCpuResources{CpuShares: int64(cfg.ReservedCPU)},
			Memory:   structs.NodeMemoryResources{MemoryMB: int64(cfg.ReservedMemoryMB)},
			Disk:     structs.NodeDiskResources{DiskMB: int64(cfg.ReservedDiskMB)},
			Networks: structs.NodeReservedNetworkResources{ReservedHostPorts: cfg.ReservedPorts},
		},
		Status:                structs.NodeStatusReady,
		SchedulingEligibility: structs.NodeSchedulingEligible,
		StatusUpdatedAt:       c.now().Unix(),
	}
	env := &fingerprint.Env{DataDir: cfg.DataDir, NetworkInterface: cfg.NetworkInterface, Version: Version}
	if err := fingerprint.Node(env, n); err != nil {
		// Partial facts still make a usable node; say what is missing.
		c.logger.Warn("fingerprinting incomplete", "error", err)
	}
	if n.Name == "" {
		n.Name = n.Attributes["unique.hostname"]
	}
	overrideCapacity(cfg, n)
	for name, d := range c.drivers {
		info := d.Fingerprint()
		n.Drivers[name] = info
		if info.Detected && info.Healthy {
			n.Attributes["driver."+name] = "1"
			for k, v := range info.Attributes {
				n.Attributes[k] = v
			}
		} else if name == execdriver.Name {
			c.logger.Warn("exec driver unavailable", "reason", info.HealthDescription)
		}
	}
	return n, nil
}

// overrideCapacity applies configured totals over the fingerprinted ones.
func overrideCapacity(cfg *Config, n *structs.Node) {
	if cfg.CPUTotalCompute > 0 {
		n.NodeResources.Cpu.CpuShares = int64(cfg.CPUTotalCompute)
		n.Attributes["cpu.totalcompute"] = strconv.Itoa(cfg.CPUTotalCompute)
	}
	if cfg.MemoryTotalMB > 0 {
		n.NodeResources.Memory.MemoryMB = int64(cfg.MemoryTotalMB)
		n.Attributes["memory.totalbytes"] = strconv.FormatInt(int64(cfg.MemoryTotalMB)<<20, 10)
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orDefaultInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// defaultEnvDenylist keeps the agent's credentials out of tasks, as Nomad's
// env.denylist does.
var defaultEnvDenylist = []string{
	"DROVER_TOKEN", "NOMAD_TOKEN", "CONSUL_TOKEN", "CONSUL_HTTP_TOKEN", "VAULT_TOKEN",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"GOOGLE_APPLICATION_CREDENTIALS",
}

// hostEnv is the agent's environment minus the denylist (extended by the
// "env.denylist" option, comma separated).
func hostEnv(opts map[string]string) map[string]string {
	deny := map[string]bool{}
	for _, k := range defaultEnvDenylist {
		deny[k] = true
	}
	for _, k := range strings.Split(opts["env.denylist"], ",") {
		if k = strings.TrimSpace(k); k != "" {
			deny[k] = true
		}
	}
	out := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if !deny[k] {
			out[k] = v
		}
	}
	return out
}
