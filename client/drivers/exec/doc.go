// Package exec is the `exec` task driver: it runs a task's command in a
// Linux container built with libcontainer (namespaces + cgroups), with no
// image and no container daemon.
//
// # Job config
//
//	config {
//	  command = "/usr/bin/python3"
//	  args    = ["-m", "http.server", "${NOMAD_PORT_http}"]
//	}
//
// # Process tree
//
// The agent binary re-executes itself twice per task, so that a task keeps
// running, and its exit status is still learned, when the agent restarts:
//
//	drover agent                          (the Driver value lives here)
//	 └─ drover __drover_task_supervisor <spec.json>   setsid: own session and group
//	     └─ task command, PID 1 of its container      (via `drover init`)
//	         └─ whatever the task forks
//
// A task's life:
//
//  1. StartTask writes a launch spec (JSON) into the task dir and starts the
//     supervisor, detached with setsid. The supervisor's stdout and stderr
//     are a log file, never a pipe, so it does not die with the agent.
//  2. The supervisor builds the root filesystem directory, creates the
//     container with libcontainer, which re-executes the binary once more as
//     `init` (libcontainer's nsenter code and Init, reached through Main),
//     and that init execs the task's command as the container's PID 1.
//     The task's stdout and stderr are the write ends of two pipes (real
//     *os.File values, so libcontainer pumps nothing through the agent);
//     the supervisor copies the read ends into rotated files in alloc/logs
//     (<task>.stdout.N, <task>.stderr.N, per logs { max_files
//     max_file_size }; see package logmon). The supervisor outlives the
//     agent, so a task keeps logging, and its logs keep rotating, while no
//     agent runs. Without TaskConfig.Logs the task writes StdoutPath and
//     StderrPath directly.
//  3. The supervisor reports the container's PID to the agent over a pipe,
//     then waits on the container, watches for OOM kills, drains the
//     task's logs (at most 5s after its end), writes the exit
//     status to status.json, destroys the container (cgroups and
//     libcontainer state) and exits.
//  4. The agent learns the end of a task from the supervisor's exit (its own
//     child: wait; a recovered one: a pidfd) and reads status.json. After an
//     agent restart RecoverTask finds the supervisor by PID, checks through
//     /proc/<pid>/cmdline that it is ours, and the exit is known as before.
//
// Files per task attempt, in TaskDir/.exec/<container-id>/ (the task dir
// itself is not visible inside the container):
//
//	spec.json       what the supervisor builds (launchSpec)
//	status.json     how the task ended, written by the supervisor (exitStatus)
//	killsig         the signal whose default action the driver carried out (see below)
//	supervisor.log  the supervisor's own messages
//
// Under Options.StateDir: containers/ is libcontainer's state root and
// rootfs/<container-id>/ the task's root directory. The root directory only
// holds symlinks and empty mount points: every bind mount is made inside the
// container's own mount namespace, so the host sees none of them and they
// vanish with the container.
//
// # The container
//
//   - Namespaces: mount, pid, ipc, uts; the host's network.
//   - Root: the client's chroot_env (default /bin /lib /lib64 /usr /sbin
//     /etc), directories bind-mounted read-only, symlinks recreated; the
//     task's local dir at /local (the working directory: the task's own
//     writable files, where artifacts and templates land), its secrets dir
//     at /secrets (a tmpfs, mode 0700), the group's alloc dir at /alloc;
//     /proc, /dev (tmpfs + the usual devices), /dev/pts, /dev/shm, /sys (ro)
//     and /tmp (tmpfs). Host volumes (TaskConfig.Mounts, from the job's
//     volume_mount blocks) are bound at their destinations, read-only when
//     the mount, the group's volume or the client's host_volume says so;
//     a destination inside a read-only chroot_env directory must already
//     exist there. Environment values that name the host's alloc,
//     local or secrets paths are rewritten to the container's paths.
//   - cgroups at /drover/<alloc>/<task> (outside the agent's own cgroup): a
//     hard memory limit (memory_max when set, memory as the reservation), cpu
//     shares (v1) or weight (v2) from the cpu MHz, and a pids limit. cgroup
//     v1, v2 and the hybrid layout all work through libcontainer's fs
//     manager; systemd is not used.
//   - User: `user` in the task is looked up in the host's /etc/passwd.
//
// # Signals and PID 1
//
// The task's command is its container's PID 1, and the kernel drops any
// signal sent to a PID namespace's init from outside unless the init
// catches it (SIGKILL excepted). `sleep` would therefore never stop on
// SIGTERM. The driver restores ordinary process semantics: if the init
// neither catches nor ignores a signal whose default action is to
// terminate, the driver carries that action out itself: it records the
// signal in killsig and sends SIGKILL, and the supervisor reports the task
// as ended by the original signal.
package exec
