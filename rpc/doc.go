// Package rpc is the wire contract between clients and servers: gRPC with a
// msgpack codec that carries the structs types directly, so there is one type
// system and no generated code. Both the server (which registers handlers)
// and the client (which calls them) import it; it imports only structs.
package rpc
