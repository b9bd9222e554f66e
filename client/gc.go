package client

import (
	"slices"
	"time"

	"github.com/droverhq/drover/client/allocrunner"
)

// DefaultGCMaxAllocs is how many finished allocs a client keeps on disk
// (Nomad's gc_max_allocs) when Config.GCMaxAllocs is 0. Beyond it the
// oldest are destroyed locally, even while the servers still list them.
const DefaultGCMaxAllocs = 50

// gcRetry is how long a GC pass that had to keep allocs with unsent
// updates waits before trying again.
const gcRetry = time.Second

// gcTerminalAllocs destroys the oldest finished allocs beyond the limit:
// their task drivers already freed containers and cgroups when the tasks
// ended; this removes the alloc dirs and client state. An alloc whose
// last state the servers have not received yet is kept for a later pass.
// Called when an alloc runner finishes.
func (c *Client) gcTerminalAllocs() {
	if c.ctx.Err() != nil {
		return // shutting down: runners end by detaching, not finishing
	}
	limit := c.cfg.GCMaxAllocs
	if limit <= 0 {
		limit = DefaultGCMaxAllocs
	}
	c.dirtyMu.Lock()
	dirty := make(map[string]bool, len(c.dirty))
	for id := range c.dirty {
		dirty[id] = true
	}
	c.dirtyMu.Unlock()

	c.mu.Lock()
	var done []*allocrunner.AllocRunner
	for _, ar := range c.allocs {
		select {
		case <-ar.WaitCh():
			done = append(done, ar)
		default:
		}
	}
	if len(done) <= limit {
		c.mu.Unlock()
		return
	}
	slices.SortFunc(done, func(a, b *allocrunner.AllocRunner) int { return finishedAt(a).Compare(finishedAt(b)) })
	var collect []*allocrunner.AllocRunner
	retry := false
	for _, ar := range done[:len(done)-limit] {
		if dirty[ar.ID()] {
			retry = true
			continue
		}
		delete(c.allocs, ar.ID())
		// Never started again while the servers list it unchanged.
		c.ignored[ar.ID()] = ar.Alloc().AllocModifyIndex
		collect = append(collect, ar)
	}
	c.mu.Unlock()
	if retry { // once the pending updates are sent
		c.goLoop(func() {
			if c.sleep(gcRetry) {
				c.gcTerminalAllocs()
			}
		})
	}
	for _, ar := range collect {
		c.logger.Info("garbage collecting finished alloc", "alloc_id", ar.ID(), "reason", "more than gc_max_allocs finished allocs")
		c.destroyAlloc(ar)
	}
}

// finishedAt is when the alloc's last task ended.
func finishedAt(ar *allocrunner.AllocRunner) time.Time {
	var last time.Time
	for _, st := range ar.TaskStates() {
		if st.FinishedAt.After(last) {
			last = st.FinishedAt
		}
	}
	return last
}

// destroyAlloc forgets a finished alloc: its client state and its dir.
func (c *Client) destroyAlloc(ar *allocrunner.AllocRunner) {
	if err := c.db.DeleteAllocation(ar.ID()); err != nil {
		c.logger.Warn("delete alloc state", "alloc_id", ar.ID(), "error", err)
	}
	if err := ar.Destroy(); err != nil {
		c.logger.Warn("destroy alloc dir", "alloc_id", ar.ID(), "error", err)
	}
}
