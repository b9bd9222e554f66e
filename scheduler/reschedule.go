package scheduler

import (
	"sort"
	"time"

	"github.com/droverhq/drover/structs"
)

// rescheduleTolerance treats a reschedule due this soon as due now, rather
// than creating a follow-up evaluation for a moment from now.
const rescheduleTolerance = time.Second

// followUpBatchWindow groups delayed reschedules due within this window of
// each other into one follow-up evaluation, so a group failing at once
// creates one evaluation instead of one per allocation.
const followUpBatchWindow = 5 * time.Second

// maxRescheduleDelay bounds a growing delay when the policy sets no MaxDelay.
const maxRescheduleDelay = 30 * 24 * time.Hour

// maxRescheduleEvents bounds a lineage's remembered reschedules, so an
// unlimited policy cannot grow an allocation without end.
const maxRescheduleEvents = 20

// Default reschedule policies by job type, as Nomad's: services keep
// trying, batch jobs get one more try a day.
var (
	defaultServiceReschedule = &structs.ReschedulePolicy{
		Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour, Unlimited: true,
	}
	defaultBatchReschedule = &structs.ReschedulePolicy{
		Attempts: 1, Interval: 24 * time.Hour, Delay: 5 * time.Second, DelayFunction: "constant",
	}
)

// reschedulePolicy is the group's policy, else the job's, else the default.
func (c *evalContext) reschedulePolicy(tg *structs.TaskGroup) *structs.ReschedulePolicy {
	switch {
	case tg.ReschedulePolicy != nil:
		return tg.ReschedulePolicy
	case c.job.Reschedule != nil:
		return c.job.Reschedule
	case c.s.batch:
		return defaultBatchReschedule
	}
	return defaultServiceReschedule
}

// canReschedule reports whether a failed allocation has attempts left:
// fewer reschedules than Attempts within the last Interval (all of them
// when Interval is zero). When it may go is rescheduleTime's business.
func canReschedule(p *structs.ReschedulePolicy, a *structs.Allocation, now time.Time) bool {
	if p == nil {
		return false
	}
	if p.Unlimited {
		return true
	}
	if p.Attempts <= 0 {
		return false
	}
	return recentReschedules(a, p.Interval, now) < p.Attempts
}

func recentReschedules(a *structs.Allocation, interval time.Duration, now time.Time) int {
	if a.RescheduleTracker == nil {
		return 0
	}
	n := 0
	for _, e := range a.RescheduleTracker.Events {
		if interval <= 0 || now.UnixNano()-e.RescheduleTime < int64(interval) {
			n++
		}
	}
	return n
}

// nextTracker carries prev's reschedule history forward with one more event.
func nextTracker(prev *structs.Allocation, p *structs.ReschedulePolicy, now time.Time) *structs.RescheduleTracker {
	var events []*structs.RescheduleEvent
	if prev.RescheduleTracker != nil {
		events = append(events, prev.RescheduleTracker.Events...)
	}
	var delay time.Duration
	if p != nil {
		delay = p.Delay
	}
	events = append(events, &structs.RescheduleEvent{
		RescheduleTime: now.UnixNano(), PrevAllocID: prev.ID, PrevNodeID: prev.NodeID, Delay: delay,
	})
	if len(events) > maxRescheduleEvents {
		events = events[len(events)-maxRescheduleEvents:]
	}
	return &structs.RescheduleTracker{Events: events}
}

// rescheduleTime is when a failed allocation may be replaced: its failure
// time plus the policy's delay for its lineage's next attempt. An
// allocation with no known failure time may go at once.
func rescheduleTime(p *structs.ReschedulePolicy, a *structs.Allocation) time.Time {
	failed := failTime(a)
	if failed.IsZero() || p == nil {
		return failed
	}
	attempt := 0
	if a.RescheduleTracker != nil {
		attempt = len(a.RescheduleTracker.Events)
	}
	return failed.Add(rescheduleDelay(p, attempt))
}

// failTime is when the allocation's last task finished, else its last
// modification, else zero (unknown).
func failTime(a *structs.Allocation) time.Time {
	var t time.Time
	for _, ts := range a.TaskStates {
		if ts != nil && ts.FinishedAt.After(t) {
			t = ts.FinishedAt
		}
	}
	if t.IsZero() && a.ModifyTime > 0 {
		t = time.Unix(0, a.ModifyTime)
	}
	return t
}

// rescheduleDelay is the wait before the attempt-th reschedule (0-based):
// constant, doubling ("exponential") or growing like the Fibonacci
// sequence, capped at MaxDelay when set.
func rescheduleDelay(p *structs.ReschedulePolicy, attempt int) time.Duration {
	capped := func(d time.Duration) time.Duration {
		if p.MaxDelay > 0 && d > p.MaxDelay {
			return p.MaxDelay
		}
		return d
	}
	// growing stops the sequences at the cap, or at a month when there is
	// none, long before a Duration could overflow.
	growing := func(i int, d time.Duration) bool {
		return i < attempt && d > 0 && d < maxRescheduleDelay && (p.MaxDelay <= 0 || d < p.MaxDelay)
	}
	d := p.Delay
	switch p.DelayFunction {
	case "exponential":
		for i := 0; growing(i, d); i++ {
			d *= 2
		}
	case "fibonacci":
		prev := time.Duration(0)
		for i := 0; growing(i, d); i++ {
			prev, d = d, d+prev
		}
	}
	return capped(d)
}

// delayFollowUps plans the delayed reschedules: one follow-up evaluation
// per batch of allocations due within followUpBatchWindow of the batch's
// first, and an update of each allocation naming its follow-up (so later
// evaluations neither reschedule it early nor create another follow-up).
// The evaluations must be created before the plan is submitted.
func (c *evalContext) delayFollowUps(delayed []delayedReschedule, plan *structs.Plan) []*structs.Evaluation {
	sort.Slice(delayed, func(i, j int) bool { return delayed[i].at.Before(delayed[j].at) })
	var evals []*structs.Evaluation
	var cur *structs.Evaluation
	for _, d := range delayed {
		if cur == nil || d.at.Sub(cur.WaitUntil) > followUpBatchWindow {
			cur = c.s.followUp(c.ev, structs.EvalTriggerRetryFailedAlloc, structs.EvalStatusPending)
			cur.WaitUntil = d.at
			cur.StatusDescription = "created for delayed rescheduling of failed allocations"
			evals = append(evals, cur)
		}
		u := *d.alloc
		u.FollowupEvalID, u.ModifyTime = cur.ID, c.now.UnixNano()
		plan.AppendAlloc(&u)
	}
	return evals
}
