package agent

import (
	"fmt"
	"net"
	"path/filepath"
	"time"

	"github.com/droverhq/drover/client"
)

// startClient starts this agent's client, pointed at the configured
// servers or else at this agent's own server; state under data_dir/client.
func (a *Agent) startClient() (clientHandle, error) {
	c, cc := a.cfg, a.cfg.Client
	servers := cc.Servers
	if len(servers) == 0 && a.server != nil {
		servers = []string{a.server.RPCAddr()}
	}
	cfg := &client.Config{
		DataDir:          filepath.Join(c.DataDir, "client"),
		NodeName:         c.Name,
		Datacenter:       c.Datacenter,
		Region:           c.Region,
		NodeClass:        cc.NodeClass,
		NodePool:         cc.NodePool,
		Servers:          servers,
		HTTPAddr:         a.httpAddr,
		Meta:             cc.Meta,
		Options:          cc.Options,
		RawExecEnabled:   c.DevMode || cc.rawExecEnabled(),
		HostVolumes:      cc.HostVolumes,
		ChrootEnv:        cc.ChrootEnv,
		ReservedCPU:      cc.Reserved.CPU,
		ReservedMemoryMB: cc.Reserved.MemoryMB,
		ReservedDiskMB:   cc.Reserved.DiskMB,
		ReservedPorts:    cc.Reserved.ReservedPorts,
		MinDynamicPort:   cc.MinDynamicPort,
		MaxDynamicPort:   cc.MaxDynamicPort,
		NetworkInterface: cc.NetworkInterface,
		CPUTotalCompute:  cc.CPUTotalCompute,
		MemoryTotalMB:    cc.MemoryTotalMB,
		GCMaxAllocs:      cc.GCMaxAllocs,
		// A dev agent's data dir is temporary: leave no task behind it.
		StopTasksOnShutdown: c.DevMode,
		TLS:                 a.rpcTLS,
		Logger:              a.logger.With("component", "client"),
		Now:                 time.Now,
	}
	if cfg.NetworkInterface == "" && c.DevMode {
		cfg.NetworkInterface = loopbackInterface()
	}
	cl, err := client.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("start client: %w", err)
	}
	return cl, nil
}

// loopbackInterface names this machine's loopback interface ("lo" on
// Linux), which a dev agent's client fingerprints instead of the default
// route's interface.
func loopbackInterface() string {
	ifaces, err := net.Interfaces()
	if err != nil {
		return "lo"
	}
	for _, i := range ifaces {
		if i.Flags&net.FlagLoopback != 0 && i.Flags&net.FlagUp != 0 {
			return i.Name
		}
	}
	return "lo"
}
