package state

import (
	"errors"
	"testing"
	"time"

	"github.com/droverhq/drover/structs"
)

func TestUpdateNodeDrain(t *testing.T) {
	deadline := time.Unix(1000, 0)
	tests := []struct {
		name             string
		strategy         *structs.DrainStrategy
		markEligible     bool
		wantDrain        bool
		wantEligibility  string
		wantDeadlineUnix int64
	}{
		{name: "start", strategy: &structs.DrainStrategy{ForceDeadline: deadline},
			wantDrain: true, wantEligibility: structs.NodeSchedulingIneligible, wantDeadlineUnix: 1000},
		{name: "start ignores MarkEligible", strategy: &structs.DrainStrategy{}, markEligible: true,
			wantDrain: true, wantEligibility: structs.NodeSchedulingIneligible},
		{name: "end keeps ineligible", wantEligibility: structs.NodeSchedulingIneligible},
		{name: "end marks eligible", markEligible: true, wantEligibility: structs.NodeSchedulingEligible},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			must(t, s.UpsertNode(1, testNode("n1")))
			must(t, s.UpdateNodeDrain(2, "n1", &structs.DrainStrategy{}, false))
			must(t, s.UpdateNodeDrain(3, "n1", tt.strategy, tt.markEligible))
			n := get[*structs.Node](t)(s.NodeByID(nil, "n1"))
			if n.Drain != tt.wantDrain || (n.DrainStrategy != nil) != tt.wantDrain {
				t.Errorf("Drain = %v, strategy %v; want drain %v", n.Drain, n.DrainStrategy, tt.wantDrain)
			}
			if n.SchedulingEligibility != tt.wantEligibility {
				t.Errorf("eligibility = %q, want %q", n.SchedulingEligibility, tt.wantEligibility)
			}
			if d, ok := n.DrainStrategy.DeadlineTime(); ok != (tt.wantDeadlineUnix != 0) || (ok && d.Unix() != tt.wantDeadlineUnix) {
				t.Errorf("deadline = %v (%v), want unix %d", d, ok, tt.wantDeadlineUnix)
			}
			if n.ModifyIndex != 3 {
				t.Errorf("ModifyIndex = %d, want 3", n.ModifyIndex)
			}
		})
	}
}

func TestDrainSurvivesReregistration(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNode(1, testNode("n1")))
	must(t, s.UpsertNode(2, testNode("n2")))
	must(t, s.UpdateNodeDrain(3, "n1", &structs.DrainStrategy{DrainSpec: structs.DrainSpec{IgnoreSystemJobs: true}}, false))
	must(t, s.UpsertNode(4, testNode("n1")))
	n := get[*structs.Node](t)(s.NodeByID(nil, "n1"))
	if !n.Drain || n.DrainStrategy == nil || !n.DrainStrategy.IgnoreSystemJobs {
		t.Errorf("re-register: drain %v strategy %+v, want the drain kept", n.Drain, n.DrainStrategy)
	}
	draining := get[[]*structs.Node](t)(s.DrainingNodes())
	if len(draining) != 1 || draining[0].ID != "n1" {
		t.Errorf("DrainingNodes = %d nodes, want only n1", len(draining))
	}
	if err := s.UpdateNodeDrain(5, "nope", nil, false); !errors.Is(err, structs.ErrNotFound) {
		t.Errorf("drain of unknown node: got %v, want ErrNotFound", err)
	}
}
