package rpc

// Relaying between servers. A client holds its session with one server;
// an HTTP request may reach another. That server opens a Relay stream to
// its peers (SessionService/Relay) naming the node: the peer that holds
// the node's session answers with a hello and proxies every request of
// the relay stream onto the node's session (ProxyHandler); a peer without
// it ends the stream with NotFound. A relay never relays further.

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/droverhq/drover/structs"
)

// SessionRelayMethod is the server-to-server relay stream.
const SessionRelayMethod = "Relay"

// SessionRelayFullMethod is its gRPC path.
const SessionRelayFullMethod = "/" + SessionServiceName + "/" + SessionRelayMethod

// DialRelay asks the server on conn to relay to nodeID's session. It
// returns ErrNotFound when that server holds no session of the node.
func DialRelay(ctx context.Context, conn grpc.ClientConnInterface, nodeID string) (FrameConn, error) {
	desc := &grpc.StreamDesc{StreamName: SessionRelayMethod, ServerStreams: true, ClientStreams: true}
	cs, err := conn.NewStream(ctx, desc, SessionRelayFullMethod, grpc.CallContentSubtype(CodecName))
	if err != nil {
		return nil, fmt.Errorf("open relay stream: %w", err)
	}
	fc := grpcFrames{send: cs.SendMsg, recv: cs.RecvMsg}
	body, err := Encode(&SessionHello{NodeID: nodeID})
	if err != nil {
		return nil, err
	}
	if err := fc.Send(&Frame{Kind: FrameHello, Body: body}); err != nil {
		return nil, fmt.Errorf("send relay hello: %w", err)
	}
	f, err := fc.Recv()
	if err != nil {
		if status.Code(err) == codes.NotFound {
			return nil, fmt.Errorf("%s: %w", status.Convert(err).Message(), structs.ErrNotFound)
		}
		return nil, fmt.Errorf("relay to node %s: %w", nodeID, err)
	}
	if f.Kind != FrameHello {
		return nil, fmt.Errorf("relay to node %s: first answer is frame kind %d, want hello", nodeID, f.Kind)
	}
	return fc, nil
}

// AcceptRelay tells the relaying server that this one holds the session.
func AcceptRelay(fc FrameConn) error {
	return fc.Send(&Frame{Kind: FrameHello})
}

// ProxyHandler serves each request by opening the same request on target
// and copying messages both ways until target's handler ends it.
func ProxyHandler(target *Session) SessionHandler {
	return func(ctx context.Context, op string, _ func(interface{}) error, st *Stream) error {
		out, err := target.OpenRaw(ctx, op, st.RequestBody())
		if err != nil {
			return err
		}
		defer out.Close()
		go func() {
			for {
				b, err := st.RecvRaw()
				if err != nil {
					return
				}
				if out.SendRaw(b) != nil {
					return
				}
			}
		}()
		for {
			b, err := out.RecvRaw()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := st.SendRaw(b); err != nil {
				return err
			}
		}
	}
}
