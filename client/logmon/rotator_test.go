package logmon

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// files returns name -> content of the dir's files.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func names(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestRotator(t *testing.T) {
	tests := []struct {
		name      string
		maxFiles  int
		maxBytes  int64
		writes    []string
		wantFiles map[string]string
	}{
		{"no rotation below the size", 3, 10, []string{"abc", "def"},
			map[string]string{"web.stdout.0": "abcdef"}},
		{"rotates at the size", 3, 4, []string{"abcd", "ef"},
			map[string]string{"web.stdout.0": "abcd", "web.stdout.1": "ef"}},
		{"splits a write that does not fit", 5, 4, []string{"abcdefghij"},
			map[string]string{"web.stdout.0": "abcd", "web.stdout.1": "efgh", "web.stdout.2": "ij"}},
		{"keeps max_files newest", 2, 2, []string{"aabbccdd"},
			map[string]string{"web.stdout.2": "cc", "web.stdout.3": "dd"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			r, err := NewRotator(dir, "web.stdout", tc.maxFiles, tc.maxBytes)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.writes {
				if n, err := r.Write([]byte(w)); err != nil || n != len(w) {
					t.Fatalf("Write(%q): got %d, %v; want %d, nil", w, n, err, len(w))
				}
			}
			r.Close()
			got := files(t, dir)
			if !equal(got, tc.wantFiles) {
				t.Fatalf("got files %v, want %v", got, tc.wantFiles)
			}
		})
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// A rotator opened again (a restarted collector) appends to the newest
// file while it has room, then continues the numbering.
func TestRotatorContinuesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	r, _ := NewRotator(dir, "t.stderr", 3, 4)
	r.Write([]byte("abcdef")) // .0 = abcd, .1 = ef
	r.Close()

	r, err := NewRotator(dir, "t.stderr", 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	r.Write([]byte("gh")) // fills .1
	r.Write([]byte("ij")) // .2
	r.Close()
	want := map[string]string{"t.stderr.0": "abcd", "t.stderr.1": "efgh", "t.stderr.2": "ij"}
	if got := files(t, dir); !equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}

	// Full newest file and fewer max_files on reopen: a new number, and
	// the oldest go.
	os.WriteFile(filepath.Join(dir, "t.stderr.2"), []byte("ijkl"), 0o644)
	r, err = NewRotator(dir, "t.stderr", 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	r.Write([]byte("m"))
	r.Close()
	want = map[string]string{"t.stderr.2": "ijkl", "t.stderr.3": "m"}
	if got := files(t, dir); !equal(got, want) {
		t.Fatalf("after reopen with max_files 2: got %v, want %v", names(got), want)
	}
}

// Other tasks' files and other streams in the same dir are left alone.
func TestRotatorIgnoresOtherFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"t.stdout.7", "other.stderr.9", "t.stderr.x", "t.stderr.01"} {
		os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o644)
	}
	r, _ := NewRotator(dir, "t.stderr", 1, 100)
	r.Write([]byte("hello"))
	r.Close()
	got := files(t, dir)
	if got["t.stderr.0"] != "hello" || len(got) != 5 {
		t.Fatalf("got %v, want t.stderr.0 added and the others kept", names(got))
	}
}

func TestCopyUntilEOF(t *testing.T) {
	dir := t.TempDir()
	r, _ := NewRotator(dir, "c.stdout", 10, 1<<20)
	n := Copy(r, strings.NewReader("line 1\nline 2\n"))
	r.Close()
	if got := files(t, dir)["c.stdout.0"]; n != 14 || got != "line 1\nline 2\n" {
		t.Fatalf("got %d bytes, file %q; want 14 and both lines", n, got)
	}
}

// The in-process collector (no binary to re-execute) rotates what the
// write ends receive, and ends when they are closed.
func TestStartCollectorInProcess(t *testing.T) {
	dir := t.TempDir()
	out, errw, _, err := StartCollector("", Config{Dir: dir, Task: "web", MaxFiles: 2, MaxFileSizeMB: 1})
	if err != nil {
		t.Fatal(err)
	}
	out.Write([]byte("to stdout\n"))
	errw.Write([]byte("to stderr\n"))
	out.Close()
	errw.Close()
	deadline := 200
	for ; deadline > 0; deadline-- {
		got := files(t, dir)
		if got["web.stdout.0"] == "to stdout\n" && got["web.stderr.0"] == "to stderr\n" {
			return
		}
		sleepBriefly()
	}
	t.Fatalf("got files %v, want web.stdout.0 and web.stderr.0 with the lines", files(t, dir))
}
