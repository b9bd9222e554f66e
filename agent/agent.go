package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/droverhq/drover/rpc"
)

// Agent is one drover process: a server, a client, or both, and the HTTP
// API. Create it with New; stop it with Shutdown.
type Agent struct {
	cfg    *Config
	logger *slog.Logger

	server serverHandle // nil unless server.enabled
	client clientHandle // nil unless client.enabled

	httpLn   net.Listener
	httpSrv  *http.Server
	httpAddr string // "host:port" others should use
	// rpcTLS secures gRPC (nil: plaintext); httpTLS makes the API serve
	// HTTPS (nil: HTTP). Both come from the tls block (tls.go).
	rpcTLS  *rpc.TLS
	httpTLS *tls.Config
	// stopRequests ends in-flight requests (blocking queries) at shutdown.
	stopRequests context.CancelFunc

	devDir string // temporary data dir of a dev agent, removed at shutdown

	shutdownOnce sync.Once
	shutdownErr  error
}

// serverHandle is the server as the agent runs it.
type serverHandle interface {
	serverAPI
	RPCAddr() string
	Shutdown() error
}

// clientHandle is the client as the agent runs it.
type clientHandle interface {
	clientAPI
	Shutdown() error
}

// New validates cfg and starts the agent: it binds the HTTP port first (so
// a port in use fails before anything starts), then starts the server, the
// client and the HTTP API. On error everything started is stopped again.
// A nil logger logs nothing.
func New(cfg *Config, logger *slog.Logger) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid agent config:\n%w", err)
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	a := &Agent{cfg: cfg.copy(), logger: logger}
	if err := a.start(); err != nil {
		if serr := a.Shutdown(); serr != nil {
			logger.Error("stop after failed start", "error", serr)
		}
		return nil, err
	}
	return a, nil
}

// start runs the steps of New in order.
func (a *Agent) start() error {
	if err := a.setupDataDir(); err != nil {
		return err
	}
	rpcTLS, httpTLS, err := a.cfg.loadTLS()
	if err != nil {
		return err
	}
	a.rpcTLS, a.httpTLS = rpcTLS, httpTLS
	if err := a.listenHTTP(); err != nil {
		return err
	}
	if a.cfg.Server.Enabled {
		s, err := a.startServer()
		if err != nil {
			return err
		}
		a.server = s
	}
	if a.cfg.Client.Enabled {
		c, err := a.startClient()
		if err != nil {
			return err
		}
		a.client = c
	}
	a.serveHTTP()
	a.logger.Info("agent started", "http", a.HTTPAddr(), "server", a.server != nil, "client", a.client != nil,
		"data_dir", a.cfg.DataDir, "rpc_tls", a.rpcTLS != nil)
	return nil
}

// setupDataDir creates the dev agent's temporary data dir.
func (a *Agent) setupDataDir() error {
	if !a.cfg.DevMode || a.cfg.DataDir != "" {
		return nil
	}
	dir, err := os.MkdirTemp("", "drover-dev-")
	if err != nil {
		return fmt.Errorf("create dev data dir: %w", err)
	}
	a.devDir, a.cfg.DataDir = dir, dir
	return nil
}

// listenHTTP binds the HTTP port.
func (a *Agent) listenHTTP() error {
	ln, err := listen("ports.http", a.cfg.BindAddr, a.cfg.Ports.HTTP)
	if err != nil {
		return err
	}
	a.httpLn = ln
	port := ln.Addr().(*net.TCPAddr).Port
	a.httpAddr = advertiseAddr(a.cfg.Advertise.HTTP, a.cfg.BindAddr, port)
	return nil
}

// listen binds bind:port, explaining a port in use by its config key.
func listen(key, bind string, port int) (net.Listener, error) {
	addr := net.JoinHostPort(bind, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("listen on %s (%s): the port is in use, probably by another agent: stop it or set %s to a free port in the agent config",
			addr, key, portKeyExample(key))
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return nil, fmt.Errorf("listen on %s (%s): %s is not an address of this machine: set bind_addr to one of its addresses or 0.0.0.0",
			addr, key, bind)
	case err != nil:
		return nil, fmt.Errorf("listen on %s (%s): %w", addr, key, err)
	}
	return ln, nil
}

// portKeyExample shows how to set the port a key names.
func portKeyExample(key string) string {
	switch key {
	case "ports.http":
		return "ports { http = 9646 }"
	case "ports.rpc":
		return "ports { rpc = 9647 }"
	}
	return key
}

// serveHTTP starts serving the API on the bound listener.
func (a *Agent) serveHTTP() {
	ctx, cancel := context.WithCancel(context.Background())
	a.stopRequests = cancel
	h := &httpServer{agent: a, logger: a.logger.With("component", "http")}
	if a.server != nil {
		h.srv = a.server
	}
	if a.client != nil {
		h.client = a.client
	}
	a.httpSrv = &http.Server{
		Handler:           h.handler(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(a.logger.Handler(), slog.LevelWarn),
		TLSConfig:         a.httpTLS,
	}
	serve := func() error { return a.httpSrv.Serve(a.httpLn) }
	if a.httpTLS != nil {
		serve = func() error { return a.httpSrv.ServeTLS(a.httpLn, "", "") }
	}
	go func() {
		if err := serve(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.logger.Error("http server stopped", "error", err)
		}
	}()
}

// HTTPAddr is the API's address, as "http://127.0.0.1:8646" (https
// with tls.http).
func (a *Agent) HTTPAddr() string { return a.scheme() + "://" + a.httpAddr }

// RPCAddr is the server's RPC address, or "" when this agent runs no server.
func (a *Agent) RPCAddr() string {
	if a.server == nil {
		return ""
	}
	return a.server.RPCAddr()
}

// Config returns the configuration the agent runs with (after defaults
// such as the dev data dir). Callers must not change it.
func (a *Agent) Config() *Config { return a.cfg }

// Shutdown stops the HTTP API, the client and the server, in that order,
// and removes a dev agent's data dir. It is safe to call more than once.
func (a *Agent) Shutdown() error {
	a.shutdownOnce.Do(func() { a.shutdownErr = a.shutdown() })
	return a.shutdownErr
}

func (a *Agent) shutdown() error {
	var errs []error
	if a.httpSrv != nil {
		a.stopRequests()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := a.httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop http: %w", err))
		}
		cancel()
	} else if a.httpLn != nil {
		a.httpLn.Close()
	}
	if a.client != nil {
		if err := a.client.Shutdown(); err != nil {
			errs = append(errs, fmt.Errorf("stop client: %w", err))
		}
	}
	if a.server != nil && a.cfg.leaveOnTerminate() {
		if l, ok := a.server.(interface{ Leave() error }); ok {
			if err := l.Leave(); err != nil {
				a.logger.Warn("leave the cluster", "error", err)
			}
		}
	}
	if a.server != nil {
		if err := a.server.Shutdown(); err != nil {
			errs = append(errs, fmt.Errorf("stop server: %w", err))
		}
	}
	if a.devDir != "" {
		if err := os.RemoveAll(a.devDir); err != nil {
			errs = append(errs, fmt.Errorf("remove dev data dir: %w", err))
		}
	}
	return errors.Join(errs...)
}

// member describes the agent for /v1/agent/self.
func (a *Agent) member() AgentMember {
	host, _, _ := net.SplitHostPort(a.httpAddr)
	tags := map[string]string{"region": a.cfg.Region, "dc": a.cfg.Datacenter, "role": "client"}
	if a.server != nil {
		tags["role"] = "server"
		tags["rpc_addr"] = a.server.RPCAddr()
	}
	return AgentMember{Name: a.cfg.Name, Addr: host, Port: a.cfg.Ports.Serf, Tags: tags, Status: "alive"}
}

// NewLogger returns a text logger at the config's log_level.
func NewLogger(w io.Writer, logLevel string) (*slog.Logger, error) {
	level, err := parseLogLevel(logLevel)
	if err != nil {
		return nil, err
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), nil
}
