package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"

	hclog "github.com/hashicorp/go-hclog"
)

// newHCLogger returns an hclog.Logger for the hashicorp libraries (Raft)
// that writes through slog: hclog formats each line, slogWriter parses the
// level back out and logs the rest as the message.
func newHCLogger(logger *slog.Logger, name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:            name,
		Level:           hclog.Info,
		Output:          &slogWriter{logger: logger.With("component", name)},
		DisableTime:     true,
		IncludeLocation: false,
	})
}

// slogWriter turns hclog's text lines ("[WARN]  raft: msg: k=v") into slog
// records at the matching level.
type slogWriter struct{ logger *slog.Logger }

var _ io.Writer = (*slogWriter)(nil)

var hclogLevels = []struct {
	prefix []byte
	level  slog.Level
}{
	{[]byte("[TRACE]"), slog.LevelDebug - 4},
	{[]byte("[DEBUG]"), slog.LevelDebug},
	{[]byte("[INFO]"), slog.LevelInfo},
	{[]byte("[WARN]"), slog.LevelWarn},
	{[]byte("[ERROR]"), slog.LevelError},
}

func (w *slogWriter) Write(p []byte) (int, error) {
	line := bytes.TrimSpace(p)
	level := slog.LevelInfo
	for _, l := range hclogLevels {
		if bytes.HasPrefix(line, l.prefix) {
			level = l.level
			line = bytes.TrimSpace(line[len(l.prefix):])
			break
		}
	}
	w.logger.Log(context.Background(), level, string(line))
	return len(p), nil
}
