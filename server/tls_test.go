package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/rpc/tlstest"
	"github.com/droverhq/drover/structs"
)

// Three servers with mutual TLS form a cluster: Raft runs over TLS, a
// write to a follower is forwarded to the leader over TLS gRPC, and
// neither a plaintext gRPC client nor a TLS client without a
// certificate gets in, on the RPC port or the Raft port.
func TestClusterMutualTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "ca")
	cert, key := ca.Issue("server", "server.global.drover")
	creds, err := rpc.LoadTLS(&rpc.TLSConfig{CAFile: ca.File, CertFile: cert, KeyFile: key, VerifyServerHostname: true, Region: "global"})
	if err != nil {
		t.Fatal(err)
	}
	var servers []*Server
	for i := 1; i <= 3; i++ {
		cfg := clusterConfig(t, fmt.Sprintf("s%d", i), 3)
		cfg.TLS = creds
		if i > 1 {
			cfg.RetryJoin = []string{servers[0].SerfAddr()}
		}
		servers = append(servers, startClusterServer(t, cfg))
	}
	waitLeader(t, servers)
	f := followers(servers)[0]
	job := mockJob(1, 128)
	if _, err := f.JobRegister(context.Background(), &structs.JobRegisterRequest{Job: job}); err != nil {
		t.Fatalf("register through a follower over TLS: %v", err)
	}
	for _, s := range servers {
		waitJob(t, s, job.Namespace, job.ID)
	}

	// A client with a certificate registers; one without is refused.
	conn, err := grpc.NewClient(f.RPCAddr(), creds.DialOption())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	registerNode(t, conn, mockNode(4096))
	plain, err := grpc.NewClient(f.RPCAddr(), (*rpc.TLS)(nil).DialOption())
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var resp structs.NodeUpdateResponse
	if err := rpc.Call(ctx, plain, rpc.NodeRegister, &structs.NodeRegisterRequest{Node: mockNode(4096)}, &resp); err == nil {
		t.Fatal("plaintext gRPC client registered, want it refused")
	}
	for name, addr := range map[string]string{"rpc": f.RPCAddr(), "raft": string(f.parts.transport.LocalAddr())} {
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), ServerName: "server.global.drover"})
		if err == nil {
			c.SetDeadline(time.Now().Add(5 * time.Second))
			_, err = c.Read(make([]byte, 1))
			c.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "certificate required") {
			t.Errorf("%s port without a client certificate: got %v, want \"certificate required\"", name, err)
		}
	}
}
