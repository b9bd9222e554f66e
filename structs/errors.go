package structs

import "errors"

// Error categories. Wrap them with context (`fmt.Errorf("job %q: %w", id,
// ErrNotFound)`); the HTTP layer maps them to status codes.
var (
	ErrNotFound         = errors.New("not found")           // 404
	ErrInvalid          = errors.New("invalid")             // 400
	ErrConflict         = errors.New("conflict")            // 409
	ErrPermissionDenied = errors.New("permission denied")   // 403
	ErrNoLeader         = errors.New("no cluster leader")   // 500, retryable
	ErrAmbiguousPrefix  = errors.New("ambiguous ID prefix") // 400
)
