package rpc

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/droverhq/drover/structs"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func TestCodecRoundTrip(t *testing.T) {
	now := time.Now().Round(0)
	in := &structs.Allocation{ID: "a1", Job: &structs.Job{ID: "web", TaskGroups: []*structs.TaskGroup{{Name: "g", Count: 2}}},
		TaskStates: map[string]*structs.TaskState{"t": {State: "running", StartedAt: now}}}
	b, err := Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	var out structs.Allocation
	if err := Decode(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Job.TaskGroups[0].Count != 2 || !out.TaskStates["t"].StartedAt.Equal(now) {
		t.Fatalf("got %+v, want the same allocation back", out)
	}
}

func TestCallOverGRPC(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	srv.RegisterService(ServiceDesc(map[string]Handler{
		NodeRegister: func(ctx context.Context, decode func(interface{}) error) (interface{}, error) {
			var req structs.NodeRegisterRequest
			if err := decode(&req); err != nil {
				return nil, err
			}
			return &structs.NodeUpdateResponse{HeartbeatTTL: 10 * time.Second, Servers: []string{req.Node.Name}}, nil
		},
	}), nil)
	go srv.Serve(lis)
	defer srv.Stop()

	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var resp structs.NodeUpdateResponse
	err = Call(context.Background(), conn, NodeRegister, &structs.NodeRegisterRequest{Node: &structs.Node{Name: "n1"}}, &resp)
	if err != nil {
		t.Fatal(err)
	}
	if resp.HeartbeatTTL != 10*time.Second || len(resp.Servers) != 1 || resp.Servers[0] != "n1" {
		t.Fatalf("got %+v, want TTL 10s and servers [n1]", resp)
	}
}
