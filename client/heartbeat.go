package client

import (
	"context"
	"strings"
	"time"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Timing of the server loops.
const (
	registerBackoffMin  = 250 * time.Millisecond
	registerBackoffMax  = 10 * time.Second
	defaultHeartbeatTTL = 10 * time.Second
	rpcTimeout          = 10 * time.Second
)

// heartbeatLoop registers the node, then heartbeats every TTL/2 until the
// client shuts down; when a server no longer knows the node (its state was
// lost or the node was garbage collected) it registers again.
func (c *Client) heartbeatLoop() {
	for c.register() && c.heartbeatUntilUnknown() {
	}
}

// register retries with exponential backoff until a server answers; false
// means the client is shutting down.
func (c *Client) register() bool {
	backoff := registerBackoffMin
	for {
		err := c.registerOnce()
		if err == nil {
			return true
		}
		c.logger.Warn("register with servers failed; retrying", "error", err, "retry_in", backoff)
		if !c.sleep(backoff) {
			return false
		}
		backoff = min(backoff*2, registerBackoffMax)
	}
}

func (c *Client) registerOnce() error {
	c.mu.Lock()
	c.node.StatusUpdatedAt = c.now().Unix()
	node := c.node.Copy()
	c.mu.Unlock()
	req := &structs.NodeRegisterRequest{Node: node, WriteRequest: structs.WriteRequest{Region: c.cfg.Region}}
	var resp structs.NodeUpdateResponse
	ctx, cancel := context.WithTimeout(c.ctx, rpcTimeout)
	defer cancel()
	if err := c.call(ctx, rpc.NodeRegister, req, &resp); err != nil {
		return err
	}
	c.heartbeatOK(&resp)
	c.registeredOnce.Do(func() { close(c.registeredCh) })
	c.logger.Info("node registered", "heartbeat_ttl", resp.HeartbeatTTL)
	return nil
}

// heartbeatOK records a server's answer to a register or heartbeat.
func (c *Client) heartbeatOK(resp *structs.NodeUpdateResponse) {
	c.servers.merge(resp.Servers)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.heartbeatTTL = resp.HeartbeatTTL
	if c.heartbeatTTL <= 0 {
		c.heartbeatTTL = defaultHeartbeatTTL
	}
	c.lastHB = c.now()
}

// heartbeatUntilUnknown heartbeats at half the TTL, retrying failures
// sooner so one lost call does not let the TTL run out. It returns true to
// re-register and false on shutdown.
func (c *Client) heartbeatUntilUnknown() bool {
	for {
		c.mu.Lock()
		ttl := c.heartbeatTTL
		c.mu.Unlock()
		wait := ttl / 2
		for {
			if !c.sleep(wait) {
				return false
			}
			err := c.heartbeatOnce()
			if err == nil {
				break
			}
			if nodeUnknown(err) {
				c.logger.Warn("server does not know this node; registering again", "error", err)
				return true
			}
			wait = min(ttl/4, time.Second)
			c.logger.Warn("heartbeat failed; retrying", "error", err, "retry_in", wait)
		}
	}
}

func (c *Client) heartbeatOnce() error {
	c.mu.Lock()
	req := &structs.NodeUpdateStatusRequest{NodeID: c.node.ID, SecretID: c.node.SecretID, Status: structs.NodeStatusReady,
		UpdatedAt: c.now().Unix(), WriteRequest: structs.WriteRequest{Region: c.cfg.Region}}
	c.mu.Unlock()
	var resp structs.NodeUpdateResponse
	ctx, cancel := context.WithTimeout(c.ctx, rpcTimeout)
	defer cancel()
	if err := c.call(ctx, rpc.NodeUpdateStatus, req, &resp); err != nil {
		return err
	}
	c.heartbeats.Add(1)
	c.heartbeatOK(&resp)
	return nil
}

// nodeUnknown reports whether a server answered that it does not know the
// node: a gRPC NotFound, or an error carrying structs.ErrNotFound's text.
func nodeUnknown(err error) bool {
	if s, ok := status.FromError(err); ok && s.Code() == codes.NotFound {
		return true
	}
	return strings.Contains(err.Error(), structs.ErrNotFound.Error())
}

// sleep waits d or until shutdown; false means shutdown.
func (c *Client) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.ctx.Done():
		return false
	}
}
