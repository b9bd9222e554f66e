package command

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/droverhq/drover/api"
)

// snapshotFile builds a snapshot file around stream, as servers write it.
func snapshotFile(t *testing.T, stream []byte) []byte {
	t.Helper()
	sum := sha256.Sum256(stream)
	hdr, _ := json.Marshal(api.SnapshotHeader{Format: 1, Index: 42, Term: 3, Region: "global",
		SHA256: hex.EncodeToString(sum[:]), Size: int64(len(stream)), Counts: map[string]int{"Jobs": 2}})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte("drover-snapshot 1\n"))
	zw.Write(append(hdr, '\n'))
	zw.Write(stream)
	zw.Close()
	return buf.Bytes()
}

// clusterAgent is a fake agent answering the cluster endpoints.
func clusterAgent(t *testing.T, snap []byte, restored *[]byte, autopilot *api.AutopilotConfiguration) string {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/agent/members", func(w http.ResponseWriter, r *http.Request) {
		reply(w, api.ServerMembers{Members: []*api.AgentMember{
			{Name: "s1", Addr: "10.0.0.1", Port: 8648, Status: "alive", Leader: true, RaftVersion: "3", Build: "v1", Datacenter: "dc1", Region: "global"},
			{Name: "s2", Addr: "10.0.0.2", Port: 8648, Status: "failed", RaftVersion: "3", Build: "v1", Datacenter: "dc1", Region: "global"},
		}})
	})
	mux.HandleFunc("GET /v1/operator/raft/configuration", func(w http.ResponseWriter, r *http.Request) {
		reply(w, api.RaftConfiguration{Servers: []*api.RaftServer{
			{ID: "s1", Node: "s1", Address: "10.0.0.1:8747", Leader: true, Voter: true, RaftProtocol: "3"}}})
	})
	mux.HandleFunc("DELETE /v1/operator/raft/peer", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("address") != "10.0.0.2:8747" {
			http.Error(w, "no such peer", http.StatusNotFound)
			return
		}
		reply(w, struct{}{})
	})
	mux.HandleFunc("GET /v1/operator/autopilot/configuration", func(w http.ResponseWriter, r *http.Request) {
		reply(w, autopilot)
	})
	mux.HandleFunc("PUT /v1/operator/autopilot/configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(autopilot)
		reply(w, true)
	})
	mux.HandleFunc("GET /v1/operator/autopilot/health", func(w http.ResponseWriter, r *http.Request) {
		reply(w, api.OperatorHealthReply{Healthy: true, FailureTolerance: 1, Servers: []*api.ServerHealth{
			{ID: "s1", Name: "s1", Address: "10.0.0.1:8747", SerfStatus: "alive", Leader: true, Voter: true, Healthy: true, LastContact: "0s", LastTerm: 2, LastIndex: 9}}})
	})
	mux.HandleFunc("GET /v1/operator/snapshot", func(w http.ResponseWriter, r *http.Request) {
		w.Write(snap)
	})
	mux.HandleFunc("PUT /v1/operator/snapshot", func(w http.ResponseWriter, r *http.Request) {
		*restored, _ = io.ReadAll(r.Body)
		reply(w, api.SnapshotRestoreResponse{Index: 99})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestClusterCommands(t *testing.T) {
	snap := snapshotFile(t, []byte("state stream"))
	var restored []byte
	ap := &api.AutopilotConfiguration{CleanupDeadServers: true, DeadServerCleanupTime: "30s", LastContactThreshold: "200ms"}
	addr := clusterAgent(t, snap, &restored, ap)

	r := runCLI(t, addr, "", "server", "members")
	wantContains(t, "server members", r.stdout, "Name", "Raft Version", "s1", "10.0.0.1", "alive", "true", "s2", "failed")

	r = runCLI(t, addr, "", "operator", "raft", "list-peers")
	wantContains(t, "list-peers", r.stdout, "Node", "Voter", "s1", "10.0.0.1:8747", "leader", "true")
	if r = runCLI(t, addr, "", "operator", "raft", "remove-peer", "-peer-address=10.0.0.2:8747"); r.code != 0 {
		t.Fatalf("remove-peer: exit %d: %s", r.code, r.stderr)
	}
	if r = runCLI(t, addr, "", "operator", "raft", "remove-peer"); r.code != 1 || !strings.Contains(r.stderr, "-peer-address") {
		t.Fatalf("remove-peer without a peer: got exit %d, %q; want 1 naming -peer-address", r.code, r.stderr)
	}

	if r = runCLI(t, addr, "", "operator", "autopilot", "set-config", "-dead-server-cleanup-time=5s"); r.code != 0 {
		t.Fatalf("set-config: exit %d: %s", r.code, r.stderr)
	}
	if ap.DeadServerCleanupTime != "5s" || !ap.CleanupDeadServers {
		t.Fatalf("got autopilot %+v, want cleanup after 5s, still on", ap)
	}
	r = runCLI(t, addr, "", "operator", "autopilot", "get-config")
	wantContains(t, "get-config", r.stdout, "CleanupDeadServers", "DeadServerCleanupTime = 5s")

	r = runCLI(t, addr, "", "operator", "autopilot", "health")
	wantContains(t, "health", r.stdout, "Healthy: true", "Failure Tolerance: 1", "Last Contact", "10.0.0.1:8747")

	dir := t.TempDir()
	file := filepath.Join(dir, "c.snap")
	if r = runCLI(t, addr, "", "operator", "snapshot", "save", file); r.code != 0 {
		t.Fatalf("save: exit %d: %s", r.code, r.stderr)
	}
	wantContains(t, "save", r.stdout, "index 42")
	r = runCLI(t, "", "", "operator", "snapshot", "inspect", file)
	wantContains(t, "inspect", r.stdout, "Index", "42", "Jobs", "2")
	if r = runCLI(t, addr, "", "operator", "snapshot", "restore", file); r.code != 0 || !bytes.Equal(restored, snap) {
		t.Fatalf("restore: exit %d (%s), uploaded %d bytes; want the file", r.code, r.stderr, len(restored))
	}

	bad := bytes.Clone(snap)
	bad[len(bad)-12] ^= 0xff
	damaged := filepath.Join(dir, "bad.snap")
	os.WriteFile(damaged, bad, 0o644)
	restored = nil
	r = runCLI(t, addr, "", "operator", "snapshot", "restore", damaged)
	if r.code != 1 || restored != nil || !strings.Contains(r.stderr, "corrupt") {
		t.Fatalf("restore of a damaged file: exit %d, uploaded %v, %q; want 1, nothing sent, a corrupt message", r.code, restored != nil, r.stderr)
	}

	r = runCLI(t, "", "", "operator", "keygen")
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(r.stdout))
	if err != nil || len(key) != 32 {
		t.Fatalf("keygen printed %q: want 32 base64 bytes", r.stdout)
	}
}
