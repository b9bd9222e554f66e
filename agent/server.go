package agent

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/droverhq/drover/server"
)

// startServer starts this agent's server: gRPC on bind_addr:ports.rpc,
// state under data_dir/server.
func (a *Agent) startServer() (serverHandle, error) {
	c := a.cfg
	cfg := server.Config{
		NodeName:        c.Name,
		Region:          c.Region,
		Datacenter:      c.Datacenter,
		DataDir:         filepath.Join(c.DataDir, "server"),
		RPCAddr:         net.JoinHostPort(c.BindAddr, strconv.Itoa(c.Ports.RPC)),
		BootstrapExpect: c.Server.BootstrapExpect,
		NumSchedulers:   c.Server.NumSchedulers,
		HeartbeatGrace:  c.Server.HeartbeatGrace,
		Logger:          a.logger, // the server adds component=server itself
		Now:             time.Now,
		TLS:             a.rpcTLS,
	}
	if c.Ports.RPC != 0 || c.Advertise.RPC != "" {
		cfg.RPCAdvertise = advertiseAddr(c.Advertise.RPC, c.BindAddr, c.Ports.RPC)
	}
	if err := a.clusterServerConfig(&cfg); err != nil {
		return nil, err
	}
	s, err := server.New(&cfg)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("start server: %w: ports.rpc %d (or the Raft port, rpc + 100) is in use, probably by another agent: stop it or set %s",
			err, c.Ports.RPC, portKeyExample("ports.rpc"))
	}
	if err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	return s, nil
}
