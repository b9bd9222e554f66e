package mock

import (
	"context"
	"fmt"

	"github.com/droverhq/drover/client/drivers"
)

var _ drivers.Execer = (*Driver)(nil)

// ExecTask is not supported: a mock task has no process to join.
func (d *Driver) ExecTask(ctx context.Context, taskID string, opts *drivers.ExecOptions) (int, error) {
	return -1, fmt.Errorf("mock: exec into task %q: %w", taskID, drivers.ErrNotSupported)
}
