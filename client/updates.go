package client

import (
	"context"
	"time"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// updateInterval batches alloc updates: the changes of this window become
// one Node.UpdateAlloc carrying the latest state of each changed alloc.
const updateInterval = 200 * time.Millisecond

// markDirty notes that an alloc's client state changed. It never blocks.
func (c *Client) markDirty(id string) {
	c.dirtyMu.Lock()
	c.dirty[id] = struct{}{}
	c.dirtyMu.Unlock()
	c.wakeUpdates()
}

func (c *Client) wakeUpdates() {
	select {
	case c.dirtyCh <- struct{}{}:
	default:
	}
}

// updateLoop sends changed allocs' state in batches, and a last batch at
// shutdown. An idle client does not wake up at all, which matters when a
// simulator runs thousands of clients in one process.
func (c *Client) updateLoop() {
	select {
	case <-c.registeredCh:
	case <-c.ctx.Done():
		return // never registered: the servers would reject updates
	}
	for {
		select {
		case <-c.dirtyCh:
		case <-c.ctx.Done():
			c.finalFlush()
			return
		}
		// Let the burst that woke us accumulate into one batch.
		if !c.sleep(updateInterval) {
			c.finalFlush()
			return
		}
		if !c.flushUpdates(c.ctx) && !c.sleep(watchRetry) {
			c.finalFlush()
			return
		}
	}
}

func (c *Client) finalFlush() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c.flushUpdates(ctx)
}

// flushUpdates sends one batch; false means it failed and the allocs stay
// dirty for the next batch (to the next server).
func (c *Client) flushUpdates(ctx context.Context) bool {
	c.dirtyMu.Lock()
	ids := c.dirty
	c.dirty = map[string]struct{}{}
	c.dirtyMu.Unlock()
	if len(ids) == 0 {
		return true
	}
	updates := make([]*structs.Allocation, 0, len(ids))
	c.mu.Lock()
	for id := range ids {
		if ar := c.allocs[id]; ar != nil {
			updates = append(updates, ar.ClientUpdate())
		}
	}
	c.mu.Unlock()
	if len(updates) == 0 {
		return true
	}
	req := &structs.AllocUpdateRequest{Alloc: updates, WriteRequest: structs.WriteRequest{Region: c.cfg.Region}}
	var resp structs.GenericResponse
	cctx, cancel := context.WithTimeout(ctx, rpcTimeout)
	defer cancel()
	if err := c.call(cctx, rpc.NodeUpdateAlloc, req, &resp); err != nil {
		c.logger.Warn("sending alloc updates failed; will retry", "count", len(updates), "error", err)
		c.dirtyMu.Lock()
		for id := range ids {
			c.dirty[id] = struct{}{}
		}
		c.dirtyMu.Unlock()
		c.wakeUpdates()
		return false
	}
	c.updatesOut.Add(uint64(len(updates)))
	return true
}
