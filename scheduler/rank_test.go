package scheduler

import (
	"testing"

	"github.com/droverhq/drover/structs"
)

// Two nodes, one half full with another job: bin-pack picks it, spread
// picks the empty one.
func TestSchedulerAlgorithm(t *testing.T) {
	tests := []struct {
		name   string
		config *structs.SchedulerConfiguration
		want   int // index of the node chosen
	}{
		{"default is binpack: fullest", nil, 1},
		{"binpack: fullest", &structs.SchedulerConfiguration{SchedulerAlgorithm: structs.SchedulerAlgorithmBinpack}, 1},
		{"spread: emptiest", &structs.SchedulerConfiguration{SchedulerAlgorithm: structs.SchedulerAlgorithmSpread}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, nodes := newTestHarness(t, 2)
			h.SetSchedulerConfig(tt.config)
			other := lowJob(50)
			h.UpsertJob(other)
			h.UpsertAllocs(allocOf(other, nodes[1], 0, 2000, 4096))
			job := MockServiceJob()
			job.TaskGroups[0].Count = 1
			h.UpsertJob(job)
			process(t, h, job)
			placed := planned(lastPlan(t, h))
			if len(placed) != 1 || placed[0].NodeID != nodes[tt.want].ID {
				t.Fatalf("placed on %v, want node-%d", placed, tt.want)
			}
		})
	}
}

// The spread algorithm levels load: 8 instances on 4 equal nodes, with
// no anti-affinity help beyond the default, end up 2 per node.
func TestSpreadAlgorithmLevels(t *testing.T) {
	h, nodes := newTestHarness(t, 4)
	h.SetSchedulerConfig(&structs.SchedulerConfiguration{SchedulerAlgorithm: structs.SchedulerAlgorithmSpread})
	job := MockServiceJob()
	job.TaskGroups[0].Count = 80
	job.TaskGroups[0].Tasks[0].Resources = &structs.Resources{CPU: 10, MemoryMB: 10}
	h.UpsertJob(job)
	process(t, h, job)
	per := liveByNode(h, job)
	for _, n := range nodes {
		if got := len(per[n.ID]); got < 15 || got > 25 {
			t.Errorf("node %s got %d of 80 instances, want about 20", n.Name, got)
		}
	}
}

func TestScoreMetaData(t *testing.T) {
	h, nodes := newTestHarness(t, 10)
	for i, n := range nodes {
		if i%2 == 0 {
			n.Meta["rack"] = "r2"
		}
	}
	h.UpsertNodes(nodes...)
	job := MockServiceJob()
	job.TaskGroups[0].Count = 3
	job.Affinities = []*structs.Affinity{{LTarget: "${meta.rack}", Operand: "=", RTarget: "r2", Weight: 50}}
	h.UpsertJob(job)
	process(t, h, job)
	for _, a := range planned(lastPlan(t, h)) {
		meta := a.Metrics.ScoreMetaData
		if len(meta) == 0 || len(meta) > scoreMetaNodes {
			t.Fatalf("ScoreMetaData has %d nodes, want 1..%d", len(meta), scoreMetaNodes)
		}
		if meta[0].NodeID != a.NodeID {
			t.Errorf("ScoreMetaData[0] is node %s, want the chosen node %s", meta[0].NodeID, a.NodeID)
		}
		for i, m := range meta {
			if i > 0 && m.NormScore > meta[i-1].NormScore {
				t.Errorf("ScoreMetaData not best first: %v then %v", meta[i-1].NormScore, m.NormScore)
			}
			sum := 0.0
			for _, k := range []string{ScoreBinPack, ScoreJobAntiAffinity, ScoreNodeAffinity} {
				v, ok := m.Scores[k]
				if !ok {
					t.Fatalf("Scores = %v, want a %q entry", m.Scores, k)
				}
				sum += v
			}
			if diff := sum - m.NormScore; diff > 1e-9 || diff < -1e-9 {
				t.Errorf("NormScore %v, want the sum of the parts %v", m.NormScore, sum)
			}
		}
		if a.Metrics.ScoreMetaData[0].Scores[ScoreNodeAffinity] != 1 {
			t.Errorf("chosen node's affinity = %v, want 1 (rack r2)", a.Metrics.ScoreMetaData[0].Scores)
		}
	}
	// System placements report the chosen node.
	sys := mockSystemJob(structs.JobTypeSystem)
	h.UpsertJob(sys)
	process(t, h, sys)
	for _, a := range planned(lastPlan(t, h)) {
		if m := a.Metrics.ScoreMetaData; len(m) != 1 || m[0].NodeID != a.NodeID || m[0].Scores[ScoreBinPack] <= 0 {
			t.Fatalf("system ScoreMetaData = %+v, want the chosen node with a binpack score", m)
		}
	}
}

func TestMemoryOversubscription(t *testing.T) {
	for _, enabled := range []bool{false, true} {
		h, _ := newTestHarness(t, 1)
		if enabled {
			h.SetSchedulerConfig(&structs.SchedulerConfiguration{MemoryOversubscriptionEnabled: true})
		}
		job := MockServiceJob()
		job.TaskGroups[0].Count = 1
		job.TaskGroups[0].Tasks[0].Resources.MemoryMaxMB = 1024
		h.UpsertJob(job)
		process(t, h, job)
		got := planned(lastPlan(t, h))[0].AllocatedResources.Tasks["web"].Memory.MemoryMaxMB
		want := int64(0)
		if enabled {
			want = 1024
		}
		if got != want {
			t.Errorf("oversubscription %v: MemoryMaxMB = %d, want %d", enabled, got, want)
		}
	}
}
