package command

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/droverhq/drover/agent"
)

func TestAgentConfigFromFlagsAndFiles(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "a.hcl")
	if err := os.WriteFile(cfgFile, []byte("datacenter = \"dc7\"\nname = \"from-file\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var got *agent.Config
	var out, errb bytes.Buffer
	m := newMeta(strings.NewReader(""), &out, &errb)
	m.startAgent = func(cfg *agent.Config) error { got = cfg; return nil }
	code := m.run([]string{"agent", "-dev", "-config", cfgFile, "-node", "n1", "-servers", "a:1,b:2",
		"-bootstrap-expect", "3", "-data-dir", dir, "-log-level", "WARN", "-region", "eu"})
	if code != 0 || got == nil {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if !got.DevMode || !got.Server.Enabled || !got.Client.Enabled {
		t.Errorf("dev: got dev %v server %v client %v, want all true", got.DevMode, got.Server.Enabled, got.Client.Enabled)
	}
	if got.Datacenter != "dc7" || got.Name != "n1" || got.DataDir != dir || got.LogLevel != "WARN" {
		t.Errorf("got dc %q name %q data dir %q log %q", got.Datacenter, got.Name, got.DataDir, got.LogLevel)
	}
	if got.Region != "eu" {
		t.Errorf("region: got %q, want eu", got.Region)
	}
	if got.Server.BootstrapExpect != 3 || !reflect.DeepEqual(got.Client.Servers, []string{"a:1", "b:2"}) {
		t.Errorf("got bootstrap %d servers %q", got.Server.BootstrapExpect, got.Client.Servers)
	}
}

func TestAgentBadConfigFile(t *testing.T) {
	r := runCLI(t, "", "", "agent", "-config", filepath.Join(t.TempDir(), "missing.hcl"))
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "Error loading agent configuration:", "missing.hcl")
}
