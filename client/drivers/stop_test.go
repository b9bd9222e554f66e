package drivers

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"
)

func TestWaitResult(t *testing.T) {
	done := make(chan struct{})
	ch := WaitResult(context.Background(), done, func() *ExitResult { return &ExitResult{ExitCode: 3} })
	close(done)
	if r, ok := <-ch; !ok || r.ExitCode != 3 {
		t.Fatalf("got %+v (ok %v), want exit code 3", r, ok)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch = WaitResult(ctx, make(chan struct{}), func() *ExitResult { return &ExitResult{} })
	cancel()
	if r, ok := <-ch; ok {
		t.Fatalf("got %+v after cancel, want the channel closed without a value", r)
	}
}

func TestStopWithKill(t *testing.T) {
	cases := []struct {
		name      string
		obeys     syscall.Signal // the signal that ends the task
		sendErr   error
		wantSent  []syscall.Signal
		wantError bool
	}{
		{"graceful", syscall.SIGTERM, nil, []syscall.Signal{syscall.SIGTERM}, false},
		{"escalates to SIGKILL", syscall.SIGKILL, nil, []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}, false},
		{"send error", syscall.SIGTERM, errors.New("gone"), []syscall.Signal{syscall.SIGTERM}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			done := make(chan struct{})
			var sent []syscall.Signal
			send := func(s syscall.Signal) error {
				sent = append(sent, s)
				if tc.sendErr != nil {
					return tc.sendErr
				}
				if s == tc.obeys {
					close(done)
				}
				return nil
			}
			err := StopWithKill(done, 10*time.Millisecond, syscall.SIGTERM, send)
			if (err != nil) != tc.wantError {
				t.Fatalf("got error %v, want error = %v", err, tc.wantError)
			}
			if len(sent) != len(tc.wantSent) || sent[0] != tc.wantSent[0] || sent[len(sent)-1] != tc.wantSent[len(tc.wantSent)-1] {
				t.Fatalf("sent %v, want %v", sent, tc.wantSent)
			}
		})
	}
}
