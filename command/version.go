package command

import "github.com/spf13/cobra"

// Version is drover's version; release builds set it with
// -ldflags "-X github.com/droverhq/drover/command.Version=v0.1.0".
var Version = "v0.1.0-dev"

func (m *Meta) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print drover's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			m.outf("drover %s\n", Version)
			return nil
		},
	}
}
