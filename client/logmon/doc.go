// Package logmon captures a task's stdout and stderr into rotated files in
// the alloc's logs dir, with Nomad's names:
//
//	alloc/logs/<task>.stdout.0, <task>.stdout.1, ...
//	alloc/logs/<task>.stderr.0, ...
//
// A Rotator appends to the highest-numbered file until it reaches
// max_file_size, then opens the next number and deletes the oldest files
// beyond max_files. Opened again (a restarted collector), it continues
// from the highest number it finds, so numbering never goes back.
//
// The copying must outlive the agent, since tasks do. So the process that
// copies is never the agent:
//
//   - exec tasks: the task's supervisor (see client/drivers/exec) gives the
//     container the write ends of two pipes as stdout and stderr and copies
//     the read ends into Rotators itself.
//   - raw_exec tasks: the driver starts a collector, the drover binary
//     re-executed as `drover __drover_logmon DIR TASK MAX_FILES MAX_MB`
//     (RunCollector), detached with setsid, with the read ends on fds 0
//     (stdout) and 3 (stderr). It exits when the task and everything it
//     forked have closed both pipes.
//
// In either case the agent may die and restart at any time: the task keeps
// writing into its pipes and the files keep rotating.
package logmon
