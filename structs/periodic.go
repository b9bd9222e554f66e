package structs

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Periodic and parameterized jobs are templates: the leader launches a
// child job from a periodic job on its cron schedule, and `job dispatch`
// launches one from a parameterized job. Children are ordinary batch jobs
// whose ID is the parent's plus a suffix and whose ParentID names it.
const (
	// PeriodicLaunchSuffix starts the suffix of a periodic child's ID:
	// <parent>/periodic-<unix seconds of the launch>.
	PeriodicLaunchSuffix = "/periodic-"
	// DispatchLaunchSuffix starts the suffix of a dispatched child's ID:
	// <parent>/dispatch-<unix seconds>-<8 hex>.
	DispatchLaunchSuffix = "/dispatch-"
	// DispatchPayloadSizeLimit bounds a dispatch payload, as Nomad's.
	DispatchPayloadSizeLimit = 16 * 1024
)

// Parameterized payload modes.
const (
	DispatchPayloadOptional  = "optional"
	DispatchPayloadRequired  = "required"
	DispatchPayloadForbidden = "forbidden"
)

// IsPeriodicActive reports whether the leader launches this job on a
// schedule: periodic, enabled, not stopped and not parameterized (a
// parameterized job only runs when dispatched).
func (j *Job) IsPeriodicActive() bool {
	return j != nil && j.Periodic != nil && j.Periodic.Enabled && !j.Stop && j.ParameterizedJob == nil
}

// Crons returns the job's cron expressions: Spec, then Specs.
func (p *PeriodicConfig) Crons() []string {
	if p == nil {
		return nil
	}
	var out []string
	if p.Spec != "" {
		out = append(out, p.Spec)
	}
	return append(out, p.Specs...)
}

// Location is the time zone the crons are read in; an empty TimeZone is UTC.
func (p *PeriodicConfig) Location() (*time.Location, error) {
	if p == nil || p.TimeZone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(p.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("periodic time_zone %q: %v: %w", p.TimeZone, err, ErrInvalid)
	}
	return loc, nil
}

// Next is the first launch strictly after after, over all the crons, in
// the job's time zone. It is the zero time when no cron ever matches again.
func (p *PeriodicConfig) Next(after time.Time) (time.Time, error) {
	loc, err := p.Location()
	if err != nil {
		return time.Time{}, err
	}
	var best time.Time
	for _, spec := range p.Crons() {
		c, err := ParseCron(spec)
		if err != nil {
			return time.Time{}, fmt.Errorf("periodic cron %q %v: %w", spec, err, ErrInvalid)
		}
		if n := c.Next(after.In(loc)); !n.IsZero() && (best.IsZero() || n.Before(best)) {
			best = n
		}
	}
	return best, nil
}

// LaunchTimeOfChild returns the launch time encoded in a periodic child's
// ID, and whether id is one of parentID's periodic children.
func LaunchTimeOfChild(parentID, id string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(id, parentID+PeriodicLaunchSuffix)
	if !ok {
		return time.Time{}, false
	}
	sec, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(sec, 0), true
}

// PeriodicChildID names the child a periodic job launches at t.
func PeriodicChildID(parentID string, t time.Time) string {
	return parentID + PeriodicLaunchSuffix + strconv.FormatInt(t.Unix(), 10)
}

// Cron is a parsed cron expression. Each field is a bit set of the values
// it matches.
//
// Forms: 5 fields "minute hour day-of-month month day-of-week", 6 fields
// add a year at the end, 7 fields put a second first and a year last (as
// Nomad's cronexpr). A field is "*" (or "?" for the day fields), a value,
// a range "a-b", any of those with a step "/n", or a comma list of them.
// Months and weekdays may be named (JAN, MON); weekday 7 is Sunday.
// Descriptors: @yearly (@annually), @monthly, @weekly, @daily (@midnight),
// @hourly.
//
// Day-of-month and day-of-week combine as in Vixie cron: when both are
// restricted a day matching either one matches.
type Cron struct {
	second, minute, hour, dom, month, dow uint64
	years                                 map[int]bool // nil: every year
	domStar, dowStar                      bool
	withSeconds                           bool
}

// cronMaxYear ends the search for a next launch.
const cronMaxYear = 2199

var cronDescriptorExpr = map[string]string{
	"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
	"@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6,
	"JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}

var dowNames = map[string]int{"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}

// cronField describes one position of an expression.
type cronField struct {
	name     string
	min, max int
	names    map[string]int
}

// ParseCron parses a cron expression; errors read after the expression
// ("has minute 61 out of range 0-59").
func ParseCron(expr string) (*Cron, error) {
	s := strings.TrimSpace(expr)
	if strings.HasPrefix(s, "@") {
		e, ok := cronDescriptorExpr[strings.ToLower(s)]
		if !ok {
			return nil, fmt.Errorf("is not a known descriptor; allowed: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly")
		}
		s = e
	}
	fields := strings.Fields(s)
	c := &Cron{second: 1}
	var sec, year string
	switch len(fields) {
	case 5:
	case 6:
		year, fields = fields[5], fields[:5]
	case 7:
		sec, year, fields = fields[0], fields[6], fields[1:6]
		c.withSeconds = true
	default:
		return nil, fmt.Errorf("must have 5 to 7 fields (got %d)", len(fields))
	}
	var err error
	if sec != "" {
		if c.second, _, err = parseCronField(sec, cronField{"second", 0, 59, nil}); err != nil {
			return nil, err
		}
	}
	if c.minute, _, err = parseCronField(fields[0], cronField{"minute", 0, 59, nil}); err != nil {
		return nil, err
	}
	if c.hour, _, err = parseCronField(fields[1], cronField{"hour", 0, 23, nil}); err != nil {
		return nil, err
	}
	if c.dom, c.domStar, err = parseCronField(fields[2], cronField{"day-of-month", 1, 31, nil}); err != nil {
		return nil, err
	}
	if c.month, _, err = parseCronField(fields[3], cronField{"month", 1, 12, monthNames}); err != nil {
		return nil, err
	}
	if c.dow, c.dowStar, err = parseCronField(fields[4], cronField{"day-of-week", 0, 7, dowNames}); err != nil {
		return nil, err
	}
	if c.dow&(1<<7) != 0 { // 7 is Sunday too
		c.dow |= 1
	}
	if year != "" && year != "*" {
		c.years = map[int]bool{}
		for _, part := range strings.Split(year, ",") {
			lo, hi, step, err := parseCronRange(part, cronField{"year", 1970, cronMaxYear, nil})
			if err != nil {
				return nil, err
			}
			for y := lo; y <= hi; y += step {
				c.years[y] = true
			}
		}
	}
	return c, nil
}

// parseCronField parses a comma list into a bit set; star reports a field
// that matches everything ("*" or "?").
func parseCronField(s string, f cronField) (bits uint64, star bool, err error) {
	if s == "*" || s == "?" {
		star = true
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, step, err := parseCronRange(part, f)
		if err != nil {
			return 0, false, err
		}
		for v := lo; v <= hi; v += step {
			bits |= 1 << uint(v)
		}
	}
	return bits, star, nil
}

// parseCronRange parses "*", "v", "a-b", each with an optional "/step".
func parseCronRange(s string, f cronField) (lo, hi, step int, err error) {
	step = 1
	if base, st, ok := strings.Cut(s, "/"); ok {
		n, err := strconv.Atoi(st)
		if err != nil || n <= 0 {
			return 0, 0, 0, fmt.Errorf("has %s step %q: it must be a whole number of 1 or more", f.name, st)
		}
		step, s = n, base
	}
	switch {
	case s == "*" || s == "?":
		if s == "?" && f.name != "day-of-month" && f.name != "day-of-week" {
			return 0, 0, 0, fmt.Errorf("has ? in the %s field: it is only allowed for day-of-month and day-of-week", f.name)
		}
		return f.min, f.max, step, nil
	case s == "":
		return 0, 0, 0, fmt.Errorf("has an empty %s field", f.name)
	}
	a, b, isRange := strings.Cut(s, "-")
	if lo, err = cronValue(a, f); err != nil {
		return 0, 0, 0, err
	}
	hi = lo
	if isRange {
		if hi, err = cronValue(b, f); err != nil {
			return 0, 0, 0, err
		}
		if hi < lo {
			return 0, 0, 0, fmt.Errorf("has %s range %q that ends before it starts", f.name, s)
		}
	} else if step > 1 {
		hi = f.max // "a/n": from a to the end, every n
	}
	return lo, hi, step, nil
}

func cronValue(s string, f cronField) (int, error) {
	if v, ok := f.names[strings.ToUpper(s)]; ok {
		return v, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("has an invalid %s value %q", f.name, s)
	}
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("has %s %d out of range %d-%d", f.name, v, f.min, f.max)
	}
	return v, nil
}

// Next returns the first matching time strictly after after, in after's
// location, or the zero time when none comes before the year 2200.
//
// It walks the wall clock of the location, so it is safe across daylight
// saving changes: a wall-clock time that does not exist that day (the
// spring-forward gap) is skipped, and a wall-clock time that happens twice
// (fall back) is launched once, at its first occurrence.
func (c *Cron) Next(after time.Time) time.Time {
	loc := after.Location()
	step := time.Minute
	if c.withSeconds {
		step = time.Second
	}
	floor := wallClock(after)
	t := after.Truncate(step).Add(step)
	for guard := 0; guard < 1_000_000; guard++ {
		y, mo, d := t.Date()
		h, mi, s := t.Clock()
		switch {
		case y > cronMaxYear:
			return time.Time{}
		case wallClock(t) <= floor: // the clock was set back: this wall time already passed
			t = t.Add(step)
		case c.years != nil && !c.years[y]:
			t = forward(t, time.Date(y+1, 1, 1, 0, 0, 0, 0, loc), step)
		case c.month&(1<<uint(mo)) == 0:
			t = forward(t, time.Date(y, mo+1, 1, 0, 0, 0, 0, loc), step)
		case !c.dayMatches(t):
			t = forward(t, time.Date(y, mo, d+1, 0, 0, 0, 0, loc), step)
		case c.hour&(1<<uint(h)) == 0:
			t = forward(t, time.Date(y, mo, d, h+1, 0, 0, 0, loc), step)
		case c.minute&(1<<uint(mi)) == 0:
			t = forward(t, time.Date(y, mo, d, h, mi+1, 0, 0, loc), step)
		case c.second&(1<<uint(s)) == 0:
			t = t.Add(step)
		default:
			return t
		}
	}
	return time.Time{}
}

// forward moves from t to next, or by one step when next (a wall-clock
// time that resolved into the past around a clock change) is not later.
func forward(t, next time.Time, step time.Duration) time.Time {
	if !next.After(t) {
		return t.Add(step)
	}
	return next
}

func (c *Cron) dayMatches(t time.Time) bool {
	dom := c.dom&(1<<uint(t.Day())) != 0
	dow := c.dow&(1<<uint(t.Weekday())) != 0
	switch {
	case c.domStar && c.dowStar:
		return true
	case c.domStar:
		return dow
	case c.dowStar:
		return dom
	}
	return dom || dow
}

// wallClock orders wall-clock readings: larger is later on the calendar.
func wallClock(t time.Time) int64 {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return ((((int64(y)*13+int64(mo))*32+int64(d))*24+int64(h))*60+int64(mi))*60 + int64(s)
}

// JobDispatchRequest launches a child of a parameterized job.
type JobDispatchRequest struct {
	JobID   string
	Payload []byte
	Meta    map[string]string
	// IdempotencyToken makes a retried dispatch return the child the first
	// one created instead of creating another.
	IdempotencyToken string
	WriteRequest
}

// JobDispatchResponse names the dispatched child and its evaluation.
type JobDispatchResponse struct {
	DispatchedJobID string
	EvalID          string
	EvalCreateIndex uint64
	JobCreateIndex  uint64
	WriteMeta
}

// PeriodicForceRequest launches a periodic job now.
type PeriodicForceRequest struct {
	JobID string
	WriteRequest
}

// PeriodicForceResponse names the launched child and its evaluation.
type PeriodicForceResponse struct {
	EvalID          string
	EvalCreateIndex uint64
	ChildJobID      string
	WriteMeta
}
