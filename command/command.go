// Package command is drover's command-line interface, built on cobra.
//
// Run is the entry point used by main. Each command group lives in its own
// file (job.go, eval.go, alloc.go, node.go, agent.go, status.go); they talk
// to agents only through the api package. Commands write to the Meta's
// Stdout and Stderr, never to os.Stdout, so tests run them in-process
// against a fake agent. Flags are accepted in Nomad's single-dash form
// (-detach) as well as cobra's (--detach); see normalizeArgs.
package command

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/droverhq/drover/agent"
	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Meta is what every command shares: its output streams, the global flags
// and the seams tests replace.
type Meta struct {
	Stdout io.Writer
	Stderr io.Writer
	Stdin  io.Reader

	// Global flags; empty means "from the DROVER_* environment".
	address   string
	namespace string
	region    string
	token     string
	tls       api.TLSConfig // -ca-cert, -client-cert, ... (tls.go)

	// now is the clock used for relative times ("3s ago").
	now func() time.Time
	// parseJob turns a job file into a Job; see jobspec.go.
	parseJob func(req *parseRequest) (*api.Job, error)
	// pollInterval spaces monitor reads when the agent does not block.
	pollInterval time.Duration
	// startAgent, when set, replaces running the agent (tests capture the
	// configuration with it).
	startAgent func(cfg *agent.Config) error
	// environ returns the process environment (for NOMAD_VAR_x variables).
	environ func() []string
}

// newMeta returns a Meta writing to the given streams with the real clock
// and job parser.
func newMeta(stdin io.Reader, stdout, stderr io.Writer) *Meta {
	return &Meta{
		Stdout:       stdout,
		Stderr:       stderr,
		Stdin:        stdin,
		now:          time.Now,
		parseJob:     parseJobFile,
		pollInterval: time.Second,
		environ:      os.Environ,
	}
}

// Run runs the CLI with args (without the program name) on the process's
// standard streams and returns the exit code.
func Run(args []string) int {
	return RunWith(args, os.Stdin, os.Stdout, os.Stderr)
}

// RunWith runs the CLI with the given streams and returns the exit code.
func RunWith(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newMeta(stdin, stdout, stderr).run(args)
}

// run builds the command tree, executes args and maps the outcome to an
// exit code.
func (m *Meta) run(args []string) int {
	root := m.rootCommand()
	root.SetArgs(normalizeArgs(root, args))
	root.SetIn(m.Stdin)
	root.SetOut(m.Stdout)
	root.SetErr(m.Stderr)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintf(m.Stderr, "Error: %s\n", usageErrorMessage(err))
	if cmd != nil && cmd.HasParent() && cmd.Runnable() {
		fmt.Fprintf(m.Stderr, "Usage: %s\n", cmd.UseLine())
		fmt.Fprintf(m.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		if code, err := strconv.Atoi(cmd.Annotations[usageExitCodeKey]); err == nil {
			return code
		}
		return 1
	}
	fmt.Fprintln(m.Stderr, "Run 'drover --help' for usage.")
	return 1
}

// usageExitCodeKey is the cobra annotation that gives a command's exit code
// for a usage error, when 1 means something else for it (job plan).
const usageExitCodeKey = "drover/usage-exit-code"

// usageErrorMessage rewords pflag's parse errors in Nomad's single-dash
// terms, without Go-internal text such as `strconv.ParseInt: parsing "x":
// invalid syntax`; other errors keep their message.
func usageErrorMessage(err error) string {
	var inv *pflag.InvalidValueError
	var missing *pflag.ValueRequiredError
	var unknown *pflag.NotExistError
	switch {
	case errors.As(err, &inv):
		f := inv.GetFlag()
		name := f.Name
		if f.Shorthand != "" {
			name += " (-" + f.Shorthand + ")"
		}
		return fmt.Sprintf("invalid value %q for -%s: %s", inv.GetValue(), name, flagValueHint(f, inv))
	case errors.As(err, &missing):
		name := missing.GetSpecifiedName()
		if f := missing.GetFlag(); f != nil {
			name = f.Name
		}
		return fmt.Sprintf("flag -%s needs a value, e.g. -%s=VALUE", name, name)
	case errors.As(err, &unknown):
		given := unknown.GetSpecifiedShortnames()
		if given == "" {
			return fmt.Sprintf("unknown flag -%s; see the command's --help for its flags", unknown.GetSpecifiedName())
		}
		if isDigits(given) {
			return fmt.Sprintf("-%s is not a valid argument: negative numbers are not allowed here (counts, indexes and versions are 0 or more)", given)
		}
		return fmt.Sprintf("unknown flag -%s; see the command's --help for its flags", given)
	}
	if m := cobraArgsError.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Sprintf("wrong number of arguments: this command takes %s%s, got %s", m[1], argWord(m[1]), m[2])
	}
	return err.Error()
}

// cobraArgsError matches cobra's "accepts 1 arg(s), received 0" and its
// "at most" / "between" / "at least" variants.
var cobraArgsError = regexp.MustCompile(`^(?:accepts|requires) ((?:at most |at least |between )?\d+(?: and \d+)?) arg\(s\), (?:only )?received (\d+)$`)

func argWord(n string) string {
	if n == "1" || n == "at most 1" {
		return " argument"
	}
	return " arguments"
}

// flagValueHint says what a flag of f's type takes.
func flagValueHint(f *pflag.Flag, err error) string {
	switch f.Value.Type() {
	case "duration":
		return `not a duration; use a number with a unit, such as "30s", "5m" or "1h"`
	case "bool":
		return "use true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		if errors.Is(err, strconv.ErrRange) {
			return "the number is out of range"
		}
		if strings.HasPrefix(f.Value.Type(), "uint") {
			return "not a whole number of 0 or more"
		}
		return "not a whole number"
	case "float32", "float64":
		return "not a number"
	}
	if cause := errors.Unwrap(err); cause != nil {
		return cause.Error()
	}
	return err.Error()
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// rootCommand assembles every command group under "drover".
func (m *Meta) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "drover",
		Short:         "drover is a cluster scheduler in the style of Nomad",
		SilenceUsage:  true,
		SilenceErrors: true,
		CompletionOptions: cobra.CompletionOptions{
			DisableDefaultCmd: true,
		},
		// "drover -version", "--version" and "-v" print the version, as
		// "nomad -version" does.
		Version: Version,
	}
	root.SetVersionTemplate("drover {{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVar(&m.address, "address", "", "agent HTTP address (env "+api.EnvAddress+", default "+api.DefaultAddress+")")
	pf.StringVar(&m.namespace, "namespace", "", "target namespace (env "+api.EnvNamespace+")")
	pf.StringVar(&m.region, "region", "", "target region (env "+api.EnvRegion+")")
	pf.StringVar(&m.token, "token", "", "ACL token (env "+api.EnvToken+")")
	m.addTLSFlags(pf)
	root.AddCommand(
		m.agentCommand(),
		m.agentInfoCommand(),
		m.jobCommand(),
		m.evalCommand(),
		m.allocCommand(),
		m.nodeCommand(),
		m.operatorCommand(),
		m.serverCommand(),
		m.statusCommand(),
		m.systemCommand(),
		m.tlsCommand(),
		m.versionCommand(),
	)
	rejectUnknownSubcommands(root)
	return root
}

// rejectUnknownSubcommands makes every command group fail on a subcommand
// it does not have (cobra would print help and exit 0, hiding typos from
// scripts); a group run without one prints its help.
func rejectUnknownSubcommands(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		rejectUnknownSubcommands(sub)
	}
	if !cmd.HasSubCommands() || cmd.Run != nil || cmd.RunE != nil || !cmd.HasParent() {
		return
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return fmt.Errorf("unknown command %q for %q", args[0], c.CommandPath())
		}
		return c.Help()
	}
}

// client returns an API client configured from the environment and the
// global flags.
func (m *Meta) client() (*api.Client, error) {
	cfg := api.DefaultConfig()
	override(&cfg.Address, m.address)
	override(&cfg.Namespace, m.namespace)
	override(&cfg.Region, m.region)
	override(&cfg.Token, m.token)
	cfg.TLSConfig = m.tlsConfig(cfg.TLSConfig)
	return api.NewClient(cfg)
}

func override(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

// exitError ends a command with an exit code after it printed its own
// message.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exit returns the error that makes Run return code; nil for 0.
func exit(code int) error {
	if code == 0 {
		return nil
	}
	return &exitError{code: code}
}

// fail prints "Error <doing>: <err>" to stderr and returns exit code 1.
func (m *Meta) fail(doing string, err error) error {
	fmt.Fprintf(m.Stderr, "Error %s: %v\n", doing, err)
	return exit(1)
}

// failf prints a formatted message to stderr and returns exit code 1.
func (m *Meta) failf(format string, args ...interface{}) error {
	fmt.Fprintf(m.Stderr, format+"\n", args...)
	return exit(1)
}

// outf prints to stdout.
func (m *Meta) outf(format string, args ...interface{}) {
	fmt.Fprintf(m.Stdout, format, args...)
}
