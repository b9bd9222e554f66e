package api

import "net/http"

// ServerMembers is the answer of GET /v1/agent/members.
type ServerMembers struct {
	ServerName   string
	ServerRegion string
	ServerDC     string
	Members      []*AgentMember
}

// AgentMember is one server as Serf sees it.
type AgentMember struct {
	Name        string
	Addr        string
	Port        int
	Tags        map[string]string
	Status      string
	Leader      bool
	ID          string
	Region      string
	Datacenter  string
	RPCAddr     string
	RaftAddr    string
	RaftVersion string
	Build       string
}

// JoinResponse is the answer of PUT /v1/agent/join.
type JoinResponse struct {
	NumJoined int    `json:"num_joined"`
	Error     string `json:"error"`
}

// Members lists the servers the agent's server knows through Serf.
func (a *Agent) Members() (*ServerMembers, error) {
	var out ServerMembers
	if _, err := a.c.query("/v1/agent/members", &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// Join asks the agent's server to join the servers at addrs (Serf
// addresses, port 8648 unless given) and returns how many it reached.
func (a *Agent) Join(addrs ...string) (int, error) {
	r := a.c.newRequest(http.MethodPut, "/v1/agent/join")
	for _, addr := range addrs {
		r.params.Add("address", addr)
	}
	var out JoinResponse
	if _, err := a.c.send(r, &out); err != nil {
		return 0, err
	}
	if out.Error != "" {
		return out.NumJoined, &JoinError{Msg: out.Error}
	}
	return out.NumJoined, nil
}

// JoinError is a join the server reported as failed.
type JoinError struct{ Msg string }

func (e *JoinError) Error() string { return e.Msg }

// ForceLeave marks a failed server as left.
func (a *Agent) ForceLeave(node string) error {
	r := a.c.newRequest(http.MethodPut, "/v1/agent/force-leave")
	r.params.Set("node", node)
	_, err := a.c.send(r, nil)
	return err
}
