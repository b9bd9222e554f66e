package command

import (
	"strconv"
	"time"

	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
)

func (m *Meta) operatorAutopilotCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "autopilot",
		Short: "Read and change the autopilot configuration (dead server cleanup)",
	}
	cmd.AddCommand(m.operatorAutopilotGetCommand(), m.operatorAutopilotSetCommand(), m.operatorAutopilotHealthCommand())
	return cmd
}

func (m *Meta) operatorAutopilotGetCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "get-config",
		Short: "Show the autopilot configuration the leader applies",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			cfg, err := c.Operator().AutopilotGetConfiguration(nil)
			if err != nil {
				return m.fail("querying the autopilot configuration", err)
			}
			if asJSON {
				return writeJSON(m.Stdout, cfg)
			}
			m.printAutopilotConfig(cfg)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the configuration as JSON")
	return cmd
}

func (m *Meta) printAutopilotConfig(cfg *api.AutopilotConfiguration) {
	writeKV(m.Stdout, []kv{
		{"CleanupDeadServers", boolText(cfg.CleanupDeadServers)},
		{"DeadServerCleanupTime", cfg.DeadServerCleanupTime},
		{"LastContactThreshold", cfg.LastContactThreshold},
	})
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func (m *Meta) operatorAutopilotSetCommand() *cobra.Command {
	var (
		cleanup      bool
		cleanupTime  time.Duration
		lastContact  time.Duration
		serverStable time.Duration
	)
	cmd := &cobra.Command{
		Use:   "set-config",
		Short: "Change the autopilot configuration; flags not given keep their values",
		Long: `Set-config changes the flags given and keeps the others. The configuration
is held by the leader (it starts from the agent config's autopilot block):
a new leader starts again from its own agent config.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			cfg, err := c.Operator().AutopilotGetConfiguration(nil)
			if err != nil {
				return m.fail("querying the autopilot configuration", err)
			}
			f := cmd.Flags()
			if f.Changed("cleanup-dead-servers") {
				cfg.CleanupDeadServers = cleanup
			}
			if f.Changed("dead-server-cleanup-time") {
				cfg.DeadServerCleanupTime = cleanupTime.String()
			} else if f.Changed("server-stabilization-time") {
				cfg.DeadServerCleanupTime = serverStable.String()
			}
			if f.Changed("last-contact-threshold") {
				cfg.LastContactThreshold = lastContact.String()
			}
			if err := c.Operator().AutopilotSetConfiguration(cfg, nil); err != nil {
				return m.fail("setting the autopilot configuration", err)
			}
			m.outf("Configuration updated!\n")
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&cleanup, "cleanup-dead-servers", true, "remove servers that stay failed from the Raft configuration")
	f.DurationVar(&cleanupTime, "dead-server-cleanup-time", 0, "how long a server must stay failed before it is removed")
	f.DurationVar(&serverStable, "server-stabilization-time", 0, "alias of -dead-server-cleanup-time")
	f.DurationVar(&lastContact, "last-contact-threshold", 0, "how long a follower may go without contact before it counts unhealthy")
	return cmd
}

func (m *Meta) operatorAutopilotHealthCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "health",
		Short: "Show every server's health as the leader's autopilot sees it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			h, err := c.Operator().AutopilotServerHealth(nil)
			if err != nil {
				return m.fail("querying server health", err)
			}
			if asJSON {
				return writeJSON(m.Stdout, h)
			}
			m.outf("Healthy: %s\nFailure Tolerance: %d\n\n", boolText(h.Healthy), h.FailureTolerance)
			rows := make([][]string, 0, len(h.Servers))
			for _, s := range h.Servers {
				rows = append(rows, []string{s.Name, s.ID, s.Address, s.SerfStatus, boolText(s.Leader), boolText(s.Voter),
					boolText(s.Healthy), orNone(s.LastContact), strconv.FormatUint(s.LastTerm, 10), strconv.FormatUint(s.LastIndex, 10)})
			}
			writeTable(m.Stdout, []string{"Name", "ID", "Address", "Serf", "Leader", "Voter", "Healthy", "Last Contact", "Last Term", "Last Index"}, rows)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the health as JSON")
	return cmd
}
