package benchmark

import (
	"testing"

	"github.com/droverhq/drover/structs"
)

func TestRunPlacesEverything(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"binpack", Config{Nodes: 50, Count: 500}},
		{"spread over datacenters", Config{Nodes: 30, Count: 300, Spread: true}},
		{"spread over datacenters, large", Config{Nodes: 300, Count: 6000, Spread: true}},
		{"spread algorithm", Config{Nodes: 20, Count: 100, Algorithm: structs.SchedulerAlgorithmSpread}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Build(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Place()
			if err != nil {
				t.Fatal(err)
			}
			if res.Placed != tt.cfg.Count || res.Nodes != tt.cfg.Nodes || res.Count != tt.cfg.Count {
				t.Fatalf("got %+v, want %d placed on %d nodes", res, tt.cfg.Count, tt.cfg.Nodes)
			}
			allocs, _ := c.Store.AllocsByJob(nil, c.Job.Namespace, c.Job.ID)
			perNode, perDC := map[string]int{}, map[string]int{}
			for _, a := range allocs {
				perNode[a.NodeID]++
			}
			for id, n := range perNode {
				node, _ := c.Store.NodeByID(nil, id)
				perDC[node.Datacenter] += n
				// No node overcommitted: 4,000 MHz / 100 MHz = 40 allocations at most.
				if n > NodeCPU/AllocCPU {
					t.Errorf("node %s holds %d allocs, more than fit", id, n)
				}
			}
			if tt.cfg.Spread {
				for dc, n := range perDC {
					// Weight 100: the split follows the shares to one instance.
					if want := tt.cfg.Count / len(Datacenters); n < want-1 || n > want+1 {
						t.Errorf("datacenter %s got %d allocs, want %d ± 1 (per dc %v)", dc, n, want, perDC)
					}
				}
			}
		})
	}
}

func TestRunTooManyLeavesRest(t *testing.T) {
	res, err := Run(Config{Nodes: 2, Count: 100}) // 2 nodes hold 80
	if err != nil {
		t.Fatal(err)
	}
	if res.Placed != 2*NodeCPU/AllocCPU {
		t.Fatalf("got %d placed, want %d (the nodes' capacity)", res.Placed, 2*NodeCPU/AllocCPU)
	}
}

func TestBuildRejectsEmpty(t *testing.T) {
	if _, err := Build(Config{Nodes: 0, Count: 1}); err == nil {
		t.Fatal("got no error for zero nodes")
	}
}

// benchmarkPlace measures Place alone: building the cluster is untimed.
func benchmarkPlace(b *testing.B, cfg Config) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c, err := Build(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := c.Place()
		if err != nil {
			b.Fatal(err)
		}
		if res.Placed != cfg.Count {
			b.Fatalf("placed %d of %d", res.Placed, cfg.Count)
		}
		b.ReportMetric(res.PlacementsPerSec, "placements/s")
	}
}

func BenchmarkPlace1000x10000(b *testing.B) { benchmarkPlace(b, Config{Nodes: 1000, Count: 10000}) }

func BenchmarkPlace5000x50000(b *testing.B) { benchmarkPlace(b, Config{Nodes: 5000, Count: 50000}) }

func BenchmarkPlaceSpread1000x10000(b *testing.B) {
	benchmarkPlace(b, Config{Nodes: 1000, Count: 10000, Spread: true})
}

func BenchmarkPlaceSpread5000x50000(b *testing.B) {
	benchmarkPlace(b, Config{Nodes: 5000, Count: 50000, Spread: true})
}
