package state

import (
	"errors"
	"testing"

	"github.com/droverhq/drover/structs"
)

func TestUpsertNode(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNode(10, testNode("n1")))
	n := get[*structs.Node](t)(s.NodeByID(nil, "n1"))
	if n.CreateIndex != 10 || n.ModifyIndex != 10 {
		t.Errorf("indexes = %d/%d, want 10/10", n.CreateIndex, n.ModifyIndex)
	}
	if n.ComputedClass == "" || n.SchedulingEligibility != structs.NodeSchedulingEligible {
		t.Errorf("class %q eligibility %q: want a class and %q", n.ComputedClass, n.SchedulingEligibility, structs.NodeSchedulingEligible)
	}

	must(t, s.UpdateNodeEligibility(11, "n1", structs.NodeSchedulingIneligible))
	again := testNode("n1")
	again.Name = "renamed"
	must(t, s.UpsertNode(12, again))
	n = get[*structs.Node](t)(s.NodeByID(nil, "n1"))
	if n.CreateIndex != 10 || n.ModifyIndex != 12 || n.Name != "renamed" {
		t.Errorf("re-register: got create %d modify %d name %q, want 10, 12, renamed", n.CreateIndex, n.ModifyIndex, n.Name)
	}
	if n.SchedulingEligibility != structs.NodeSchedulingIneligible {
		t.Errorf("re-register reset eligibility to %q, want it kept", n.SchedulingEligibility)
	}
	if again.CreateIndex != 0 || again.ComputedClass != "" {
		t.Errorf("UpsertNode changed its argument")
	}
	if got := s.Index(TableNodes); got != 12 {
		t.Errorf("Index(nodes) = %d, want 12", got)
	}
}

func TestNodeStatusAndDelete(t *testing.T) {
	s := newStore(t)
	must(t, s.UpsertNode(1, testNode("aa1")))
	must(t, s.UpsertNode(2, testNode("aa2")))
	must(t, s.UpsertNode(3, testNode("bb1")))
	before := s.Snapshot()

	must(t, s.UpdateNodeStatus(4, "aa1", structs.NodeStatusDown, 99))
	n := get[*structs.Node](t)(s.NodeByID(nil, "aa1"))
	if n.Status != structs.NodeStatusDown || n.StatusUpdatedAt != 99 || n.ModifyIndex != 4 {
		t.Errorf("got status %q at %d index %d, want down at 99 index 4", n.Status, n.StatusUpdatedAt, n.ModifyIndex)
	}
	if old := get[*structs.Node](t)(before.NodeByID(nil, "aa1")); old.Status != structs.NodeStatusReady {
		t.Errorf("snapshot saw a later write: status %q", old.Status)
	}
	if err := s.UpdateNodeStatus(5, "nope", structs.NodeStatusDown, 1); !errors.Is(err, structs.ErrNotFound) {
		t.Errorf("status of unknown node: got %v, want ErrNotFound", err)
	}
	if err := s.UpdateNodeEligibility(5, "aa1", "maybe"); !errors.Is(err, structs.ErrInvalid) {
		t.Errorf("bad eligibility: got %v, want ErrInvalid", err)
	}

	if got := len(get[[]*structs.Node](t)(s.NodesByIDPrefix(nil, "aa"))); got != 2 {
		t.Errorf("prefix aa: %d nodes, want 2", got)
	}
	must(t, s.DeleteNodes(6, []string{"aa1", "missing"}))
	nodes := get[[]*structs.Node](t)(s.NodesList(nil))
	if len(nodes) != 2 || nodes[0].ID != "aa2" || nodes[1].ID != "bb1" {
		t.Errorf("after delete: %d nodes, want aa2, bb1", len(nodes))
	}
	if got := s.LatestIndex(); got != 6 {
		t.Errorf("LatestIndex = %d, want 6", got)
	}
}
