package command

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
)

// serverCommand is the "server" group: Serf membership of the servers.
func (m *Meta) serverCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Server membership: members, join, force-leave",
	}
	cmd.AddCommand(m.serverMembersCommand(), m.serverJoinCommand(), m.serverForceLeaveCommand())
	return cmd
}

func (m *Meta) serverMembersCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "members",
		Short: "List the servers the agent's server knows through Serf",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			resp, err := c.Agent().Members()
			if err != nil {
				return m.fail("querying server members", err)
			}
			if asJSON {
				return writeJSON(m.Stdout, resp.Members)
			}
			rows := make([][]string, 0, len(resp.Members))
			for _, mem := range resp.Members {
				rows = append(rows, []string{mem.Name, mem.Addr, strconv.Itoa(mem.Port), mem.Status,
					fmt.Sprint(mem.Leader), mem.RaftVersion, mem.Build, mem.Datacenter, mem.Region})
			}
			writeTable(m.Stdout, []string{"Name", "Address", "Port", "Status", "Leader", "Raft Version", "Build", "Datacenter", "Region"}, rows)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the members as JSON")
	return cmd
}

func (m *Meta) serverJoinCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "join ADDRESS...",
		Short: "Join the agent's server to the servers at the given Serf addresses (port 8648 unless given)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			n, err := c.Agent().Join(args...)
			if err != nil {
				return m.fail("joining servers", err)
			}
			m.outf("Joined %d servers successfully\n", n)
			return nil
		},
	}
}

func (m *Meta) serverForceLeaveCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "force-leave NODE",
		Short: "Mark a failed server as left, so it is removed from Raft now",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			if err := c.Agent().ForceLeave(args[0]); err != nil {
				return m.fail("forcing the server out", err)
			}
			return nil
		},
	}
}
