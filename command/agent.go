package command

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/droverhq/drover/agent"
	"github.com/spf13/cobra"
)

// agentFlags are the command-line overrides of the agent configuration.
type agentFlags struct {
	dev             bool
	configs         []string
	dataDir         string
	bind            string
	server          bool
	client          bool
	bootstrapExpect int
	servers         []string
	node            string
	dc              string
	logLevel        string
	retryJoin       []string
	join            []string
	encrypt         string
}

func (m *Meta) agentCommand() *cobra.Command {
	var af agentFlags
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run a drover agent (server, client or both)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := buildAgentConfig(&af, cmd.Flags().Changed)
			if err != nil {
				return m.fail("loading agent configuration", err)
			}
			// The global -region flag names the agent's own region here.
			override(&cfg.Region, m.region)
			if m.startAgent != nil {
				return m.startAgent(cfg)
			}
			return m.runAgent(cfg)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&af.dev, "dev", false, "development mode: server and client on 127.0.0.1 with a temporary data dir")
	f.StringArrayVar(&af.configs, "config", nil, "config file or directory (repeatable, merged in order)")
	f.StringVar(&af.dataDir, "data-dir", "", "directory for the agent's state")
	f.StringVar(&af.bind, "bind", "", "address to bind the agent's listeners to")
	f.BoolVar(&af.server, "server", false, "run a server")
	f.BoolVar(&af.client, "client", false, "run a client")
	f.IntVar(&af.bootstrapExpect, "bootstrap-expect", 0, "number of servers to wait for before bootstrapping")
	f.StringSliceVar(&af.servers, "servers", nil, "comma-separated server addresses for a client")
	f.StringVar(&af.node, "node", "", "node name (default: hostname)")
	f.StringVar(&af.dc, "dc", "", "datacenter (default dc1)")
	f.StringVar(&af.logLevel, "log-level", "", "log level: DEBUG, INFO, WARN, ERROR")
	f.StringArrayVar(&af.retryJoin, "retry-join", nil, "a server's Serf address to join until it answers (repeatable)")
	f.StringArrayVar(&af.join, "join", nil, "a server's Serf address to join once at start (repeatable)")
	f.StringVar(&af.encrypt, "encrypt", "", "gossip encryption key (drover operator keygen)")
	return cmd
}

// buildAgentConfig layers the default (or dev) config, the config files in
// order, and the flags that were set.
func buildAgentConfig(af *agentFlags, changed func(string) bool) (*agent.Config, error) {
	cfg := agent.DefaultConfig()
	if af.dev {
		cfg = agent.DevConfig()
	}
	for _, path := range af.configs {
		fc, err := agent.LoadConfigFile(path)
		if err != nil {
			return nil, err
		}
		cfg = cfg.Merge(fc)
	}
	applyAgentFlags(cfg, af, changed)
	return cfg, nil
}

func applyAgentFlags(cfg *agent.Config, af *agentFlags, changed func(string) bool) {
	setIfChanged := func(flag string, dst *string, v string) {
		if changed(flag) {
			*dst = v
		}
	}
	setIfChanged("data-dir", &cfg.DataDir, af.dataDir)
	setIfChanged("bind", &cfg.BindAddr, af.bind)
	setIfChanged("node", &cfg.Name, af.node)
	setIfChanged("dc", &cfg.Datacenter, af.dc)
	setIfChanged("log-level", &cfg.LogLevel, af.logLevel)
	if changed("server") {
		cfg.Server.Enabled = af.server
	}
	if changed("bootstrap-expect") {
		cfg.Server.BootstrapExpect = af.bootstrapExpect
	}
	if changed("client") {
		cfg.Client.Enabled = af.client
	}
	if changed("servers") {
		cfg.Client.Servers = af.servers
	}
	if changed("retry-join") {
		cfg.Server.RetryJoin = af.retryJoin
	}
	if changed("join") {
		cfg.Server.StartJoin = af.join
	}
	setIfChanged("encrypt", &cfg.Encrypt, af.encrypt)
}

// runAgent starts the agent, prints the banner and runs until SIGINT or
// SIGTERM.
func (m *Meta) runAgent(cfg *agent.Config) error {
	logger, err := agent.NewLogger(m.Stdout, cfg.LogLevel)
	if err != nil {
		return m.fail("starting agent", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	agent.BuildVersion = Version
	a, err := agent.New(cfg, logger)
	if err != nil {
		return m.fail("starting agent", err)
	}
	m.printAgentBanner(a)
	<-ctx.Done()
	m.outf("==> Caught signal: shutting down\n")
	if err := a.Shutdown(); err != nil {
		return m.fail("shutting down agent", err)
	}
	return nil
}

func (m *Meta) printAgentBanner(a *agent.Agent) {
	cfg := a.Config()
	m.outf("==> drover agent configuration:\n\n")
	lines := []kv{
		{"Client", fmt.Sprint(cfg.Client != nil && cfg.Client.Enabled)},
		{"Log Level", cfg.LogLevel},
		{"Region", fmt.Sprintf("%s (DC: %s)", cfg.Region, cfg.Datacenter)},
		{"Server", fmt.Sprint(cfg.Server != nil && cfg.Server.Enabled)},
		{"Version", Version},
		{"Data Dir", orNone(cfg.DataDir)},
		{"HTTP Addr", a.HTTPAddr()},
	}
	width := 0
	for _, l := range lines {
		width = max(width, len(l.key))
	}
	for _, l := range lines {
		m.outf("    %*s: %s\n", width, l.key, l.value)
	}
	m.outf("\n==> drover agent started! Log data will stream in below:\n\n")
}
