package command

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// shortIDLength is how much of a UUID listings show without -verbose.
const shortIDLength = 8

// shortID returns id cut to 8 characters unless verbose.
func shortID(id string, verbose bool) string {
	if verbose || len(id) <= shortIDLength {
		return id
	}
	return id[:shortIDLength]
}

// kv is one "Key = Value" line of a detail block.
type kv struct{ key, value string }

// writeKV prints key/value pairs with aligned "=" signs, as Nomad's
// detail blocks.
func writeKV(w io.Writer, pairs []kv) {
	width := 0
	for _, p := range pairs {
		width = max(width, len(p.key))
	}
	for _, p := range pairs {
		fmt.Fprintf(w, "%-*s = %s\n", width, p.key, p.value)
	}
}

// writeTable prints a header row and rows aligned in columns.
func writeTable(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	_ = tw.Flush()
}

// writeJSON prints v as indented JSON.
func writeJSON(w io.Writer, v interface{}) error {
	buf, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", buf)
	return err
}

// formatUnixNano formats a unix-nanosecond timestamp as RFC 3339 local
// time; zero is "<none>".
func formatUnixNano(ns int64) string {
	if ns == 0 {
		return "<none>"
	}
	return time.Unix(0, ns).Format(time.RFC3339)
}

// relativeTime formats the time since ns as "3s ago", "2m10s ago",
// "4h2m ago" or "3d4h ago".
func relativeTime(now time.Time, ns int64) string {
	if ns == 0 {
		return "<none>"
	}
	d := now.Sub(time.Unix(0, ns))
	if d < 0 {
		return formatUnixNano(ns)
	}
	return prettyDuration(d) + " ago"
}

func prettyDuration(d time.Duration) string {
	d = d.Round(time.Second)
	days := d / (24 * time.Hour)
	hours := (d % (24 * time.Hour)) / time.Hour
	mins := (d % time.Hour) / time.Minute
	secs := (d % time.Minute) / time.Second
	switch {
	case days > 0:
		return fmt.Sprintf("%dd%dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh%dm", hours, mins)
	case mins > 0:
		return fmt.Sprintf("%dm%ds", mins, secs)
	}
	return fmt.Sprintf("%ds", secs)
}

// orNone returns s, or "<none>" when empty.
func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// plural returns noun, with "s" unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
