package agent

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"
	"time"

	"github.com/droverhq/drover/structs"
)

// Default ports, as DESIGN.md names them.
const (
	DefaultHTTPPort = 8646
	DefaultRPCPort  = 8647
	DefaultSerfPort = 8648
)

// Config is the agent's configuration: Nomad's agent config keys. A zero
// field means "not set"; Merge lets another Config's set fields win.
type Config struct {
	Name       string
	Region     string
	Datacenter string
	DataDir    string
	BindAddr   string
	LogLevel   string
	// DevMode runs server and client together on loopback with a temporary
	// data dir that Shutdown removes.
	DevMode   bool
	Ports     Ports
	Advertise Advertise
	Server    *ServerConfig
	Client    *ClientConfig
	// Encrypt is the base64 gossip encryption key; LeaveOnTerminate (nil:
	// true for servers) makes Shutdown leave the cluster first; Autopilot
	// is the autopilot block (config_cluster.go).
	Encrypt          string
	LeaveOnTerminate *bool
	Autopilot        *AutopilotConfig
	// TLS is the tls block (config_tls.go); nil means no TLS.
	TLS *TLSConfig
	// Files lists the config files this Config was loaded from.
	Files []string
}

// Ports are the agent's listening ports. 0 in a Config that has been
// through Validate means "any free port" (tests use it).
type Ports struct {
	HTTP int
	RPC  int
	Serf int
}

// Advertise holds the addresses other agents and clients should use, as
// "host" or "host:port". Empty means derived from bind_addr.
type Advertise struct {
	HTTP string
	RPC  string
	Serf string
}

// ServerConfig is the server block.
type ServerConfig struct {
	Enabled         bool
	BootstrapExpect int
	NumSchedulers   int
	// HeartbeatGrace is how long the servers wait for a client's heartbeat
	// before marking its node down.
	HeartbeatGrace time.Duration
	RetryJoin      []string
	ServerClusterConfig
}

// ClientConfig is the client block.
type ClientConfig struct {
	Enabled   bool
	Servers   []string
	NodeClass string
	NodePool  string
	Meta      map[string]string
	// Options are driver and client options, e.g. "driver.raw_exec.enable".
	Options     map[string]string
	HostVolumes map[string]*structs.ClientHostVolumeConfig
	// ChrootEnv is what exec tasks see of the host (host path -> path in
	// the container); empty means the driver's default.
	ChrootEnv        map[string]string
	Reserved         Reserved
	NetworkInterface string
	MinDynamicPort   int
	MaxDynamicPort   int
	// CPUTotalCompute and MemoryTotalMB replace the fingerprinted capacity.
	CPUTotalCompute int
	MemoryTotalMB   int
	// GCMaxAllocs is how many finished allocs the client keeps on disk
	// (Nomad's gc_max_allocs); 0 is the client's default.
	GCMaxAllocs int
}

// Reserved is what a client holds back from scheduling.
type Reserved struct {
	CPU           int
	MemoryMB      int
	DiskMB        int
	ReservedPorts string
}

// DefaultConfig is the configuration every agent starts from: region
// global, datacenter dc1, bind 0.0.0.0, ports 8646/8647/8648, neither server
// nor client enabled.
func DefaultConfig() *Config {
	name, _ := os.Hostname()
	return &Config{
		Name:       name,
		Region:     structs.DefaultRegion,
		Datacenter: structs.DefaultDatacenter,
		BindAddr:   "0.0.0.0",
		LogLevel:   "INFO",
		Ports:      Ports{HTTP: DefaultHTTPPort, RPC: DefaultRPCPort, Serf: DefaultSerfPort},
		Server:     &ServerConfig{},
		Client: &ClientConfig{
			Meta:           map[string]string{},
			Options:        map[string]string{},
			HostVolumes:    map[string]*structs.ClientHostVolumeConfig{},
			MinDynamicPort: structs.DefaultMinDynamicPort,
			MaxDynamicPort: structs.DefaultMaxDynamicPort,
		},
	}
}

// DevConfig is DefaultConfig for `drover agent -dev`: server and client in
// one process on 127.0.0.1, bootstrap_expect 1, raw_exec enabled, log level
// DEBUG, and a fresh temporary data dir (created by New, removed by
// Shutdown).
func DevConfig() *Config {
	c := DefaultConfig()
	c.DevMode = true
	c.BindAddr = "127.0.0.1"
	c.LogLevel = "DEBUG"
	c.Server.Enabled = true
	c.Server.BootstrapExpect = 1
	c.Client.Enabled = true
	c.Client.Options["driver.raw_exec.enable"] = "1"
	return c
}

// Merge returns a new Config: c with every field that other sets
// (non-zero) taking other's value. Maps merge key by key; lists are
// replaced. Neither input is changed.
func (c *Config) Merge(other *Config) *Config {
	out := c.copy()
	if other == nil {
		return out
	}
	setStr(&out.Name, other.Name)
	setStr(&out.Region, other.Region)
	setStr(&out.Datacenter, other.Datacenter)
	setStr(&out.DataDir, other.DataDir)
	setStr(&out.BindAddr, other.BindAddr)
	setStr(&out.LogLevel, other.LogLevel)
	out.DevMode = out.DevMode || other.DevMode
	setInt(&out.Ports.HTTP, other.Ports.HTTP)
	setInt(&out.Ports.RPC, other.Ports.RPC)
	setInt(&out.Ports.Serf, other.Ports.Serf)
	setStr(&out.Advertise.HTTP, other.Advertise.HTTP)
	setStr(&out.Advertise.RPC, other.Advertise.RPC)
	setStr(&out.Advertise.Serf, other.Advertise.Serf)
	out.Server = out.Server.merge(other.Server)
	out.Client = out.Client.merge(other.Client)
	mergeCluster(out, other)
	mergeTLS(out, other)
	out.Files = append(out.Files, other.Files...)
	return out
}

func (s *ServerConfig) merge(o *ServerConfig) *ServerConfig {
	out := &ServerConfig{}
	if s != nil {
		*out = *s
		out.RetryJoin = append([]string(nil), s.RetryJoin...)
	}
	if o == nil {
		return out
	}
	out.Enabled = out.Enabled || o.Enabled
	setInt(&out.BootstrapExpect, o.BootstrapExpect)
	setInt(&out.NumSchedulers, o.NumSchedulers)
	if o.HeartbeatGrace != 0 {
		out.HeartbeatGrace = o.HeartbeatGrace
	}
	if len(o.RetryJoin) > 0 {
		out.RetryJoin = append([]string(nil), o.RetryJoin...)
	}
	mergeServerCluster(out, o)
	return out
}

func (c *ClientConfig) merge(o *ClientConfig) *ClientConfig {
	out := &ClientConfig{}
	if c != nil {
		*out = *c
		out.Servers = append([]string(nil), c.Servers...)
		out.Meta, out.Options = maps.Clone(c.Meta), maps.Clone(c.Options)
		out.ChrootEnv = maps.Clone(c.ChrootEnv)
		out.HostVolumes = copyHostVolumes(c.HostVolumes)
	}
	if o == nil {
		return out
	}
	out.Enabled = out.Enabled || o.Enabled
	if len(o.Servers) > 0 {
		out.Servers = append([]string(nil), o.Servers...)
	}
	setStr(&out.NodeClass, o.NodeClass)
	setStr(&out.NodePool, o.NodePool)
	out.Meta = mergeMap(out.Meta, o.Meta)
	out.Options = mergeMap(out.Options, o.Options)
	if len(o.ChrootEnv) > 0 { // replaced, not merged: it is the whole root
		out.ChrootEnv = maps.Clone(o.ChrootEnv)
	}
	for name, v := range o.HostVolumes {
		if out.HostVolumes == nil {
			out.HostVolumes = map[string]*structs.ClientHostVolumeConfig{}
		}
		cp := *v
		out.HostVolumes[name] = &cp
	}
	setInt(&out.Reserved.CPU, o.Reserved.CPU)
	setInt(&out.Reserved.MemoryMB, o.Reserved.MemoryMB)
	setInt(&out.Reserved.DiskMB, o.Reserved.DiskMB)
	setStr(&out.Reserved.ReservedPorts, o.Reserved.ReservedPorts)
	setStr(&out.NetworkInterface, o.NetworkInterface)
	setInt(&out.MinDynamicPort, o.MinDynamicPort)
	setInt(&out.MaxDynamicPort, o.MaxDynamicPort)
	setInt(&out.CPUTotalCompute, o.CPUTotalCompute)
	setInt(&out.MemoryTotalMB, o.MemoryTotalMB)
	setInt(&out.GCMaxAllocs, o.GCMaxAllocs)
	return out
}

// copy deep-copies c.
func (c *Config) copy() *Config {
	out := *c
	out.Server = c.Server.merge(nil)
	out.Client = c.Client.merge(nil)
	out.Files = append([]string(nil), c.Files...)
	if c.TLS != nil {
		t := *c.TLS
		out.TLS = &t
	}
	return &out
}

func copyHostVolumes(in map[string]*structs.ClientHostVolumeConfig) map[string]*structs.ClientHostVolumeConfig {
	if in == nil {
		return nil
	}
	out := make(map[string]*structs.ClientHostVolumeConfig, len(in))
	for k, v := range in {
		cp := *v
		out[k] = &cp
	}
	return out
}

func mergeMap(dst, src map[string]string) map[string]string {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = map[string]string{}
	}
	maps.Copy(dst, src)
	return dst
}

func setStr(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func setInt(dst *int, v int) {
	if v != 0 {
		*dst = v
	}
}

// Validate checks that the configuration can start an agent. Each problem
// names its key and the fix; all problems are returned together.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	server := c.Server != nil && c.Server.Enabled
	client := c.Client != nil && c.Client.Enabled
	if !server && !client {
		add("neither server nor client is enabled: set server { enabled = true } and/or client { enabled = true }, or run with -dev")
	}
	if (server || client) && c.DataDir == "" && !c.DevMode {
		add("data_dir is required: set data_dir = \"/var/lib/drover\" (or -data-dir), or run with -dev")
	}
	if c.BindAddr == "" {
		add("bind_addr is empty: set bind_addr = \"0.0.0.0\" or an IP address")
	}
	if _, err := parseLogLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	checkPort(add, "ports.http", c.Ports.HTTP)
	checkPort(add, "ports.rpc", c.Ports.RPC)
	checkPort(add, "ports.serf", c.Ports.Serf)
	checkPortCollisions(add, c.Ports, server)
	if server {
		errs = append(errs, c.Server.validate()...)
	}
	errs = append(errs, c.validateCluster()...)
	errs = append(errs, c.validateTLS()...)
	if client {
		errs = append(errs, c.Client.validate(server)...)
	}
	return errors.Join(errs...)
}

// checkPortCollisions reports two of the agent's listeners on one port
// (a server also listens for Raft on rpc + 100), which would otherwise
// fail at start as "the port is in use, probably by another agent".
func checkPortCollisions(add func(string, ...any), p Ports, server bool) {
	type listener struct {
		key  string
		port int
	}
	ls := []listener{{"ports.http", p.HTTP}, {"ports.rpc", p.RPC}, {"ports.serf", p.Serf}}
	if server && p.RPC > 0 {
		ls = append(ls, listener{"the Raft port (ports.rpc + 100)", p.RPC + 100})
	}
	for i := range ls {
		for j := i + 1; j < len(ls); j++ {
			if ls[i].port > 0 && ls[i].port == ls[j].port {
				add("%s and %s are both %d: give each listener its own port", ls[i].key, ls[j].key, ls[i].port)
			}
		}
	}
}

func checkPort(add func(string, ...any), key string, port int) {
	if port < 0 || port > 65535 {
		add("%s = %d is out of range: use a port between 1 and 65535", key, port)
	}
}

func (s *ServerConfig) validate() []error {
	var errs []error
	if s.BootstrapExpect < 0 {
		errs = append(errs, fmt.Errorf("server.bootstrap_expect = %d: must be 1 or more (1 for a single server, 3 or 5 for a cluster)", s.BootstrapExpect))
	}
	if s.NumSchedulers < 0 {
		errs = append(errs, fmt.Errorf("server.num_schedulers = %d: must be 0 (one per CPU) or more", s.NumSchedulers))
	}
	if s.HeartbeatGrace < 0 {
		errs = append(errs, fmt.Errorf("server.heartbeat_grace = %s: must not be negative", s.HeartbeatGrace))
	}
	return errs
}

func (c *ClientConfig) validate(localServer bool) []error {
	var errs []error
	if len(c.Servers) == 0 && !localServer {
		errs = append(errs, errors.New("client.servers is empty: list the servers' RPC addresses (servers = [\"10.0.0.1:8647\"]) or enable the server in this agent"))
	}
	if c.MinDynamicPort < 0 || c.MaxDynamicPort > 65535 || (c.MaxDynamicPort != 0 && c.MinDynamicPort > c.MaxDynamicPort) {
		errs = append(errs, fmt.Errorf("client.min_dynamic_port = %d, max_dynamic_port = %d: need 0 < min <= max <= 65535", c.MinDynamicPort, c.MaxDynamicPort))
	}
	if c.CPUTotalCompute < 0 || c.MemoryTotalMB < 0 {
		errs = append(errs, fmt.Errorf("client.cpu_total_compute = %d, memory_total_mb = %d: must not be negative (0 = use the detected value)", c.CPUTotalCompute, c.MemoryTotalMB))
	}
	for name, v := range c.HostVolumes {
		if v.Path == "" {
			errs = append(errs, fmt.Errorf("client.host_volume %q: path is required", name))
		}
	}
	for host, ctr := range c.ChrootEnv {
		if !strings.HasPrefix(host, "/") || !strings.HasPrefix(ctr, "/") {
			errs = append(errs, fmt.Errorf("client.chroot_env: %q = %q: both the host path and the task path must be absolute", host, ctr))
		}
	}
	if c.Reserved.CPU < 0 || c.Reserved.MemoryMB < 0 || c.Reserved.DiskMB < 0 {
		errs = append(errs, errors.New("client.reserved: cpu, memory and disk must not be negative"))
	}
	return errs
}

// rawExecEnabled reports whether the client's options turn raw_exec on.
func (c *ClientConfig) rawExecEnabled() bool {
	switch strings.ToLower(c.Options["driver.raw_exec.enable"]) {
	case "1", "true":
		return true
	}
	return false
}
