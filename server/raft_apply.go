package server

import (
	"errors"
	"fmt"

	"github.com/hashicorp/raft"

	"github.com/droverhq/drover/server/fsm"
	"github.com/droverhq/drover/structs"
)

// ErrNotLeader is returned for writes sent to a server that is not the
// leader. Forwarding to the leader comes with multi-server clusters.
var ErrNotLeader = errors.New("not the leader")

// notLeaderError says who the leader is, so the caller can retry there.
func (s *Server) notLeaderError() error {
	leader := s.Leader()
	if leader == "" {
		return fmt.Errorf("%w; no leader elected yet: %w", ErrNotLeader, structs.ErrNoLeader)
	}
	return fmt.Errorf("%w; leader is %s", ErrNotLeader, leader)
}

// RaftApply proposes one command and waits until this server's FSM applied
// it. It returns the entry's index; an error the FSM returned is returned
// with the index it was rejected at.
func (s *Server) RaftApply(t structs.MessageType, msg interface{}) (uint64, error) {
	if !s.IsLeader() {
		return 0, s.notLeaderError()
	}
	buf, err := fsm.Encode(t, msg)
	if err != nil {
		return 0, fmt.Errorf("encode raft command %d: %w", t, err)
	}
	f := s.raft.Apply(buf, raftApplyTimeout)
	if err := f.Error(); err != nil {
		if errors.Is(err, raft.ErrNotLeader) || errors.Is(err, raft.ErrLeadershipLost) {
			return 0, s.notLeaderError()
		}
		return 0, fmt.Errorf("raft apply command %d: %w", t, err)
	}
	if err, ok := f.Response().(error); ok && err != nil {
		return f.Index(), err
	}
	return f.Index(), nil
}
