package exec

import (
	"context"
	"os"
	osexec "os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/droverhq/drover/client/drivers"
)

// BenchmarkContainerStart measures a whole task life of /bin/true in a
// container through the driver: StartTask (supervisor, container create,
// running), its exit, and DestroyTask. running-median-ms is the part until
// StartTask returned with the task running.
func BenchmarkContainerStart(b *testing.B) {
	d := newDriver(b, b.TempDir())
	durations := make([]time.Duration, 0, b.N)
	toRunning := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tc := benchTask(b, strconv.Itoa(i))
		b.StartTimer()
		start := time.Now()
		if _, err := d.StartTask(tc); err != nil {
			b.Fatal(err)
		}
		toRunning = append(toRunning, time.Since(start))
		ch, err := d.WaitTask(context.Background(), tc.ID)
		if err != nil {
			b.Fatal(err)
		}
		if r := <-ch; r == nil || !r.Successful() {
			b.Fatalf("got %+v, want success", r)
		}
		if err := d.DestroyTask(tc.ID, false); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(start))
	}
	reportMs(b, durations)
	b.ReportMetric(median(toRunning), "running-median-ms/op")
}

// BenchmarkForkExec is the baseline: /bin/true as a plain child process.
func BenchmarkForkExec(b *testing.B) {
	durations := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if err := osexec.Command("/bin/true").Run(); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(start))
	}
	reportMs(b, durations)
}

// benchTask is a /bin/true task with its directories under the
// benchmark's temp dir (driverstest.TaskConfig wants a *testing.T).
func benchTask(b *testing.B, id string) *drivers.TaskConfig {
	dir := b.TempDir()
	tc := &drivers.TaskConfig{
		ID: "bench/true/" + id, AllocID: "bench" + id, Name: "true",
		Config:   map[string]interface{}{"command": "/bin/true"},
		Env:      map[string]string{"PATH": "/usr/bin:/bin"},
		AllocDir: filepath.Join(dir, "alloc"), TaskDir: filepath.Join(dir, "true"),
		LocalDir: filepath.Join(dir, "true", "local"), SecretsDir: filepath.Join(dir, "true", "secrets"),
		StdoutPath: filepath.Join(dir, "alloc", "logs", "true.stdout.0"),
		StderrPath: filepath.Join(dir, "alloc", "logs", "true.stderr.0"),
	}
	for _, p := range []string{filepath.Dir(tc.StdoutPath), tc.LocalDir, tc.SecretsDir} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	return tc
}

// reportMs reports the mean and the median in milliseconds.
func reportMs(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	b.ReportMetric(float64(sum.Microseconds())/1000/float64(len(ds)), "ms/op")
	b.ReportMetric(median(ds), "median-ms/op")
}

// median in milliseconds; it sorts ds.
func median(ds []time.Duration) float64 {
	if len(ds) == 0 {
		return 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return float64(ds[len(ds)/2].Microseconds()) / 1000
}
