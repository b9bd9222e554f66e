package agent

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"

	"github.com/droverhq/drover/structs"
)

// LoadConfigFile reads an agent config file, HCL (.hcl, or any other
// extension) or JSON (.json). Given a directory, it loads every *.hcl and
// *.json file in it in lexical order and merges them, later files winning.
// Errors name file:line. The result holds only what the files set: merge it
// onto DefaultConfig.
func LoadConfigFile(path string) (*Config, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load agent config: %w", err)
	}
	if !fi.IsDir() {
		return loadFile(path)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("load agent config dir: %w", err)
	}
	out := &Config{}
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if e.IsDir() || (ext != ".hcl" && ext != ".json") {
			continue
		}
		c, err := loadFile(filepath.Join(path, e.Name()))
		if err != nil {
			return nil, err
		}
		out = out.Merge(c)
	}
	return out, nil
}

// loadFile parses one file.
func loadFile(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load agent config: %w", err)
	}
	c, err := ParseConfig(path, src)
	if err != nil {
		return nil, err
	}
	c.Files = []string{path}
	return c, nil
}

// ParseConfig parses an agent config from src; name's extension picks JSON
// (.json) or HCL, and name prefixes error positions.
func ParseConfig(name string, src []byte) (*Config, error) {
	p := hclparse.NewParser()
	var f *hcl.File
	var diags hcl.Diagnostics
	if strings.HasSuffix(name, ".json") {
		f, diags = p.ParseJSON(src, name)
	} else {
		f, diags = p.ParseHCL(src, name)
	}
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	var fc fileConfig
	if diags := gohcl.DecodeBody(f.Body, nil, &fc); diags.HasErrors() {
		return nil, diagError(diags)
	}
	return fc.toConfig()
}

// diagError turns HCL diagnostics into one error whose lines read
// "file:line,col: summary; detail".
func diagError(diags hcl.Diagnostics) error {
	return fmt.Errorf("agent config: %w", diags.Errs()[0])
}

// The file* types mirror the config file's blocks for gohcl.
type fileConfig struct {
	Name       string       `hcl:"name,optional"`
	Region     string       `hcl:"region,optional"`
	Datacenter string       `hcl:"datacenter,optional"`
	DataDir    string       `hcl:"data_dir,optional"`
	BindAddr   string       `hcl:"bind_addr,optional"`
	LogLevel   string       `hcl:"log_level,optional"`
	Advertise  *fileAddrs   `hcl:"advertise,block"`
	Ports      *filePorts   `hcl:"ports,block"`
	Server     *fileServer  `hcl:"server,block"`
	Client     *fileClient  `hcl:"client,block"`
	Plugins    []filePlugin `hcl:"plugin,block"`
	// Cluster keys (config_cluster.go).
	Encrypt          string         `hcl:"encrypt,optional"`
	LeaveOnTerminate *bool          `hcl:"leave_on_terminate,optional"`
	Autopilot        *fileAutopilot `hcl:"autopilot,block"`
	// TLS is the tls block (config_tls.go).
	TLS *fileTLS `hcl:"tls,block"`
}

// filePlugin is Nomad's plugin "name" { config { ... } } block. drover
// understands only raw_exec's enabled.
type filePlugin struct {
	Name     string            `hcl:"name,label"`
	Config   *filePluginConfig `hcl:"config,block"`
	DefRange hcl.Range         `hcl:",def_range"`
}

type filePluginConfig struct {
	Enabled bool `hcl:"enabled,optional"`
}

type fileAddrs struct {
	HTTP string `hcl:"http,optional"`
	RPC  string `hcl:"rpc,optional"`
	Serf string `hcl:"serf,optional"`
}

type filePorts struct {
	HTTP int `hcl:"http,optional"`
	RPC  int `hcl:"rpc,optional"`
	Serf int `hcl:"serf,optional"`
}

type fileServer struct {
	Enabled         bool            `hcl:"enabled,optional"`
	BootstrapExpect int             `hcl:"bootstrap_expect,optional"`
	NumSchedulers   int             `hcl:"num_schedulers,optional"`
	HeartbeatGrace  string          `hcl:"heartbeat_grace,optional"`
	ServerJoin      *fileServerJoin `hcl:"server_join,block"`
	// Raft snapshot keys (config_cluster.go).
	RaftSnapshotThreshold int       `hcl:"raft_snapshot_threshold,optional"`
	RaftTrailingLogs      int       `hcl:"raft_trailing_logs,optional"`
	RaftSnapshotInterval  string    `hcl:"raft_snapshot_interval,optional"`
	DefRange              hcl.Range `hcl:",def_range"`
}

type fileServerJoin struct {
	RetryJoin     []string `hcl:"retry_join,optional"`
	StartJoin     []string `hcl:"start_join,optional"`
	RetryInterval string   `hcl:"retry_interval,optional"`
}

type fileClient struct {
	Enabled          bool             `hcl:"enabled,optional"`
	Servers          []string         `hcl:"servers,optional"`
	NodeClass        string           `hcl:"node_class,optional"`
	NodePool         string           `hcl:"node_pool,optional"`
	HostVolumes      []fileHostVolume `hcl:"host_volume,block"`
	Reserved         *fileReserved    `hcl:"reserved,block"`
	NetworkInterface string           `hcl:"network_interface,optional"`
	MinDynamicPort   int              `hcl:"min_dynamic_port,optional"`
	MaxDynamicPort   int              `hcl:"max_dynamic_port,optional"`
	CPUTotalCompute  int              `hcl:"cpu_total_compute,optional"`
	MemoryTotalMB    int              `hcl:"memory_total_mb,optional"`
	GCMaxAllocs      int              `hcl:"gc_max_allocs,optional"`
	// ServerJoin lists servers' RPC addresses (config_cluster.go).
	ServerJoin *fileServerJoin `hcl:"server_join,block"`
	// Remain holds meta and options, which may be blocks or attributes.
	Remain hcl.Body `hcl:",remain"`
}

type fileHostVolume struct {
	Name     string `hcl:"name,label"`
	Path     string `hcl:"path"`
	ReadOnly bool   `hcl:"read_only,optional"`
}

type fileReserved struct {
	CPU           int    `hcl:"cpu,optional"`
	Memory        int    `hcl:"memory,optional"`
	Disk          int    `hcl:"disk,optional"`
	ReservedPorts string `hcl:"reserved_ports,optional"`
}

func (fc *fileConfig) toConfig() (*Config, error) {
	c := &Config{
		Name: fc.Name, Region: fc.Region, Datacenter: fc.Datacenter, DataDir: fc.DataDir,
		BindAddr: fc.BindAddr, LogLevel: fc.LogLevel,
	}
	if fc.Advertise != nil {
		c.Advertise = Advertise(*fc.Advertise)
	}
	if fc.Ports != nil {
		c.Ports = Ports(*fc.Ports)
	}
	if fc.Server != nil {
		s, err := fc.Server.toConfig()
		if err != nil {
			return nil, err
		}
		c.Server = s
	}
	if fc.Client != nil {
		cc, err := fc.Client.toConfig()
		if err != nil {
			return nil, err
		}
		c.Client = cc
	}
	for _, p := range fc.Plugins {
		if err := p.apply(c); err != nil {
			return nil, err
		}
	}
	if err := fc.clusterToConfig(c); err != nil {
		return nil, err
	}
	c.TLS = fc.TLS.toConfig()
	return c, nil
}

// apply turns plugin "raw_exec" { config { enabled = true } } into the
// client option driver.raw_exec.enable.
func (p *filePlugin) apply(c *Config) error {
	if p.Name != "raw_exec" {
		return fmt.Errorf("agent config: %s: plugin %q is not supported: drover's drivers are exec, raw_exec and mock; remove the block", p.DefRange, p.Name)
	}
	if p.Config == nil || !p.Config.Enabled {
		return nil
	}
	if c.Client == nil {
		c.Client = &ClientConfig{}
	}
	c.Client.Options = mergeMap(c.Client.Options, map[string]string{"driver.raw_exec.enable": "1"})
	return nil
}

func (fs *fileServer) toConfig() (*ServerConfig, error) {
	s := &ServerConfig{Enabled: fs.Enabled, BootstrapExpect: fs.BootstrapExpect, NumSchedulers: fs.NumSchedulers}
	if fs.HeartbeatGrace != "" {
		d, err := time.ParseDuration(fs.HeartbeatGrace)
		if err != nil {
			return nil, fmt.Errorf("agent config: %s: server.heartbeat_grace = %q is not a duration: use e.g. \"10s\"", fs.DefRange, fs.HeartbeatGrace)
		}
		s.HeartbeatGrace = d
	}
	if fs.ServerJoin != nil {
		s.RetryJoin = fs.ServerJoin.RetryJoin
	}
	return s, nil
}

func (fc *fileClient) toConfig() (*ClientConfig, error) {
	cm, err := decodeClientMaps(fc.Remain)
	if err != nil {
		return nil, err
	}
	meta, options := cm["meta"], cm["options"]
	c := &ClientConfig{
		Enabled: fc.Enabled, Servers: fc.Servers, NodeClass: fc.NodeClass, NodePool: fc.NodePool,
		Meta: meta, Options: options, NetworkInterface: fc.NetworkInterface,
		MinDynamicPort: fc.MinDynamicPort, MaxDynamicPort: fc.MaxDynamicPort,
		CPUTotalCompute: fc.CPUTotalCompute, MemoryTotalMB: fc.MemoryTotalMB,
		ChrootEnv: cm["chroot_env"], GCMaxAllocs: fc.GCMaxAllocs,
	}
	c.Servers = append(c.Servers, fc.ServerJoin.clientServers()...)
	if fc.Reserved != nil {
		r := fc.Reserved
		c.Reserved = Reserved{CPU: r.CPU, MemoryMB: r.Memory, DiskMB: r.Disk, ReservedPorts: r.ReservedPorts}
	}
	for _, hv := range fc.HostVolumes {
		if c.HostVolumes == nil {
			c.HostVolumes = map[string]*structs.ClientHostVolumeConfig{}
		}
		c.HostVolumes[hv.Name] = &structs.ClientHostVolumeConfig{Name: hv.Name, Path: hv.Path, ReadOnly: hv.ReadOnly}
	}
	return c, nil
}

// clientMapNames are the client keys that hold free-form string maps. They
// may be written as blocks (meta { k = "v" }) or attributes (options = {
// "driver.raw_exec.enable" = "1" }); keys that are paths need the
// attribute form: chroot_env = { "/usr" = "/usr" }.
var clientMapNames = []string{"meta", "options", "chroot_env"}

// decodeClientMaps decodes the clientMapNames maps from what gohcl left
// over, and rejects anything else there with its position.
func decodeClientMaps(body hcl.Body) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	schema := &hcl.BodySchema{}
	for _, n := range clientMapNames {
		schema.Blocks = append(schema.Blocks, hcl.BlockHeaderSchema{Type: n})
	}
	content, rest, diags := body.PartialContent(schema)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	for _, b := range content.Blocks {
		attrs, diags := b.Body.JustAttributes()
		if diags.HasErrors() {
			return nil, diagError(diags)
		}
		m, err := attrsToMap(attrs)
		if err != nil {
			return nil, err
		}
		out[b.Type] = mergeMap(out[b.Type], m)
	}
	attrSchema := &hcl.BodySchema{}
	for _, n := range clientMapNames {
		attrSchema.Attributes = append(attrSchema.Attributes, hcl.AttributeSchema{Name: n})
	}
	attrContent, diags := rest.Content(attrSchema)
	if diags.HasErrors() {
		return nil, diagError(diags)
	}
	for name, a := range attrContent.Attributes {
		var m map[string]string
		if diags := gohcl.DecodeExpression(a.Expr, nil, &m); diags.HasErrors() {
			return nil, diagError(diags)
		}
		out[name] = mergeMap(out[name], m)
	}
	return out, nil
}

// attrsToMap evaluates attributes as strings.
func attrsToMap(attrs hcl.Attributes) (map[string]string, error) {
	m := make(map[string]string, len(attrs))
	for name, a := range attrs {
		v, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			return nil, diagError(diags)
		}
		s, err := ctyString(v)
		if err != nil {
			return nil, fmt.Errorf("agent config: %s: %s: %w", a.NameRange, name, err)
		}
		m[name] = s
	}
	return m, nil
}

// ctyString renders a string, number or bool value as a string.
func ctyString(v cty.Value) (string, error) {
	if v.IsNull() || !v.IsKnown() {
		return "", fmt.Errorf("value must be set")
	}
	switch v.Type() {
	case cty.String:
		return v.AsString(), nil
	case cty.Number:
		return v.AsBigFloat().Text('f', -1), nil
	case cty.Bool:
		if v.True() {
			return "true", nil
		}
		return "false", nil
	}
	return "", fmt.Errorf("value must be a string, number or bool, not %s", v.Type().FriendlyName())
}

// parseLogLevel maps log_level to a slog level.
func parseLogLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(s) {
	case "TRACE", "DEBUG":
		return slog.LevelDebug, nil
	case "", "INFO":
		return slog.LevelInfo, nil
	case "WARN":
		return slog.LevelWarn, nil
	case "ERR", "ERROR":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log_level = %q is unknown: use TRACE, DEBUG, INFO, WARN or ERROR", s)
}
