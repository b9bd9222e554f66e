package api

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RaftConfiguration is the answer of GET /v1/operator/raft/configuration.
type RaftConfiguration struct {
	Servers []*RaftServer
	Index   uint64
}

// RaftServer is one server of the Raft configuration.
type RaftServer struct {
	ID           string
	Node         string
	Address      string
	Leader       bool
	Voter        bool
	RaftProtocol string
}

// RaftGetConfiguration reads the Raft configuration.
func (o *Operator) RaftGetConfiguration(q *QueryOptions) (*RaftConfiguration, error) {
	var out RaftConfiguration
	if _, err := o.c.query("/v1/operator/raft/configuration", &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}

// RaftRemovePeerByAddress removes the server with this Raft address from
// the Raft configuration.
func (o *Operator) RaftRemovePeerByAddress(address string, w *WriteOptions) error {
	return o.raftRemovePeer("address", address, w)
}

// RaftRemovePeerByID removes the server with this Raft ID.
func (o *Operator) RaftRemovePeerByID(id string, w *WriteOptions) error {
	return o.raftRemovePeer("id", id, w)
}

func (o *Operator) raftRemovePeer(key, value string, w *WriteOptions) error {
	r := o.c.newRequest(http.MethodDelete, "/v1/operator/raft/peer")
	r.setWrite(w)
	r.params.Set(key, value)
	_, err := o.c.send(r, nil)
	return err
}

// AutopilotConfiguration is the leader's autopilot configuration.
// Durations are Go duration strings ("30s").
type AutopilotConfiguration struct {
	CleanupDeadServers    bool
	DeadServerCleanupTime string
	LastContactThreshold  string
	ModifyIndex           uint64
}

// AutopilotGetConfiguration reads the autopilot configuration.
func (o *Operator) AutopilotGetConfiguration(q *QueryOptions) (*AutopilotConfiguration, error) {
	var out AutopilotConfiguration
	if _, err := o.c.query("/v1/operator/autopilot/configuration", &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}

// AutopilotSetConfiguration replaces the autopilot configuration.
func (o *Operator) AutopilotSetConfiguration(cfg *AutopilotConfiguration, w *WriteOptions) error {
	_, err := o.c.write(http.MethodPut, "/v1/operator/autopilot/configuration", cfg, nil, w)
	return err
}

// AutopilotCASConfiguration sets the configuration only if its
// ModifyIndex still equals cfg.ModifyIndex; it reports whether it did.
func (o *Operator) AutopilotCASConfiguration(cfg *AutopilotConfiguration, w *WriteOptions) (bool, error) {
	r := o.c.newRequest(http.MethodPut, "/v1/operator/autopilot/configuration")
	r.setWrite(w)
	r.params.Set("cas", strconv.FormatUint(cfg.ModifyIndex, 10))
	r.body = cfg
	var ok bool
	if _, err := o.c.send(r, &ok); err != nil {
		return false, err
	}
	return ok, nil
}

// OperatorHealthReply is the cluster's health as the leader sees it.
type OperatorHealthReply struct {
	Healthy          bool
	FailureTolerance int
	Servers          []*ServerHealth
}

// ServerHealth is one Raft server's health.
type ServerHealth struct {
	ID          string
	Name        string
	Address     string
	SerfStatus  string
	Version     string
	Leader      bool
	Voter       bool
	Healthy     bool
	LastContact string
	LastTerm    uint64
	LastIndex   uint64
	Error       string
}

// AutopilotServerHealth reads every server's health.
func (o *Operator) AutopilotServerHealth(q *QueryOptions) (*OperatorHealthReply, error) {
	var out OperatorHealthReply
	if _, err := o.c.query("/v1/operator/autopilot/health", &out, q); err != nil {
		return nil, err
	}
	return &out, nil
}

// Snapshot downloads a snapshot of the cluster's state; the caller reads
// and closes it. AllowStale in q saves the agent's server's own state
// without catching up with the leader.
func (o *Operator) Snapshot(q *QueryOptions) (io.ReadCloser, error) {
	r := o.c.newRequest(http.MethodGet, "/v1/operator/snapshot")
	r.setQuery(q)
	resp, _, err := o.c.do(r)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// SnapshotRestoreResponse is the answer of PUT /v1/operator/snapshot.
type SnapshotRestoreResponse struct {
	Index uint64
}

// SnapshotRestore replaces the cluster's whole state with the snapshot
// file read from in. A corrupt file is refused and changes nothing.
func (o *Operator) SnapshotRestore(in io.Reader, w *WriteOptions) (*SnapshotRestoreResponse, error) {
	r := o.c.newRequest(http.MethodPut, "/v1/operator/snapshot")
	r.setWrite(w)
	resp, err := o.c.doRaw(r, in)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out SnapshotRestoreResponse
	if err := decodeBody(resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// doRaw sends r with a raw (non-JSON) body.
func (c *Client) doRaw(r *request, body io.Reader) (*http.Response, error) {
	u := c.requestURL(r)
	req, err := http.NewRequestWithContext(r.ctx, r.method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if r.token != "" {
		req.Header.Set(HeaderToken, r.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, &UnexpectedResponseError{StatusCode: resp.StatusCode, Body: string(msg)}
	}
	return resp, nil
}

// SnapshotHeader describes a snapshot file: where and when it was taken,
// what it holds, and the SHA-256 of its state stream.
type SnapshotHeader struct {
	Format  int
	Index   uint64
	Term    uint64
	Region  string
	Created time.Time
	SHA256  string
	Size    int64
	Counts  map[string]int
}

// snapshotMagic opens every snapshot file (after gunzip); it matches
// server/snapshot.go.
const snapshotMagic = "drover-snapshot 1\n"

// ErrSnapshotCorrupt is returned by InspectSnapshot for a damaged file.
var ErrSnapshotCorrupt = errors.New("snapshot file is corrupt or not a drover snapshot")

// InspectSnapshot reads a snapshot file, checks its integrity (gzip CRC,
// size and SHA-256 of the state stream) and returns its header. It does
// not decode the state itself.
func InspectSnapshot(r io.Reader) (*SnapshotHeader, error) {
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrSnapshotCorrupt, fmt.Sprintf(format, args...))
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, corrupt("not gzip: %v", err)
	}
	br := bufio.NewReader(zr)
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != snapshotMagic {
		return nil, corrupt("it does not start with %q", strings.TrimSpace(snapshotMagic))
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		return nil, corrupt("read header: %v", err)
	}
	var hdr SnapshotHeader
	if err := json.Unmarshal(line, &hdr); err != nil {
		return nil, corrupt("decode header: %v", err)
	}
	h := sha256.New()
	n, err := io.Copy(h, br)
	if err != nil {
		return nil, corrupt("read state stream after %d bytes: %v", n, err)
	}
	if n != hdr.Size {
		return nil, corrupt("state stream is %d bytes, the header says %d", n, hdr.Size)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != hdr.SHA256 {
		return nil, corrupt("SHA-256 of the state stream is %s, the header says %s", sum, hdr.SHA256)
	}
	return &hdr, nil
}
