package broker

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/droverhq/drover/structs"
)

// FailedQueue is the pseudo scheduler type under which evaluations that
// reached the delivery limit wait. The leader dequeues them, marks them
// failed through Raft and Acks them, which frees their job for the next eval.
const FailedQueue = "_failed"

// DefaultDeliveryLimit is how many times an evaluation is handed out before
// it is given up as failed.
const DefaultDeliveryLimit = 3

// Errors returned by the broker.
var (
	ErrNotEnabled     = errors.New("eval broker is not enabled (this server is not the leader)")
	ErrNotOutstanding = errors.New("evaluation is not outstanding")
	ErrTokenMismatch  = errors.New("evaluation token does not match")
)

// Config tunes a Broker. Zero values take defaults.
type Config struct {
	// DeliveryLimit is the number of deliveries before an eval is failed.
	DeliveryLimit int
	// NackDelay is how long a nacked eval waits before it is handed out
	// again, given how many times it was delivered so far.
	NackDelay func(deliveries int) time.Duration
	// Now is the clock for WaitUntil and Nack delays; nil means time.Now.
	Now func() time.Time
	// NackTimeout nacks an eval a worker has held this long without an
	// Ack or Nack (a stuck scheduler), so the job is not blocked forever.
	// Its plans are then refused, since the worker's token is stale.
	NackTimeout time.Duration
}

// DefaultNackTimeout is the NackTimeout used when none is configured.
const DefaultNackTimeout = 5 * time.Minute

// defaultNackDelay backs off: a quick first retry, a slower second.
func defaultNackDelay(deliveries int) time.Duration {
	if deliveries <= 1 {
		return time.Second
	}
	return 5 * time.Second
}

type jobKey struct{ namespace, id string }

func keyOf(e *structs.Evaluation) jobKey { return jobKey{e.Namespace, e.JobID} }

// unackedEval is an eval out with a worker.
type unackedEval struct {
	eval  *structs.Evaluation
	token string
	timer *time.Timer // nacks the eval after NackTimeout
}

// waitingEval is an eval that may not be handed out before due.
type waitingEval struct {
	eval *structs.Evaluation
	due  time.Time
	// holdsJob is set for nacked evals, which keep their job's slot.
	holdsJob bool
}

// Broker hands evaluations to scheduler workers. All methods are safe for
// concurrent use; only Dequeue blocks.
type Broker struct {
	now           func() time.Time
	deliveryLimit int
	nackDelay     func(int) time.Duration
	nackTimeout   time.Duration

	mu sync.Mutex // guards every field below
	// enabled is true on the leader only.
	enabled bool
	// deliveries counts hand-outs of every eval the broker holds, by ID.
	deliveries map[string]int
	// jobs maps a job to the ID of its eval that is ready or unacked.
	jobs    map[jobKey]string
	ready   map[string]*evalHeap // by scheduler type
	pending map[jobKey]*evalHeap
	unacked map[string]*unackedEval
	waiting []*waitingEval
	// cancelable holds pending evals that a newer eval of their job
	// superseded.
	cancelable []*structs.Evaluation
	// requeue holds evals enqueued again while they were unacked; they
	// are enqueued once the outstanding delivery is acked.
	requeue map[string]*structs.Evaluation
	// notify is closed and replaced whenever work may have become ready.
	notify chan struct{}
}

// New returns a disabled broker.
func New(cfg Config) *Broker {
	b := &Broker{now: cfg.Now, deliveryLimit: cfg.DeliveryLimit, nackDelay: cfg.NackDelay, nackTimeout: cfg.NackTimeout,
		notify: make(chan struct{})}
	if b.nackTimeout <= 0 {
		b.nackTimeout = DefaultNackTimeout
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.deliveryLimit <= 0 {
		b.deliveryLimit = DefaultDeliveryLimit
	}
	if b.nackDelay == nil {
		b.nackDelay = defaultNackDelay
	}
	b.resetLocked()
	return b
}

func (b *Broker) resetLocked() {
	for _, u := range b.unacked {
		u.timer.Stop()
	}
	b.deliveries = map[string]int{}
	b.jobs = map[jobKey]string{}
	b.ready = map[string]*evalHeap{}
	b.pending = map[jobKey]*evalHeap{}
	b.unacked = map[string]*unackedEval{}
	b.waiting = nil
	b.cancelable = nil
	b.requeue = map[string]*structs.Evaluation{}
}

// SetEnabled turns the broker on (leader) or off. Turning it off drops
// every eval and wakes blocked Dequeue calls, which return ErrNotEnabled.
func (b *Broker) SetEnabled(enabled bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.enabled = enabled
	if !enabled {
		b.resetLocked()
	}
	b.signalLocked()
}

// Enabled reports whether the broker is on.
func (b *Broker) Enabled() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.enabled
}

// Enqueue adds an evaluation. It is ignored when the broker is disabled or
// already holds the eval; an eval that is out with a worker is enqueued
// again after that delivery is acked.
func (b *Broker) Enqueue(eval *structs.Evaluation) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.enabled {
		return
	}
	if _, ok := b.unacked[eval.ID]; ok {
		b.requeue[eval.ID] = eval
		return
	}
	if _, ok := b.deliveries[eval.ID]; ok {
		return
	}
	b.deliveries[eval.ID] = 0
	if eval.WaitUntil.After(b.now()) {
		b.addWaitingLocked(&waitingEval{eval: eval, due: eval.WaitUntil})
		return
	}
	b.enqueueLocked(eval)
}

// enqueueLocked makes the eval ready, or pending if its job has an eval in
// flight.
func (b *Broker) enqueueLocked(eval *structs.Evaluation) {
	key := keyOf(eval)
	if holder, ok := b.jobs[key]; ok && holder != eval.ID {
		h := b.pending[key]
		if h == nil {
			h = &evalHeap{}
			b.pending[key] = h
		}
		h.push(eval)
		return
	}
	b.jobs[key] = eval.ID
	b.pushReadyLocked(eval.Type, eval)
}

func (b *Broker) pushReadyLocked(queue string, eval *structs.Evaluation) {
	h := b.ready[queue]
	if h == nil {
		h = &evalHeap{}
		b.ready[queue] = h
	}
	h.push(eval)
	b.signalLocked()
}

func (b *Broker) addWaitingLocked(w *waitingEval) {
	b.waiting = append(b.waiting, w)
	sort.SliceStable(b.waiting, func(i, j int) bool { return b.waiting[i].due.Before(b.waiting[j].due) })
	b.signalLocked()
}

func (b *Broker) signalLocked() {
	close(b.notify)
	b.notify = make(chan struct{})
}

// promoteDueLocked moves waiting evals whose time has come on.
func (b *Broker) promoteDueLocked() {
	now := b.now()
	for len(b.waiting) > 0 && !b.waiting[0].due.After(now) {
		w := b.waiting[0]
		b.waiting = b.waiting[1:]
		if w.holdsJob {
			b.pushReadyLocked(w.eval.Type, w.eval)
		} else {
			b.enqueueLocked(w.eval)
		}
	}
}

// Dequeue hands out the highest-priority ready eval of one of the given
// scheduler types, with the token to Ack or Nack it. It waits up to timeout
// for one; on timeout it returns a nil eval and no error.
func (b *Broker) Dequeue(types []string, timeout time.Duration) (*structs.Evaluation, string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		eval, token, notify, wake, err := b.tryDequeue(types)
		if eval != nil || err != nil {
			return eval, token, err
		}
		if !b.wait(notify, wake, timer.C) {
			return nil, "", nil
		}
	}
}

// wait blocks until notify fires or wake passes (true), or timeout (false).
func (b *Broker) wait(notify chan struct{}, wake time.Duration, timeout <-chan time.Time) bool {
	var wakeC <-chan time.Time
	if wake > 0 {
		wt := time.NewTimer(wake)
		defer wt.Stop()
		wakeC = wt.C
	}
	select {
	case <-notify:
		return true
	case <-wakeC:
		return true
	case <-timeout:
		return false
	}
}

// tryDequeue returns an eval, or what to wait on: the notify channel and
// the time until the next waiting eval is due (0 if none waits).
func (b *Broker) tryDequeue(types []string) (*structs.Evaluation, string, chan struct{}, time.Duration, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.enabled {
		return nil, "", nil, 0, ErrNotEnabled
	}
	b.promoteDueLocked()
	if eval := b.popReadyLocked(types); eval != nil {
		token := structs.GenerateUUID()
		id := eval.ID
		timer := time.AfterFunc(b.nackTimeout, func() { b.Nack(id, token) })
		b.unacked[eval.ID] = &unackedEval{eval: eval, token: token, timer: timer}
		b.deliveries[eval.ID]++
		return eval, token, nil, 0, nil
	}
	var wake time.Duration
	if len(b.waiting) > 0 {
		wake = max(b.waiting[0].due.Sub(b.now()), time.Millisecond)
	}
	return nil, "", b.notify, wake, nil
}

// popReadyLocked pops the best eval across the queues of types.
func (b *Broker) popReadyLocked(types []string) *structs.Evaluation {
	var best *evalHeap
	for _, t := range types {
		h := b.ready[t]
		if h == nil || h.Len() == 0 {
			continue
		}
		if best == nil || (evalHeap{h.peek(), best.peek()}).Less(0, 1) {
			best = h
		}
	}
	if best == nil {
		return nil
	}
	return best.pop()
}

// outstandingLocked checks that the eval is out under token.
func (b *Broker) outstandingLocked(evalID, token string) (*unackedEval, error) {
	if !b.enabled {
		return nil, ErrNotEnabled
	}
	u, ok := b.unacked[evalID]
	if !ok {
		return nil, fmt.Errorf("eval %s: %w", evalID, ErrNotOutstanding)
	}
	if u.token != token {
		return nil, fmt.Errorf("eval %s: %w", evalID, ErrTokenMismatch)
	}
	return u, nil
}

// Outstanding reports the token of an eval that is out with a worker.
func (b *Broker) Outstanding(evalID string) (token string, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.unacked[evalID]
	if !ok {
		return "", false
	}
	return u.token, true
}

// Ack marks an eval done: its job's next pending eval becomes ready.
func (b *Broker) Ack(evalID, token string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.outstandingLocked(evalID, token)
	if err != nil {
		return err
	}
	u.timer.Stop()
	delete(b.unacked, evalID)
	delete(b.deliveries, evalID)
	key := keyOf(u.eval)
	delete(b.jobs, key)
	if again, ok := b.requeue[evalID]; ok {
		delete(b.requeue, evalID)
		b.deliveries[evalID] = 0
		b.enqueueLocked(again)
	}
	b.promotePendingLocked(key)
	return nil
}

// promotePendingLocked makes the job's newest pending eval ready if the job
// has nothing in flight. The older pending evals become cancelable: the
// scheduler reconciles the whole job whatever triggered an eval, so the
// newest one does their work too.
func (b *Broker) promotePendingLocked(key jobKey) {
	if _, busy := b.jobs[key]; busy {
		return
	}
	h := b.pending[key]
	if h == nil || h.Len() == 0 {
		return
	}
	delete(b.pending, key)
	next := (*h)[0]
	for _, e := range *h {
		if e.ModifyIndex > next.ModifyIndex || (e.ModifyIndex == next.ModifyIndex && e.CreateIndex > next.CreateIndex) {
			next = e
		}
	}
	for _, e := range *h {
		if e != next {
			delete(b.deliveries, e.ID)
			b.cancelable = append(b.cancelable, e)
		}
	}
	b.jobs[key] = next.ID
	b.pushReadyLocked(next.Type, next)
}

// Cancelable removes and returns up to max evals that a newer eval of the
// same job made redundant; the leader marks them canceled.
func (b *Broker) Cancelable(max int) []*structs.Evaluation {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(max, len(b.cancelable))
	out := b.cancelable[:n:n]
	b.cancelable = b.cancelable[n:]
	return out
}

// Nack gives an eval back: it is handed out again after a delay, or moved
// to FailedQueue once it reached the delivery limit. It keeps its job's slot
// either way, so later evals of the job still wait behind it.
func (b *Broker) Nack(evalID, token string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, err := b.outstandingLocked(evalID, token)
	if err != nil {
		return err
	}
	u.timer.Stop()
	delete(b.unacked, evalID)
	eval := u.eval
	if again, ok := b.requeue[evalID]; ok {
		delete(b.requeue, evalID)
		eval = again
	}
	n := b.deliveries[evalID]
	if n >= b.deliveryLimit {
		b.pushReadyLocked(FailedQueue, eval)
		return nil
	}
	b.addWaitingLocked(&waitingEval{eval: eval, due: b.now().Add(b.nackDelay(n)), holdsJob: true})
	return nil
}
