// Package client is drover's worker: it fingerprints the node, registers it
// with the servers over gRPC, heartbeats, watches the node's allocations and
// runs them with alloc runners, and reports their states back in batches.
//
//	New: fingerprint -> node ID -> open state -> restore allocs -> loops
//	  heartbeat loop: register (retry, backoff) -> heartbeat every TTL/2
//	                  (re-register when the server no longer knows the node)
//	  watch loop:     blocking Node.GetClientAllocs -> Alloc.GetAllocs for
//	                  changed IDs -> start / update / remove alloc runners
//	  update loop:    every 200ms, the latest state of each changed alloc
//	                  -> Node.UpdateAlloc
//
// A Client is a plain value with no package-level state, so a scale
// simulator can run thousands of them in one process with the mock driver.
// The client never imports server/ or agent/: it speaks gRPC to servers.
package client

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/droverhq/drover/client/allocrunner"
	"github.com/droverhq/drover/client/drivers"
	"github.com/droverhq/drover/client/state"
	"github.com/droverhq/drover/structs"
)

// Version is advertised as the node's drover.version attribute.
const Version = "0.1.0-dev"

// Client is one client agent.
type Client struct {
	cfg     *Config
	logger  *slog.Logger
	now     func() time.Time
	db      state.DB
	drivers map[string]drivers.Driver
	hostEnv map[string]string
	servers *serverList

	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup // every loop goroutine
	shutOnce sync.Once

	registeredCh   chan struct{} // closed after the first successful register
	registeredOnce sync.Once

	mu           sync.Mutex
	node         *structs.Node                       // guarded by mu
	allocs       map[string]*allocrunner.AllocRunner // guarded by mu
	ignored      map[string]uint64                   // allocs seen terminal, never run: ID -> index; guarded by mu
	heartbeatTTL time.Duration                       // guarded by mu
	lastHB       time.Time                           // guarded by mu

	dirtyMu sync.Mutex
	dirty   map[string]struct{} // alloc IDs whose state changed; guarded by dirtyMu
	dirtyCh chan struct{}       // wakes the update loop

	heartbeats atomic.Uint64
	updatesOut atomic.Uint64
}

// New fingerprints the node, persists its ID, dials the servers, and starts
// registration, heartbeat and allocation-watch loops.
func New(cfg *Config) (*Client, error) {
	if cfg == nil || cfg.DataDir == "" {
		return nil, fmt.Errorf("client config: data_dir is required: %w", structs.ErrInvalid)
	}
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("client config: servers is empty: list the servers' RPC addresses: %w", structs.ErrInvalid)
	}
	if err := checkHostVolumes(cfg.HostVolumes); err != nil {
		return nil, err
	}
	c := &Client{
		cfg: cfg, logger: cfg.Logger, now: cfg.Now,
		registeredCh: make(chan struct{}),
		allocs:       map[string]*allocrunner.AllocRunner{},
		ignored:      map[string]uint64{},
		dirty:        map[string]struct{}{},
		dirtyCh:      make(chan struct{}, 1),
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.drivers = buildDrivers(cfg, c.now, c.logger)
	c.hostEnv = hostEnv(cfg.Options)
	node, err := c.buildNode()
	if err != nil {
		return nil, err
	}
	c.node = node
	c.logger = c.logger.With("node_id", node.ID)

	db, err := state.OpenBolt(filepath.Join(cfg.DataDir, "client", "state.db"))
	if err != nil {
		return nil, err
	}
	c.db = db
	servers, err := newServerList(cfg.Servers)
	if err != nil {
		db.Close()
		return nil, err
	}
	servers.tls = cfg.TLS
	c.servers = servers
	c.ctx, c.cancel = context.WithCancel(context.Background())

	c.restoreAllocs()
	c.goLoop(c.heartbeatLoop)
	c.goLoop(c.watchLoop)
	c.goLoop(c.updateLoop)
	c.goLoop(c.sessionLoop)
	return c, nil
}

// goLoop starts a loop that Shutdown waits for.
func (c *Client) goLoop(f func()) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

// NodeID is the node's persistent ID.
func (c *Client) NodeID() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.node.ID
}

// Node returns a copy of the node as it is registered.
func (c *Client) Node() *structs.Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.node.Copy()
}

// Shutdown stops the client's loops and detaches from running tasks
// (processes keep running for a later client to recover; simulated mock
// tasks just end). It sends a last batch of alloc updates first.
func (c *Client) Shutdown() error {
	var err error
	c.shutOnce.Do(func() {
		c.cancel()
		c.wg.Wait()
		c.mu.Lock()
		runners := make([]*allocrunner.AllocRunner, 0, len(c.allocs))
		for _, ar := range c.allocs {
			runners = append(runners, ar)
		}
		c.mu.Unlock()
		for _, ar := range runners {
			if c.cfg.StopTasksOnShutdown {
				ar.Kill("agent shutting down")
			} else {
				ar.Detach()
			}
		}
		for _, ar := range runners {
			<-ar.WaitCh()
			if c.cfg.StopTasksOnShutdown {
				if derr := ar.Destroy(); derr != nil {
					c.logger.Warn("remove alloc dir on shutdown", "alloc_id", ar.ID(), "error", derr)
				}
			}
		}
		for _, d := range c.drivers {
			if s, ok := d.(interface{ Shutdown() }); ok {
				s.Shutdown()
			}
		}
		err = errors.Join(c.servers.close(), c.db.Close())
	})
	return err
}

// Stats reports counters for the agent's /v1/agent/self.
func (c *Client) Stats() map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	running := 0
	for _, ar := range c.allocs {
		if ar.ClientUpdate().ClientStatus == structs.AllocClientStatusRunning {
			running++
		}
	}
	registered := "false"
	select {
	case <-c.registeredCh:
		registered = "true"
	default:
	}
	last := ""
	if !c.lastHB.IsZero() {
		last = c.now().Sub(c.lastHB).Round(time.Millisecond).String()
	}
	return map[string]string{
		"node_id":           c.node.ID,
		"registered":        registered,
		"known_servers":     strconv.Itoa(c.servers.len()),
		"num_allocations":   strconv.Itoa(len(c.allocs)),
		"running_allocs":    strconv.Itoa(running),
		"heartbeat_ttl":     c.heartbeatTTL.String(),
		"last_heartbeat":    last,
		"heartbeats_sent":   strconv.FormatUint(c.heartbeats.Load(), 10),
		"alloc_updates_out": strconv.FormatUint(c.updatesOut.Load(), 10),
	}
}

// checkHostVolumes requires each host volume's path to exist at start, as
// Nomad does: otherwise the node would advertise the volume, the scheduler
// would place groups here for it, and every such task would fail to mount.
// The errors are for the operator reading the agent's start error, so they
// carry no category suffix.
func checkHostVolumes(vols map[string]*structs.ClientHostVolumeConfig) error {
	names := make([]string, 0, len(vols))
	for name := range vols {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v := vols[name]
		if v == nil || v.Path == "" {
			return fmt.Errorf("client config: host_volume %q: path is required", name)
		}
		if !filepath.IsAbs(v.Path) {
			return fmt.Errorf("client config: host_volume %q: path %q is not absolute: give the full path", name, v.Path)
		}
		if _, err := os.Stat(v.Path); err != nil {
			reason := err.Error()
			var pe *fs.PathError
			if errors.As(err, &pe) {
				reason = pe.Err.Error()
			}
			return fmt.Errorf("client config: host_volume %q: path %s: %s: create it or fix the path (it must exist when the client starts)",
				name, v.Path, reason)
		}
	}
	return nil
}
