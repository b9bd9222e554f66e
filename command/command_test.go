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

func TestVersionFlag(t *testing.T) {
	for _, flag := range []string{"-version", "--version", "-v"} {
		r := runCLI(t, "", "", flag)
		wantCode(t, r, 0)
		if r.stdout != "drover v0.1.0-dev\n" {
			t.Errorf("drover %s: got %q, want %q", flag, r.stdout, "drover v0.1.0-dev\n")
		}
	}
	// A subcommand's own -version flag is untouched.
	r := runCLI(t, "", "", "job", "inspect", "-version", "-1", "web")
	wantContains(t, "stderr", r.stderr, "-version -1 is negative")
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

// TestUsageErrors: bad flags and arguments are named in Nomad's single-dash
// terms with the command's usage line, never with Go parser internals.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		wants []string
	}{
		{"bad duration", []string{"node", "drain", "-enable", "-deadline", "abc", "n1"},
			[]string{`Error: invalid value "abc" for -deadline: not a duration; use a number with a unit`, "Usage: drover node drain"}},
		{"bad bool", []string{"operator", "scheduler", "set-config", "-preempt-batch-scheduler=maybe"},
			[]string{`invalid value "maybe" for -preempt-batch-scheduler: use true or false`}},
		{"bad int", []string{"agent", "-dev", "-bootstrap-expect", "abc"},
			[]string{`invalid value "abc" for -bootstrap-expect: not a whole number`}},
		{"int out of range", []string{"alloc", "logs", "-tail", "-n", "99999999999999999999", "a1"},
			[]string{`for -lines (-n): the number is out of range`}},
		{"negative count", []string{"job", "scale", "web", "-1"},
			[]string{"-1 is not a valid argument: negative numbers are not allowed here", "Usage: drover job scale <job> [<group>] <count>"}},
		{"unknown single-dash flag", []string{"job", "status", "-nosuch"},
			[]string{"unknown flag -nosuch", "Run 'drover job status --help' for usage."}},
		{"unknown one-letter flag", []string{"eval", "list", "-q"}, []string{"unknown flag -q"}},
		{"flag without value", []string{"job", "run", "-var"}, []string{"flag -var needs a value"}},
		{"too many args", []string{"job", "status", "a", "b"},
			[]string{"wrong number of arguments: this command takes at most 1 argument, got 2", "Usage: drover job status [job]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", "", tt.args...)
			wantCode(t, r, 1)
			wantContains(t, "stderr", r.stderr, tt.wants...)
			for _, bad := range []string{"strconv.", "time: invalid", "shorthand", "arg(s)"} {
				if strings.Contains(r.stderr, bad) {
					t.Errorf("stderr %q contains Go-internal %q", r.stderr, bad)
				}
			}
		})
	}
}

// TestFlagValueChecks: flag values that parse but make no sense are refused
// before anything is asked of the agent, naming the flag and the fix.
func TestFlagValueChecks(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"negative job version", []string{"job", "inspect", "-version", "-1", "web"},
			"Error inspecting job: -version -1 is negative: use a version number from 'drover job history web'"},
		{"negative log lines", []string{"alloc", "logs", "-tail", "-n", "-5", "a1"},
			"Error reading logs: -n -5 is negative"},
		{"negative log bytes", []string{"alloc", "logs", "-tail", "-c", "-1", "a1"},
			"Error reading logs: -c -1 is negative"},
		{"unknown eval status", []string{"eval", "list", "-status", "bogus"},
			`Error listing evaluations: -status "bogus" is not an evaluation status: use pending, blocked, complete, failed, canceled`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "http://127.0.0.1:1", "", tt.args...)
			wantCode(t, r, 1)
			wantContains(t, "stderr", r.stderr, tt.want)
		})
	}
}
