package rpc

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// CodecName is the gRPC content-subtype of drover's msgpack codec.
const CodecName = "drover-msgpack"

// MsgpackHandle is shared by the RPC codec, Raft commands and snapshots, so
// every encoded form of a struct agrees.
var MsgpackHandle = func() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{}
	h.RawToString = true
	h.MapType = nil
	h.TimeNotBuiltin = true
	return h
}()

// Encode msgpack-encodes v.
func Encode(v interface{}) ([]byte, error) {
	var buf bytes.Buffer
	if err := codec.NewEncoder(&buf, MsgpackHandle).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode msgpack-decodes b into v.
func Decode(b []byte, v interface{}) error {
	return codec.NewDecoderBytes(b, MsgpackHandle).Decode(v)
}

// Codec implements grpc's encoding.Codec with msgpack.
type Codec struct{}

// Marshal encodes a request or response.
func (Codec) Marshal(v interface{}) ([]byte, error) {
	b, err := Encode(v)
	if err != nil {
		return nil, fmt.Errorf("msgpack encode %T: %w", v, err)
	}
	return b, nil
}

// Unmarshal decodes a request or response.
func (Codec) Unmarshal(data []byte, v interface{}) error {
	if err := Decode(data, v); err != nil {
		return fmt.Errorf("msgpack decode %T: %w", v, err)
	}
	return nil
}

// Name is the codec's content-subtype.
func (Codec) Name() string { return CodecName }
