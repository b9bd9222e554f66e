package jobspec

import (
	"errors"
	"os"
	"testing"
)

func TestVariables(t *testing.T) {
	src, err := os.ReadFile("testdata/vars.hcl")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		files    []string
		envs     []string
		strict   bool
		wantImg  string
		wantDCs  []string
		wantN    int
		wantTags string
		wantErr  string
	}{
		{name: "defaults", wantImg: "ALPINE:latest", wantDCs: []string{"dc1"}, wantN: 1, wantTags: "none"},
		{name: "-var", args: []string{"image=busybox", "count=3", `dcs=["a","b"]`, "tags=x=y"},
			wantImg: "BUSYBOX:latest", wantDCs: []string{"a", "b"}, wantN: 3, wantTags: "x=y"},
		{name: "later -var wins", args: []string{"count=3", "count=4"},
			wantImg: "ALPINE:latest", wantDCs: []string{"dc1"}, wantN: 4, wantTags: "none"},
		{name: "var file hcl", files: []string{"testdata/override.vars"},
			wantImg: "DEBIAN:latest", wantDCs: []string{"dc1"}, wantN: 4, wantTags: "none"},
		{name: "var files in order", files: []string{"testdata/override.vars", "testdata/override.json"},
			wantImg: "DEBIAN:latest", wantDCs: []string{"east", "west"}, wantN: 5, wantTags: "none"},
		{name: "env", envs: []string{"NOMAD_VAR_image=fedora", "NOMAD_VAR_count=2", "NOMAD_VAR_unknown=1", "PATH=/bin"},
			wantImg: "FEDORA:latest", wantDCs: []string{"dc1"}, wantN: 2, wantTags: "none"},
		{name: "DROVER_VAR wins over NOMAD_VAR", envs: []string{"DROVER_VAR_image=arch", "NOMAD_VAR_image=fedora"},
			wantImg: "ARCH:latest", wantDCs: []string{"dc1"}, wantN: 1, wantTags: "none"},
		{name: "precedence env < file < -var", envs: []string{"NOMAD_VAR_image=fedora", "NOMAD_VAR_count=9"},
			files: []string{"testdata/override.vars"}, args: []string{"image=alma"},
			wantImg: "ALMA:latest", wantDCs: []string{"dc1"}, wantN: 4, wantTags: "none"},
		{name: "unknown -var ignored when not strict", args: []string{"nope=1"},
			wantImg: "ALPINE:latest", wantDCs: []string{"dc1"}, wantN: 1, wantTags: "none"},
		{name: "unknown -var strict", args: []string{"nope=1"}, strict: true,
			wantErr: `vars.hcl: Undefined -var variable; -var sets "nope", but the job file declares no such variable; declare it with a variable "nope" block, or remove the option.`},
		{name: "unknown in var file strict", files: []string{"testdata/unknown.vars"}, strict: true,
			wantErr: `testdata/unknown.vars:2,1-5: Undefined variable; testdata/unknown.vars sets "nope", but the job file declares no such variable; declare it with a variable "nope" block, or remove it.`},
		{name: "bad -var form", args: []string{"image"},
			wantErr: `vars.hcl: Invalid -var option; The option -var "image" is not of the form name=value.`},
		{name: "-var wrong type", args: []string{"count=many"},
			wantErr: `vars.hcl: Invalid value for variable; The value of var.count from -var count, "many", is not a valid value of type number.`},
		{name: "env wrong type", envs: []string{"NOMAD_VAR_dcs=notalist"},
			wantErr: `vars.hcl: Invalid value for variable; The value of var.dcs from environment variable NOMAD_VAR_dcs, "notalist", is not a valid value of type list(string).`},
		{name: "missing var file", files: []string{"testdata/nope.vars"},
			wantErr: `vars.hcl: Cannot read variable file; -var-file testdata/nope.vars: open testdata/nope.vars: no such file or directory.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := Parse(&ParseConfig{Path: "vars.hcl", Body: src, ArgVars: tt.args, VarFiles: tt.files,
				Envs: tt.envs, Strict: tt.strict})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error:\ngot  %v\nwant %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			assertEqual(t, j.Datacenters, tt.wantDCs)
			if j.Meta["image"] != tt.wantImg || j.Meta["tags"] != tt.wantTags || *j.TaskGroups[0].Count != tt.wantN {
				t.Errorf("image, tags, count: got %q, %q, %d, want %q, %q, %d", j.Meta["image"], j.Meta["tags"],
					*j.TaskGroups[0].Count, tt.wantImg, tt.wantTags, tt.wantN)
			}
		})
	}
}

func TestVariableErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"unset", `variable "x" {}
job "j" {}`, `test.hcl:1,1-13: Unset variable; Variable "x" has no default and no value; set it with -var "x=...", a -var-file, or the NOMAD_VAR_x environment variable.`},
		{"default wrong type", `variable "x" {
  type    = number
  default = "abc"
}
job "j" {}`, `test.hcl:3,13-18: Invalid value for variable; The value of var.x from its default is not a number: a number is required.`},
		{"bad type", `variable "x" {
  type = strin
}
job "j" {}`, "test.hcl:2,10-15: Invalid type specification; The keyword \"strin\" is not a valid type specification.\n" +
			`test.hcl:1,1-13: Unset variable; Variable "x" has no default and no value; set it with -var "x=...", a -var-file, or the NOMAD_VAR_x environment variable.`},
		{"undeclared reference", `job "j" {
  region = var.nope
}`, `test.hcl:2,15-20: Undeclared variable; There is no variable named "nope"; declare it with a variable "nope" { ... } block.`},
		{"duplicate variable", `variable "x" { default = 1 }
variable "x" { default = 2 }
job "j" {}`, `test.hcl:2,1-13: Duplicate variable "x"; A variable named "x" was already defined at test.hcl:1,1-13; names must be unique.`},
		{"locals cycle", `locals {
  a = local.b
  b = local.a
}
job "j" {}`, "test.hcl:2,3-14: Circular reference; local.a depends on itself through other locals.\n" +
			"test.hcl:3,3-14: Circular reference; local.b depends on itself through other locals."},
		{"duplicate local", `locals { a = 1 }
locals { a = 2 }
job "j" {}`, `test.hcl:2,10-11: Duplicate local value; local.a was already defined at test.hcl:1,10-11.`},
		{"unknown function", `job "j" {
  region = nosuch("x")
}`, `test.hcl:2,12-18: Call to unknown function; There is no function named "nosuch".`},
		{"undeclared local", `locals { a = 1 }
job "j" {
  region = "${local.b}"
}`, `test.hcl:3,20-22: Undeclared local value; There is no local value named "b"; define it in a locals { ... } block.`},
		{"unknown root", `job "j" {
  region = foo.bar
}`, `test.hcl:2,12-15: Unknown variable; There is no variable named "foo". Variables are var.<name> and local.<name>; to leave ${...} for the task to see, write $${...}.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseString(tt.src)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error:\ngot  %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestLocalsOrder(t *testing.T) {
	j := mustParse(t, `locals {
  c = "${local.b}c"
}
locals {
  b = "${local.a}b"
  a = "a"
}
job "j" {
  region = local.c
}`)
	if j.Region != "abc" {
		t.Errorf("Region: got %q, want abc", j.Region)
	}
}

func TestVariableValidationPasses(t *testing.T) {
	_, err := Parse(&ParseConfig{Path: "v.hcl", Body: []byte(`variable "n" {
  type = number
  default = 3
  validation {
    condition = var.n > 0
    error_message = "n must be positive."
  }
}
job "j" {}`)})
	if err != nil {
		t.Errorf("Parse: %v", err)
	}
}

func TestVarContent(t *testing.T) {
	src, err := os.ReadFile("testdata/vars.hcl")
	if err != nil {
		t.Fatal(err)
	}
	j, err := Parse(&ParseConfig{Path: "vars.hcl", Body: src, VarFiles: []string{"testdata/override.vars"},
		VarContent: "image = \"rocky\"\n", ArgVars: []string{"count=8"}})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if j.Meta["image"] != "ROCKY:latest" || *j.TaskGroups[0].Count != 8 {
		t.Errorf("image, count: got %q, %d, want ROCKY:latest, 8", j.Meta["image"], *j.TaskGroups[0].Count)
	}
	_, err = Parse(&ParseConfig{Path: "vars.hcl", Body: src, VarContent: "image = \n"})
	want := "<variables>:1,9-2,1: Invalid expression; Expected the start of an expression, but found an invalid expression token."
	if err == nil || err.Error() != want {
		t.Errorf("error:\ngot  %v\nwant %s", err, want)
	}
}

func TestParseNilConfig(t *testing.T) {
	if _, err := Parse(nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Parse(nil): got %v, want ErrInvalid", err)
	}
}
