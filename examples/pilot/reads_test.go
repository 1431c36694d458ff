package main

import (
	"context"

	"github.com/valmennus/valmennus/coaching"
)

// The reads below are how a host reads a participant and an identity
// code: through a policy-scoped read (Engine.Read), one call per read, as
// the tests make them.

func readParticipant(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.ParticipantID) (coaching.Participant, error) {
	var p coaching.Participant
	err := eng.Read(ctx, actor, func(s *coaching.Scope) error {
		var err error
		p, err = s.Participant(coaching.OpReadParticipant, id)
		return err
	})
	return p, err
}

func readIdentityCode(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.ParticipantID) (coaching.IdentityCode, error) {
	var code coaching.IdentityCode
	err := eng.Read(ctx, actor, func(s *coaching.Scope) error {
		var err error
		code, err = s.IdentityCode(id)
		return err
	})
	return code, err
}
