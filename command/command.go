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
	"time"

	"github.com/droverhq/drover/agent"
	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
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
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintf(m.Stderr, "Error: %v\n", err)
	fmt.Fprintln(m.Stderr, "Run 'drover --help' for usage.")
	return 1
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
	}
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
