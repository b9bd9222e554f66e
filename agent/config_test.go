package agent

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/droverhq/drover/structs"
)

const fullHCL = `
name       = "node-1"
region     = "eu"
datacenter = "dc2"
data_dir   = "/var/lib/drover"
bind_addr  = "10.0.0.5"
log_level  = "WARN"

advertise {
  http = "10.0.0.5"
  rpc  = "10.0.0.5:8647"
}

ports {
  http = 9646
  rpc  = 9647
  serf = 9648
}

server {
  enabled          = true
  bootstrap_expect = 3
  num_schedulers   = 2
  heartbeat_grace  = "15s"
  server_join {
    retry_join = ["10.0.0.6", "10.0.0.7"]
  }
}

client {
  enabled    = true
  servers    = ["10.0.0.6:8647"]
  node_class = "gpu"
  node_pool  = "batch"
  meta {
    rack = "r1"
  }
  options = {
    "driver.raw_exec.enable" = "1"
  }
  host_volume "data" {
    path      = "/srv/data"
    read_only = true
  }
  reserved {
    cpu            = 500
    memory         = 256
    disk           = 1024
    reserved_ports = "22,80"
  }
  network_interface = "eth0"
  min_dynamic_port  = 21000
  max_dynamic_port  = 22000
  cpu_total_compute = 12000
  memory_total_mb   = 65536
}
`

const fullJSON = `{
  "name": "node-1", "region": "eu", "datacenter": "dc2", "data_dir": "/var/lib/drover",
  "bind_addr": "10.0.0.5", "log_level": "WARN",
  "advertise": {"http": "10.0.0.5", "rpc": "10.0.0.5:8647"},
  "ports": {"http": 9646, "rpc": 9647, "serf": 9648},
  "server": {"enabled": true, "bootstrap_expect": 3, "num_schedulers": 2, "heartbeat_grace": "15s",
             "server_join": {"retry_join": ["10.0.0.6", "10.0.0.7"]}},
  "client": {"enabled": true, "servers": ["10.0.0.6:8647"], "node_class": "gpu", "node_pool": "batch",
             "meta": {"rack": "r1"}, "options": {"driver.raw_exec.enable": "1"},
             "host_volume": {"data": {"path": "/srv/data", "read_only": true}},
             "reserved": {"cpu": 500, "memory": 256, "disk": 1024, "reserved_ports": "22,80"},
             "network_interface": "eth0", "min_dynamic_port": 21000, "max_dynamic_port": 22000,
             "cpu_total_compute": 12000, "memory_total_mb": 65536}
}`

func wantFull() *Config {
	return &Config{
		Name: "node-1", Region: "eu", Datacenter: "dc2", DataDir: "/var/lib/drover",
		BindAddr: "10.0.0.5", LogLevel: "WARN",
		Advertise: Advertise{HTTP: "10.0.0.5", RPC: "10.0.0.5:8647"},
		Ports:     Ports{HTTP: 9646, RPC: 9647, Serf: 9648},
		Server: &ServerConfig{Enabled: true, BootstrapExpect: 3, NumSchedulers: 2,
			HeartbeatGrace: 15 * time.Second, RetryJoin: []string{"10.0.0.6", "10.0.0.7"}},
		Client: &ClientConfig{Enabled: true, Servers: []string{"10.0.0.6:8647"}, NodeClass: "gpu", NodePool: "batch",
			Meta: map[string]string{"rack": "r1"}, Options: map[string]string{"driver.raw_exec.enable": "1"},
			HostVolumes:      map[string]*structs.ClientHostVolumeConfig{"data": {Name: "data", Path: "/srv/data", ReadOnly: true}},
			Reserved:         Reserved{CPU: 500, MemoryMB: 256, DiskMB: 1024, ReservedPorts: "22,80"},
			NetworkInterface: "eth0", MinDynamicPort: 21000, MaxDynamicPort: 22000,
			CPUTotalCompute: 12000, MemoryTotalMB: 65536},
	}
}

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name, file, src string
		want            *Config
		wantErr         string
	}{
		{name: "full hcl", file: "a.hcl", src: fullHCL, want: wantFull()},
		{name: "full json", file: "a.json", src: fullJSON, want: wantFull()},
		{name: "empty", file: "a.hcl", src: "", want: &Config{}},
		{name: "string number converts", file: "a.hcl", src: `server { bootstrap_expect = "1" }`,
			want: &Config{Server: &ServerConfig{BootstrapExpect: 1}}},
		{name: "unknown top-level key", file: "a.hcl", src: "name = \"x\"\nbogus = 1\n", wantErr: "a.hcl:2"},
		{name: "unknown server key", file: "a.hcl", src: "server {\n  enabled = true\n  nope = 3\n}\n", wantErr: "a.hcl:3"},
		{name: "unknown client key", file: "a.hcl", src: "client {\n\n  nope = 3\n}\n", wantErr: "a.hcl:3"},
		{name: "unknown json key", file: "a.json", src: "{\n\"client\": {\n\"nope\": 1}}", wantErr: "a.json:3"},
		{name: "bad type", file: "a.hcl", src: "ports {\n  http = \"eighty\"\n}\n", wantErr: "a.hcl:2"},
		{name: "bad bool", file: "a.hcl", src: "server {\n  enabled = \"maybe\"\n}\n", wantErr: "a.hcl:2"},
		{name: "bad duration", file: "a.hcl", src: "server {\n  heartbeat_grace = \"soon\"\n}\n", wantErr: "heartbeat_grace"},
		{name: "syntax error", file: "a.hcl", src: "server {\n", wantErr: "a.hcl:"},
		{name: "raw_exec plugin", file: "a.hcl", src: "plugin \"raw_exec\" {\n  config {\n    enabled = true\n  }\n}\n",
			want: &Config{Client: &ClientConfig{Options: map[string]string{"driver.raw_exec.enable": "1"}}}},
		{name: "other plugin", file: "a.hcl", src: "plugin \"docker\" {\n}\n", wantErr: "a.hcl:1"},
		{name: "host volume needs path", file: "a.hcl", src: "client {\n  host_volume \"x\" {}\n}\n", wantErr: "a.hcl:2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfig(tc.file, []byte(tc.src))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseConfigClientMaps(t *testing.T) {
	src := "client {\n  meta = { a = \"1\" }\n  options { x = 2 }\n}\n"
	got, err := ParseConfig("a.hcl", []byte(src))
	if err != nil {
		t.Fatalf("got error %v", err)
	}
	if got.Client.Meta["a"] != "1" || got.Client.Options["x"] != "2" {
		t.Errorf("got meta %v options %v, want a=1 and x=2", got.Client.Meta, got.Client.Options)
	}
}

func TestLoadConfigFileDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a.hcl", `name = "first"
datacenter = "dc9"`)
	write("b.json", `{"name": "second"}`)
	write("c.txt", `this is ignored`)
	got, err := LoadConfigFile(dir)
	if err != nil {
		t.Fatalf("got error %v", err)
	}
	if got.Name != "second" || got.Datacenter != "dc9" {
		t.Errorf("got name %q dc %q, want second and dc9", got.Name, got.Datacenter)
	}
	if len(got.Files) != 2 {
		t.Errorf("got files %v, want 2", got.Files)
	}
	if _, err := LoadConfigFile(filepath.Join(dir, "missing.hcl")); err == nil {
		t.Error("got no error for a missing file")
	}
}

func TestMerge(t *testing.T) {
	base := DefaultConfig()
	over := &Config{Name: "x", Ports: Ports{HTTP: 1234},
		Client: &ClientConfig{Enabled: true, Meta: map[string]string{"k": "v"}}}
	got := base.Merge(over)
	if got.Name != "x" || got.Ports.HTTP != 1234 || got.Ports.RPC != DefaultRPCPort {
		t.Errorf("got name %q ports %+v", got.Name, got.Ports)
	}
	if !got.Client.Enabled || got.Client.Meta["k"] != "v" || got.Client.MinDynamicPort != structs.DefaultMinDynamicPort {
		t.Errorf("got client %+v", got.Client)
	}
	if base.Client.Meta["k"] != "" || base.Name == "x" {
		t.Error("Merge changed its receiver")
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name    string
		mod     func(c *Config)
		wantErr string
	}{
		{name: "dev ok", mod: func(c *Config) {}},
		{name: "server needs data_dir", mod: func(c *Config) { c.DevMode = false }, wantErr: "data_dir"},
		{name: "client needs servers", mod: func(c *Config) { c.Server.Enabled = false }, wantErr: "client.servers"},
		{name: "nothing enabled", mod: func(c *Config) { c.Server.Enabled, c.Client.Enabled = false, false }, wantErr: "neither"},
		{name: "port range", mod: func(c *Config) { c.Ports.HTTP = 70000 }, wantErr: "ports.http"},
		{name: "same port twice", mod: func(c *Config) { c.Ports.HTTP, c.Ports.RPC = 19760, 19760 },
			wantErr: "ports.http and ports.rpc are both 19760: give each listener its own port"},
		{name: "raft port taken", mod: func(c *Config) { c.Ports.HTTP, c.Ports.RPC = 19760, 19660 },
			wantErr: "ports.http and the Raft port (ports.rpc + 100) are both 19760"},
		{name: "log level", mod: func(c *Config) { c.LogLevel = "loud" }, wantErr: "log_level"},
		{name: "dynamic ports", mod: func(c *Config) { c.Client.MinDynamicPort = 30000; c.Client.MaxDynamicPort = 20000 }, wantErr: "min_dynamic_port"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := DevConfig()
			tc.mod(c)
			err := c.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
