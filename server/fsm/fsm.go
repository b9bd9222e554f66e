// Package fsm is the Raft finite state machine of drover's servers: it
// decodes each committed log entry and applies it to the state store at the
// entry's index, and it snapshots and restores the whole store.
//
// A log entry is one structs.MessageType byte followed by the msgpack body
// (rpc.Encode). Types with structs.IgnoreUnknownTypeFlag set are skipped by
// servers that do not know them, so two versions can share a log during a
// rolling upgrade.
package fsm

import (
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hashicorp/raft"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/server/state"
	"github.com/droverhq/drover/structs"
)

// ApplyHook is told about every command the FSM applied successfully, with
// the decoded request (e.g. *structs.JobRegisterRequest). It runs on Raft's
// apply goroutine, after the state store changed: it must not block long.
type ApplyHook func(index uint64, t structs.MessageType, msg interface{})

// FSM applies Raft log entries to a state store. Raft calls Apply, Snapshot
// and Restore from one goroutine; Apply returns nil or an error, which the
// proposer reads from the apply future's Response.
type FSM struct {
	store  *state.StateStore
	logger *slog.Logger
	hook   atomic.Pointer[ApplyHook]
	// logTime is the AppendedAt of the entry being applied (unix nanos). It
	// is the store's clock, so times the store stamps are the same on every
	// server and on replay.
	logTime atomic.Int64
}

var _ raft.FSM = (*FSM)(nil)

// New returns an FSM writing to store, and takes over the store's clock
// (see StateStore.SetClock). A nil logger discards logs.
func New(store *state.StateStore, logger *slog.Logger) *FSM {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	f := &FSM{store: store, logger: logger}
	store.SetClock(f.now)
	return f
}

// now is the store's clock while the FSM owns it: the time the leader
// appended the entry being applied, or the wall clock for entries without
// one.
func (f *FSM) now() time.Time {
	if ns := f.logTime.Load(); ns != 0 {
		return time.Unix(0, ns)
	}
	return time.Now()
}

// State returns the store the FSM writes to.
func (f *FSM) State() *state.StateStore { return f.store }

// SetApplyHook sets (or with nil, clears) the hook called after each
// successful apply. The leader uses it to feed its eval broker.
func (f *FSM) SetApplyHook(hook func(index uint64, t structs.MessageType, msg interface{})) {
	if hook == nil {
		f.hook.Store(nil)
		return
	}
	h := ApplyHook(hook)
	f.hook.Store(&h)
}

// Encode builds a log entry: the type byte, then msg msgpack-encoded.
func Encode(t structs.MessageType, msg interface{}) ([]byte, error) {
	body, err := rpc.Encode(msg)
	if err != nil {
		return nil, fmt.Errorf("encode raft command %d: %w", t, err)
	}
	return append([]byte{byte(t)}, body...), nil
}

// Apply applies one committed log entry. It returns nil or an error; a
// corrupt or unknown entry is an error, logged, rather than a panic, so one
// bad command cannot take every server down.
func (f *FSM) Apply(l *raft.Log) interface{} {
	if len(l.Data) == 0 {
		f.logger.Error("empty raft log entry", "index", l.Index)
		return fmt.Errorf("raft log entry %d is empty", l.Index)
	}
	t := structs.MessageType(l.Data[0])
	ignoreUnknown := t&structs.IgnoreUnknownTypeFlag != 0
	t &^= structs.IgnoreUnknownTypeFlag
	cmd, ok := commands[t]
	if !ok {
		if ignoreUnknown {
			f.logger.Warn("skipping unknown raft command", "type", t, "index", l.Index)
			return nil
		}
		f.logger.Error("unknown raft command: is this server older than the leader?", "type", t, "index", l.Index)
		return fmt.Errorf("raft log entry %d: unknown command type %d", l.Index, t)
	}
	f.logTime.Store(0)
	if !l.AppendedAt.IsZero() {
		f.logTime.Store(l.AppendedAt.UnixNano())
	}
	msg := cmd.newMsg()
	if err := rpc.Decode(l.Data[1:], msg); err != nil {
		f.logger.Error("corrupt raft command", "type", t, "index", l.Index, "error", err)
		return fmt.Errorf("raft log entry %d: decode command type %d: %w", l.Index, t, err)
	}
	if err := cmd.apply(f.store, l.Index, msg); err != nil {
		f.logger.Warn("raft command failed", "type", t, "index", l.Index, "error", err)
		return err
	}
	if h := f.hook.Load(); h != nil {
		(*h)(l.Index, t, msg)
	}
	return nil
}

// Snapshot captures the current state; it is cheap (an immutable memdb
// view), and Persist streams it while Raft keeps applying.
func (f *FSM) Snapshot() (raft.FSMSnapshot, error) {
	return &snapshot{snap: f.store.Snapshot()}, nil
}

// Restore replaces the store's contents with a snapshot.
func (f *FSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	if err := f.store.Restore(rc); err != nil {
		return fmt.Errorf("restore fsm snapshot: %w", err)
	}
	return nil
}

// snapshot is a point-in-time view being written to a Raft snapshot sink.
type snapshot struct {
	snap *state.StateSnapshot
}

// Persist streams the view into sink, cancelling the sink on failure.
func (s *snapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.snap.Persist(sink); err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("persist fsm snapshot: %w", err)
	}
	return sink.Close()
}

// Release is a no-op: the view is garbage collected.
func (s *snapshot) Release() {}
