// Package drivers defines the contract between the client's task runners and
// the task drivers (mock, raw_exec, and the libcontainer exec driver).
//
// A driver is long-lived: the client builds one value per driver name and
// shares it between all of its task runners, so every method must be safe
// for concurrent use. Tasks are keyed by TaskConfig.ID, which the task runner
// makes unique per start attempt ("<allocID>/<task>/<attempt>").
//
// Lifecycle of one task as the task runner drives it:
//
//	StartTask -> TaskHandle (persisted in client state)
//	WaitTask  -> channel that yields one ExitResult when the task ends
//	StopTask  -> signal, SIGKILL after the timeout (task still known)
//	DestroyTask -> forget the task and free its resources
//
// After a client restart the task runner calls RecoverTask with the persisted
// handle instead of StartTask; WaitTask etc. then work as before.
//
// How the libcontainer exec driver fits: StartTask launches a small
// per-task supervisor (setsid) that creates the container and records its
// exit status; DriverState holds the container ID and the supervisor's
// status file, so RecoverTask can re-attach and WaitTask can still learn
// the real exit code after a client restart. Resources (CPU MHz -> cpu
// weight, memory hard limit), User and the Alloc/Task/Local/Secrets dirs
// (bind mounts) carry what the container spec needs; OOMKilled in
// ExitResult reports the cgroup's OOM notification.
package drivers

import (
	"context"
	"errors"
	"time"

	"github.com/droverhq/drover/structs"
)

// Task states reported in TaskHandle.State and TaskStatus.State.
const (
	TaskStateUnknown = "unknown"
	TaskStateRunning = "running"
	TaskStateExited  = "exited"
)

// Errors drivers return; callers test them with errors.Is.
var (
	// ErrTaskNotFound: the driver does not know the task ID.
	ErrTaskNotFound = errors.New("task not found")
	// ErrTaskRunning: DestroyTask without force on a running task.
	ErrTaskRunning = errors.New("task is still running")
	// ErrDisabled: the driver is turned off on this client.
	ErrDisabled = errors.New("driver disabled")
	// ErrNotSupported: the driver cannot do this operation.
	ErrNotSupported = errors.New("not supported by this driver")
	// ErrUnrecoverable marks a StartTask error that retrying cannot fix
	// (bad config, missing feature); the task runner then does not restart.
	// structs.ErrInvalid and ErrDisabled are treated the same way.
	ErrUnrecoverable = errors.New("unrecoverable")
)

// Unrecoverable wraps err so that errors.Is(err, ErrUnrecoverable).
func Unrecoverable(err error) error { return unrecoverable{err} }

type unrecoverable struct{ error }

func (u unrecoverable) Unwrap() []error { return []error{u.error, ErrUnrecoverable} }

// IsRecoverable reports whether a StartTask error is worth a restart.
func IsRecoverable(err error) bool {
	return !errors.Is(err, ErrUnrecoverable) && !errors.Is(err, structs.ErrInvalid) && !errors.Is(err, ErrDisabled)
}

// Driver runs tasks. All methods are called from task runner goroutines,
// concurrently for different tasks; implementations must be safe for that.
// No method may block for long except WaitTask's channel and StopTask (which
// waits at most its timeout plus the time SIGKILL takes).
type Driver interface {
	// Name is the driver's name in job files ("raw_exec", "mock", "exec").
	Name() string

	// Fingerprint reports whether the driver is usable on this node. It is
	// cheap and may be called periodically; it never blocks on tasks.
	Fingerprint() *structs.DriverInfo

	// StartTask starts the task and returns once it runs (not when it ends).
	// An error means no task was left behind: the caller will not call
	// DestroyTask. The returned handle is persisted by the caller so that a
	// restarted client can give it to RecoverTask.
	StartTask(cfg *TaskConfig) (*TaskHandle, error)

	// WaitTask returns a channel that receives exactly one ExitResult when the
	// task ends and is then closed. It may be called more than once; every
	// channel gets the result. If ctx ends first the channel is closed without
	// a value. Unknown task IDs give ErrTaskNotFound.
	WaitTask(ctx context.Context, taskID string) (<-chan *ExitResult, error)

	// StopTask sends signal (the driver's default, usually SIGTERM, when
	// empty) and, if the task has not exited after timeout, SIGKILL. It returns
	// once the task has exited or was killed. Stopping an exited task is not
	// an error.
	StopTask(taskID string, timeout time.Duration, signal string) error

	// DestroyTask frees everything the driver holds for the task. With force
	// it kills a running task first; without force a running task gives
	// ErrTaskRunning. Unknown IDs are not an error (destroy is idempotent).
	DestroyTask(taskID string, force bool) error

	// RecoverTask re-attaches to a task started by an earlier client process
	// from its persisted handle. If the task is gone the driver still tracks
	// it as exited (exit code unknown: ExitResult.Err says so), so WaitTask
	// returns promptly. An error means the handle is unusable.
	RecoverTask(handle *TaskHandle) error

	// InspectTask reports the task's current status.
	InspectTask(taskID string) (*TaskStatus, error)

	// TaskStats samples the task's resource usage.
	TaskStats(ctx context.Context, taskID string) (*TaskResourceUsage, error)

	// SignalTask sends a signal ("SIGHUP", "SIGUSR1", ...) to the task.
	SignalTask(taskID string, signal string) error
}

// Resources is what the task may use; drivers that isolate enforce it.
type Resources struct {
	CPUMHz      int64
	MemoryMB    int64
	MemoryMaxMB int64
}

// TaskConfig is everything a driver needs to start one task. Paths are
// absolute host paths prepared by the alloc runner; the config map is the
// job's `config` block after interpolation.
type TaskConfig struct {
	ID            string
	AllocID       string
	Name          string
	JobName       string
	TaskGroupName string
	Env           map[string]string
	User          string
	Config        map[string]interface{}
	Resources     Resources
	AllocDir      string // the group's shared alloc/ dir (data, logs, tmp)
	TaskDir       string // the task's own dir: working directory of the task
	LocalDir      string // TaskDir/local
	SecretsDir    string // TaskDir/secrets
	StdoutPath    string // append task stdout here ("" = discard)
	StderrPath    string // append task stderr here ("" = discard)
	// Logs, when set, replaces StdoutPath and StderrPath: the driver
	// captures stdout and stderr into rotated files
	// Logs.Dir/<Name>.stdout.N and .stderr.N (package logmon), in a
	// process that outlives the agent. Its first files are the same paths
	// as StdoutPath and StderrPath.
	Logs *LogConfig
	// Mounts are host directories to bind into the task (host volumes).
	// Drivers that isolate the filesystem mount them; others ignore them.
	Mounts []MountConfig
}

// LogConfig is where a task's logs go and how they rotate (the task's
// logs { max_files max_file_size } block).
type LogConfig struct {
	Dir           string
	MaxFiles      int
	MaxFileSizeMB int
}

// MountConfig binds HostPath at TaskPath inside the task.
type MountConfig struct {
	HostPath string
	TaskPath string
	ReadOnly bool
}

// EnvList returns Env as "K=V" strings for exec.
func (c *TaskConfig) EnvList() []string {
	out := make([]string, 0, len(c.Env))
	for k, v := range c.Env {
		out = append(out, k+"="+v)
	}
	return out
}

// TaskHandle identifies a started task. It is serialized (msgpack) into the
// client's local state, so DriverState must carry whatever the driver needs
// to find the task again (a PID, a supervisor socket, a container ID).
type TaskHandle struct {
	Driver      string
	Config      *TaskConfig
	State       string
	StartedAt   time.Time
	DriverState []byte
}

// ExitResult is how a task ended.
type ExitResult struct {
	ExitCode  int
	Signal    int
	OOMKilled bool
	// Err is set when the driver could not learn how the task ended.
	Err error
}

// Successful reports a clean exit.
func (r *ExitResult) Successful() bool {
	return r.ExitCode == 0 && r.Signal == 0 && !r.OOMKilled && r.Err == nil
}

// TaskStatus is InspectTask's answer.
type TaskStatus struct {
	ID          string
	Name        string
	State       string
	StartedAt   time.Time
	CompletedAt time.Time
	ExitResult  *ExitResult // nil while running
}

// TaskResourceUsage is a stats sample.
type TaskResourceUsage struct {
	Timestamp   time.Time
	CPUTotalMs  float64
	MemoryRSS   uint64
	MemoryUsage uint64
	PIDs        []int
}
