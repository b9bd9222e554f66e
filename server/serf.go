package server

// Serf among servers. Every server gossips on its Serf port with tags
// that say who it is: its Raft ID and address, its RPC address, region,
// datacenter, bootstrap_expect and build. From those tags servers learn
// the leader's RPC address (Raft only knows its Raft address), clients
// learn every server's RPC address, a server started with
// bootstrap_expect = N bootstraps Raft once N servers are seen, and the
// leader adds joining servers to Raft and removes the ones that left or
// stayed failed (membership.go, autopilot.go).
//
//	serf event (join, leave, fail, update, reap)
//	  -> serfEventLoop: maybeBootstrap (until bootstrapped)
//	                    nudge the leader's reconcile loop

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	"github.com/hashicorp/serf/serf"

	"github.com/droverhq/drover/structs"
)

// Serf tags of a server.
const (
	tagRole     = "role"
	roleServer  = "drover-server"
	tagID       = "id"
	tagRegion   = "region"
	tagDC       = "dc"
	tagRPCAddr  = "rpc_addr"
	tagRaftAddr = "raft_addr"
	tagExpect   = "expect"
	tagBuild    = "build"
	tagRaftVsn  = "raft_vsn"
	// raftProtocol is the Raft protocol version servers speak (IDs, not
	// addresses, name servers).
	raftProtocol = "3"
	serfDir      = "serf"
	serfSnapshot = "local.snapshot"
	serfEventBuf = 256
	// deadNodeReclaimTime: see serfConfig.
	deadNodeReclaimTime = 30 * time.Second
)

// serverParts is a server as its Serf tags describe it.
type serverParts struct {
	Name       string
	ID         string
	Region     string
	Datacenter string
	RPCAddr    string
	RaftAddr   string
	Build      string
	RaftVsn    string
	Expect     int
	Status     serf.MemberStatus
	Addr       net.IP
	Port       uint16
	Tags       map[string]string
}

// isServer reads a Serf member's tags; ok is false for members that are
// not drover servers.
func isServer(m serf.Member) (*serverParts, bool) {
	if m.Tags[tagRole] != roleServer {
		return nil, false
	}
	expect, _ := strconv.Atoi(m.Tags[tagExpect])
	return &serverParts{
		Name: m.Name, ID: m.Tags[tagID], Region: m.Tags[tagRegion], Datacenter: m.Tags[tagDC],
		RPCAddr: m.Tags[tagRPCAddr], RaftAddr: m.Tags[tagRaftAddr], Build: m.Tags[tagBuild],
		RaftVsn: m.Tags[tagRaftVsn], Expect: expect, Status: m.Status, Addr: m.Addr, Port: m.Port, Tags: m.Tags,
	}, true
}

// setupSerf starts Serf when SerfAddr is set, joins StartJoin and starts
// retrying RetryJoin. Without Serf the server is a cluster of one.
func (s *Server) setupSerf() error {
	if s.config.SerfAddr == "" {
		return nil
	}
	conf, err := s.serfConfig()
	if err != nil {
		return err
	}
	sf, err := serf.Create(conf)
	if err != nil {
		if strings.Contains(err.Error(), "address already in use") {
			return fmt.Errorf("start serf on %s: %w: the Serf port is in use, probably by another agent: stop it or set ports { serf = 9648 } in the agent config",
				s.config.SerfAddr, err)
		}
		return fmt.Errorf("start serf on %s: %w", s.config.SerfAddr, err)
	}
	s.serf = sf
	s.goFunc(s.serfEventLoop)
	if len(s.config.StartJoin) > 0 {
		if _, err := s.Join(s.config.StartJoin); err != nil {
			s.logger.Warn("join servers at start", "addrs", s.config.StartJoin, "error", err)
		}
	}
	if len(s.config.RetryJoin) > 0 {
		s.goFunc(s.retryJoin)
	}
	return nil
}

// serfConfig builds Serf's configuration from the server's.
func (s *Server) serfConfig() (*serf.Config, error) {
	host, portStr, err := net.SplitHostPort(s.config.SerfAddr)
	if err != nil {
		return nil, fmt.Errorf("serf address %q: %w", s.config.SerfAddr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("serf address %q: bad port: %w", s.config.SerfAddr, err)
	}
	conf := serf.DefaultConfig()
	if base := s.config.SerfConfig; base != nil {
		c := *base
		conf = &c
		if base.MemberlistConfig != nil {
			ml := *base.MemberlistConfig
			conf.MemberlistConfig = &ml
		} else {
			conf.MemberlistConfig = serf.DefaultConfig().MemberlistConfig
		}
	}
	conf.Init()
	conf.NodeName = s.config.NodeName
	conf.Tags = s.serfTags()
	events := make(chan serf.Event, serfEventBuf)
	s.serfEvents = events
	conf.EventCh = events
	conf.ProtocolVersion = serf.ProtocolVersionMax
	conf.EnableNameConflictResolution = false
	std := newHCLogger(s.logger, "serf").StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true})
	conf.Logger = std
	dir := filepath.Join(s.config.DataDir, serfDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create serf dir: %w", err)
	}
	conf.SnapshotPath = filepath.Join(dir, serfSnapshot)
	ml := conf.MemberlistConfig
	ml.Name = s.config.NodeName
	ml.Logger = std
	ml.BindAddr, ml.BindPort = host, port
	if isUnspecified(host) {
		ml.BindAddr = "0.0.0.0"
	}
	if adv := s.config.SerfAdvertise; adv != "" {
		ah, ap, err := net.SplitHostPort(adv)
		if err != nil {
			return nil, fmt.Errorf("serf advertise address %q: %w", adv, err)
		}
		if p, _ := strconv.Atoi(ap); p != 0 {
			ml.AdvertiseAddr, ml.AdvertisePort = ah, p
		}
	} else if isUnspecified(host) && port != 0 {
		raftHost, _, _ := net.SplitHostPort(string(s.parts.transport.LocalAddr()))
		ml.AdvertiseAddr, ml.AdvertisePort = raftHost, port
	}
	if len(s.config.EncryptKey) > 0 {
		ml.SecretKey = s.config.EncryptKey
	}
	if ml.DeadNodeReclaimTime == 0 {
		// A server that comes back at another address under the same
		// name (a crash and a new IP) may take its name back once the old
		// entry has been dead this long; memberlist's default never lets it.
		ml.DeadNodeReclaimTime = deadNodeReclaimTime
	}
	return conf, nil
}

// serfTags describes this server to the others.
func (s *Server) serfTags() map[string]string {
	return map[string]string{
		tagRole:     roleServer,
		tagID:       s.config.NodeName,
		tagRegion:   s.config.Region,
		tagDC:       s.config.Datacenter,
		tagRPCAddr:  s.rpcAddr,
		tagRaftAddr: string(s.parts.transport.LocalAddr()),
		tagExpect:   strconv.Itoa(s.config.BootstrapExpect),
		tagBuild:    s.config.Build,
		tagRaftVsn:  raftProtocol,
	}
}

// serfEventLoop reacts to membership changes until shutdown.
func (s *Server) serfEventLoop() {
	for {
		select {
		case <-s.ctx.Done():
			return
		case e := <-s.serfEvents:
			me, ok := e.(serf.MemberEvent)
			if !ok {
				continue
			}
			for _, m := range me.Members {
				if p, ok := isServer(m); ok {
					s.logger.Info("server membership changed", "event", me.EventType().String(), "member", p.Name,
						"rpc_addr", p.RPCAddr, "status", m.Status.String())
				}
			}
			if me.EventType() == serf.EventMemberJoin {
				s.maybeBootstrapExpect()
			}
			s.nudgeReconcile()
		}
	}
}

// retryJoinFirstWait is the first pause between retry_join attempts; it
// doubles up to RetryJoinInterval, so servers started together find each
// other quickly.
const retryJoinFirstWait = time.Second

// retryJoin joins RetryJoin until it reaches another server: at once,
// then after 1s, 2s, 4s ... up to RetryJoinInterval between attempts.
// This server's own address in the list (every server may share one
// list) does not count.
func (s *Server) retryJoin() {
	addrs := s.othersOf(s.config.RetryJoin)
	if len(addrs) == 0 {
		return
	}
	wait := min(retryJoinFirstWait, s.config.RetryJoinInterval)
	for attempt := 1; ; attempt++ {
		n, err := s.Join(addrs)
		if err == nil && n > 0 {
			s.logger.Info("retry_join joined the cluster", "joined", n, "attempts", attempt)
			return
		}
		s.logger.Warn("retry_join failed, will retry", "addrs", addrs, "attempt", attempt, "retry_in", wait, "error", err)
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, s.config.RetryJoinInterval)
	}
}

// othersOf drops this server's own Serf address from addrs.
func (s *Server) othersOf(addrs []string) []string {
	self := s.SerfAddr()
	selfHost, selfPort, _ := net.SplitHostPort(self)
	var out []string
	for _, a := range addrs {
		host, port, err := net.SplitHostPort(a)
		if err == nil && port == selfPort && (host == selfHost || isOwnIP(host)) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// isOwnIP reports whether host is an IP of one of this machine's
// interfaces other than loopback (loopback is shared by every server of
// a test on one machine, so it proves nothing).
func isOwnIP(host string) bool {
	ip := net.ParseIP(host)
	if ip == nil || ip.IsLoopback() {
		return false
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// errNoSerf is returned by membership operations of a server without Serf.
var errNoSerf = errors.New("this server runs without Serf (no serf address configured): it cannot join or leave a cluster")

// Join asks Serf to join the servers at addrs (Serf "host:port", the port
// defaulting to 8648), returning how many it reached.
func (s *Server) Join(addrs []string) (int, error) {
	if s.serf == nil {
		return 0, errNoSerf
	}
	n, err := s.serf.Join(addrs, true)
	if err != nil {
		return n, joinError(addrs, err)
	}
	return n, nil
}

// joinHints turn memberlist's join failures into what to do about them.
var joinHints = []struct{ match, hint string }{
	{"invalid msgType", "something answers there but it is not a Serf port (an HTTP or RPC port?): join the server's ports.serf (default 8648)"},
	{"Encryption is configured but remote state is not encrypted", "that server has no gossip key: set the same encrypt key on every server (drover operator keygen)"},
	{"Remote state is encrypted and encryption is not configured", "that server uses a gossip key and this one does not: set the same encrypt key on every server"},
	{"No installed keys could decrypt", "the gossip keys differ: set the same encrypt key on every server"},
	{"connection refused", "nothing listens there: check that the server runs and that the port is its ports.serf (default 8648)"},
	{"i/o timeout", "no answer: check the address, the port (ports.serf, default 8648) and firewalls"},
	{"no such host", "the name does not resolve: check the address"},
}

// joinError rewrites Serf's multi-line error ("1 error occurred:\n\t* ...")
// as one line per address, each with a hint.
func joinError(addrs []string, err error) error {
	var errs []error
	if m, ok := err.(interface{ WrappedErrors() []error }); ok {
		errs = m.WrappedErrors()
	}
	if len(errs) == 0 {
		errs = []error{err}
	}
	lines := make([]string, 0, len(errs))
	for _, e := range errs {
		line := e.Error()
		for _, h := range joinHints {
			if strings.Contains(line, h.match) {
				line += ": " + h.hint
				break
			}
		}
		lines = append(lines, line)
	}
	return fmt.Errorf("join %s: %s", strings.Join(addrs, ", "), strings.Join(lines, "; "))
}

// SerfAddr is the Serf address other servers join, "" without Serf.
func (s *Server) SerfAddr() string {
	if s.serf == nil {
		return ""
	}
	m := s.serf.LocalMember()
	return net.JoinHostPort(m.Addr.String(), strconv.Itoa(int(m.Port)))
}

// serverMembers is every drover server Serf knows in this region
// (alive or not), by name.
func (s *Server) serverMembers() []*serverParts {
	if s.serf == nil {
		return nil
	}
	var out []*serverParts
	for _, m := range s.serf.Members() {
		if p, ok := isServer(m); ok && p.Region == s.config.Region {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Members lists every server Serf knows (all regions), with the leader
// marked, for `server members`. Without Serf it lists this server.
func (s *Server) Members() []*structs.ServerMember {
	leaderRaft, _ := s.raft.LeaderWithID()
	if s.serf == nil {
		self := &structs.ServerMember{Name: s.config.NodeName, ID: s.config.NodeName, Status: structs.MemberStatusAlive,
			Region: s.config.Region, Datacenter: s.config.Datacenter, RPCAddr: s.rpcAddr, RaftVersion: raftProtocol,
			RaftAddr: string(s.parts.transport.LocalAddr()), Build: s.config.Build, Expect: s.config.BootstrapExpect,
			Leader: s.IsLeader()}
		if host, port, err := net.SplitHostPort(s.rpcAddr); err == nil {
			self.Addr = host
			self.Port, _ = strconv.Atoi(port)
		}
		return []*structs.ServerMember{self}
	}
	var out []*structs.ServerMember
	for _, m := range s.serf.Members() {
		p, ok := isServer(m)
		if !ok {
			continue
		}
		out = append(out, &structs.ServerMember{
			Name: p.Name, Addr: p.Addr.String(), Port: int(p.Port), Status: memberStatus(p.Status),
			Leader: p.Region == s.config.Region && leaderRaft != "" && p.RaftAddr == string(leaderRaft),
			ID:     p.ID, Region: p.Region, Datacenter: p.Datacenter, RPCAddr: p.RPCAddr, RaftAddr: p.RaftAddr,
			RaftVersion: p.RaftVsn, Build: p.Build, Expect: p.Expect, Tags: p.Tags,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func memberStatus(st serf.MemberStatus) string {
	switch st {
	case serf.StatusAlive:
		return structs.MemberStatusAlive
	case serf.StatusLeaving:
		return structs.MemberStatusLeaving
	case serf.StatusLeft:
		return structs.MemberStatusLeft
	case serf.StatusFailed:
		return structs.MemberStatusFailed
	}
	return st.String()
}

// rpcAddrOfRaft maps a server's Raft address to its RPC address, "" when
// no server with that Raft address is known.
func (s *Server) rpcAddrOfRaft(raftAddr string) string {
	if raftAddr == string(s.parts.transport.LocalAddr()) {
		return s.rpcAddr
	}
	for _, p := range s.serverMembers() {
		if p.RaftAddr == raftAddr {
			return p.RPCAddr
		}
	}
	return ""
}

// serverRPCAddrs is every alive server's RPC address, this one first,
// for clients' server lists.
func (s *Server) serverRPCAddrs() []string {
	out := []string{s.rpcAddr}
	for _, p := range s.serverMembers() {
		if p.Status == serf.StatusAlive && p.RPCAddr != "" && p.RPCAddr != s.rpcAddr {
			out = append(out, p.RPCAddr)
		}
	}
	return out
}

// ForceLeave marks a failed server as left in Serf, so the leader removes
// it from Raft now instead of waiting for autopilot.
func (s *Server) ForceLeave(node string) error {
	if s.serf == nil {
		return errNoSerf
	}
	for _, p := range s.serverMembers() {
		if p.Name == node && p.Status == serf.StatusAlive {
			return fmt.Errorf("force-leave %q: the server is alive; only failed servers can be forced out: %w", node, structs.ErrInvalid)
		}
	}
	if err := s.serf.RemoveFailedNode(node); err != nil {
		return fmt.Errorf("force-leave %q: %w", node, err)
	}
	s.nudgeReconcile()
	return nil
}
