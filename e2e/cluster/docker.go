package cluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Image is the tag of the image the agents run in.
const Image = "drover-e2e:test"

// Labels on everything the harness creates. labelPID names the go test
// process that owns a container or network, so that a later run removes
// only what a dead run left behind, never a concurrent run's.
const (
	labelE2E  = "drover-e2e"
	labelPID  = "drover-e2e.pid"
	labelHash = "drover-e2e.binary-sha256"
)

// dockerTimeout bounds one docker CLI call.
const dockerTimeout = 2 * time.Minute

// docker runs the docker CLI and returns its trimmed stdout; the error
// carries the command and its stderr.
func docker(args ...string) (string, error) {
	return dockerIn(nil, args...)
}

// dockerIn is docker with stdin.
func dockerIn(stdin io.Reader, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dockerTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// env is what the one-time setup found: the image to run, or why the
// tests cannot run.
type env struct {
	skip    string // non-empty: skip every test with this reason
	err     error  // non-nil: fail every test with this error
	image   string // image ID of drover-e2e:test
	binary  string // the static drover on the host, for CLI calls
	modRoot string
}

var (
	setupOnce sync.Once
	theEnv    env
)

// setup checks the gate and Docker, cleans up after dead runs, finds or
// builds the static binary and builds the image when the binary changed.
// It runs once per test binary.
func setup() *env {
	setupOnce.Do(func() { theEnv = doSetup() })
	return &theEnv
}

func doSetup() env {
	if os.Getenv("DROVER_E2E_CLUSTER") != "1" {
		return env{skip: "cluster fault tests start Docker containers: run them with `make test-e2e` (or set DROVER_E2E_CLUSTER=1)"}
	}
	if _, err := exec.LookPath("docker"); err != nil {
		return noDocker("no docker CLI in PATH")
	}
	if _, err := docker("info", "--format", "{{.ServerVersion}}"); err != nil {
		return noDocker(fmt.Sprintf("no Docker engine answers: %v", err))
	}
	removeStale()
	root, err := moduleRoot()
	if err != nil {
		return env{err: err}
	}
	bin := os.Getenv("DROVER_E2E_BINARY")
	if bin == "" {
		if bin, err = buildStatic(root); err != nil {
			return env{err: err}
		}
	}
	image, err := ensureImage(root, bin)
	if err != nil {
		return env{err: err}
	}
	return env{image: image, binary: bin, modRoot: root}
}

func noDocker(reason string) env {
	if os.Getenv("DROVER_E2E_REQUIRE_DOCKER") == "1" {
		return env{err: fmt.Errorf("DROVER_E2E_REQUIRE_DOCKER=1 but %s", reason)}
	}
	return env{skip: "cluster fault tests need a Docker engine: " + reason}
}

// moduleRoot is the directory of go.mod, found from this source file.
func moduleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot find the harness's source file to locate the module root")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("module root: %w", err)
	}
	return filepath.Abs(root)
}

// buildStatic builds a static drover (what `make static` does) into a
// temporary directory.
func buildStatic(root string) (string, error) {
	dir, err := os.MkdirTemp("", "drover-e2e-bin")
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "drover")
	cmd := exec.Command("go", "build", "-tags", "netgo osusergo",
		"-ldflags", `-linkmode external -extldflags "-static"`, "-o", out, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build static drover (set DROVER_E2E_BINARY to use bin/drover-static from `make static`): %w\n%s", err, msg)
	}
	return out, nil
}

// ensureImage returns the ID of drover-e2e:test, building it when it is
// missing or its label names another binary.
func ensureImage(root, bin string) (string, error) {
	sum, err := fileSHA256(bin)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", bin, err)
	}
	id, err := docker("image", "inspect", "--format",
		`{{.Id}} {{index .Config.Labels "`+labelHash+`"}}`, Image)
	if err == nil {
		if f := strings.Fields(id); len(f) == 2 && f[1] == sum {
			return f[0], nil
		}
	}
	ctxDir, err := os.MkdirTemp("", "drover-e2e-image")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(ctxDir)
	src := filepath.Join(root, "e2e", "docker")
	if err := copyTree(src, ctxDir); err != nil {
		return "", fmt.Errorf("image context: %w", err)
	}
	rootfs := filepath.Join(ctxDir, "rootfs")
	for _, d := range []string{"tmp", "data", "etc/drover"} {
		if err := os.MkdirAll(filepath.Join(rootfs, d), 0o755); err != nil {
			return "", err
		}
	}
	if err := os.Chmod(filepath.Join(rootfs, "tmp"), 0o1777); err != nil {
		return "", err
	}
	if err := copyFile(bin, filepath.Join(rootfs, "drover"), 0o755); err != nil {
		return "", fmt.Errorf("image context: %w", err)
	}
	// --quiet prints the new image's ID: use it rather than the tag,
	// which a concurrent run may move.
	out, err := docker("build", "--quiet", "--label", labelE2E+"=1", "--label", labelHash+"="+sum,
		"-t", Image, ctxDir)
	if err != nil {
		return "", err
	}
	lines := nonEmptyLines(out)
	if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], "sha256:") {
		return "", fmt.Errorf("docker build printed no image ID: %q", out)
	}
	// Drop the images of earlier binaries that the tag no longer names
	// (the engine keeps any a container still uses).
	docker("image", "prune", "--force", "--filter", "label="+labelE2E+"=1")
	return lines[len(lines)-1], nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// copyTree copies the regular files and directories under src into dst.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		return copyFile(path, target, 0o644)
	})
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// removeStale removes containers and networks labelled drover-e2e=1 whose
// owning process is gone (a run that was killed or timed out before its
// cleanups ran). A concurrent run's resources are left alone.
func removeStale() {
	// alive: the owner still runs. It runs before this process creates
	// anything, so a label with our own PID is a dead run's (PID reuse).
	alive := func(labels string) bool {
		for _, kv := range strings.Split(labels, ",") {
			if v, ok := strings.CutPrefix(kv, labelPID+"="); ok {
				pid, err := strconv.Atoi(v)
				if err != nil {
					return false
				}
				_, err = os.Stat(fmt.Sprintf("/proc/%d", pid))
				return err == nil && pid != os.Getpid()
			}
		}
		return false
	}
	out, _ := docker("ps", "-a", "--filter", "label="+labelE2E+"=1", "--format", "{{.ID}}\t{{.Labels}}")
	var stale []string
	for _, line := range nonEmptyLines(out) {
		id, labels, _ := strings.Cut(line, "\t")
		if !alive(labels) {
			stale = append(stale, id)
		}
	}
	removed := 0
	for _, id := range stale {
		if _, err := docker("rm", "-f", "-v", id); err == nil {
			removed++
		}
	}
	if removed > 0 {
		fmt.Fprintf(os.Stderr, "cluster e2e: removed %d stale containers of earlier runs\n", removed)
	}
	out, _ = docker("network", "ls", "--filter", "label="+labelE2E+"=1", "--format", "{{.ID}}\t{{.Labels}}")
	removed = 0
	for _, line := range nonEmptyLines(out) {
		id, labels, _ := strings.Cut(line, "\t")
		if alive(labels) {
			continue
		}
		if _, err := docker("network", "rm", id); err == nil {
			removed++
		}
	}
	if removed > 0 {
		fmt.Fprintf(os.Stderr, "cluster e2e: removed %d stale networks of earlier runs\n", removed)
	}
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// requireEnv skips or fails t as the setup decided and returns the env.
func requireEnv(t testing.TB) *env {
	t.Helper()
	e := setup()
	if e.skip != "" {
		t.Skip(e.skip)
	}
	if e.err != nil {
		t.Fatal(e.err)
	}
	return e
}
