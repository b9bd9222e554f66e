package server

import (
	"context"
	"errors"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/droverhq/drover/rpc"
	"github.com/droverhq/drover/structs"
)

// maxRPCMessage bounds one gRPC message; batches of allocations with their
// jobs can exceed gRPC's 4 MiB default.
const maxRPCMessage = 64 << 20

// listenRPC binds the gRPC listener, so the bound port is known before
// Raft's address is derived from it.
func (s *Server) listenRPC() error {
	lis, err := net.Listen("tcp", s.config.RPCAddr)
	if err != nil {
		return fmt.Errorf("listen for RPC on %s: %w", s.config.RPCAddr, err)
	}
	s.rpcListener = lis
	s.rpcAddr = firstNonEmpty(s.config.RPCAdvertise, lis.Addr().String())
	return nil
}

// serveRPC registers drover's service and serves it until Shutdown.
func (s *Server) serveRPC() {
	s.grpc = grpc.NewServer(s.config.TLS.ServerOption(), grpc.MaxRecvMsgSize(maxRPCMessage), grpc.MaxSendMsgSize(maxRPCMessage))
	s.grpc.RegisterService(rpc.ServiceDesc(map[string]rpc.Handler{
		rpc.NodeRegister:        handle(s.nodeRegister),
		rpc.NodeUpdateStatus:    handle(s.nodeUpdateStatus),
		rpc.NodeGetClientAllocs: handle(s.nodeGetClientAllocs),
		rpc.AllocGetAllocs:      handle(s.allocGetAllocs),
		rpc.NodeUpdateAlloc:     handle(s.nodeUpdateAlloc),
	}), nil)
	s.registerSessionService(s.grpc)
	s.registerClusterService(s.grpc)
	lis := s.rpcListener
	s.goFunc(func() {
		if err := s.grpc.Serve(lis); err != nil {
			s.logger.Error("gRPC server stopped", "error", err)
		}
	})
}

// handle adapts a typed endpoint to an rpc.Handler.
func handle[Req any, Resp any](f func(context.Context, *Req) (*Resp, error)) rpc.Handler {
	return func(ctx context.Context, decode func(interface{}) error) (interface{}, error) {
		req := new(Req)
		if err := decode(req); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "decode request: %v", err)
		}
		resp, err := f(ctx, req)
		if err != nil {
			return nil, grpcError(err)
		}
		return resp, nil
	}
}

// grpcError gives an error the gRPC code of its category, so clients can
// tell a bad request from a missing object or a retryable condition:
// ErrInvalid -> InvalidArgument, ErrNotFound -> NotFound (a client whose
// node is unknown should register again), ErrConflict -> Aborted,
// ErrPermissionDenied -> PermissionDenied, not the leader -> Unavailable
// (retry, at the leader named in the message), anything else -> Internal.
func grpcError(err error) error {
	code := codes.Internal
	switch {
	case errors.Is(err, structs.ErrInvalid), errors.Is(err, structs.ErrAmbiguousPrefix):
		code = codes.InvalidArgument
	case errors.Is(err, structs.ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, structs.ErrConflict):
		code = codes.Aborted
	case errors.Is(err, structs.ErrPermissionDenied):
		code = codes.PermissionDenied
	case errors.Is(err, ErrNotLeader), errors.Is(err, structs.ErrNoLeader):
		code = codes.Unavailable
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	}
	return status.Error(code, err.Error())
}
