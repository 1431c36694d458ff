package coaching_test

import (
	"context"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// The calls below are how a host reads a participant, an identity code,
// the access log, a case's audit trail, notices or document, and saves a
// document, changes a team or stores a record: through a policy-scoped
// read (Engine.Read, Engine.ReadCase) or change (Engine.ChangeCase), one
// call each, as the tests make them.

func readIdentityCode(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.ParticipantID) (coaching.IdentityCode, error) {
	return ct.Read(ctx, eng, actor, func(s *coaching.Scope) (coaching.IdentityCode, error) { return s.IdentityCode(id) })
}

func readAuditTrail(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.CaseID) ([]coaching.AuditEntry, error) {
	return ct.ReadCase(ctx, eng, actor, coaching.OpReadCase, id, (*coaching.CaseView).AuditTrail)
}

func readNotices(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.CaseID) ([]coaching.Notice, error) {
	return ct.ReadCase(ctx, eng, actor, coaching.OpReadNotices, id, (*coaching.CaseView).Notices)
}

// readDocument reads version n of a case's document of kind through a view
// opened under op (read_case, or read_welfare for a welfare record).
func readDocument(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, op coaching.Operation, id coaching.CaseID, kind string, n int64) (coaching.Document, error) {
	return ct.ReadCase(ctx, eng, actor, op, id, func(v *coaching.CaseView) (coaching.Document, error) { return v.Document(kind, n) })
}

// saveDocument saves a document version in a change of its own.
func saveDocument(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.CaseID, dc coaching.DocumentChange) (coaching.Document, error) {
	var d coaching.Document
	_, err := eng.ChangeCase(ctx, actor, coaching.OpChangeCase, id, func(ch *coaching.CaseChange) error {
		var err error
		d, err = ch.SaveDocument(dc)
		return err
	})
	return d, err
}

// changeTeam changes a case's team in a change of its own.
func changeTeam(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.CaseID, tc coaching.TeamChange) (coaching.Case, error) {
	return eng.ChangeCase(ctx, actor, coaching.OpChangeCase, id, func(ch *coaching.CaseChange) error { return ch.ChangeTeam(tc) })
}

// addRecord stores a record in a change of its own; a non-zero expected
// version must be the case's.
func addRecord(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.CaseID, name string, payload any, expected int64) (coaching.Case, error) {
	return eng.ChangeCase(ctx, actor, coaching.OpChangeCase, id, func(ch *coaching.CaseChange) error {
		if err := ch.Record(name, payload, ""); err != nil {
			return err
		}
		if expected != 0 && expected != ch.Case().Version {
			return &coaching.ConflictError{CaseID: id, Expected: expected, Current: ch.Case().Version}
		}
		return nil
	})
}
