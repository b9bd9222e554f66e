package rpc

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
)

// ServiceName is the gRPC service every drover server registers.
const ServiceName = "drover.Server"

// Methods, each taking and returning structs types:
const (
	// NodeRegister: *structs.NodeRegisterRequest -> *structs.NodeUpdateResponse
	NodeRegister = "Node.Register"
	// NodeUpdateStatus (heartbeat): *structs.NodeUpdateStatusRequest -> *structs.NodeUpdateResponse
	NodeUpdateStatus = "Node.UpdateStatus"
	// NodeGetClientAllocs (blocking): *structs.NodeSpecificRequest -> *structs.NodeClientAllocsResponse
	NodeGetClientAllocs = "Node.GetClientAllocs"
	// AllocGetAllocs: *structs.AllocsGetRequest -> *structs.AllocsGetResponse (with Job set)
	AllocGetAllocs = "Alloc.GetAllocs"
	// NodeUpdateAlloc: *structs.AllocUpdateRequest -> *structs.GenericResponse
	NodeUpdateAlloc = "Node.UpdateAlloc"
)

func init() { encoding.RegisterCodec(Codec{}) }

// FullMethod is the gRPC path of a method.
func FullMethod(method string) string { return "/" + ServiceName + "/" + method }

// Call invokes a method on a server connection with the msgpack codec.
func Call(ctx context.Context, conn *grpc.ClientConn, method string, req, resp interface{}) error {
	return conn.Invoke(ctx, FullMethod(method), req, resp, grpc.CallContentSubtype(CodecName))
}

// Handler serves one method: it is given a decode function for the request.
type Handler func(ctx context.Context, decode func(interface{}) error) (interface{}, error)

// ServiceDesc builds a grpc.ServiceDesc for handlers keyed by method name.
func ServiceDesc(handlers map[string]Handler) *grpc.ServiceDesc {
	desc := &grpc.ServiceDesc{ServiceName: ServiceName, HandlerType: (*interface{})(nil)}
	for name, h := range handlers {
		h := h
		desc.Methods = append(desc.Methods, grpc.MethodDesc{
			MethodName: name,
			Handler: func(_ interface{}, ctx context.Context, dec func(interface{}) error, _ grpc.UnaryServerInterceptor) (interface{}, error) {
				return h(ctx, dec)
			},
		})
	}
	return desc
}
