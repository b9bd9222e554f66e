package exec

import (
	"os"
	osexec "os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/droverhq/drover/client/drivers"
)

func TestContainerEnv(t *testing.T) {
	cfg := &drivers.TaskConfig{
		AllocDir: "/d/alloc", LocalDir: "/d/web/local", SecretsDir: "/d/web/secrets",
		Env: map[string]string{
			"NOMAD_ALLOC_DIR": "/d/alloc", "NOMAD_TASK_DIR": "/d/web/local",
			"NOMAD_SECRETS_DIR": "/d/web/secrets", "CONF": "/d/web/local/app.conf",
			"OTHER": "/d/alloc2", "PATH": "/usr/bin:/bin",
		},
	}
	got := containerEnv(cfg)
	slices.Sort(got)
	want := []string{"CONF=/local/app.conf", "NOMAD_ALLOC_DIR=/alloc", "NOMAD_SECRETS_DIR=/secrets",
		"NOMAD_TASK_DIR=/local", "OTHER=/d/alloc2", "PATH=/usr/bin:/bin"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestMemoryLimits(t *testing.T) {
	tests := []struct {
		name           string
		r              drivers.Resources
		limit, reserve int64
	}{
		{"none", drivers.Resources{}, 0, 0},
		{"memory only", drivers.Resources{MemoryMB: 32}, 32 * mib, 32 * mib},
		{"memory_max above memory", drivers.Resources{MemoryMB: 32, MemoryMaxMB: 128}, 128 * mib, 32 * mib},
		{"memory_max below memory is ignored", drivers.Resources{MemoryMB: 64, MemoryMaxMB: 16}, 64 * mib, 64 * mib},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, r := memoryLimits(tt.r)
			if l != tt.limit || r != tt.reserve {
				t.Fatalf("got limit %d reservation %d, want %d and %d", l, r, tt.limit, tt.reserve)
			}
		})
	}
}

func TestNames(t *testing.T) {
	if got, want := containerID("a1b2/web/3"), "a1b2_web_3"; got != want {
		t.Errorf("containerID: got %q, want %q", got, want)
	}
	if got, want := cgroupPath("a1b2", "../web"), "/drover/a1b2/.._web"; got != want {
		t.Errorf("cgroupPath: got %q, want %q", got, want)
	}
	if got, want := hostname("my_task.v2"), "my-task-v2"; got != want {
		t.Errorf("hostname: got %q, want %q", got, want)
	}
	if got := cpuShares(1); got != 2 {
		t.Errorf("cpuShares(1): got %d, want the kernel's minimum 2", got)
	}
}

func TestTerminatesByDefault(t *testing.T) {
	for _, s := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGQUIT} {
		if !terminatesByDefault(s) {
			t.Errorf("%v: got false, want true", s)
		}
	}
	for _, s := range []syscall.Signal{syscall.SIGCHLD, syscall.SIGWINCH, syscall.SIGCONT, syscall.SIGTSTP, syscall.SIGSTOP} {
		if terminatesByDefault(s) {
			t.Errorf("%v: got true, want false", s)
		}
	}
}

func TestStatusFromWait(t *testing.T) {
	// A real child killed by SIGKILL, to get a real wait status.
	cmd := osCommand(t, "/bin/sh", "-c", "kill -9 $$")
	err := cmd.Run()
	tests := []struct {
		name          string
		killSig       int
		oom           bool
		signal, code  int
		wantOOMResult bool
	}{
		{"plain SIGKILL", 0, false, 9, 137, false},
		{"default action of SIGTERM carried out", 15, false, 15, 143, false},
		{"OOM kill wins over a recorded signal", 15, true, 9, 137, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := statusFromWait(cmd.ProcessState, err, tt.killSig, tt.oom)
			if st.Signal != tt.signal || st.ExitCode != tt.code || st.OOMKilled != tt.wantOOMResult {
				t.Fatalf("got %+v, want signal %d code %d oom %v", st, tt.signal, tt.code, tt.wantOOMResult)
			}
		})
	}
}

func TestReadStatusMissing(t *testing.T) {
	r := readStatus(filepath.Join(t.TempDir(), "status.json"))
	if r.Err == nil || !strings.Contains(r.Err.Error(), "supervisor") {
		t.Fatalf("got %+v, want Err naming the supervisor", r)
	}
}

func TestRemoveRootfsKeepsData(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "rootfs")
	if err := os.MkdirAll(filepath.Join(root, "usr"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("usr/bin", filepath.Join(root, "bin")); err != nil {
		t.Fatal(err)
	}
	if err := removeRootfs(root); err != nil {
		t.Fatalf("empty mount points and symlinks: got %v, want removed", err)
	}
	if _, err := os.Stat(root); err == nil {
		t.Fatal("rootfs remains")
	}
	// A file with data is never the driver's: it stays.
	_ = os.MkdirAll(filepath.Join(root, "usr"), 0o755)
	_ = os.WriteFile(filepath.Join(root, "usr", "precious"), []byte("x"), 0o644)
	if err := removeRootfs(root); err == nil {
		t.Fatal("got nil, want an error for a non-empty file")
	}
	if _, err := os.Stat(filepath.Join(root, "usr", "precious")); err != nil {
		t.Fatalf("data file removed: %v", err)
	}
}

func TestFingerprintUnusable(t *testing.T) {
	requireContainers(t)
	tests := []struct {
		name     string
		opts     Options
		detected bool
		want     string
	}{
		{"no state dir", Options{}, false, "state dir"},
		{"missing binary", Options{StateDir: t.TempDir(), Executable: "/no/such/drover"}, false, "/no/such/drover"},
		// A binary that does not call Main: the probe container never starts.
		{"binary not wired", Options{StateDir: t.TempDir(), Executable: "/bin/true"}, true, "test container failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fp := New(tt.opts).Fingerprint()
			if fp.Healthy || fp.Detected != tt.detected || !strings.Contains(fp.HealthDescription, tt.want) {
				t.Fatalf("got %+v, want unhealthy, detected=%v, description naming %q", fp, tt.detected, tt.want)
			}
		})
	}
}

func osCommand(t *testing.T, name string, args ...string) *osexec.Cmd {
	t.Helper()
	return osexec.Command(name, args...)
}

func TestMainIgnoresOtherCommands(t *testing.T) {
	for _, args := range [][]string{{"drover"}, {"drover", "agent", "-dev"}, {"drover", "init"}} {
		if handled, _ := Main(args); handled {
			t.Errorf("Main(%q): got handled, want false", args)
		}
	}
}

func TestFingerprintHealthyWithNewStateDir(t *testing.T) {
	requireContainers(t)
	d := New(Options{StateDir: filepath.Join(t.TempDir(), "not", "yet"), Executable: testExe(t)})
	if fp := d.Fingerprint(); !fp.Detected || !fp.Healthy || fp.Attributes["driver.exec.cgroups"] == "" {
		t.Fatalf("got %+v, want healthy with the cgroup layout attribute", fp)
	}
}

// TestUserEnv: a task run as another user gets that user's HOME and USER,
// not root's HOME; the job's own env wins.
func TestUserEnv(t *testing.T) {
	s := &launchSpec{Env: []string{"PATH=/bin"}}
	if err := s.setUser("nobody"); err != nil {
		t.Fatal(err)
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip(err)
	}
	want := []string{"PATH=/bin", "HOME=" + u.HomeDir, "USER=nobody"}
	if !slices.Equal(s.Env, want) {
		t.Fatalf("got %v, want %v", s.Env, want)
	}
	s = &launchSpec{Env: []string{"HOME=/local"}}
	if err := s.setUser("nobody"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"HOME=/local", "USER=nobody"}; !slices.Equal(s.Env, want) {
		t.Fatalf("got %v, want %v", s.Env, want)
	}
}
