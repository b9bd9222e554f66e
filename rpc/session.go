package rpc

// The reverse session: clients only dial servers (they may sit behind NAT),
// yet servers must reach a client's allocations (logs, files, stats, exec).
// Every client therefore keeps one bidirectional gRPC stream open to its
// server, SessionService/Session, and the server multiplexes requests to
// the client over it:
//
//	client                                  server
//	  | --- Hello{NodeID, SecretID} ----------> |  registry[nodeID] = session
//	  | <-- Request{ID 1, Op "fs.ls", Body} --- |
//	  | --- Data{ID 1, Body} -----------------> |  (any number, both ways)
//	  | <-- Ack{ID 1, N} ---------------------- |  flow control credit
//	  | --- End{ID 1, Error?} ----------------> |  the answer is complete
//	  | <-- Cancel{ID 1} ---------------------- |  the caller gave up
//	  | --- Ping ------------------------------> |  keeps NAT mappings alive
//
// Each request is a Stream with its own ID. Either side may send Data on
// it; only the side that received the Request ends it (End, with an error
// or not), and only the side that opened it cancels it. Data frames are
// flow controlled per stream with a window of sessionWindow frames, so one
// slow reader (a paused `alloc logs -f`) never stalls the other streams of
// the session: the receive loop never blocks on a stream's consumer.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"google.golang.org/grpc"

	"github.com/droverhq/drover/structs"
)

// SessionServiceName is the gRPC service of the reverse session; it is
// registered next to ServiceName on every server.
const SessionServiceName = "drover.Session"

// SessionMethod is the one bidirectional streaming method of the service.
const SessionMethod = "Session"

// SessionFullMethod is the gRPC path of the session stream.
const SessionFullMethod = "/" + SessionServiceName + "/" + SessionMethod

// Frame kinds.
const (
	FrameHello   uint8 = 1 // client -> server, first frame: Body is a SessionHello
	FrameRequest uint8 = 2 // opens stream ID: Op names the operation, Body its request
	FrameData    uint8 = 3 // one message on stream ID
	FrameEnd     uint8 = 4 // the handler finished stream ID; Error is set on failure
	FrameCancel  uint8 = 5 // the opener gave up on stream ID
	FrameAck     uint8 = 6 // the receiver consumed N data frames of stream ID
	FramePing    uint8 = 7 // keepalive; ignored
)

// sessionWindow is how many data frames a stream may have in flight before
// its sender waits for an Ack; sessionAckEvery is how often acks are sent.
const (
	sessionWindow   = 32
	sessionAckEvery = 8
)

// Frame is one message on the session stream (msgpack-encoded).
type Frame struct {
	Kind  uint8
	ID    uint64
	Op    string
	Body  []byte
	N     int    // Ack: frames consumed
	Error string // End: the handler's error
	Code  string // End: the error's category (see errorCode)
}

// SessionHello opens a session: which node this is.
type SessionHello struct {
	NodeID   string
	SecretID string
}

// ErrSessionClosed is returned by operations on a session that has ended.
var ErrSessionClosed = errors.New("session closed")

// SessionHandler serves one request that arrived on a session. It runs in
// its own goroutine; ctx ends when the opener cancels or the session ends.
// decode decodes the request's body. The handler answers with st.Send and
// returns; its error is sent to the opener with End.
type SessionHandler func(ctx context.Context, op string, decode func(interface{}) error, st *Stream) error

// FrameConn is the transport of a session: a gRPC stream (client or server
// side) or an in-memory pipe in tests. Send is called from one goroutine at
// a time; Recv only from the session's receive loop.
type FrameConn interface {
	Send(*Frame) error
	Recv() (*Frame, error)
}

// Session multiplexes streams over one FrameConn. Create it with
// NewSession and run Serve in a goroutine; Serve returns when the
// connection fails or Close is called.
type Session struct {
	conn    FrameConn
	handler SessionHandler // nil: requests from the peer are refused

	sendMu sync.Mutex // serializes conn.Send

	mu      sync.Mutex
	streams map[uint64]*Stream // open streams by ID; guarded by mu
	nextID  uint64             // guarded by mu
	err     error              // why the session ended; guarded by mu
	done    chan struct{}      // closed when the session ends
	ctx     context.Context    // ends with the session
	cancel  context.CancelFunc
}

// NewSession wraps conn. handler serves requests the peer opens; nil
// refuses them.
func NewSession(conn FrameConn, handler SessionHandler) *Session {
	ctx, cancel := context.WithCancel(context.Background())
	return &Session{conn: conn, handler: handler, streams: map[uint64]*Stream{},
		done: make(chan struct{}), ctx: ctx, cancel: cancel}
}

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err is why the session ended (nil while it runs).
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the session and every stream on it.
func (s *Session) Close() { s.fail(ErrSessionClosed) }

// Ping sends a keepalive frame.
func (s *Session) Ping() error { return s.send(&Frame{Kind: FramePing}) }

func (s *Session) send(f *Frame) error {
	select {
	case <-s.done:
		return s.closedErr()
	default:
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if err := s.conn.Send(f); err != nil {
		s.fail(fmt.Errorf("session send: %w", err))
		return s.closedErr()
	}
	return nil
}

func (s *Session) closedErr() error {
	if err := s.Err(); err != nil && !errors.Is(err, ErrSessionClosed) {
		return fmt.Errorf("%w: %w", ErrSessionClosed, err)
	}
	return ErrSessionClosed
}

// fail ends the session once, waking every stream.
func (s *Session) fail(err error) {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return
	}
	s.err = err
	streams := s.streams
	s.streams = map[uint64]*Stream{}
	close(s.done)
	s.mu.Unlock()
	s.cancel()
	for _, st := range streams {
		st.finish(s.closedErr())
	}
}

// Serve runs the receive loop until the connection fails or the session is
// closed, and returns why.
func (s *Session) Serve() error {
	for {
		f, err := s.conn.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = ErrSessionClosed
			}
			s.fail(err)
			return s.Err()
		}
		s.dispatch(f)
		select {
		case <-s.done:
			return s.Err()
		default:
		}
	}
}

func (s *Session) dispatch(f *Frame) {
	switch f.Kind {
	case FrameRequest:
		s.serveRequest(f)
	case FrameData:
		if st := s.stream(f.ID); st != nil {
			st.deliver(f)
		}
	case FrameAck:
		if st := s.stream(f.ID); st != nil {
			st.credit(f.N)
		}
	case FrameEnd:
		if st := s.stream(f.ID); st != nil {
			s.remove(f.ID)
			st.finish(decodeError(f))
		}
	case FrameCancel:
		if st := s.stream(f.ID); st != nil && st.incoming {
			st.cancel()
		}
	}
}

func (s *Session) stream(id uint64) *Stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streams[id]
}

func (s *Session) remove(id uint64) {
	s.mu.Lock()
	delete(s.streams, id)
	s.mu.Unlock()
}

// serveRequest starts the handler of a request from the peer.
func (s *Session) serveRequest(f *Frame) {
	st := s.newStream(f.ID, true)
	st.body = f.Body
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return
	}
	if _, dup := s.streams[f.ID]; dup {
		s.mu.Unlock()
		_ = s.send(&Frame{Kind: FrameEnd, ID: f.ID, Error: "duplicate stream ID", Code: "invalid"})
		return
	}
	s.streams[f.ID] = st
	s.mu.Unlock()
	go func() {
		var err error
		if s.handler == nil {
			err = fmt.Errorf("this side of the session serves no requests: %w", structs.ErrInvalid)
		} else {
			body := f.Body
			err = s.handler(st.ctx, f.Op, func(v interface{}) error { return Decode(body, v) }, st)
		}
		s.remove(f.ID)
		st.cancel()
		end := &Frame{Kind: FrameEnd, ID: f.ID}
		if err != nil {
			end.Error, end.Code = err.Error(), errorCode(err)
		}
		_ = s.send(end)
	}()
}

func (s *Session) newStream(id uint64, incoming bool) *Stream {
	ctx, cancel := context.WithCancel(s.ctx)
	return &Stream{s: s, id: id, incoming: incoming, ctx: ctx, cancel: cancel,
		in: make(chan *Frame, sessionWindow+1), credits: sessionWindow,
		creditCh: make(chan struct{}, 1), ended: make(chan struct{})}
}

// Open starts a request on the peer: op with req as its body. The caller
// reads the answer with Recv and must Close the stream when done; ending
// ctx cancels the request on the peer.
func (s *Session) Open(ctx context.Context, op string, req interface{}) (*Stream, error) {
	body, err := Encode(req)
	if err != nil {
		return nil, fmt.Errorf("encode %s request: %w", op, err)
	}
	return s.OpenRaw(ctx, op, body)
}

// OpenRaw is Open with the request body already encoded (a proxy passes
// bodies through).
func (s *Session) OpenRaw(ctx context.Context, op string, body []byte) (*Stream, error) {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return nil, s.closedErr()
	}
	s.nextID++
	st := s.newStream(s.nextID, false)
	s.streams[st.id] = st
	s.mu.Unlock()
	if err := s.send(&Frame{Kind: FrameRequest, ID: st.id, Op: op, Body: body}); err != nil {
		s.remove(st.id)
		return nil, err
	}
	go func() {
		select {
		case <-ctx.Done():
			st.Close()
		case <-st.ended:
		}
	}()
	return st, nil
}

// Stream is one request on a session. Send and Recv may be used from two
// goroutines at once (one each).
type Stream struct {
	s        *Session
	id       uint64
	incoming bool // opened by the peer: this side handles it
	ctx      context.Context
	cancel   context.CancelFunc

	body     []byte        // the request's body (incoming streams)
	in       chan *Frame   // received data frames, at most the window
	creditCh chan struct{} // wakes a sender waiting for credit
	ended    chan struct{} // closed by finish

	mu       sync.Mutex
	credits  int   // data frames this side may still send; guarded by mu
	consumed int   // frames read since the last ack; guarded by mu
	endErr   error // why the stream ended; guarded by mu
	once     sync.Once
}

// Context ends when the stream is canceled or the session ends.
func (st *Stream) Context() context.Context { return st.ctx }

// Send sends one message to the peer, waiting for flow-control credit.
func (st *Stream) Send(v interface{}) error {
	body, err := Encode(v)
	if err != nil {
		return fmt.Errorf("encode stream message: %w", err)
	}
	return st.SendRaw(body)
}

// SendRaw sends one already encoded message.
func (st *Stream) SendRaw(body []byte) error {
	for {
		st.mu.Lock()
		if st.credits > 0 {
			st.credits--
			st.mu.Unlock()
			break
		}
		st.mu.Unlock()
		select {
		case <-st.creditCh:
		case <-st.ended:
			return st.Err()
		case <-st.ctx.Done():
			return st.ctx.Err()
		}
	}
	return st.s.send(&Frame{Kind: FrameData, ID: st.id, Body: body})
}

// Recv decodes the next message into v. It returns io.EOF when the handler
// ended the stream without error, else the handler's error.
func (st *Stream) Recv(v interface{}) error {
	body, err := st.RecvRaw()
	if err != nil {
		return err
	}
	if err := Decode(body, v); err != nil {
		return fmt.Errorf("decode stream message: %w", err)
	}
	return nil
}

// RecvRaw returns the next message undecoded; errors as Recv.
func (st *Stream) RecvRaw() ([]byte, error) {
	select {
	case f := <-st.in:
		return st.consume(f), nil
	default:
	}
	select {
	case f := <-st.in:
		return st.consume(f), nil
	case <-st.ended:
		// Frames that arrived before the end are still delivered.
		select {
		case f := <-st.in:
			return st.consume(f), nil
		default:
		}
		return nil, st.Err()
	case <-st.ctx.Done():
		if st.incoming {
			return nil, st.ctx.Err()
		}
		select {
		case <-st.ended:
			return nil, st.Err()
		default:
			return nil, st.ctx.Err()
		}
	}
}

// RequestBody is the encoded request of an incoming stream.
func (st *Stream) RequestBody() []byte { return st.body }

// consume counts a frame read and acks every sessionAckEvery frames.
func (st *Stream) consume(f *Frame) []byte {
	st.mu.Lock()
	st.consumed++
	ack := 0
	if st.consumed >= sessionAckEvery {
		ack, st.consumed = st.consumed, 0
	}
	st.mu.Unlock()
	if ack > 0 {
		_ = st.s.send(&Frame{Kind: FrameAck, ID: st.id, N: ack})
	}
	return f.Body
}

// Err is why the stream ended: io.EOF for a clean end.
func (st *Stream) Err() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.endErr == nil {
		return io.EOF
	}
	return st.endErr
}

// Close gives up on a stream this side opened (the peer's handler is
// canceled); for an incoming stream it cancels the local handler's context.
func (st *Stream) Close() {
	if st.incoming {
		st.cancel()
		return
	}
	select {
	case <-st.ended:
		return
	default:
	}
	st.s.remove(st.id)
	_ = st.s.send(&Frame{Kind: FrameCancel, ID: st.id})
	st.finish(context.Canceled)
}

func (st *Stream) deliver(f *Frame) {
	select {
	case st.in <- f:
	default:
		// The peer sent past its window: a protocol error on this stream.
		st.s.remove(st.id)
		st.finish(fmt.Errorf("stream %d: peer exceeded its flow-control window", st.id))
	}
}

func (st *Stream) credit(n int) {
	st.mu.Lock()
	st.credits += n
	st.mu.Unlock()
	select {
	case st.creditCh <- struct{}{}:
	default:
	}
}

// finish ends the stream with err (nil or io.EOF: a clean end).
func (st *Stream) finish(err error) {
	st.once.Do(func() {
		st.mu.Lock()
		if err != nil && !errors.Is(err, io.EOF) {
			st.endErr = err
		}
		st.mu.Unlock()
		close(st.ended)
		if !st.incoming {
			st.cancel()
		}
	})
}

// errorCode names err's category for the peer.
func errorCode(err error) string {
	switch {
	case errors.Is(err, structs.ErrNotFound):
		return "not_found"
	case errors.Is(err, structs.ErrInvalid):
		return "invalid"
	case errors.Is(err, structs.ErrConflict):
		return "conflict"
	case errors.Is(err, structs.ErrPermissionDenied):
		return "permission_denied"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return ""
}

// decodeError rebuilds a handler's error from an End frame, keeping its
// category so the HTTP layer maps it to the same status.
func decodeError(f *Frame) error {
	if f.Error == "" {
		return nil
	}
	var cat error
	switch f.Code {
	case "not_found":
		cat = structs.ErrNotFound
	case "invalid":
		cat = structs.ErrInvalid
	case "conflict":
		cat = structs.ErrConflict
	case "permission_denied":
		cat = structs.ErrPermissionDenied
	case "canceled":
		cat = context.Canceled
	}
	if cat == nil {
		return errors.New(f.Error)
	}
	return &remoteError{msg: f.Error, cat: cat}
}

// remoteError is an error from the peer, with its category.
type remoteError struct {
	msg string
	cat error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.cat }

// SessionServiceDesc describes the session service: handler serves each
// new client session stream, relay (nil: none) each relay stream from
// another server (session_relay.go).
func SessionServiceDesc(handler, relay func(stream grpc.ServerStream) error) *grpc.ServiceDesc {
	desc := &grpc.ServiceDesc{
		ServiceName: SessionServiceName,
		HandlerType: (*interface{})(nil),
		Streams: []grpc.StreamDesc{{
			StreamName: SessionMethod, ServerStreams: true, ClientStreams: true,
			Handler: func(_ interface{}, stream grpc.ServerStream) error { return handler(stream) },
		}},
	}
	if relay != nil {
		desc.Streams = append(desc.Streams, grpc.StreamDesc{
			StreamName: SessionRelayMethod, ServerStreams: true, ClientStreams: true,
			Handler: func(_ interface{}, stream grpc.ServerStream) error { return relay(stream) },
		})
	}
	return desc
}

// grpcFrames adapts a gRPC stream (either side) to FrameConn.
type grpcFrames struct {
	send func(interface{}) error
	recv func(interface{}) error
}

func (g grpcFrames) Send(f *Frame) error { return g.send(f) }
func (g grpcFrames) Recv() (*Frame, error) {
	f := new(Frame)
	if err := g.recv(f); err != nil {
		return nil, err
	}
	return f, nil
}

// ServerFrames is the server side of a session stream as a FrameConn.
func ServerFrames(stream grpc.ServerStream) FrameConn {
	return grpcFrames{send: stream.SendMsg, recv: stream.RecvMsg}
}

// DialSession opens the session stream on conn (the client side) and sends
// hello. ctx bounds the stream's life.
func DialSession(ctx context.Context, conn grpc.ClientConnInterface, hello *SessionHello) (FrameConn, error) {
	desc := &grpc.StreamDesc{StreamName: SessionMethod, ServerStreams: true, ClientStreams: true}
	cs, err := conn.NewStream(ctx, desc, SessionFullMethod, grpc.CallContentSubtype(CodecName))
	if err != nil {
		return nil, fmt.Errorf("open session stream: %w", err)
	}
	fc := grpcFrames{send: cs.SendMsg, recv: cs.RecvMsg}
	body, err := Encode(hello)
	if err != nil {
		return nil, err
	}
	if err := fc.Send(&Frame{Kind: FrameHello, Body: body}); err != nil {
		return nil, fmt.Errorf("send session hello: %w", err)
	}
	return fc, nil
}

// ReadHello reads the first frame of a session on the server side.
func ReadHello(fc FrameConn) (*SessionHello, error) {
	f, err := fc.Recv()
	if err != nil {
		return nil, fmt.Errorf("read session hello: %w", err)
	}
	if f.Kind != FrameHello {
		return nil, fmt.Errorf("session: first frame is kind %d, want hello: %w", f.Kind, structs.ErrInvalid)
	}
	var h SessionHello
	if err := Decode(f.Body, &h); err != nil {
		return nil, fmt.Errorf("decode session hello: %w", err)
	}
	return &h, nil
}
