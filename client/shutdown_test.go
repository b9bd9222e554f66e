package client

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/droverhq/drover/structs"
)

// A client that owns a temporary data dir (dev agents) must not leave tasks
// running after Shutdown; others detach and leave them for the next client.
func TestShutdownStopsTasksWhenAsked(t *testing.T) {
	for _, stop := range []bool{true, false} {
		t.Run(fmt.Sprintf("stop=%v", stop), func(t *testing.T) {
			f := newFakeServer(t)
			dir := t.TempDir()
			c, err := New(&Config{DataDir: dir, NodeName: "n", Datacenter: "dc1", Region: "global", Servers: []string{f.addr},
				NetworkInterface: "lo", RawExecEnabled: true, StopTasksOnShutdown: stop})
			if err != nil {
				t.Fatal(err)
			}
			pidFile := filepath.Join(t.TempDir(), "pid")
			a := mockAlloc(c.NodeID(), structs.JobTypeService, map[string]interface{}{
				"command": "/bin/sh", "args": []interface{}{"-c", "echo $$ > " + pidFile + "; exec sleep 60"}})
			a.Job.TaskGroups[0].Tasks[0].Driver = "raw_exec"
			f.putAlloc(a)
			var pid int
			waitFor(t, func() error {
				b, err := os.ReadFile(pidFile)
				if err != nil {
					return err
				}
				pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
				return err
			})
			t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
			if err := c.Shutdown(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond) // let the kernel reap the killed process
			alive := syscall.Kill(pid, 0) == nil && !isZombie(pid)
			if alive == stop {
				t.Fatalf("task process alive = %v after Shutdown with StopTasksOnShutdown = %v", alive, stop)
			}
			_, err = os.Stat(filepath.Join(dir, "alloc", a.ID))
			if removed := os.IsNotExist(err); removed != stop {
				t.Fatalf("alloc dir removed = %v, want %v", removed, stop)
			}
		})
	}
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	fields := strings.Fields(string(b))
	return len(fields) > 2 && fields[2] == "Z"
}
