package command

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/spf13/cobra"
)

// operatorClusterCommands are the operator subcommands of cluster
// management: raft, autopilot, snapshot and keygen.
func (m *Meta) operatorClusterCommands() []*cobra.Command {
	return []*cobra.Command{m.operatorRaftCommand(), m.operatorAutopilotCommand(), m.operatorSnapshotCommand(), m.operatorKeygenCommand()}
}

func (m *Meta) operatorRaftCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "raft",
		Short: "Read and change the Raft configuration",
	}
	cmd.AddCommand(m.operatorRaftListPeersCommand(), m.operatorRaftRemovePeerCommand())
	return cmd
}

func (m *Meta) operatorRaftListPeersCommand() *cobra.Command {
	var (
		asJSON bool
		stale  bool
	)
	cmd := &cobra.Command{
		Use:   "list-peers",
		Short: "List the servers of the Raft configuration",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			_ = stale // the Raft configuration is read from the agent's server either way
			cfg, err := c.Operator().RaftGetConfiguration(nil)
			if err != nil {
				return m.fail("querying the Raft configuration", err)
			}
			if asJSON {
				return writeJSON(m.Stdout, cfg.Servers)
			}
			rows := make([][]string, 0, len(cfg.Servers))
			for _, s := range cfg.Servers {
				state := "follower"
				if s.Leader {
					state = "leader"
				}
				rows = append(rows, []string{orNone(s.Node), s.ID, s.Address, state, fmt.Sprint(s.Voter), s.RaftProtocol})
			}
			writeTable(m.Stdout, []string{"Node", "ID", "Address", "State", "Voter", "RaftProtocol"}, rows)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the peers as JSON")
	cmd.Flags().BoolVar(&stale, "stale", false, "accepted for compatibility; the agent's server answers")
	return cmd
}

func (m *Meta) operatorRaftRemovePeerCommand() *cobra.Command {
	var address, id string
	cmd := &cobra.Command{
		Use:   "remove-peer",
		Short: "Remove a server from the Raft configuration (-peer-address or -peer-id)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (address == "") == (id == "") {
				return m.failf("Give exactly one of -peer-address=ADDR and -peer-id=ID (see drover operator raft list-peers)")
			}
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			if address != "" {
				err = c.Operator().RaftRemovePeerByAddress(address, nil)
			} else {
				err = c.Operator().RaftRemovePeerByID(id, nil)
			}
			if err != nil {
				return m.fail("removing the peer", err)
			}
			m.outf("Removed peer %s%s\n", address, id)
			return nil
		},
	}
	cmd.Flags().StringVar(&address, "peer-address", "", "Raft address of the server to remove (ip:port)")
	cmd.Flags().StringVar(&id, "peer-id", "", "Raft ID of the server to remove")
	return cmd
}

// operatorKeygenCommand prints a new gossip encryption key for the agent
// config's encrypt key.
func (m *Meta) operatorKeygenCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "keygen",
		Short: "Print a new gossip encryption key (for encrypt = \"...\" in the agent config)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			key := make([]byte, 32)
			if _, err := rand.Read(key); err != nil {
				return m.fail("reading random bytes", err)
			}
			m.outf("%s\n", base64.StdEncoding.EncodeToString(key))
			return nil
		},
	}
}
