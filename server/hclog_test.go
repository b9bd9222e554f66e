package server

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestHCLogToSlog(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hl := newHCLogger(logger, "raft")
	hl.Warn("entering candidate state", "term", 2)
	out := buf.String()
	for _, want := range []string{"level=WARN", "component=raft", "entering candidate state", "term=2"} {
		if !strings.Contains(out, want) {
			t.Fatalf("got %q, want it to contain %q", out, want)
		}
	}
}
