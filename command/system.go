package command

import (
	"fmt"

	"github.com/spf13/cobra"
)

// systemCommand is the "system" group: Nomad's `system gc`.
func (m *Meta) systemCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "system",
		Short: "Cluster-wide maintenance: garbage collection",
	}
	cmd.AddCommand(m.systemGCCommand())
	return cmd
}

func (m *Meta) systemGCCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Garbage collect terminal evaluations and allocations of stopped and purged jobs now",
		Long: `Gc asks the servers to delete, now instead of at the next periodic pass,
every terminal evaluation and allocation of stopped and purged jobs. Clients
then destroy those allocations locally: containers, cgroups and alloc dirs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			res, err := c.System().GarbageCollect()
			if err != nil {
				return m.fail("running garbage collection", err)
			}
			if asJSON {
				return writeJSON(m.Stdout, res)
			}
			fmt.Fprintf(m.Stdout, "Garbage collected %d evaluations and %d allocations\n", res.Evals, res.Allocs)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
