package api

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// execServer answers the exec upgrade: it echoes stdin to stdout
// upper-cased, reports resizes on stderr, and exits with 3 at stdin EOF.
func execServer(t *testing.T, seen *http.Request) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		*seen = *r.Clone(context.Background())
		if r.Header.Get("Upgrade") != ExecUpgradeProtocol {
			http.Error(w, "no upgrade", http.StatusBadRequest)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: %s\r\nConnection: Upgrade\r\n\r\n", ExecUpgradeProtocol)
		brw.Flush()
		for {
			typ, p, err := ReadExecFrame(brw)
			if err != nil {
				return
			}
			switch typ {
			case ExecFrameStdin:
				WriteExecFrame(brw, ExecFrameStdout, bytes.ToUpper(p))
			case ExecFrameResize:
				WriteExecFrame(brw, ExecFrameStderr, []byte(fmt.Sprintf("%dx%d", binary.BigEndian.Uint16(p), binary.BigEndian.Uint16(p[2:]))))
			case ExecFrameStdinEOF:
				WriteExecFrame(brw, ExecFrameExit, []byte{0, 0, 0, 3})
				brw.Flush()
				return
			}
			brw.Flush()
		}
	}
}

func TestExecProtocol(t *testing.T) {
	var seen http.Request
	srv := httptest.NewServer(execServer(t, &seen))
	defer srv.Close()
	c, err := NewClient(&Config{Address: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	resize := make(chan TerminalSize, 1)
	resize <- TerminalSize{Width: 80, Height: 24}
	code, err := c.Allocations().Exec("a1", []string{"sh", "-c", "x"}, &ExecOptions{
		Task: "web", TTY: true, Stdin: strings.NewReader("hello"), Stdout: &stdout, Stderr: &stderr, Resize: resize,
	}, nil)
	if err != nil || code != 3 {
		t.Fatalf("exec: got code %d, err %v; want 3, nil", code, err)
	}
	if stdout.String() != "HELLO" {
		t.Errorf("stdout: got %q, want HELLO", stdout.String())
	}
	if seen.URL.Path != "/v1/client/allocation/a1/exec" || seen.URL.Query().Get("task") != "web" ||
		seen.URL.Query().Get("command") != `["sh","-c","x"]` || seen.URL.Query().Get("tty") != "true" {
		t.Errorf("request: got %s, want the alloc's exec path with task, command and tty", seen.URL.String())
	}
}

func TestExecRefusedBeforeUpgrade(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "alloc not found", http.StatusNotFound)
	}))
	defer srv.Close()
	c, _ := NewClient(&Config{Address: srv.URL})
	_, err := c.Allocations().Exec("nope", []string{"true"}, &ExecOptions{}, nil)
	if !IsNotFound(err) {
		t.Fatalf("got %v, want a 404 error", err)
	}
}

func TestClientAllocEndpoints(t *testing.T) {
	var mu sync.Mutex
	bodies := map[string]string{}
	mux := http.NewServeMux()
	record := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies[r.Method+" "+r.URL.Path] = string(b)
		mu.Unlock()
		w.Write([]byte(`{"EvalID":"e1","Index":7}`))
	}
	mux.HandleFunc("PUT /v1/client/allocation/{id}/restart", record)
	mux.HandleFunc("PUT /v1/client/allocation/{id}/signal", record)
	mux.HandleFunc("PUT /v1/allocation/{id}/stop", record)
	mux.HandleFunc("GET /v1/client/allocation/{id}/stats", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"ResourceUsage":{"MemoryStats":{"RSS":10},"CpuStats":{"Percent":1.5}},"Tasks":{"t":{"ResourceUsage":{"MemoryStats":{"RSS":10}}}}}`))
	})
	mux.HandleFunc("GET /v1/client/fs/logs/{id}", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("plain") == "true" {
			fmt.Fprintf(w, "%s %s %s %s", q.Get("task"), q.Get("type"), q.Get("origin"), q.Get("follow"))
			return
		}
		enc := json.NewEncoder(w)
		enc.Encode(&StreamFrame{Data: []byte("a"), File: "t.stdout.0"})
		enc.Encode(&StreamFrame{Data: []byte("b"), File: "t.stdout.1", Offset: 0})
	})
	mux.HandleFunc("GET /v1/client/fs/ls/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `[{"Name":%q,"IsDir":true}]`, r.URL.Query().Get("path"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c, _ := NewClient(&Config{Address: srv.URL})

	if err := c.Allocations().Restart("a1", "t", false, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Allocations().Signal("a1", "t", "SIGHUP", nil); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Allocations().Stop("a1", nil)
	if err != nil || resp.EvalID != "e1" || resp.Index != 7 {
		t.Fatalf("stop: got %+v, %v", resp, err)
	}
	want := map[string]string{
		"PUT /v1/client/allocation/a1/restart": `{"AllTasks":false,"TaskName":"t"}`,
		"PUT /v1/client/allocation/a1/signal":  `{"Signal":"SIGHUP","Task":"t"}`,
	}
	for k, v := range want {
		if got := bodies[k]; got != v {
			t.Errorf("%s body: got %s, want %s", k, got, v)
		}
	}
	st, err := c.Allocations().Stats("a1", nil)
	if err != nil || st.Tasks["t"].ResourceUsage.MemoryStats.RSS != 10 || st.ResourceUsage.CpuStats.Percent != 1.5 {
		t.Errorf("stats: got %+v, %v", st, err)
	}
	body, err := c.AllocFS().Logs("a1", &LogsOptions{Task: "t", Follow: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if string(b) != "t stdout start true" {
		t.Errorf("logs params: got %q, want \"t stdout start true\"", b)
	}
	frames, errc := c.AllocFS().LogFrames("a1", &LogsOptions{Task: "t"}, nil)
	var data, files string
	for f := range frames {
		data += string(f.Data)
		files += f.File + ","
	}
	if err := <-errc; err != nil || data != "ab" || files != "t.stdout.0,t.stdout.1," {
		t.Errorf("frames: got %q from %q, err %v; want ab from both files", data, files, err)
	}
	ls, err := c.AllocFS().List("a1", "alloc/logs", nil)
	if err != nil || len(ls) != 1 || ls[0].Name != "alloc/logs" {
		t.Errorf("ls: got %+v, %v; want the path passed through", ls, err)
	}
}
