package structs

import (
	"strings"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s not available: %v", name, err)
	}
	return loc
}

func TestParseCronErrors(t *testing.T) {
	cases := []struct {
		name, expr, want string
	}{
		{"too few fields", "* * *", "must have 5 to 7 fields (got 3)"},
		{"minute out of range", "61 * * * *", "minute 61 out of range 0-59"},
		{"hour out of range", "0 24 * * *", "hour 24 out of range 0-23"},
		{"day zero", "0 0 0 * *", "day-of-month 0 out of range 1-31"},
		{"bad month name", "0 0 1 FOO *", `invalid month value "FOO"`},
		{"backwards range", "0 10-2 * * *", `hour range "10-2" that ends before it starts`},
		{"zero step", "*/0 * * * *", `minute step "0"`},
		{"question mark in minute", "? * * * *", "? in the minute field"},
		{"unknown descriptor", "@sometimes", "not a known descriptor"},
		{"empty list item", "1,,2 * * * *", "empty minute field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCron(tc.expr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParseCron(%q) error = %v, want one containing %q", tc.expr, err, tc.want)
			}
		})
	}
}

func TestCronNext(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name, expr, after, want string
	}{
		{"every minute", "* * * * *", "2026-03-01T10:00:30Z", "2026-03-01T10:01:00Z"},
		{"strictly after", "* * * * *", "2026-03-01T10:01:00Z", "2026-03-01T10:02:00Z"},
		{"step", "*/15 * * * *", "2026-03-01T10:16:00Z", "2026-03-01T10:30:00Z"},
		{"list", "5,50 * * * *", "2026-03-01T10:06:00Z", "2026-03-01T10:50:00Z"},
		{"range with step", "0 9-17/4 * * *", "2026-03-01T13:00:00Z", "2026-03-01T17:00:00Z"},
		{"value with step runs to the end", "0 20/2 * * *", "2026-03-01T21:00:00Z", "2026-03-01T22:00:00Z"},
		{"hour rolls to next day", "30 2 * * *", "2026-03-01T03:00:00Z", "2026-03-02T02:30:00Z"},
		{"month rolls to next year", "0 0 1 JAN *", "2026-03-01T00:00:00Z", "2027-01-01T00:00:00Z"},
		{"weekday name", "0 12 * * MON", "2026-03-01T00:00:00Z", "2026-03-02T12:00:00Z"}, // 2026-03-01 is a Sunday
		{"weekday 7 is sunday", "0 12 * * 7", "2026-03-02T00:00:00Z", "2026-03-08T12:00:00Z"},
		{"dom or dow when both set", "0 0 15 * FRI", "2026-03-01T00:00:00Z", "2026-03-06T00:00:00Z"},
		{"feb 29 waits for a leap year", "0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
		{"@hourly", "@hourly", "2026-03-01T10:20:00Z", "2026-03-01T11:00:00Z"},
		{"@daily", "@daily", "2026-03-01T10:20:00Z", "2026-03-02T00:00:00Z"},
		{"@weekly", "@weekly", "2026-03-02T10:20:00Z", "2026-03-08T00:00:00Z"},
		{"@monthly", "@monthly", "2026-03-02T10:20:00Z", "2026-04-01T00:00:00Z"},
		{"@yearly", "@yearly", "2026-03-02T10:20:00Z", "2027-01-01T00:00:00Z"},
		{"six fields: year", "0 0 1 1 * 2030", "2026-03-02T10:20:00Z", "2030-01-01T00:00:00Z"},
		{"seven fields: seconds", "*/20 * * * * * *", "2026-03-02T10:20:05Z", "2026-03-02T10:20:20Z"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCron(tc.expr)
			if err != nil {
				t.Fatalf("ParseCron(%q): %v", tc.expr, err)
			}
			got := c.Next(utc(tc.after))
			if want := utc(tc.want); !got.Equal(want) {
				t.Fatalf("Next(%s) of %q = %s, want %s", tc.after, tc.expr, got.UTC().Format(time.RFC3339), tc.want)
			}
		})
	}
}

func TestCronNextNeverMatches(t *testing.T) {
	c, err := ParseCron("0 0 31 2 *")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Next(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); !got.IsZero() {
		t.Fatalf("Next of Feb 31 = %s, want the zero time", got)
	}
}

// TestCronNextAcrossDST checks launches in a time zone with daylight
// saving: America/New_York springs forward 2026-03-08 02:00 -> 03:00 and
// falls back 2026-11-01 02:00 -> 01:00.
func TestCronNextAcrossDST(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	at := func(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, ny) }
	cases := []struct {
		name  string
		expr  string
		after time.Time
		want  []string // successive launches, RFC3339 with offset
	}{
		{"daily 02:30 is skipped on the spring-forward day", "30 2 * * *", at(2026, 3, 7, 12, 0),
			[]string{"2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"}},
		{"daily 09:00 keeps its wall-clock time across spring forward", "0 9 * * *", at(2026, 3, 7, 12, 0),
			[]string{"2026-03-08T09:00:00-04:00", "2026-03-09T09:00:00-04:00"}},
		{"daily 01:30 runs once on the fall-back day", "30 1 * * *", at(2026, 10, 31, 12, 0),
			[]string{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
		{"hourly across fall back does not repeat a wall-clock hour", "0 * * * *", at(2026, 11, 1, 0, 30),
			[]string{"2026-11-01T01:00:00-04:00", "2026-11-01T02:00:00-05:00", "2026-11-01T03:00:00-05:00"}},
		{"every minute across spring forward", "* * * * *", at(2026, 3, 8, 1, 59),
			[]string{"2026-03-08T03:00:00-04:00", "2026-03-08T03:01:00-04:00"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCron(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			cur := tc.after
			for i, want := range tc.want {
				next := c.Next(cur)
				if got := next.Format(time.RFC3339); got != want {
					t.Fatalf("launch %d after %s: got %s, want %s", i+1, cur.Format(time.RFC3339), got, want)
				}
				if !next.After(cur) {
					t.Fatalf("launch %d: %s is not after %s", i+1, next, cur)
				}
				cur = next
			}
		})
	}
}

func TestPeriodicConfigNext(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	after := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) // 14:00 in Berlin (CEST)
	cases := []struct {
		name string
		p    *PeriodicConfig
		want time.Time
		err  string
	}{
		{"time zone", &PeriodicConfig{Spec: "0 15 * * *", TimeZone: "Europe/Berlin"}, time.Date(2026, 6, 1, 15, 0, 0, 0, berlin), ""},
		{"UTC by default", &PeriodicConfig{Spec: "0 15 * * *"}, time.Date(2026, 6, 1, 15, 0, 0, 0, time.UTC), ""},
		{"earliest of several crons", &PeriodicConfig{Specs: []string{"0 20 * * *", "0 13 * * *"}}, time.Date(2026, 6, 1, 13, 0, 0, 0, time.UTC), ""},
		{"unknown zone", &PeriodicConfig{Spec: "* * * * *", TimeZone: "Mars/Olympus"}, time.Time{}, "Mars/Olympus"},
		{"bad cron", &PeriodicConfig{Spec: "99 * * * *"}, time.Time{}, "minute 99"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.p.Next(after)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Next error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.want) {
				t.Fatalf("Next = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestLaunchTimeOfChild(t *testing.T) {
	ts := time.Unix(1767225600, 0)
	id := PeriodicChildID("report", ts)
	if id != "report/periodic-1767225600" {
		t.Fatalf("PeriodicChildID = %q, want report/periodic-1767225600", id)
	}
	if got, ok := LaunchTimeOfChild("report", id); !ok || !got.Equal(ts) {
		t.Fatalf("LaunchTimeOfChild = %s, %v; want %s, true", got, ok, ts)
	}
	for _, other := range []string{"report/dispatch-1-abc", "reports/periodic-1", "report/periodic-x"} {
		if _, ok := LaunchTimeOfChild("report", other); ok {
			t.Errorf("LaunchTimeOfChild(report, %q) = ok, want not a periodic child", other)
		}
	}
}
