package command

import (
	"fmt"
	"io"
	"os"

	"github.com/droverhq/drover/api"
	"github.com/droverhq/drover/jobspec"
)

// parseRequest is a job file to parse, with its variables.
type parseRequest struct {
	Path     string // "-" for stdin
	Body     []byte
	Vars     []string
	VarFiles []string
	Envs     []string
	Strict   bool
}

// parseJobFile parses a job file with the jobspec package.
func parseJobFile(req *parseRequest) (*api.Job, error) {
	return jobspec.Parse(&jobspec.ParseConfig{
		Path:     req.Path,
		Body:     req.Body,
		ArgVars:  req.Vars,
		VarFiles: req.VarFiles,
		Envs:     req.Envs,
		Strict:   req.Strict,
	})
}

// jobFileFlags are the flags of commands that read a job file.
type jobFileFlags struct {
	vars     []string
	varFiles []string
	strict   bool
}

// loadJob reads path ("-" is stdin) and parses it into a Job.
func (m *Meta) loadJob(path string, f *jobFileFlags) (*api.Job, error) {
	body, err := m.readJobFile(path)
	if err != nil {
		return nil, err
	}
	return m.parseJob(&parseRequest{
		Path: path, Body: body, Vars: f.vars, VarFiles: f.varFiles,
		Envs: m.environ(), Strict: f.strict,
	})
}

func (m *Meta) readJobFile(path string) ([]byte, error) {
	if path == "-" {
		body, err := io.ReadAll(m.Stdin)
		if err != nil {
			return nil, fmt.Errorf("read job from stdin: %w", err)
		}
		return body, nil
	}
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read job file: %w", err)
	}
	return body, nil
}
