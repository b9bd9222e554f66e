package command

import (
	"reflect"
	"strings"
	"testing"

	"github.com/droverhq/drover/api"
)

func TestNormalizeArgs(t *testing.T) {
	root := newMeta(nil, nil, nil).rootCommand()
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"single-dash bool", []string{"job", "run", "-detach", "f.hcl"}, []string{"job", "run", "--detach", "f.hcl"}},
		{"with value", []string{"-var=a=b", "-var-file", "x"}, []string{"--var=a=b", "--var-file", "x"}},
		{"global flag", []string{"-address", "http://x"}, []string{"--address", "http://x"}},
		{"help", []string{"-help"}, []string{"--help"}},
		{"stdin and short flags kept", []string{"-", "-h", "-5"}, []string{"-", "-h", "-5"}},
		{"unknown kept", []string{"-nosuchflag"}, []string{"-nosuchflag"}},
		{"double dash kept", []string{"--detach"}, []string{"--detach"}},
		{"after terminator kept", []string{"--", "-detach"}, []string{"--", "-detach"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalizeArgs(root, tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := runCLI(t, "", "", "version")
	wantCode(t, r, 0)
	if r.stdout != "drover v0.1.0-dev\n" {
		t.Errorf("got %q, want %q", r.stdout, "drover v0.1.0-dev\n")
	}
}

func TestUnknownCommand(t *testing.T) {
	r := runCLI(t, "", "", "frobnicate")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "Error: unknown command")
}

func TestUnknownSubcommand(t *testing.T) {
	for _, group := range []string{"job", "operator", "server", "alloc"} {
		r := runCLI(t, "", "", group, "frobnicate")
		wantCode(t, r, 1)
		wantContains(t, "stderr", r.stderr, `unknown command "frobnicate" for "drover `+group+`"`)
	}
	r := runCLI(t, "", "", "job")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "Available Commands")
}

func TestGenericStatusResolvesKinds(t *testing.T) {
	f, addr := newFakeAgent(t)
	f.allocs = []*api.Allocation{{ID: "deadbeef-1", JobID: "web", Name: "web.app[0]", ClientStatus: "running"}}
	r := runCLI(t, addr, "", "status", "deadbe")
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "Name                = web.app[0]")

	r = runCLI(t, addr, "", "status", "zzzz")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "Error getting status: no job, evaluation, allocation or node matches \"zzzz\"")
}

func TestGlobalFlagsReachAgent(t *testing.T) {
	f, addr := newFakeAgent(t)
	r := runCLI(t, addr, "", "job", "status", "-namespace", "prod", "-region", "eu", "-token", "secret")
	wantCode(t, r, 0)
	if len(f.requests) != 1 || !strings.Contains(f.requests[0], "namespace=prod") || !strings.Contains(f.requests[0], "region=eu") {
		t.Errorf("requests: got %q", f.requests)
	}
}
