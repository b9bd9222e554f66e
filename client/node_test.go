package client

import (
	"log/slog"
	"slices"
	"testing"
	"time"
)

func TestDriverAllowAndDenyLists(t *testing.T) {
	for _, tc := range []struct {
		name    string
		options map[string]string
		want    []string
	}{
		{"all", nil, []string{"exec", "mock", "raw_exec"}},
		{"allowlist", map[string]string{"driver.allowlist": "mock"}, []string{"mock"}},
		{"denylist", map[string]string{"driver.denylist": "exec, raw_exec"}, []string{"mock"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ds := buildDrivers(&Config{DataDir: t.TempDir(), Options: tc.options}, time.Now, slog.New(slog.DiscardHandler))
			var got []string
			for name := range ds {
				got = append(got, name)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got drivers %v, want %v", got, tc.want)
			}
		})
	}
}
