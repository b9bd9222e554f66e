package jobspec

import (
	"testing"

	"github.com/droverhq/drover/api"
)

func TestDynamicBlocks(t *testing.T) {
	j := mustParse(t, `variable "ports" {
  default = ["http", "grpc"]
}

variable "workers" {
  default = { a = 100, b = 200 }
}

job "dyn" {
  dynamic "group" {
    for_each = var.workers
    labels   = ["worker-${group.key}"]

    content {
      network {
        dynamic "port" {
          for_each = var.ports
          labels   = [port.value]
          content {}
        }
      }

      task "run" {
        driver = "mock"

        config {
          name = "w-${group.key}"

          dynamic "mount" {
            for_each = ["x", "y"]
            content {
              source = mount.value
            }
          }
        }

        env {
          ADDR = "${NOMAD_ADDR_http}"
          KEY  = group.key
        }

        resources {
          cpu = group.value
        }
      }
    }
  }
}`)
	if got := len(j.TaskGroups); got != 2 {
		t.Fatalf("groups: got %d, want 2", got)
	}
	g := j.TaskGroups[1]
	if g.Name != "worker-b" {
		t.Errorf("group name: got %q, want worker-b", g.Name)
	}
	assertEqual(t, g.Networks[0].DynamicPorts, []api.Port{{Label: "http"}, {Label: "grpc"}})
	task := g.Tasks[0]
	assertEqual(t, task.Config, map[string]interface{}{
		"name": "w-b",
		"mount": []interface{}{
			map[string]interface{}{"source": "x"},
			map[string]interface{}{"source": "y"},
		},
	})
	if task.Resources.CPU != 200 {
		t.Errorf("CPU: got %d, want 200", task.Resources.CPU)
	}
	assertEqual(t, task.Env, map[string]string{"ADDR": "${NOMAD_ADDR_http}", "KEY": "b"})
}

func TestMapAttributeAndBlockForms(t *testing.T) {
	block := mustParse(t, taskOf("meta {\nk = \"v\"\n}\nenv {\nE = 1\n}"))
	attr := mustParse(t, taskOf("meta = { k = \"v\" }\nenv = { E = 1 }"))
	for _, j := range []*api.Job{block, attr} {
		assertEqual(t, firstTask(j).Meta, map[string]string{"k": "v"})
		assertEqual(t, firstTask(j).Env, map[string]string{"E": "1"})
	}
}

func TestHCLJSONSyntax(t *testing.T) {
	j, err := Parse(&ParseConfig{Path: "j.json", Body: []byte(`{
  "variable": {"n": {"default": 2}},
  "job": {"js": {
    "datacenters": ["dc1"],
    "meta": {"k": "v"},
    "group": {"g": {
      "count": "${var.n}",
      "task": {"t": {
        "driver": "exec",
        "config": {"command": "/bin/echo", "args": ["${NOMAD_ALLOC_ID}"], "opts": {"a": 1}},
        "resources": {"cpu": 10}
      }}
    }}
  }}
}`)})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if *j.TaskGroups[0].Count != 2 || j.Meta["k"] != "v" {
		t.Errorf("Count, Meta: got %d, %v, want 2, k=v", *j.TaskGroups[0].Count, j.Meta)
	}
	assertEqual(t, firstTask(j).Config, map[string]interface{}{"command": "/bin/echo",
		"args": []interface{}{"${NOMAD_ALLOC_ID}"}, "opts": map[string]interface{}{"a": 1}})
}
