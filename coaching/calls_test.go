package coaching_test

import (
	"context"

	"github.com/valmennus/valmennus/coaching"
)

// The calls below are how a host reads a participant, an identity code,
// the notices of a case,
// the access log, an audit trail or a document, and saves a document,
// changes a team or stores a record: through a policy-scoped read
// (Engine.Read, Engine.ReadCase) or change (Engine.ChangeCase), one call
// each, as the tests make them.

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

// readDocument reads version n of a case's document of kind through a view
// opened under op (read_case, or read_welfare for a welfare record).
func readDocument(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, op coaching.Operation, id coaching.CaseID, kind string, n int64) (coaching.Document, error) {
	var d coaching.Document
	err := eng.ReadCase(ctx, actor, op, id, func(v *coaching.CaseView) error {
		var err error
		d, err = v.Document(kind, n)
		return err
	})
	return d, err
}

// saveDocument saves a document version in a change of its own, as a host
// does.
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

// readNotices reads the notices about a case through a view opened under
// read_notices.
func readNotices(ctx context.Context, eng *coaching.Engine, actor coaching.Actor, id coaching.CaseID) ([]coaching.Notice, error) {
	var out []coaching.Notice
	err := eng.ReadCase(ctx, actor, coaching.OpReadNotices, id, func(v *coaching.CaseView) error {
		var err error
		out, err = v.Notices()
		return err
	})
	return out, err
}
