package jobspec

import (
	"testing"
)

// TestRuntimeReferences checks that what the client interpolates survives
// parsing as literal text, and that parse-time expressions are evaluated.
func TestRuntimeReferences(t *testing.T) {
	tests := []struct {
		name string
		expr string // an HCL expression, the value of env X
		want string
	}{
		{"attr", `"${attr.kernel.name}"`, "${attr.kernel.name}"},
		{"attr dashed", `"${attr.unique.network.ip-address}"`, "${attr.unique.network.ip-address}"},
		{"node", `"${node.unique.name}"`, "${node.unique.name}"},
		{"node datacenter", `"${node.datacenter}"`, "${node.datacenter}"},
		{"meta", `"${meta.rack}"`, "${meta.rack}"},
		{"meta index", `"${meta["my.key"]}"`, `${meta["my.key"]}`},
		{"env", `"${env.HOME}"`, "${env.HOME}"},
		{"nomad port", `"${NOMAD_PORT_http}"`, "${NOMAD_PORT_http}"},
		{"nomad alloc", `"${NOMAD_ALLOC_ID}"`, "${NOMAD_ALLOC_ID}"},
		{"nomad meta", `"${NOMAD_META_owner}"`, "${NOMAD_META_owner}"},
		{"drover", `"${DROVER_TASK_DIR}/x"`, "${DROVER_TASK_DIR}/x"},
		{"upper-case env", `"${PATH}:/opt/bin"`, "${PATH}:/opt/bin"},
		{"mixed", `"http://${NOMAD_ADDR_http}/${node.unique.name}?a=${attr.cpu.arch}"`,
			"http://${NOMAD_ADDR_http}/${node.unique.name}?a=${attr.cpu.arch}"},
		{"with spaces", `"${ attr.kernel.name }"`, "${attr.kernel.name}"},
		{"escaped", `"$${foo}"`, "${foo}"},
		{"numeric index", `"${attr.list[0]}"`, "${attr.list[0]}"},
		{"in function", `join(",", ["${attr.a}", "b"])`, "${attr.a},b"},
		{"parse-time", `"${upper("x")}-${1 + 2}"`, "X-3"},
		{"heredoc", "<<EOT\nhost ${node.unique.name}\nEOT", "host ${node.unique.name}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := mustParse(t, taskOf("env {\nX = "+tt.expr+"\n}"))
			if got := firstTask(j).Env["X"]; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFunctions(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{`upper("a")`, "A"},
		{`lower("A")`, "a"},
		{`format("%s-%d", "a", 1)`, "a-1"},
		{`join("-", concat(["a"], ["b"]))`, "a-b"},
		{`split(",", "a,b")[1]`, "b"},
		{`length([1, 2, 3])`, "3"},
		{`lookup({a = "1"}, "b", "dflt")`, "dflt"},
		{`merge({a = 1}, {b = 2})["b"]`, "2"},
		{`jsonencode({a = [1]})`, `{"a":[1]}`},
		{`trimspace(file("testdata/snippet.txt"))`, "file contents"},
		{`try(var.nope, "fallback")`, "fallback"},
		{`replace("a.b", ".", "_")`, "a_b"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			// file() reads relative to the job file's folder.
			j, err := Parse(&ParseConfig{Path: "job.hcl", Body: []byte(taskOf("env {\nX = " + tt.expr + "\n}"))})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := firstTask(j).Env["X"]; got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFileRelativeToJobFile(t *testing.T) {
	j, err := Parse(&ParseConfig{Path: "testdata/job.hcl", Body: []byte(taskOf(`env {
X = trimspace(file("snippet.txt"))
}`))})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := firstTask(j).Env["X"]; got != "file contents" {
		t.Errorf("got %q, want %q", got, "file contents")
	}
}

func TestConfigFreeForm(t *testing.T) {
	j := mustParse(t, taskOf(`driver = "docker"
config {
  image   = "redis:7"
  ports   = ["db"]
  big     = 10000000000
  neg     = -3
  half    = 1.5
  on      = true
  nothing = null
  obj     = { a = { b = [1, "x"] } }

  logging {
    type = "syslog"
    config {
      tag = "redis"
    }
  }

  mount "bind" {
    target = "/data"
  }
}`))
	want := map[string]interface{}{
		"image": "redis:7", "ports": []interface{}{"db"}, "big": 10000000000, "neg": -3,
		"half": 1.5, "on": true, "nothing": nil,
		"obj": map[string]interface{}{"a": map[string]interface{}{"b": []interface{}{1, "x"}}},
		"logging": []interface{}{map[string]interface{}{
			"type":   "syslog",
			"config": []interface{}{map[string]interface{}{"tag": "redis"}},
		}},
		"mount": []interface{}{map[string]interface{}{"bind": map[string]interface{}{"target": "/data"}}},
	}
	assertEqual(t, firstTask(j).Config, want)

	j = mustParse(t, taskOf(`config = { command = "/bin/true" }`))
	assertEqual(t, firstTask(j).Config, map[string]interface{}{"command": "/bin/true"})
}
