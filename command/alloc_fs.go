package command

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/cobra"
)

func (m *Meta) allocFSCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "fs <allocation> [<path>]",
		Short: "List or read files of an allocation's directory",
		Long: `List a directory of the allocation (Mode, Size, Modified, Name) or print a
file. Paths are relative to the allocation directory: alloc/logs,
<task>/local ...`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/"
			if len(args) == 2 {
				path = args[1]
			}
			return m.allocFS(args[0], path, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print file information as JSON")
	return cmd
}

func (m *Meta) allocFS(prefix, path string, asJSON bool) error {
	const doing = "reading allocation files"
	c, err := m.client()
	if err != nil {
		return m.fail("creating API client", err)
	}
	id, err := m.resolveAlloc(c, prefix, doing, false)
	if err != nil {
		return err
	}
	fi, err := c.AllocFS().Stat(id, path, nil)
	if err != nil {
		return m.fail(doing, err)
	}
	if !fi.IsDir {
		if asJSON {
			return writeJSON(m.Stdout, fi)
		}
		body, err := c.AllocFS().Cat(id, path, nil)
		if err != nil {
			return m.fail(doing, err)
		}
		defer body.Close()
		if _, err := io.Copy(m.Stdout, body); err != nil {
			return m.fail(doing, err)
		}
		return nil
	}
	files, err := c.AllocFS().List(id, path, nil)
	if err != nil {
		return m.fail(doing, err)
	}
	if asJSON {
		return writeJSON(m.Stdout, files)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	rows := make([][]string, 0, len(files))
	for _, f := range files {
		name := f.Name
		if f.IsDir {
			name += "/"
		}
		rows = append(rows, []string{f.FileMode, humanSize(f.Size), f.ModTime.Local().Format(time.RFC3339), name})
	}
	writeTable(m.Stdout, []string{"Mode", "Size", "Modified Time", "Name"}, rows)
	return nil
}

// humanSize prints bytes as Nomad's fs listing does: 1.2 KiB.
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
