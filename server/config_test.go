package server

import (
	"net"
	"testing"
)

func TestRaftBindAddr(t *testing.T) {
	tests := []struct {
		name      string
		rpc, adv  string
		raft      string
		boundPort int
		want      string
	}{
		{"rpc port plus 100", "127.0.0.1:8647", "", "", 8647, "127.0.0.1:8747"},
		{"free port stays free", "127.0.0.1:0", "", "", 40000, "127.0.0.1:0"},
		{"unspecified host uses advertise", "0.0.0.0:8647", "10.0.0.5:8647", "", 8647, "10.0.0.5:8747"},
		{"unspecified host without advertise is loopback", ":8647", "", "", 8647, "127.0.0.1:8747"},
		{"explicit raft address wins", "127.0.0.1:8647", "", "10.0.0.9:9000", 8647, "10.0.0.9:9000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &Config{RPCAddr: tt.rpc, RPCAdvertise: tt.adv, RaftAddr: tt.raft}
			got := raftBindAddr(cfg, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: tt.boundPort})
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	if _, err := (&Config{}).withDefaults(); err == nil {
		t.Fatal("got no error without DataDir, want one")
	}
	cfg, err := (&Config{DataDir: t.TempDir(), NodeName: "s1"}).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RPCAddr != DefaultRPCAddr || cfg.HeartbeatTTL != DefaultHeartbeatTTL || cfg.NumSchedulers < 1 ||
		cfg.BootstrapExpect != 1 || cfg.Now == nil || cfg.Logger == nil {
		t.Fatalf("got %+v, want every default set", cfg)
	}
}
