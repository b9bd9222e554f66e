package server

import (
	"fmt"
	"sync/atomic"

	"github.com/droverhq/drover/structs"
)

// planStats counts what the plan applier answered the workers: plans
// submitted, and plans partly rejected (a node no longer fit, so the
// scheduler refreshed its state and retried). Safe for concurrent use.
type planStats struct {
	submitted atomic.Uint64
	rejected  atomic.Uint64
}

// record counts one plan's result.
func (p *planStats) record(result *structs.PlanResult) {
	p.submitted.Add(1)
	if result != nil && result.RefreshIndex != 0 {
		p.rejected.Add(1)
	}
}

// addTo writes the counters into a Stats map.
func (p *planStats) addTo(out map[string]string) {
	out["plan.submitted"] = fmt.Sprint(p.submitted.Load())
	out["plan.rejected"] = fmt.Sprint(p.rejected.Load())
}

// PlanStats returns how many plans the workers submitted and how many of
// them were partly rejected, since the server started.
func (s *Server) PlanStats() (submitted, rejected uint64) {
	return s.planStats.submitted.Load(), s.planStats.rejected.Load()
}
