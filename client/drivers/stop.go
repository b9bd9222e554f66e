package drivers

import (
	"context"
	"syscall"
	"time"
)

// WaitResult is the common body of WaitTask: the returned channel receives
// result() once done is closed and is then closed; if ctx ends first it is
// closed without a value.
func WaitResult(ctx context.Context, done <-chan struct{}, result func() *ExitResult) <-chan *ExitResult {
	ch := make(chan *ExitResult, 1)
	go func() {
		defer close(ch)
		select {
		case <-done:
			ch <- result()
		case <-ctx.Done():
		}
	}()
	return ch
}

// StopWithKill is the common body of StopTask: it sends sig, waits up to
// timeout for done to close, then sends SIGKILL and waits for done. An error
// from send is returned at once.
func StopWithKill(done <-chan struct{}, timeout time.Duration, sig syscall.Signal, send func(syscall.Signal) error) error {
	if err := send(sig); err != nil {
		return err
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-done:
		return nil
	case <-timer.C:
	}
	if err := send(syscall.SIGKILL); err != nil {
		return err
	}
	<-done
	return nil
}
