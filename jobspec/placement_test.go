package jobspec

import (
	"testing"

	"github.com/droverhq/drover/api"
)

func TestConstraintForms(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []*api.Constraint
	}{
		{"default operator", `attribute = "${attr.os.name}"
value = "ubuntu"`, []*api.Constraint{{LTarget: "${attr.os.name}", RTarget: "ubuntu", Operand: "="}}},
		{"explicit operator", `attribute = "${attr.cpu.numcores}"
operator = ">="
value = 4`, []*api.Constraint{{LTarget: "${attr.cpu.numcores}", RTarget: "4", Operand: ">="}}},
		{"is_set", `attribute = "${meta.ssd}"
operator = "is_set"`, []*api.Constraint{{LTarget: "${meta.ssd}", Operand: "is_set"}}},
		{"distinct_hosts", `distinct_hosts = true`, []*api.Constraint{{Operand: "distinct_hosts"}}},
		{"distinct_hosts false", `distinct_hosts = false`, nil},
		{"distinct_property", `distinct_property = "${meta.rack}"`,
			[]*api.Constraint{{LTarget: "${meta.rack}", Operand: "distinct_property"}}},
		{"distinct_property limit", `distinct_property = "${meta.rack}"
value = 2`, []*api.Constraint{{LTarget: "${meta.rack}", RTarget: "2", Operand: "distinct_property"}}},
		{"regexp", `attribute = "${attr.kernel.version}"
regexp = "^5\\."`, []*api.Constraint{{LTarget: "${attr.kernel.version}", RTarget: `^5\.`, Operand: "regexp"}}},
		{"version", `attribute = "${attr.kernel.version}"
version = ">= 1.2"`, []*api.Constraint{{LTarget: "${attr.kernel.version}", RTarget: ">= 1.2", Operand: "version"}}},
		{"semver", `attribute = "${attr.driver.x.version}"
semver = "~> 2.0"`, []*api.Constraint{{LTarget: "${attr.driver.x.version}", RTarget: "~> 2.0", Operand: "semver"}}},
		{"set_contains", `attribute = "${meta.features}"
set_contains = "a,b"`, []*api.Constraint{{LTarget: "${meta.features}", RTarget: "a,b", Operand: "set_contains"}}},
		{"set_contains_any", `attribute = "${meta.features}"
set_contains_any = "a"`, []*api.Constraint{{LTarget: "${meta.features}", RTarget: "a", Operand: "set_contains_any"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := mustParse(t, jobOf("constraint {\n"+tt.body+"\n}"))
			assertEqual(t, j.Constraints, tt.want)
		})
	}
}

func TestAffinityForms(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *api.Affinity
	}{
		{"default weight", `attribute = "${node.class}"
value = "big"`, &api.Affinity{LTarget: "${node.class}", RTarget: "big", Operand: "=", Weight: 50}},
		{"negative weight", `attribute = "${node.class}"
value = "big"
weight = -100`, &api.Affinity{LTarget: "${node.class}", RTarget: "big", Operand: "=", Weight: -100}},
		{"set_contains_all", `attribute = "${meta.tags}"
set_contains_all = "x,y"
weight = 10`, &api.Affinity{LTarget: "${meta.tags}", RTarget: "x,y", Operand: "set_contains_all", Weight: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := mustParse(t, groupOf("affinity {\n"+tt.body+"\n}\ntask \"t\" {}"))
			assertEqual(t, j.TaskGroups[0].Affinities, []*api.Affinity{tt.want})
		})
	}
}

func TestSpreadDefaults(t *testing.T) {
	j := mustParse(t, jobOf(`spread {
  attribute = "${meta.rack}"
}`))
	assertEqual(t, j.Spreads, []*api.Spread{{Attribute: "${meta.rack}", Weight: 50}})
}

func TestGroupCountDefault(t *testing.T) {
	tests := []struct {
		name string
		body string
		want int
	}{
		{"absent", `task "t" {}`, 1},
		{"zero", "count = 0\ntask \"t\" {}", 0},
		{"set", "count = 7\ntask \"t\" {}", 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := mustParse(t, groupOf(tt.body))
			if c := j.TaskGroups[0].Count; c == nil || *c != tt.want {
				t.Errorf("Count: got %v, want %d", c, tt.want)
			}
		})
	}
}
