package cluster

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"
)

// writeClient bounds each write the writer sends, so that a request that
// hangs on a dead leader shows up as an error and is retried.
var writeClient = &http.Client{Transport: httpClient.Transport, Timeout: 10 * time.Second}

// ack is one acknowledged (HTTP 200) job registration.
type ack struct {
	id         string
	start, end time.Time
}

// writer registers small mock jobs as fast as it can from several
// goroutines, each sending to the targets in turn and retrying a failed
// registration (same job ID) on the next target.
type writer struct {
	targets []*Node
	prefix  string

	mu      sync.Mutex // guards acks, errs, lastErr
	acks    []ack
	errs    int
	lastErr error

	stop chan struct{}
	wg   sync.WaitGroup
}

func startWriter(prefix string, workers int, targets []*Node) *writer {
	w := &writer{targets: targets, prefix: prefix, stop: make(chan struct{})}
	for i := range workers {
		w.wg.Add(1)
		go w.run(i)
	}
	return w
}

func (w *writer) run(worker int) {
	defer w.wg.Done()
	next := worker
	for seq := 0; ; {
		select {
		case <-w.stop:
			return
		default:
		}
		id := fmt.Sprintf("%s%d-%06d", w.prefix, worker, seq)
		target := w.targets[next%len(w.targets)]
		next++
		start := time.Now()
		_, err := target.RegisterJob(writeClient, MockJob(id, "batch", 1, "1s"))
		end := time.Now()
		w.mu.Lock()
		if err == nil {
			w.acks = append(w.acks, ack{id: id, start: start, end: end})
			seq++
		} else {
			w.errs++
			w.lastErr = err
		}
		w.mu.Unlock()
		if err != nil {
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// halt stops the writer and waits for its requests to end.
func (w *writer) halt() {
	close(w.stop)
	w.wg.Wait()
}

// snapshot copies what the writer saw so far.
func (w *writer) snapshot() (acks []ack, errs int, lastErr error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]ack(nil), w.acks...), w.errs, w.lastErr
}

// firstAckStartedAfter is the earliest-ending acknowledged write that was
// sent after t.
func firstAckStartedAfter(acks []ack, t time.Time) (ack, bool) {
	var best ack
	found := false
	for _, a := range acks {
		if a.start.After(t) && (!found || a.end.Before(best.end)) {
			best, found = a, true
		}
	}
	return best, found
}

// maxAckGap is the longest time between two consecutive acknowledgements
// of which the second came after t.
func maxAckGap(acks []ack, t time.Time) time.Duration {
	ends := make([]time.Time, len(acks))
	for i, a := range acks {
		ends[i] = a.end
	}
	sort.Slice(ends, func(i, j int) bool { return ends[i].Before(ends[j]) })
	var gap time.Duration
	for i := 1; i < len(ends); i++ {
		if ends[i].After(t) {
			gap = max(gap, ends[i].Sub(ends[i-1]))
		}
	}
	return gap
}

// missingOn lists the acknowledged job IDs that node's own state lacks.
func missingOn(n *Node, prefix string, acks []ack) ([]string, error) {
	ids, err := n.JobIDs(prefix)
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(ids))
	for _, id := range ids {
		have[id] = true
	}
	var missing []string
	for _, a := range acks {
		if !have[a.id] {
			missing = append(missing, a.id)
		}
	}
	return missing, nil
}
