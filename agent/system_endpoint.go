package agent

import (
	"context"
	"net/http"

	"github.com/droverhq/drover/server"
)

// gcServer is the server's forced garbage collection; *server.Server
// implements it. Kept apart from serverAPI so that fakes need not.
type gcServer interface {
	ForceGC(ctx context.Context) (*server.GCResult, error)
}

// systemGC answers PUT /v1/system/gc: a garbage collection pass on the
// leader that deletes every terminal eval and alloc of stopped and purged
// jobs now, without waiting for the periodic pass's threshold. It answers
// with the counts deleted.
func (s *httpServer) systemGC(w http.ResponseWriter, r *http.Request) (any, error) {
	if s.srv == nil {
		return nil, errNoServer
	}
	gc, ok := s.srv.(gcServer)
	if !ok {
		return nil, &httpError{code: http.StatusNotImplemented, msg: "this server cannot garbage collect"}
	}
	return gc.ForceGC(r.Context())
}
