package command

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// normalizeArgs rewrites Nomad-style single-dash long flags ("-detach",
// "-var=x=1") into cobra's double-dash form. Only names of flags defined
// somewhere in the command tree are rewritten, so positional arguments such
// as "-" (stdin) or negative numbers pass through. Arguments after "--" are
// left alone.
func normalizeArgs(root *cobra.Command, args []string) []string {
	known := knownFlags(root)
	out := make([]string, 0, len(args))
	for i, arg := range args {
		if arg == "--" {
			return append(out, args[i:]...)
		}
		out = append(out, normalizeArg(arg, known))
	}
	return out
}

func normalizeArg(arg string, known map[string]bool) string {
	if len(arg) < 3 || arg[0] != '-' || arg[1] == '-' {
		return arg
	}
	name, _, _ := strings.Cut(arg[1:], "=")
	if len(name) < 2 || !known[name] {
		return arg
	}
	return "-" + arg
}

// knownFlags collects the long names of every flag in the tree, plus help.
func knownFlags(root *cobra.Command) map[string]bool {
	known := map[string]bool{"help": true}
	add := func(f *pflag.Flag) { known[f.Name] = true }
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return known
}
