package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Acceptance 2: while a writer registers jobs as fast as it can through
// the followers, kill -9 the leader. A new leader serves writes within a
// few seconds (the gap is printed), and every registration that was
// acknowledged is in the state of every surviving server.
func TestLeaderKillLosesNoAcknowledgedWrite(t *testing.T) {
	c := New(t)
	servers := c.StartServers(3)
	leader, _ := c.WaitLeader(LeaderTimeout, servers...)
	survivors := Others(servers, leader)

	const prefix = "w-"
	w := startWriter(prefix, 4, survivors)
	halted := false
	defer func() {
		if !halted {
			w.halt()
		}
	}()
	// Warm up: the cluster accepts writes through the followers.
	WaitFor(t, 20*time.Second, "writes acknowledged before the kill", func() error {
		acks, errs, lastErr := w.snapshot()
		if len(acks) < 200 {
			return fmt.Errorf("%d acknowledged, %d errors (last: %v)", len(acks), errs, lastErr)
		}
		return nil
	})
	before, errsBefore, _ := w.snapshot()

	// The process is certainly dead once Kill (docker kill + docker wait)
	// returns; a write sent before then may still reach the old leader.
	killAt := time.Now()
	leader.Kill()
	deadAt := time.Now()

	var first ack
	WaitFor(t, 30*time.Second, "a write sent after the kill is acknowledged", func() error {
		acks, errs, lastErr := w.snapshot()
		a, ok := firstAckStartedAfter(acks, deadAt)
		if !ok {
			return fmt.Errorf("none yet; %d errors since the kill (last: %v)", errs-errsBefore, lastErr)
		}
		first = a
		return nil
	})
	// Keep writing on the new leader for a while, then stop.
	WaitFor(t, 30*time.Second, "200 writes acknowledged by the new leader", func() error {
		acks, _, lastErr := w.snapshot()
		n := 0
		for _, a := range acks {
			if a.start.After(deadAt) {
				n++
			}
		}
		if n < 200 {
			return fmt.Errorf("%d so far (last error: %v)", n, lastErr)
		}
		return nil
	})
	w.halt()
	halted = true
	acks, errs, lastErr := w.snapshot()

	newLeader, _ := c.WaitLeader(LeaderTimeout, survivors...)
	t.Logf("killed leader %s (docker kill and wait took %s); new leader %s", leader, deadAt.Sub(killAt).Round(time.Millisecond), newLeader)

	// Every acknowledged job is on every survivor; followers may lag a
	// little behind the leader's commit.
	nLost := 0
	for _, s := range survivors {
		var missing []string
		_, err := Poll(20*time.Second, func() error {
			m, err := missingOn(s, prefix, acks)
			missing = m
			if err == nil && len(m) > 0 {
				err = fmt.Errorf("%d acknowledged jobs missing", len(m))
			}
			return err
		})
		if err != nil {
			t.Errorf("%s: %v, e.g. %s", s, err, strings.Join(missing[:min(5, len(missing))], ", "))
		}
		nLost = max(nLost, len(missing))
	}
	afterDeath := first.end.Sub(deadAt)
	window := acks[len(acks)-1].end.Sub(acks[0].start)
	t.Logf("acknowledged %d, lost %d", len(acks), nLost)
	t.Logf("write gap after kill -9 of the leader: %s (the longest time without an acknowledgement, from the last one before the kill); the first write sent after the leader was dead was acknowledged %s after its death",
		maxAckGap(acks, killAt).Round(time.Millisecond), afterDeath.Round(time.Millisecond))
	t.Logf("writer (4 workers, through the followers): %d acknowledged before the kill, %d errors in all (last: %v), %.0f writes/s over %s",
		len(before), errs, lastErr, float64(len(acks))/window.Seconds(), window.Round(time.Millisecond))
}
