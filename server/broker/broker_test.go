package broker

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/droverhq/drover/structs"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Unix(1_700_000_000, 0)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newBroker(t *testing.T, clock *fakeClock) *Broker {
	t.Helper()
	b := New(Config{Now: clock.Now, NackDelay: func(int) time.Duration { return time.Minute }})
	b.SetEnabled(true)
	return b
}

func eval(id, job string, priority int, createIndex uint64) *structs.Evaluation {
	return &structs.Evaluation{ID: id, Namespace: "default", JobID: job, Type: structs.JobTypeService,
		Priority: priority, CreateIndex: createIndex, Status: structs.EvalStatusPending}
}

// dequeueNow dequeues without waiting; it returns "" when nothing is ready.
func dequeueNow(t *testing.T, b *Broker) (string, string) {
	t.Helper()
	e, token, err := b.Dequeue([]string{structs.JobTypeService, structs.JobTypeBatch}, time.Millisecond)
	if err != nil {
		t.Fatalf("dequeue: %v", err)
	}
	if e == nil {
		return "", ""
	}
	return e.ID, token
}

func TestBrokerOrder(t *testing.T) {
	tests := []struct {
		name  string
		evals []*structs.Evaluation
		want  []string
	}{
		{"priority first", []*structs.Evaluation{eval("low", "a", 10, 1), eval("high", "b", 90, 2)}, []string{"high", "low"}},
		{"then oldest", []*structs.Evaluation{eval("new", "a", 50, 9), eval("old", "b", 50, 3)}, []string{"old", "new"}},
		{"one per job", []*structs.Evaluation{eval("a1", "a", 50, 1), eval("a2", "a", 50, 2), eval("b1", "b", 50, 3)}, []string{"a1", "b1"}},
		{"duplicates dropped", []*structs.Evaluation{eval("x", "a", 50, 1), eval("x", "a", 50, 1)}, []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBroker(t, newFakeClock())
			for _, e := range tt.evals {
				b.Enqueue(e)
			}
			var got []string
			for {
				id, _ := dequeueNow(t, b)
				if id == "" {
					break
				}
				got = append(got, id)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestBrokerAckReleasesJob(t *testing.T) {
	b := newBroker(t, newFakeClock())
	b.Enqueue(eval("a1", "a", 50, 1))
	b.Enqueue(eval("a2", "a", 50, 2))
	id, token := dequeueNow(t, b)
	if id != "a1" {
		t.Fatalf("got %q, want a1", id)
	}
	if id, _ := dequeueNow(t, b); id != "" {
		t.Fatalf("got %q while a1 is out, want nothing", id)
	}
	if s := b.Stats(); s.TotalPending != 1 || s.TotalUnacked != 1 {
		t.Fatalf("got stats %+v, want 1 pending and 1 unacked", s)
	}
	if err := b.Ack("a1", "wrong"); !errors.Is(err, ErrTokenMismatch) {
		t.Fatalf("ack with wrong token: got %v, want ErrTokenMismatch", err)
	}
	if err := b.Ack("a1", token); err != nil {
		t.Fatal(err)
	}
	if id, _ := dequeueNow(t, b); id != "a2" {
		t.Fatalf("got %q after ack, want a2", id)
	}
}

func TestBrokerNackDelayAndFail(t *testing.T) {
	clock := newFakeClock()
	b := newBroker(t, clock)
	b.Enqueue(eval("e", "a", 50, 1))
	b.Enqueue(eval("later", "a", 50, 2))
	for i := 1; i <= DefaultDeliveryLimit; i++ {
		id, token := dequeueNow(t, b)
		if id != "e" {
			t.Fatalf("delivery %d: got %q, want e", i, id)
		}
		if err := b.Nack(id, token); err != nil {
			t.Fatal(err)
		}
		if id, _ := dequeueNow(t, b); id != "" {
			t.Fatalf("delivery %d: got %q during the nack delay, want nothing", i, id)
		}
		clock.Advance(time.Minute)
	}
	if s := b.Stats(); s.TotalFailed != 1 {
		t.Fatalf("got stats %+v, want 1 failed", s)
	}
	f, token, err := b.Dequeue([]string{FailedQueue}, time.Millisecond)
	if err != nil || f == nil || f.ID != "e" {
		t.Fatalf("dequeue failed: got %v, %v; want eval e", f, err)
	}
	if err := b.Ack(f.ID, token); err != nil {
		t.Fatal(err)
	}
	if id, _ := dequeueNow(t, b); id != "later" {
		t.Fatalf("got %q after the failed eval was acked, want later", id)
	}
}

func TestBrokerWaitUntil(t *testing.T) {
	clock := newFakeClock()
	b := newBroker(t, clock)
	e := eval("delayed", "a", 50, 1)
	e.WaitUntil = clock.Now().Add(time.Hour)
	b.Enqueue(e)
	if id, _ := dequeueNow(t, b); id != "" {
		t.Fatalf("got %q before WaitUntil, want nothing", id)
	}
	if s := b.Stats(); s.TotalWaiting != 1 {
		t.Fatalf("got stats %+v, want 1 waiting", s)
	}
	clock.Advance(time.Hour)
	if id, _ := dequeueNow(t, b); id != "delayed" {
		t.Fatalf("got %q after WaitUntil, want delayed", id)
	}
}

func TestBrokerRequeueWhileUnacked(t *testing.T) {
	b := newBroker(t, newFakeClock())
	b.Enqueue(eval("e", "a", 50, 1))
	id, token := dequeueNow(t, b)
	b.Enqueue(eval("e", "a", 50, 1))
	if got, _ := dequeueNow(t, b); got != "" {
		t.Fatalf("got %q while e is out, want nothing", got)
	}
	if err := b.Ack(id, token); err != nil {
		t.Fatal(err)
	}
	if got, _ := dequeueNow(t, b); got != "e" {
		t.Fatalf("got %q after ack, want e handed out again", got)
	}
}

func TestBrokerDequeueWakesOnEnqueue(t *testing.T) {
	b := newBroker(t, newFakeClock())
	done := make(chan string)
	go func() {
		e, _, _ := b.Dequeue([]string{structs.JobTypeService}, 10*time.Second)
		if e == nil {
			done <- ""
			return
		}
		done <- e.ID
	}()
	b.Enqueue(eval("e", "a", 50, 1))
	if got := <-done; got != "e" {
		t.Fatalf("got %q, want e", got)
	}
}

func TestBrokerDisable(t *testing.T) {
	b := newBroker(t, newFakeClock())
	b.Enqueue(eval("e", "a", 50, 1))
	b.SetEnabled(false)
	if _, _, err := b.Dequeue([]string{structs.JobTypeService}, time.Millisecond); !errors.Is(err, ErrNotEnabled) {
		t.Fatalf("got %v, want ErrNotEnabled", err)
	}
	b.SetEnabled(true)
	if id, _ := dequeueNow(t, b); id != "" {
		t.Fatalf("got %q after re-enabling, want an empty broker", id)
	}
}

func TestBrokerNewestPendingWinsOthersCancelable(t *testing.T) {
	b := newBroker(t, newFakeClock())
	b.Enqueue(eval("a1", "a", 50, 1))
	id, token := dequeueNow(t, b)
	for i, id := range []string{"a2", "a3", "a4"} {
		e := eval(id, "a", 50, uint64(i+2))
		e.ModifyIndex = uint64(i + 2)
		b.Enqueue(e)
	}
	if err := b.Ack(id, token); err != nil {
		t.Fatal(err)
	}
	if got, _ := dequeueNow(t, b); got != "a4" {
		t.Fatalf("got %q, want the newest pending eval a4", got)
	}
	if s := b.Stats(); s.TotalCancelable != 2 || s.TotalPending != 0 {
		t.Fatalf("got stats %+v, want 2 cancelable and none pending", s)
	}
	got := b.Cancelable(1)
	got = append(got, b.Cancelable(10)...)
	if len(got) != 2 || got[0].ID != "a2" || got[1].ID != "a3" {
		t.Fatalf("got cancelable %v, want a2 and a3", got)
	}
	if len(b.Cancelable(10)) != 0 {
		t.Fatal("cancelable evals handed out twice")
	}
}

func TestBrokerNackTimeout(t *testing.T) {
	clock := newFakeClock()
	b := New(Config{Now: clock.Now, NackTimeout: 10 * time.Millisecond, NackDelay: func(int) time.Duration { return 0 }})
	b.SetEnabled(true)
	b.Enqueue(eval("e", "a", 50, 1))
	_, stale := dequeueNow(t, b)
	// The stuck worker's eval is handed out again once the timeout nacks it.
	e, token, err := b.Dequeue([]string{structs.JobTypeService}, 5*time.Second)
	if err != nil || e == nil || e.ID != "e" {
		t.Fatalf("got %v, %v; want e handed out again after the nack timeout", e, err)
	}
	if err := b.Ack("e", stale); !errors.Is(err, ErrTokenMismatch) {
		t.Fatalf("ack with the stale token: got %v, want ErrTokenMismatch", err)
	}
	if err := b.Ack("e", token); err != nil {
		t.Fatal(err)
	}
}
