package coachingtest

import (
	"context"

	"github.com/valmennus/valmennus/coaching"
)

// ReadCase returns what read returns from a policy-scoped view of case id
// opened for actor under op ([coaching.Engine.ReadCase]), for a test that
// makes one read per view — with a method value such as
// (*coaching.CaseView).AuditTrail:
//
//	trail, err := coachingtest.ReadCase(ctx, eng, head, coaching.OpReadCase, id, (*coaching.CaseView).AuditTrail)
//
// The view's denials and logged reads reach the access log as they do for
// any ReadCase; the error is ReadCase's.
func ReadCase[T any](ctx context.Context, eng *coaching.Engine, actor coaching.Actor, op coaching.Operation, id coaching.CaseID, read func(*coaching.CaseView) (T, error)) (T, error) {
	var out T
	err := eng.ReadCase(ctx, actor, op, id, func(v *coaching.CaseView) error {
		var err error
		out, err = read(v)
		return err
	})
	return out, err
}

// Read returns what read returns from a policy-scoped read transaction for
// actor ([coaching.Engine.Read]), for a test that makes one read per scope:
//
//	code, err := coachingtest.Read(ctx, eng, head, func(s *coaching.Scope) (coaching.IdentityCode, error) { return s.IdentityCode(id) })
func Read[T any](ctx context.Context, eng *coaching.Engine, actor coaching.Actor, read func(*coaching.Scope) (T, error)) (T, error) {
	var out T
	err := eng.Read(ctx, actor, func(s *coaching.Scope) error {
		var err error
		out, err = read(s)
		return err
	})
	return out, err
}

// ReadParticipant reads participant id as actor is allowed to see it
// (read_participant), through [Read]: how a host reads one.
func ReadParticipant(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.ParticipantID) (coaching.Participant, error) {
	return Read(ctx, eng, actor, func(s *coaching.Scope) (coaching.Participant, error) {
		return s.Participant(coaching.OpReadParticipant, id)
	})
}

// ReadAccessLog reads the access-log entries q selects, as actor is allowed
// to see them ([coaching.Scope.AccessLog]), through [Read].
func ReadAccessLog(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, q coaching.AccessQuery) ([]coaching.AccessEntry, error) {
	return Read(ctx, eng, actor, func(s *coaching.Scope) ([]coaching.AccessEntry, error) { return s.AccessLog(q) })
}
