package jobspec

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/droverhq/drover/api"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
)

// ParseConfig is one job file and the variable values given with it.
type ParseConfig struct {
	Path     string   // file name for diagnostics ("-" or "" for stdin)
	Body     []byte   // the file's contents
	ArgVars  []string // -var name=value, in order; later ones win
	VarFiles []string // -var-file paths (HCL .hcl/.vars, or .json)
	Envs     []string // environment as os.Environ(); NOMAD_VAR_x / DROVER_VAR_x set variables
	Strict   bool     // values for undeclared variables in -var or -var-file are errors
	// VarContent is variable values in -var-file HCL syntax, given inline
	// (the "Variables" of Nomad's /v1/jobs/parse); applied after VarFiles.
	VarContent string
}

// Parse parses a job file: HCL2 in Nomad's job specification, or JSON in
// Nomad's API shape ({"Job": {...}} or a bare job object). Variables apply
// to HCL only. A malformed file gives an *Error listing every problem with
// its position; errors.Is(err, ErrInvalid) holds for it.
func Parse(cfg *ParseConfig) (*api.Job, error) {
	if cfg == nil {
		return nil, fmt.Errorf("parse job: %w: no ParseConfig", ErrInvalid)
	}
	name := displayName(cfg.Path)
	body := bytes.TrimPrefix(cfg.Body, []byte("\xef\xbb\xbf"))
	if diag := checkText(body); diag != nil {
		return nil, &Error{File: name, Diagnostics: hcl.Diagnostics{diag}}
	}
	switch {
	case isJSON(body) && isHCLJSON(body):
		return parseHCL(cfg, name, body, true)
	case isJSON(body):
		return parseJSON(name, body)
	default:
		return parseHCL(cfg, name, body, false)
	}
}

// ParseFile reads and parses the job file at path ("-" reads stdin), with
// -var and -var-file values; NOMAD_VAR_x and DROVER_VAR_x come from the
// process environment. Undeclared variables in vars or varFiles are errors.
func ParseFile(path string, vars []string, varFiles []string) (*api.Job, error) {
	body, err := readJobFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(&ParseConfig{
		Path:     path,
		Body:     body,
		ArgVars:  vars,
		VarFiles: varFiles,
		Envs:     os.Environ(),
		Strict:   true,
	})
}

func readJobFile(path string) ([]byte, error) {
	if path == "-" || path == "" {
		b, err := io.ReadAll(os.Stdin)
		if err != nil {
			return nil, fmt.Errorf("read job file from stdin: %w", err)
		}
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read job file: %w", err)
	}
	return b, nil
}

func displayName(path string) string {
	if path == "" || path == "-" {
		return "<stdin>"
	}
	return path
}

// baseDir is where file() resolves relative paths: the job file's folder,
// or the working directory for stdin.
func baseDir(path string) string {
	if path == "" || path == "-" {
		return "."
	}
	return filepath.Dir(path)
}

// checkText rejects bodies that cannot be a job file at all.
func checkText(body []byte) *hcl.Diagnostic {
	switch {
	case len(bytes.TrimSpace(body)) == 0:
		return errorf(nil, "Empty job file", `A job file must contain a job "name" { ... } block, or a JSON job.`)
	case !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0:
		return errorf(nil, "Not a job file", "The file is binary data, not HCL or JSON text.")
	}
	return nil
}

func isJSON(body []byte) bool {
	t := bytes.TrimSpace(body)
	return t[0] == '{' || t[0] == '['
}

// parseHCL runs the HCL pipeline; jsonSyntax selects HCL's JSON syntax
// ({"job": {"name": {...}}}).
func parseHCL(cfg *ParseConfig, name string, body []byte, jsonSyntax bool) (*api.Job, error) {
	var file *hcl.File
	var diags hcl.Diagnostics
	if jsonSyntax {
		file, diags = hcljson.Parse(body, name)
	} else {
		file, diags = hclsyntax.ParseConfig(body, name, hcl.InitialPos)
		if diags.HasErrors() {
			diags = append(diags, notHCLHint(body)...)
		}
	}
	if diags.HasErrors() {
		return nil, asError(name, diags)
	}
	p := newParser(cfg)
	p.indexSyntax(file.Body)
	job := p.file(dynblock.Expand(file.Body, p.ctx))
	if err := asError(name, p.diags); err != nil {
		return nil, err
	}
	return job, nil
}

// notHCLHint adds a hint when a body with syntax errors does not even
// mention a job, to tell a broken job file from something else.
func notHCLHint(body []byte) hcl.Diagnostics {
	if bytes.Contains(body, []byte("job")) {
		return nil
	}
	return hcl.Diagnostics{errorf(nil, "Not a job file",
		`The file is neither HCL with a job "name" { ... } block nor a JSON job.`)}
}
