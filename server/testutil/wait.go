// Package testutil holds helpers for tests of the server packages (and
// anything else that waits on a running server): waiting on conditions
// instead of sleeping.
package testutil

import (
	"testing"
	"time"
)

// DefaultWait is how long WaitFor waits before failing the test.
const DefaultWait = 15 * time.Second

// WaitFor polls fn until it returns nil, failing the test with fn's last
// error after DefaultWait.
func WaitFor(t testing.TB, fn func() error) {
	t.Helper()
	WaitForTimeout(t, DefaultWait, fn)
}

// WaitForTimeout is WaitFor with an explicit limit.
func WaitForTimeout(t testing.TB, timeout time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	interval := 5 * time.Millisecond
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %s: %v", timeout, err)
		}
		time.Sleep(interval)
		interval = min(interval*2, 100*time.Millisecond)
	}
}
