package taskrunner

import (
	"fmt"
	"time"

	"github.com/droverhq/drover/structs"
)

// Default restart policies when a job carries none, as Nomad's.
var (
	DefaultServiceRestartPolicy = structs.RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: structs.RestartPolicyModeFail}
	DefaultBatchRestartPolicy   = structs.RestartPolicy{Attempts: 3, Interval: 24 * time.Hour, Delay: 15 * time.Second, Mode: structs.RestartPolicyModeFail}
)

// Restart reasons shown in task events.
const (
	ReasonWithinPolicy  = "Restart within policy"
	ReasonNoRestarts    = "Policy allows no restarts"
	ReasonExceeded      = "Exceeded allowed attempts %d in interval %v and mode is \"fail\""
	ReasonDelay         = "Exceeded allowed attempts %d in interval %v, applying a delay until the interval ends"
	ReasonBatchComplete = "Batch task completed successfully"
	ReasonUnrecoverable = "Error was unrecoverable"
)

// decision is what the tracker says after a task ended or failed to start.
type decision struct {
	restart bool
	delay   time.Duration
	reason  string
	failed  bool // the task ends in failure (not restarting)
}

// restartTracker applies a restart policy: at most Attempts restarts per
// Interval, each after Delay. When attempts run out, mode "fail" ends the
// task as failed and mode "delay" waits until the interval ends, then
// starts a fresh interval.
//
// It is a pure state machine over the given times, so tests drive it with
// any clock.
type restartTracker struct {
	policy    structs.RestartPolicy
	batch     bool
	count     int       // restarts in the current interval
	startTime time.Time // start of the current interval
}

func newRestartTracker(p *structs.RestartPolicy, jobType string, now time.Time) *restartTracker {
	batch := jobType == structs.JobTypeBatch || jobType == structs.JobTypeSysBatch
	var policy structs.RestartPolicy
	switch {
	case p != nil:
		policy = *p
	case batch:
		policy = DefaultBatchRestartPolicy
	default:
		policy = DefaultServiceRestartPolicy
	}
	return &restartTracker{policy: policy, batch: batch, startTime: now}
}

// exited decides after the task ran and exited with res.
func (r *restartTracker) exited(successful bool, now time.Time) decision {
	if successful && r.batch {
		return decision{reason: ReasonBatchComplete}
	}
	return r.next(now)
}

// startFailed decides after the driver failed to start the task.
// Unrecoverable errors (bad config, disabled driver) are not retried.
func (r *restartTracker) startFailed(recoverable bool, now time.Time) decision {
	if !recoverable {
		return decision{reason: ReasonUnrecoverable, failed: true}
	}
	return r.next(now)
}

func (r *restartTracker) next(now time.Time) decision {
	end := r.startTime.Add(r.policy.Interval)
	if !now.Before(end) {
		r.count, r.startTime = 0, now
		end = now.Add(r.policy.Interval)
	}
	r.count++
	if r.count <= r.policy.Attempts {
		return decision{restart: true, delay: r.policy.Delay, reason: ReasonWithinPolicy}
	}
	if r.policy.Attempts == 0 && r.policy.Mode != structs.RestartPolicyModeDelay {
		return decision{reason: ReasonNoRestarts, failed: true}
	}
	if r.policy.Mode == structs.RestartPolicyModeDelay {
		// Wait out the interval; the next failure after it starts a new one.
		d := end.Sub(now)
		if d < r.policy.Delay {
			d = r.policy.Delay
		}
		return decision{restart: true, delay: d, reason: fmt.Sprintf(ReasonDelay, r.policy.Attempts, r.policy.Interval)}
	}
	return decision{reason: fmt.Sprintf(ReasonExceeded, r.policy.Attempts, r.policy.Interval), failed: true}
}
