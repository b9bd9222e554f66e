package exec

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/droverhq/drover/client/drivers"
)

// exitStatus is status.json: how the task ended, as the supervisor saw it.
type exitStatus struct {
	ExitCode   int       `json:"exit_code"`
	Signal     int       `json:"signal"`
	OOMKilled  bool      `json:"oom_killed"`
	FinishedAt time.Time `json:"finished_at"`
	// Error is set when the supervisor could not learn the exit.
	Error string `json:"error,omitempty"`
}

func (e *exitStatus) result() *drivers.ExitResult {
	r := &drivers.ExitResult{ExitCode: e.ExitCode, Signal: e.Signal, OOMKilled: e.OOMKilled}
	if e.Error != "" {
		r.Err = errors.New(e.Error)
	}
	return r
}

// statusFromWait turns the container init's wait status into an exit
// status. killSig is the signal whose default action the driver carried
// out with SIGKILL (0 if none): a SIGKILL death is then reported as that
// signal. Like a shell, a signal death also gives exit code 128+signal.
func statusFromWait(ps *os.ProcessState, werr error, killSig int, oom bool) *exitStatus {
	st := &exitStatus{OOMKilled: oom}
	if ps == nil {
		st.ExitCode = -1
		st.Error = fmt.Sprintf("wait for the task: %v", werr)
		return st
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		st.ExitCode = ps.ExitCode()
		return st
	}
	sig := int(ws.Signal())
	if sig == int(syscall.SIGKILL) && killSig > 0 && !oom {
		sig = killSig
	}
	st.Signal, st.ExitCode = sig, 128+sig
	return st
}

func writeStatus(path string, st *exitStatus) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

// errNoStatus: the supervisor ended without writing status.json.
var errNoStatus = errors.New("exit status unknown: the task's supervisor ended without recording it (killed?)")

// readStatus reads status.json; a missing file gives an exit with Err set.
func readStatus(path string) *drivers.ExitResult {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &drivers.ExitResult{ExitCode: -1, Err: errNoStatus}
	}
	var st exitStatus
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	if err != nil {
		return &drivers.ExitResult{ExitCode: -1, Err: fmt.Errorf("read exit status %s: %w", path, err)}
	}
	return st.result()
}

// writeKillSig records that the driver is about to carry out sig's default
// action with SIGKILL.
func writeKillSig(path string, sig syscall.Signal) error {
	return writeFileAtomic(path, []byte(strconv.Itoa(int(sig))))
}

func readKillSig(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}
