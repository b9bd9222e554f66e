package agent

import (
	"maps"
	"strings"
	"testing"
)

// client { chroot_env = { ... } } is a map attribute (HCL2 does not allow
// the quoted names of Nomad's HCL1 block form), and a later file replaces
// it whole.
func TestParseConfigChrootEnv(t *testing.T) {
	want := map[string]string{"/usr": "/usr", "/etc": "/etc", "/opt/tools": "/tools"}
	for name, src := range map[string]string{
		"attribute": "client {\n  chroot_env = {\n    \"/usr\" = \"/usr\"\n    \"/etc\" = \"/etc\"\n    \"/opt/tools\" = \"/tools\"\n  }\n}\n",
	} {
		t.Run(name, func(t *testing.T) {
			c, err := ParseConfig("agent.hcl", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Client.ChrootEnv; !maps.Equal(got, want) {
				t.Fatalf("got chroot_env %v, want %v", got, want)
			}
			merged := DefaultConfig().Merge(c).Merge(&Config{Client: &ClientConfig{ChrootEnv: map[string]string{"/usr": "/usr"}}})
			if got := merged.Client.ChrootEnv; !maps.Equal(got, map[string]string{"/usr": "/usr"}) {
				t.Fatalf("after merging a second chroot_env: got %v, want it replaced", got)
			}
		})
	}
}

func TestValidateChrootEnv(t *testing.T) {
	c := DefaultConfig()
	c.Client.Enabled = true
	c.DataDir = t.TempDir()
	c.Client.ChrootEnv = map[string]string{"usr": "/usr"}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "chroot_env") {
		t.Fatalf("got %v, want an error naming client.chroot_env", err)
	}
}
