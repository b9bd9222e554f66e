package testutil

import (
	"errors"
	"testing"
)

func TestWaitForReturnsOnSuccess(t *testing.T) {
	calls := 0
	WaitFor(t, func() error {
		calls++
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if calls != 3 {
		t.Fatalf("got %d calls, want 3", calls)
	}
}
