package server

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/droverhq/drover/server/testutil"
)

func TestHeartbeatTimers(t *testing.T) {
	var mu sync.Mutex
	var expired []string
	h := newHeartbeats(20*time.Millisecond, 20*time.Millisecond, func(id string) {
		mu.Lock()
		defer mu.Unlock()
		expired = append(expired, id)
	})
	if ttl := h.reset("n1"); ttl != 20*time.Millisecond || h.count() != 0 {
		t.Fatalf("disabled: got ttl %s and %d timers, want 20ms and none", ttl, h.count())
	}
	h.setEnabled(true)
	h.reset("n1")
	h.reset("n2")
	h.clear("n2")
	testutil.WaitFor(t, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(expired) != 1 || expired[0] != "n1" {
			return fmt.Errorf("got expired %v, want [n1]", expired)
		}
		return nil
	})
	h.reset("n3")
	h.setEnabled(false)
	if h.count() != 0 {
		t.Fatalf("got %d timers after disabling, want 0", h.count())
	}
}
