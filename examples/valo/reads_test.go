package main

import (
	"context"

	"github.com/valmennus/valmennus/coaching"
)

// The reads below are how a host reads a participant, an identity code and
// the access log: through a policy-scoped read (Engine.Read), one call per
// read, as the tests make them.

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

func readAccessLog(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, q coaching.AccessQuery) ([]coaching.AccessEntry, error) {
	var out []coaching.AccessEntry
	err := eng.Read(ctx, actor, func(s *coaching.Scope) error {
		var err error
		out, err = s.AccessLog(q)
		return err
	})
	return out, err
}

// readAuditTrail reads a case's audit trail through a policy-scoped view
// of the case (read_case), as a host does.
func readAuditTrail(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.CaseID) ([]coaching.AuditEntry, error) {
	var trail []coaching.AuditEntry
	err := eng.ReadCase(ctx, actor, coaching.OpReadCase, id, func(v *coaching.CaseView) error {
		var err error
		trail, err = v.AuditTrail()
		return err
	})
	return trail, err
}
