package jobspec

import (
	"errors"
	"os"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"broken syntax", "job \"j\" {\n  group \"g\" {\n    count = \n  }\n}\n",
			"test.hcl:3,13-4,1: Invalid expression; Expected the start of an expression, but found an invalid expression token."},
		{"unclosed block", "job \"j\" {\n  group \"g\" {\n",
			"test.hcl:2,13-14: Unclosed configuration block; There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file."},
		{"unknown attribute", jobOf(`foo = 1`),
			`test.hcl:2,1-4: Unsupported argument; An argument named "foo" is not expected here.`},
		{"misspelled attribute", jobOf(`datacenter = ["dc1"]`),
			`test.hcl:2,1-11: Unsupported argument; An argument named "datacenter" is not expected here. Did you mean "datacenters"?`},
		{"unknown task attribute", taskOf(`drivr = "exec"`),
			`test.hcl:4,1-6: Unsupported argument; An argument named "drivr" is not expected here. Did you mean "driver"?`},
		{"unknown block", jobOf("grop \"x\" {\n}"),
			`test.hcl:2,1-5: Unsupported block type; Blocks of type "grop" are not expected here. Did you mean "group"?`},
		{"unsupported nomad block", taskOf("vault {\n}"),
			`test.hcl:4,1-6: Unsupported block type; Blocks of type "vault" are not expected here: drover does not support Nomad's vault block; remove it from the job file.`},
		{"unsupported nomad device", taskOf("resources {\ndevice \"nvidia/gpu\" {\n}\n}"),
			`test.hcl:5,1-7: Unsupported block type; Blocks of type "device" are not expected here: drover does not support Nomad's device block; remove it from the job file.`},
		{"wrong type", groupOf(`count = "three"`),
			`test.hcl:3,9-16: Incorrect attribute value type; Inappropriate value for attribute "count": a number is required, got string.`},
		{"wrong list type", jobOf(`datacenters = "dc1"`),
			`test.hcl:2,15-20: Incorrect attribute value type; Inappropriate value for attribute "datacenters": a list of strings is required, got string.`},
		{"fractional count", groupOf(`count = 1.5`),
			`test.hcl:3,9-12: Invalid number; The value of "count" must be a whole number from 0 to 2147483647, got 1.5.`},
		{"bad duration", groupOf("restart {\ndelay = \"5x\"\n}"),
			`test.hcl:4,9-13: Invalid duration; The value of "delay", "5x", is not a duration; use a number with a unit, such as "30s", "5m" or "1h".`},
		{"duration as number", taskOf(`kill_timeout = 30`),
			`test.hcl:4,16-18: Invalid duration; The value of "kill_timeout", "30", is not a duration; use a number with a unit, such as "30s", "5m" or "1h".`},
		{"huge count", groupOf(`count = 99999999999`),
			`test.hcl:3,9-20: Invalid number; The value of "count" must be a whole number from 0 to 2147483647, got 99999999999.`},
		{"negative duration", groupOf("restart {\ndelay = \"-5s\"\n}"),
			`test.hcl:4,9-14: Invalid duration; The value of "delay", "-5s", is negative; use a duration of 0 or more, such as "30s".`},
		{"port out of range", groupOf("network {\nport \"http\" {\nstatic = 70000\n}\n}"),
			`test.hcl:5,10-15: Invalid number; The value of "static" must be a whole number from 1 to 65535, got 70000.`},
		{"zero weight", jobOf("affinity {\nweight = 0\n}"),
			`test.hcl:3,10-11: Invalid weight; A weight must be from -100 to 100 and not 0.`},
		{"conflicting constraint", jobOf("constraint {\ndistinct_hosts = true\noperator = \"=\"\n}"),
			`test.hcl:3,1-15: Conflicting operators; "operator" and "distinct_hosts" both set the operator; keep one of them.`},
		{"duplicate block", jobOf("update {\n}\nupdate {\n}"),
			`test.hcl:4,1-7: Duplicate update block; Only one update block is allowed here; another was defined at test.hcl:2,1-7.`},
		{"duplicate group", jobOf("group \"g\" {\n}\ngroup \"g\" {\n}"),
			`test.hcl:4,1-10: Duplicate group "g"; A group named "g" was already defined at test.hcl:2,1-10; names must be unique.`},
		{"duplicate task", groupOf("task \"t\" {\n}\ntask \"t\" {\n}"),
			`test.hcl:5,1-9: Duplicate task "t"; A task named "t" was already defined at test.hcl:3,1-9; names must be unique.`},
		{"two jobs", "job \"a\" {\n}\njob \"b\" {\n}\n",
			`test.hcl:3,1-8: Duplicate job block; Only one job block is allowed here; another was defined at test.hcl:1,1-8.`},
		{"no job", `variable "x" { default = 1 }`,
			`test.hcl: Missing job block; A job file must contain one job "name" { ... } block.`},
		{"job without id", "job {\n}\n",
			`test.hcl:1,5-6: Missing id for job; All job blocks must have 1 labels (id).`},
		{"top-level attribute", "region = \"x\"\njob \"j\" {\n}\n",
			`test.hcl:1,1-7: Unsupported argument; An argument named "region" is not expected here.`},
		{"meta not a string", jobOf("meta {\na = [1]\n}"),
			`test.hcl:3,5-8: Incorrect attribute value type; Inappropriate value for attribute "a": a string is required, got tuple.`},
		{"missing file", taskOf("env {\nX = file(\"nope.txt\")\n}"),
			`test.hcl:5,5-10: Error in function call; Call to function "file" failed: open nope.txt: no such file or directory (relative paths start at the job file's folder).`},
		{"config key twice", taskOf("config {\na = 1\na {\n}\n}"),
			`test.hcl:6,1-2: Duplicate config key; "a" is set both as an argument and as a block.`},
		{"empty", "  \n",
			`test.hcl: Empty job file; A job file must contain a job "name" { ... } block, or a JSON job.`},
		{"binary", "\x00\x01\x02",
			`test.hcl: Not a job file; The file is binary data, not HCL or JSON text.`},
		{"yaml", "apiVersion: v1\n",
			"test.hcl:1,1-11: Argument or block definition required; An argument or block definition is required here. To set an argument, use the equals sign \"=\" to introduce the argument value.\n" +
				`test.hcl: Not a job file; The file is neither HCL with a job "name" { ... } block nor a JSON job.`},
		{"several problems", jobOf("foo = 1\npriority = \"x\"\ngroup \"g\" {\ncount = -1\n}"),
			"test.hcl:2,1-4: Unsupported argument; An argument named \"foo\" is not expected here.\n" +
				"test.hcl:3,12-15: Incorrect attribute value type; Inappropriate value for attribute \"priority\": a number is required, got string.\n" +
				"test.hcl:5,9-11: Invalid number; The value of \"count\" must be a whole number from 0 to 2147483647, got -1."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseString(tt.src)
			if err == nil {
				t.Fatalf("got no error, want %s", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\ngot  %s\nwant %s", err, tt.want)
			}
			var perr *Error
			if !errors.As(err, &perr) || !errors.Is(err, ErrInvalid) {
				t.Errorf("error type: got %T, want *Error wrapping ErrInvalid", err)
			}
		})
	}
}

func TestParseFileMissing(t *testing.T) {
	_, err := ParseFile("testdata/does-not-exist.hcl", nil, nil)
	if err == nil || errors.Is(err, ErrInvalid) {
		t.Errorf("got %v, want a read error that is not ErrInvalid", err)
	}
}

func TestUnsupportedNomadFeatures(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"artifact", taskOf("artifact {\nsource = \"x\"\n}"),
			`test.hcl:4,1-9: Unsupported block type; Blocks of type "artifact" are not expected here: drover does not support Nomad's artifact block; remove it from the job file.`},
		{"max_client_disconnect", groupOf(`max_client_disconnect = "1h"`),
			`test.hcl:3,1-22: Unsupported argument; An argument named "max_client_disconnect" is not expected here: drover does not support Nomad's max_client_disconnect argument in this block; remove it from the job file.`},
		{"dynamic of unsupported block", taskOf("dynamic \"artifact\" {\nfor_each = [1]\ncontent {}\n}"),
			`test.hcl:4,9-19: Unsupported block type; Blocks of type "artifact" are not expected here: drover does not support Nomad's artifact block; remove it from the job file.`},
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

func TestParseFileStdin(t *testing.T) {
	f, err := os.Open("../examples/mock.hcl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = old }()
	j, err := ParseFile("-", nil, nil)
	if err != nil {
		t.Fatalf("ParseFile(-): %v", err)
	}
	if j.ID != "mock" {
		t.Errorf("ID: got %q, want mock", j.ID)
	}
	_, err = Parse(&ParseConfig{Path: "-", Body: []byte("job \"x\" {\n  zzzzz = 1\n}\n")})
	want := `<stdin>:2,3-8: Unsupported argument; An argument named "zzzzz" is not expected here.`
	if err == nil || err.Error() != want {
		t.Errorf("error:\ngot  %v\nwant %s", err, want)
	}
}
