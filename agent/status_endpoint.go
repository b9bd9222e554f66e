package agent

import (
	"net/http"
	"runtime"
	"strconv"

	"github.com/droverhq/drover/structs"
)

// statusLeader answers GET /v1/status/leader with the leader's RPC address
// as a JSON string ("" when there is none).
func (s *httpServer) statusLeader(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.srv == nil {
		return nil, errNoServer
	}
	return s.srv.Leader(), nil
}

// statusPeers answers GET /v1/status/peers with the Raft peers' addresses.
func (s *httpServer) statusPeers(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.srv == nil {
		return nil, errNoServer
	}
	return emptyIfNil(s.srv.Peers()), nil
}

// AgentSelf answers GET /v1/agent/self.
type AgentSelf struct {
	Config *Config                      `json:"config"`
	Member AgentMember                  `json:"member"`
	Stats  map[string]map[string]string `json:"stats"`
}

// AgentMember describes this agent as a cluster member, as Nomad's.
type AgentMember struct {
	Name   string
	Addr   string
	Port   int
	Tags   map[string]string
	Status string
}

// agentSelf answers GET /v1/agent/self.
func (s *httpServer) agentSelf(w http.ResponseWriter, r *http.Request) (any, error) {
	out := &AgentSelf{Stats: map[string]map[string]string{"runtime": runtimeStats()}}
	if a := s.agent; a != nil {
		out.Config = a.cfg
		out.Member = a.member()
	}
	if s.srv != nil {
		out.Stats["server"] = s.srv.Stats()
	}
	if s.client != nil {
		out.Stats["client"] = s.client.Stats()
	}
	return out, nil
}

// runtimeStats are the Go runtime's figures.
func runtimeStats() map[string]string {
	return map[string]string{
		"version":    runtime.Version(),
		"arch":       runtime.GOARCH,
		"os":         runtime.GOOS,
		"goroutines": strconv.Itoa(runtime.NumGoroutine()),
		"max_procs":  strconv.Itoa(runtime.GOMAXPROCS(0)),
		"cpu_count":  strconv.Itoa(runtime.NumCPU()),
	}
}

// HealthStatus is one part's health in /v1/agent/health.
type HealthStatus struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

// AgentHealth answers GET /v1/agent/health; absent parts are not running.
type AgentHealth struct {
	Server *HealthStatus `json:"server,omitempty"`
	Client *HealthStatus `json:"client,omitempty"`
}

// agentHealth answers GET /v1/agent/health: 200 when every part this agent
// runs is healthy, else 500 with the same body.
func (s *httpServer) agentHealth(w http.ResponseWriter, r *http.Request) (any, error) {
	out := &AgentHealth{}
	ok := true
	if s.srv != nil {
		out.Server = &HealthStatus{OK: true, Message: "ok"}
		if s.srv.Leader() == "" {
			out.Server = &HealthStatus{Message: structs.ErrNoLeader.Error()}
			ok = false
		}
	}
	if s.client != nil {
		out.Client = &HealthStatus{OK: true, Message: "ok"}
		if s.client.Stats()["registered"] != "true" {
			out.Client = &HealthStatus{Message: "client has not registered its node yet"}
			ok = false
		}
	}
	if !ok {
		return &withStatus{code: http.StatusInternalServerError, body: out}, nil
	}
	return out, nil
}
