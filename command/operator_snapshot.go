package command

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/droverhq/drover/api"
	"github.com/spf13/cobra"
)

func (m *Meta) operatorSnapshotCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Save, restore and inspect snapshots of the cluster's state",
	}
	cmd.AddCommand(m.operatorSnapshotSaveCommand(), m.operatorSnapshotRestoreCommand(), m.operatorSnapshotInspectCommand())
	return cmd
}

func (m *Meta) operatorSnapshotSaveCommand() *cobra.Command {
	var stale bool
	cmd := &cobra.Command{
		Use:   "save FILE",
		Short: "Save a snapshot of the cluster's state to FILE",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			body, err := c.Operator().Snapshot(&api.QueryOptions{AllowStale: stale})
			if err != nil {
				return m.fail("saving snapshot", err)
			}
			defer body.Close()
			path := args[0]
			tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
			if err != nil {
				return m.fail("saving snapshot", err)
			}
			defer os.Remove(tmp.Name())
			if _, err := io.Copy(tmp, body); err != nil {
				tmp.Close()
				return m.fail("saving snapshot", fmt.Errorf("download: %w", err))
			}
			if err := tmp.Close(); err != nil {
				return m.fail("saving snapshot", err)
			}
			f, err := os.Open(tmp.Name())
			if err != nil {
				return m.fail("saving snapshot", err)
			}
			hdr, err := api.InspectSnapshot(f)
			f.Close()
			if err != nil {
				return m.fail("verifying the saved snapshot", err)
			}
			if err := os.Rename(tmp.Name(), path); err != nil {
				return m.fail("saving snapshot", err)
			}
			m.outf("State file written to %s (index %d)\n", path, hdr.Index)
			return nil
		},
	}
	cmd.Flags().BoolVar(&stale, "stale", false, "save the agent's server's state without catching up with the leader")
	return cmd
}

func (m *Meta) operatorSnapshotRestoreCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE",
		Short: "Replace the cluster's whole state with the snapshot in FILE",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return m.fail("restoring snapshot", err)
			}
			defer f.Close()
			if _, err := api.InspectSnapshot(f); err != nil {
				return m.fail("restoring snapshot", fmt.Errorf("%s: %w; nothing was changed", args[0], err))
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				return m.fail("restoring snapshot", err)
			}
			c, err := m.client()
			if err != nil {
				return m.fail("creating API client", err)
			}
			resp, err := c.Operator().SnapshotRestore(f, nil)
			if err != nil {
				return m.fail("restoring snapshot", err)
			}
			m.outf("Snapshot restored (Raft index %d)\n", resp.Index)
			return nil
		},
	}
}

func (m *Meta) operatorSnapshotInspectCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Check a snapshot file and print what it holds",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return m.fail("inspecting snapshot", err)
			}
			defer f.Close()
			hdr, err := api.InspectSnapshot(f)
			if err != nil {
				return m.fail("inspecting snapshot", err)
			}
			if asJSON {
				return writeJSON(m.Stdout, hdr)
			}
			pairs := []kv{
				{"Index", fmt.Sprint(hdr.Index)},
				{"Term", fmt.Sprint(hdr.Term)},
				{"Region", hdr.Region},
				{"Created", hdr.Created.Format("2006-01-02T15:04:05Z07:00")},
				{"Size", fmt.Sprint(hdr.Size)},
				{"SHA256", hdr.SHA256},
			}
			for _, k := range sortedKeys(hdr.Counts) {
				pairs = append(pairs, kv{k, fmt.Sprint(hdr.Counts[k])})
			}
			writeKV(m.Stdout, pairs)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the header as JSON")
	return cmd
}
