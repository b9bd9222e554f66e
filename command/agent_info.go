package command

import (
	"fmt"

	"github.com/spf13/cobra"
)

// agentInfoCommand prints the agent's stats, as Nomad's agent-info.
func (m *Meta) agentInfoCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "agent-info",
		Short: "Show the local agent's stats",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			self, err := c.Agent().Self()
			if err != nil {
				return m.fail("querying agent info", err)
			}
			if asJSON {
				return writeJSON(m.Stdout, self)
			}
			m.printStats(self.Stats)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the agent's config, member and stats as JSON")
	return cmd
}

// printStats prints each stats section with its keys indented and aligned.
func (m *Meta) printStats(stats map[string]interface{}) {
	for _, section := range sortedKeys(stats) {
		m.outf("%s\n", section)
		values, ok := stats[section].(map[string]interface{})
		if !ok {
			m.outf("  %v\n", stats[section])
			continue
		}
		keys := sortedKeys(values)
		pairs := make([]kv, 0, len(keys))
		for _, k := range keys {
			pairs = append(pairs, kv{"  " + k, fmt.Sprint(values[k])})
		}
		writeKV(m.Stdout, pairs)
	}
}
