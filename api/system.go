package api

// System is the system endpoint group (Nomad's /v1/system).
type System struct{ c *Client }

// System returns the system endpoints.
func (c *Client) System() *System { return &System{c: c} }

// GCResult says what a forced garbage collection deleted.
type GCResult struct {
	Evals  int
	Allocs int
}

// GarbageCollect forces a garbage collection on the servers: terminal
// evaluations and allocations of stopped and purged jobs are deleted, and
// the clients then destroy those allocations locally.
func (s *System) GarbageCollect() (*GCResult, error) {
	var out GCResult
	if _, err := s.c.write("PUT", "/v1/system/gc", nil, &out, nil); err != nil {
		return nil, err
	}
	return &out, nil
}
