package client

import (
	"context"
	"path/filepath"
	"time"

	"github.com/droverhq/drover/client/allocrunner"
	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// Timing of the alloc watch.
const (
	// watchWait is the blocking query's wait; the server caps it.
	watchWait = 5 * time.Minute
	// watchRetry is the pause after a failed watch call.
	watchRetry = time.Second
	// watchIdle keeps a server that answers without blocking from turning
	// the watch into a busy loop.
	watchIdle = 100 * time.Millisecond
)

// watchLoop follows the node's allocations with blocking queries and makes
// the alloc runners match them.
func (c *Client) watchLoop() {
	select {
	case <-c.registeredCh:
	case <-c.ctx.Done():
		return
	}
	var index uint64
	for {
		resp, err := c.getClientAllocs(index)
		if c.ctx.Err() != nil {
			return
		}
		if err != nil {
			c.logger.Warn("watch allocations failed; retrying", "error", err)
			if !c.sleep(watchRetry) {
				return
			}
			continue
		}
		if err := c.syncAllocs(resp.Allocs); err != nil {
			c.logger.Warn("fetch allocations failed; retrying", "error", err)
			if !c.sleep(watchRetry) {
				return
			}
			continue
		}
		if resp.Index == index && !c.sleep(watchIdle) {
			return
		}
		// A lower index means the servers' state was rebuilt: start over.
		index = resp.Index
	}
}

func (c *Client) getClientAllocs(index uint64) (*structs.NodeClientAllocsResponse, error) {
	c.mu.Lock()
	req := &structs.NodeSpecificRequest{NodeID: c.node.ID, SecretID: c.node.SecretID,
		QueryOptions: structs.QueryOptions{Region: c.cfg.Region, MinQueryIndex: index, MaxQueryTime: watchWait, AllowStale: true}}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, watchWait+rpcTimeout)
	defer cancel()
	var resp structs.NodeClientAllocsResponse
	if err := c.call(ctx, rpc.NodeGetClientAllocs, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// syncAllocs fetches the allocs whose AllocModifyIndex changed, updates or
// starts their runners, and removes runners of allocs the servers dropped.
func (c *Client) syncAllocs(want map[string]uint64) error {
	var pull []string
	var removed []*allocrunner.AllocRunner
	c.mu.Lock()
	for id, idx := range want {
		if ar := c.allocs[id]; ar != nil {
			if ar.Alloc().AllocModifyIndex < idx {
				pull = append(pull, id)
			}
		} else if c.ignored[id] < idx {
			pull = append(pull, id)
		}
	}
	for id, ar := range c.allocs {
		if _, ok := want[id]; !ok {
			removed = append(removed, ar)
			delete(c.allocs, id)
		}
	}
	for id := range c.ignored {
		if _, ok := want[id]; !ok {
			delete(c.ignored, id)
		}
	}
	c.mu.Unlock()

	for _, ar := range removed {
		c.removeAlloc(ar)
	}
	if len(pull) == 0 {
		return nil
	}
	req := &structs.AllocsGetRequest{AllocIDs: pull, QueryOptions: structs.QueryOptions{Region: c.cfg.Region, AllowStale: true}}
	var resp structs.AllocsGetResponse
	ctx, cancel := context.WithTimeout(c.ctx, rpcTimeout)
	defer cancel()
	if err := c.call(ctx, rpc.AllocGetAllocs, req, &resp); err != nil {
		return err
	}
	for _, a := range resp.Allocs {
		c.runAlloc(a)
	}
	return nil
}

// runAlloc hands a fetched alloc to its runner, or starts one. An alloc
// that is already terminal when first seen is never started.
func (c *Client) runAlloc(a *structs.Allocation) {
	if a.Job == nil {
		c.logger.Warn("server sent an allocation without its job; skipping", "alloc_id", a.ID)
		return
	}
	c.mu.Lock()
	if ar := c.allocs[a.ID]; ar != nil {
		c.mu.Unlock()
		ar.Update(a)
		return
	}
	if a.TerminalStatus() {
		c.ignored[a.ID] = a.AllocModifyIndex
		c.mu.Unlock()
		return
	}
	ar := c.newAllocRunner(a)
	c.allocs[a.ID] = ar
	c.mu.Unlock()
	if err := c.db.PutAllocation(a); err != nil {
		c.logger.Error("persist alloc; a client restart will forget it", "alloc_id", a.ID, "error", err)
	}
	c.logger.Info("starting alloc", "alloc_id", a.ID, "name", a.Name)
	go func() { ar.Run(); c.gcTerminalAllocs() }()
	c.markDirty(a.ID)
}

// newAllocRunner builds a runner whose state changes mark the alloc dirty.
// Callers hold c.mu (for c.node).
func (c *Client) newAllocRunner(a *structs.Allocation) *allocrunner.AllocRunner {
	id := a.ID
	return allocrunner.New(allocrunner.Config{
		Alloc: a, Node: c.node.Copy(), AllocRoot: c.allocRoot(), Region: c.cfg.Region,
		Drivers: c.drivers, DB: c.db, HostEnv: c.hostEnv, Logger: c.logger, Now: c.now,
		OnUpdate: func() { c.markDirty(id) },
	})
}

// removeAlloc stops an alloc the servers no longer list (garbage collected)
// and forgets it once its tasks have stopped.
func (c *Client) removeAlloc(ar *allocrunner.AllocRunner) {
	c.logger.Info("alloc removed by servers; destroying", "alloc_id", ar.ID())
	ar.Kill("alloc was removed by the servers")
	// Tracked by the loop group so Shutdown does not close the state DB
	// under it; the watch loop calling us is in the group, so Add is safe.
	c.goLoop(func() {
		<-ar.WaitCh()
		if c.ctx.Err() != nil {
			return // shutting down: leave its state for the next client
		}
		c.destroyAlloc(ar)
	})
}

// restoreAllocs restarts runners for the allocs a previous client process
// ran; their task runners recover running tasks and never rerun dead ones.
func (c *Client) restoreAllocs() {
	allocs, err := c.db.Allocations()
	if err != nil {
		c.logger.Error("reading client state; some allocs were not restored", "error", err)
	}
	for _, a := range allocs {
		c.mu.Lock()
		ar := c.newAllocRunner(a)
		c.allocs[a.ID] = ar
		c.mu.Unlock()
		if err := ar.Restore(); err != nil {
			c.logger.Error("restore alloc", "alloc_id", a.ID, "error", err)
		}
		ar.Update(a) // applies a stop the servers asked for before the restart
		go func() { ar.Run(); c.gcTerminalAllocs() }()
		c.markDirty(a.ID)
	}
	if len(allocs) > 0 {
		c.logger.Info("restored allocs from client state", "count", len(allocs))
	}
}

func (c *Client) allocRoot() string { return filepath.Join(c.cfg.DataDir, "alloc") }
