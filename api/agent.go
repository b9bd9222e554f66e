package api

// AgentSelf is the answer of GET /v1/agent/self. Its sections are loosely
// typed because they mirror the agent's configuration and stats.
type AgentSelf struct {
	Config map[string]interface{} `json:"config"`
	Member map[string]interface{} `json:"member"`
	Stats  map[string]interface{} `json:"stats"`
}

// AgentHealth is the answer of GET /v1/agent/health.
type AgentHealth struct {
	Client *AgentHealthStatus `json:"client,omitempty"`
	Server *AgentHealthStatus `json:"server,omitempty"`
}

// AgentHealthStatus is the health of one side of an agent.
type AgentHealthStatus struct {
	Ok      bool   `json:"ok"`
	Message string `json:"message"`
}

// Agent is the agent endpoint group.
type Agent struct{ c *Client }

// Agent returns the agent endpoints.
func (c *Client) Agent() *Agent { return &Agent{c: c} }

// Self returns the agent's configuration, membership and stats.
func (a *Agent) Self() (*AgentSelf, error) {
	var out AgentSelf
	if _, err := a.c.query("/v1/agent/self", &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// Health returns the agent's health.
func (a *Agent) Health() (*AgentHealth, error) {
	var out AgentHealth
	if _, err := a.c.query("/v1/agent/health", &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}
