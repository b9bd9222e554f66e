package jobspec

import (
	"errors"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// ErrInvalid is the category of every *Error: the job file is malformed.
// Test for it with errors.Is.
var ErrInvalid = errors.New("invalid job file")

// Error is a job file that could not be parsed. It holds every problem found,
// each with its position when one is known.
type Error struct {
	// File names the job file, for problems without a position.
	File        string
	Diagnostics hcl.Diagnostics
}

// Error lists one problem per line, as `file:line,col-col: Summary; Detail`.
func (e *Error) Error() string {
	lines := make([]string, 0, len(e.Diagnostics))
	for _, d := range e.Diagnostics {
		lines = append(lines, formatDiag(e.File, d))
	}
	return strings.Join(lines, "\n")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *Error) Unwrap() error { return ErrInvalid }

func formatDiag(file string, d *hcl.Diagnostic) string {
	where := file
	if d.Subject != nil && d.Subject.Start.Line > 0 {
		where = d.Subject.String()
	}
	msg := d.Summary
	if d.Detail != "" {
		msg += "; " + d.Detail
	}
	if where == "" {
		return msg
	}
	return where + ": " + msg
}

// asError returns nil if diags has no errors, else an *Error with only the
// error diagnostics.
func asError(file string, diags hcl.Diagnostics) error {
	var errs hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagError {
			errs = append(errs, d)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &Error{File: file, Diagnostics: errs}
}

// errorf makes an error diagnostic.
func errorf(subject *hcl.Range, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: subject}
}
