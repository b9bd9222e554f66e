package taskrunner

import (
	"fmt"
	"time"

	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/structs"
)

// Event builders: each sets Type, Time and a DisplayMessage the CLI shows.

func newEvent(typ string, now time.Time, msg string) *structs.TaskEvent {
	return &structs.TaskEvent{Type: typ, Time: now.UnixNano(), DisplayMessage: msg, Details: map[string]string{}}
}

// ReceivedEvent is the first event of every task.
func ReceivedEvent(now time.Time) *structs.TaskEvent {
	return newEvent(structs.TaskReceived, now, "Task received by client")
}

// SetupEvent marks the task's directories and environment being built.
func SetupEvent(now time.Time) *structs.TaskEvent {
	return newEvent(structs.TaskSetup, now, "Building Task Directory")
}

// SetupFailureEvent says the task directory or environment could not be built.
func SetupFailureEvent(now time.Time, err error) *structs.TaskEvent {
	e := newEvent(structs.TaskSetupFailure, now, err.Error())
	e.Message, e.FailsTask = err.Error(), true
	e.Details["setup_error"] = err.Error()
	return e
}

func startedEvent(now time.Time) *structs.TaskEvent {
	return newEvent(structs.TaskStarted, now, "Task started by client")
}

func terminatedEvent(now time.Time, r *drivers.ExitResult) *structs.TaskEvent {
	msg := fmt.Sprintf("Exit Code: %d", r.ExitCode)
	if r.Signal != 0 {
		msg += fmt.Sprintf(", Signal: %d", r.Signal)
	}
	if r.Err != nil {
		msg += ", Exit Message: " + r.Err.Error()
	}
	typ := structs.TaskTerminated
	if r.OOMKilled {
		typ = structs.TaskOOMKilled
	}
	e := newEvent(typ, now, msg)
	e.ExitCode, e.Signal = r.ExitCode, r.Signal
	e.Details["exit_code"] = fmt.Sprint(r.ExitCode)
	e.Details["signal"] = fmt.Sprint(r.Signal)
	if r.Err != nil {
		e.Message = r.Err.Error()
	}
	return e
}

func driverFailureEvent(now time.Time, err error) *structs.TaskEvent {
	e := newEvent(structs.TaskDriverFailure, now, err.Error())
	e.Message = err.Error()
	e.Details["driver_error"] = err.Error()
	return e
}

func restartingEvent(now time.Time, delay time.Duration, reason string) *structs.TaskEvent {
	e := newEvent(structs.TaskRestarting, now, fmt.Sprintf("%s - Task restarting in %v", reason, delay))
	e.StartDelay, e.RestartReason = int64(delay), reason
	e.Details["start_delay"] = fmt.Sprint(int64(delay))
	e.Details["restart_reason"] = reason
	return e
}

func notRestartingEvent(now time.Time, reason string, fails bool) *structs.TaskEvent {
	e := newEvent(structs.TaskNotRestarting, now, reason)
	e.RestartReason, e.FailsTask = reason, fails
	e.Details["restart_reason"] = reason
	if fails {
		e.Details["fails_task"] = "true"
	}
	return e
}

func killingEvent(now time.Time, timeout time.Duration, reason string) *structs.TaskEvent {
	msg := fmt.Sprintf("Sent interrupt. Waiting %v before force killing", timeout)
	if reason != "" {
		msg = reason + ": " + msg
	}
	e := newEvent(structs.TaskKilling, now, msg)
	e.KillTimeout = timeout
	e.Details["kill_timeout"] = timeout.String()
	return e
}

func killedEvent(now time.Time, err error) *structs.TaskEvent {
	e := newEvent(structs.TaskKilled, now, "Task successfully killed")
	if err != nil {
		e.DisplayMessage, e.Message = "Task killed with error: "+err.Error(), err.Error()
		e.Details["kill_error"] = err.Error()
	}
	return e
}
