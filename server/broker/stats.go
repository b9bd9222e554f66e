package broker

// Stats is a point-in-time count of the broker's evals, for /v1/agent/self
// and metrics.
type Stats struct {
	TotalReady   int
	TotalUnacked int
	// TotalPending counts evals waiting behind another eval of their job.
	TotalPending int
	// TotalWaiting counts evals waiting for their WaitUntil or a Nack delay.
	TotalWaiting int
	// TotalFailed counts evals that reached the delivery limit and wait to
	// be marked failed.
	TotalFailed int
	// TotalCancelable counts pending evals superseded by a newer eval of
	// their job, waiting to be marked canceled.
	TotalCancelable int
	// ByScheduler counts ready evals per scheduler type.
	ByScheduler map[string]int
}

// Stats counts the broker's evals.
func (b *Broker) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := Stats{TotalUnacked: len(b.unacked), TotalWaiting: len(b.waiting), TotalCancelable: len(b.cancelable),
		ByScheduler: map[string]int{}}
	for t, h := range b.ready {
		if t == FailedQueue {
			s.TotalFailed = h.Len()
			continue
		}
		s.TotalReady += h.Len()
		s.ByScheduler[t] = h.Len()
	}
	for _, h := range b.pending {
		s.TotalPending += h.Len()
	}
	return s
}
