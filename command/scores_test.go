package command

import (
	"bytes"
	"strings"
	"testing"

	"github.com/droverhq/drover/api"
)

func TestWriteScoresColumnOrder(t *testing.T) {
	var buf bytes.Buffer
	writeScores(&buf, &api.AllocMetric{ScoreMetaData: []*api.NodeScoreMeta{{
		NodeID: "n1", NormScore: 0.8,
		Scores: map[string]float64{"allocation-spread": 0.5, "binpack": 0.9, "job-anti-affinity": -0.2, "node-affinity": 1, "zz-custom": 0.1},
	}}})
	header := strings.Fields(strings.SplitN(buf.String(), "\n", 2)[0])
	want := []string{"Node", "binpack", "job-anti-affinity", "node-affinity", "allocation-spread", "zz-custom", "final", "score"}
	if strings.Join(header, " ") != strings.Join(want, " ") {
		t.Fatalf("header: got %q, want %q", header, want)
	}
	if !strings.Contains(buf.String(), "n1") || !strings.Contains(buf.String(), "0.9") {
		t.Fatalf("row missing: %s", buf.String())
	}
}
