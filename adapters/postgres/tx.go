package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/coaching/signon"
)

// txn implements coaching.Tx (and so coaching.ReadTx) over one
// transaction: the store's own (View, Update) or a host's (Store.Tx).
type txn struct {
	s  *Store
	db dbtx
	// kept are the access-log entries written again after a rollback
	// (coaching.DenialKeeper); nil for a transaction the host began, whose
	// end the store does not see.
	kept *[]coaching.AccessEntry
}

// KeepOnRollback implements coaching.DenialKeeper for the transactions
// the store runs (Update); a host's own transaction (Store.Tx) keeps
// nothing beyond its own end.
func (t *txn) KeepOnRollback(e coaching.AccessEntry) {
	if t.kept != nil {
		*t.kept = append(*t.kept, e.Clone())
	}
}

var (
	_ coaching.Tx              = (*txn)(nil)
	_ coaching.PipelinedTx     = (*txn)(nil)
	_ coaching.PipelinedCaseTx = (*txn)(nil)
)

// ---- reads --------------------------------------------------------------

// Participant implements coaching.ReadTx.
func (t *txn) Participant(ctx context.Context, org coaching.OrganisationID, id coaching.ParticipantID) (coaching.Participant, error) {
	tg := target{kind: "participant", id: string(id)}
	var p coaching.Participant
	if !lookupKey(string(id), maxIDBytes) || !lookupKey(string(org), maxNameBytes) {
		return p, interpretError(pgx.ErrNoRows, tg)
	}
	rows, err := t.db.Query(ctx, t.s.q.participant, string(org), string(id))
	err = queryOne(rows, err, func(r pgx.Rows) error {
		var (
			data []byte
			code pgtype.Text
		)
		if err := r.Scan(&data, &code); err != nil {
			return err
		}
		return decodeParticipant(data, code, &p)
	})
	return p, interpretError(err, tg)
}

// Case implements coaching.ReadTx.
func (t *txn) Case(ctx context.Context, id coaching.CaseID) (coaching.Case, error) {
	tg := target{kind: "case", id: string(id), caseID: id}
	var c coaching.Case
	if !lookupKey(string(id), maxIDBytes) {
		return c, interpretError(pgx.ErrNoRows, tg)
	}
	rows, err := t.db.Query(ctx, t.s.q.caseByID, string(id))
	err = queryOne(rows, err, func(r pgx.Rows) error {
		var data []byte
		if err := r.Scan(&data); err != nil {
			return err
		}
		return decodeCase(data, &c)
	})
	return c, interpretError(err, tg)
}

// AuditTrail implements coaching.ReadTx.
func (t *txn) AuditTrail(ctx context.Context, id coaching.CaseID, afterSeq int64) ([]coaching.AuditEntry, error) {
	out := []coaching.AuditEntry{}
	if !lookupKey(string(id), maxIDBytes) {
		return out, nil
	}
	rows, err := t.db.Query(ctx, t.s.q.auditTrail, string(id), afterSeq)
	return collect(rows, err, out, target{caseID: id}, scanAudit)
}

// Command implements coaching.ReadTx.
func (t *txn) Command(ctx context.Context, id coaching.CaseID, key string) (coaching.CommandRecord, error) {
	tg := target{kind: "command", id: string(id) + "/" + key, caseID: id}
	var r coaching.CommandRecord
	if !lookupKey(string(id), maxIDBytes) || !lookupKey(key, maxIDBytes) {
		return r, interpretError(pgx.ErrNoRows, tg)
	}
	rows, err := t.db.Query(ctx, t.s.q.command, string(id), key)
	err = queryOne(rows, err, func(row pgx.Rows) error {
		var (
			caseID string
			at     time.Time
		)
		if err := row.Scan(&caseID, &r.Key, &r.Fingerprint, &r.Seq, &at); err != nil {
			return err
		}
		r.CaseID, r.At = coaching.CaseID(caseID), at.UTC()
		return nil
	})
	return r, interpretError(err, tg)
}

// Document implements coaching.ReadTx.
func (t *txn) Document(ctx context.Context, id coaching.CaseID, kind string, version int64) (coaching.Document, error) {
	tg := target{kind: "document", id: string(id) + "/" + kind + "/" + strconv.FormatInt(version, 10), caseID: id}
	var d coaching.Document
	if !lookupKey(string(id), maxIDBytes) || !lookupKey(kind, maxIDBytes) {
		return d, interpretError(pgx.ErrNoRows, tg)
	}
	var (
		rows pgx.Rows
		err  error
	)
	if version == 0 {
		rows, err = t.db.Query(ctx, t.s.q.documentLatest, string(id), kind)
	} else {
		rows, err = t.db.Query(ctx, t.s.q.document, string(id), kind, version)
	}
	err = queryOne(rows, err, func(r pgx.Rows) error { return scanDocument(r, &d) })
	return d, interpretError(err, tg)
}

// Documents implements coaching.ReadTx.
func (t *txn) Documents(ctx context.Context, id coaching.CaseID, kind string) ([]coaching.Document, error) {
	out := []coaching.Document{}
	if !lookupKey(string(id), maxIDBytes) || !lookupKey(kind, maxIDBytes) {
		return out, nil
	}
	rows, err := t.db.Query(ctx, t.s.q.documents, string(id), kind)
	return collect(rows, err, out, target{caseID: id}, scanDocument)
}

// Marks implements attendance.Reader.
func (t *txn) Marks(ctx context.Context, id coaching.CaseID, from, to coaching.Date) ([]attendance.Mark, error) {
	out := []attendance.Mark{}
	if !lookupKey(string(id), maxIDBytes) {
		return out, nil
	}
	rows, err := t.db.Query(ctx, t.s.q.marks, string(id), sqlDate(from), sqlDate(to))
	return collect(rows, err, out, target{caseID: id}, scanMark)
}

// MarkHistory implements attendance.Reader.
func (t *txn) MarkHistory(ctx context.Context, id coaching.CaseID, key attendance.MarkKey) ([]attendance.Mark, error) {
	out := []attendance.Mark{}
	if !lookupKey(string(id), maxIDBytes) || !lookupKey(key.Lesson, maxIDBytes) || !key.Date.Valid() {
		return out, nil
	}
	rows, err := t.db.Query(ctx, t.s.q.markHistory, string(id), sqlDate(key.Date), key.Lesson)
	return collect(rows, err, out, target{caseID: id}, scanMark)
}

// RecentMarks implements attendance.Reader: one round trip that reads the
// window's marks only.
func (t *txn) RecentMarks(ctx context.Context, id coaching.CaseID, to coaching.Date, days int) ([]attendance.Mark, error) {
	out := []attendance.Mark{}
	if days <= 0 || !lookupKey(string(id), maxIDBytes) || !to.Valid() {
		return out, nil
	}
	rows, err := t.db.Query(ctx, t.s.q.recentMarks, string(id), sqlDate(to), days)
	return collect(rows, err, out, target{caseID: id}, scanMark)
}

// RecentDays implements attendance.Reader.
func (t *txn) RecentDays(ctx context.Context, id coaching.CaseID, to coaching.Date, days int) ([]attendance.Day, error) {
	out := []attendance.Day{}
	if days <= 0 || !lookupKey(string(id), maxIDBytes) || !to.Valid() {
		return out, nil
	}
	rows, err := t.db.Query(ctx, t.s.q.recentDays, string(id), sqlDate(to), days)
	out, err = collect(rows, err, out, target{caseID: id}, func(r pgx.Row, d *attendance.Day) error {
		var date pgtype.Date
		var n [5]int64
		if err := r.Scan(&date, &n[0], &n[1], &n[2], &n[3], &n[4]); err != nil {
			return err
		}
		d.Date = dateOf(date)
		d.Marks, d.Minutes, d.AbsentMarks, d.AbsentMinutes, d.Unexplained = int(n[0]), int(n[1]), int(n[2]), int(n[3]), int(n[4])
		return nil
	})
	slices.Reverse(out)
	return out, err
}

// State implements attendance.Reader.
func (t *txn) State(ctx context.Context, id coaching.CaseID) (attendance.State, error) {
	var st attendance.State
	if !lookupKey(string(id), maxIDBytes) {
		return st, nil
	}
	var flags []byte
	tt := &st.Totals
	var n [5]int64
	rows, err := t.db.Query(ctx, t.s.q.attendanceState, string(id))
	err = queryOne(rows, err, func(r pgx.Rows) error { return r.Scan(&n[0], &n[1], &n[2], &n[3], &n[4], &flags) })
	if errors.Is(err, pgx.ErrNoRows) {
		return attendance.State{}, nil
	}
	if err != nil {
		return attendance.State{}, interpretError(err, target{kind: "attendance state", id: string(id), caseID: id})
	}
	tt.Marks, tt.Minutes, tt.AbsentMarks, tt.AbsentMinutes, tt.Unexplained = int(n[0]), int(n[1]), int(n[2]), int(n[3]), int(n[4])
	if len(flags) > 0 {
		if err := json.Unmarshal(flags, &st.Flags); err != nil {
			return attendance.State{}, fmt.Errorf("postgres: the attendance flags of case %q do not decode: %w", id, err)
		}
	}
	if len(st.Flags) == 0 {
		st.Flags = nil
	}
	for i := range st.Flags {
		st.Flags[i].Since = st.Flags[i].Since.UTC()
	}
	return st, nil
}

// PutFlags implements attendance.Store.
func (t *txn) PutFlags(ctx context.Context, id coaching.CaseID, flags []attendance.RiskFlag) error {
	tg := target{kind: "attendance state", id: string(id), caseID: id}
	c := checker{subject: "attendance flags"}
	c.key("case_id", string(id), maxIDBytes)
	for i := range flags {
		c.text("["+strconv.Itoa(i)+"]", &flags[i])
	}
	if err := c.err(); err != nil {
		return err
	}
	if flags == nil {
		flags = []attendance.RiskFlag{}
	}
	b, err := json.Marshal(flags)
	if err != nil {
		return err
	}
	tag, err := t.db.Exec(ctx, t.s.q.putFlags, string(id), b)
	if err != nil {
		return interpretError(err, tg)
	}
	if tag.RowsAffected() == 0 {
		return &coaching.NotFoundError{Kind: "case", ID: string(id)}
	}
	return nil
}

// collect scans every row of a query into out with scan, mapping errors
// for the target in one place.
func collect[T any](rows pgx.Rows, err error, out []T, tg target, scan func(pgx.Row, *T) error) ([]T, error) {
	if err != nil {
		return nil, interpretError(err, tg)
	}
	defer rows.Close()
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, interpretError(err, tg)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, interpretError(err, tg)
	}
	return out, nil
}

// Notice implements coaching.ReadTx.
func (t *txn) Notice(ctx context.Context, id string) (coaching.Notice, error) {
	return readNotice(ctx, t.s, t.db, id)
}

func (t *txn) Notices(ctx context.Context, q coaching.NoticeQuery) ([]coaching.Notice, error) {
	return readNotices(ctx, t.s, t.db, q)
}

func readNotice(ctx context.Context, s *Store, db dbtx, id string) (coaching.Notice, error) {
	tg := target{kind: "notice", id: id}
	var n coaching.Notice
	if !lookupKey(id, maxComposedBytes) {
		return n, interpretError(pgx.ErrNoRows, tg)
	}
	rows, err := db.Query(ctx, s.q.notice, id)
	err = queryOne(rows, err, func(r pgx.Rows) error { return scanNotice(r, &n) })
	return n, interpretError(err, tg)
}

// Sessions implements coaching.ReadTx.
func (t *txn) Sessions(ctx context.Context, q session.Query) ([]session.Session, error) {
	out := []session.Session{}
	if !storableText(q.ActorID) || !storableText(string(q.CaseID)) || !storableText(string(q.Kind)) {
		return out, nil
	}
	rows, err := t.db.Query(ctx, t.s.q.sessions, sqlDate(q.From), sqlDate(q.To),
		textOrNull(q.ActorID), textOrNull(string(q.CaseID)), textOrNull(string(q.Kind)))
	return collect(rows, err, out, target{}, scanSession)
}

// ---- writes -------------------------------------------------------------

// InsertParticipant implements coaching.Tx.
func (t *txn) InsertParticipant(ctx context.Context, p coaching.Participant) error {
	tg := target{kind: "participant", id: string(p.ID)}
	if err := checkParticipant(&p); err != nil {
		return err
	}
	data, code, err := encodeParticipant(&p)
	if err != nil {
		return err
	}
	tag, err := t.db.Exec(ctx, t.s.q.insertParticipant, string(p.ID), string(p.Organisation), code, data, caseload.NameKey(p.FamilyName, p.GivenNames), signOnArg(&p))
	if err != nil {
		return participantWriteError(err, tg)
	}
	if tag.RowsAffected() == 0 {
		exists, err := t.participantExists(ctx, &p)
		if err != nil {
			return err
		}
		if exists {
			return &coaching.DuplicateError{Kind: "participant", ID: string(p.ID)}
		}
		return coaching.SignOnTaken()
	}
	return nil
}

// signOnArg is p's sign-on id as the participants' sign_on column holds it
// (NULL when none is linked).
func signOnArg(p *coaching.Participant) any {
	if p.SignOn == "" {
		return nil
	}
	return p.SignOn
}

// participantExists reports whether p's organisation has a participant
// with p's id: a write that wrote nothing asks it to tell a missing or
// duplicate key from a sign-on id another participant holds.
func (t *txn) participantExists(ctx context.Context, p *coaching.Participant) (bool, error) {
	var exists bool
	rows, err := t.db.Query(ctx, t.s.q.participantExists, string(p.Organisation), string(p.ID))
	if err := queryOne(rows, err, func(r pgx.Rows) error { return r.Scan(&exists) }); err != nil {
		return false, interpretError(err, target{kind: "participant", id: string(p.ID)})
	}
	return exists, nil
}

// participantWriteError is interpretError for a participant's write, but
// for the unique index on sign-on ids (migration 0012): a concurrent
// transaction took the id after the write's own check, and the refusal is
// the one that check gives (coaching.SignOnTaken).
func participantWriteError(err error, tg target) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "participants_sign_on" {
		return coaching.SignOnTaken()
	}
	return interpretError(err, tg)
}

// UpdateParticipant implements coaching.Tx.
func (t *txn) UpdateParticipant(ctx context.Context, p coaching.Participant) error {
	tg := target{kind: "participant", id: string(p.ID)}
	if !lookupKey(string(p.ID), maxIDBytes) {
		return interpretError(pgx.ErrNoRows, tg)
	}
	if err := checkParticipant(&p); err != nil {
		return err
	}
	data, code, err := encodeParticipant(&p)
	if err != nil {
		return err
	}
	tag, err := t.db.Exec(ctx, t.s.q.updateParticipant, string(p.ID), string(p.Organisation), code, data, caseload.NameKey(p.FamilyName, p.GivenNames), signOnArg(&p))
	if err != nil {
		return participantWriteError(err, tg)
	}
	if tag.RowsAffected() == 0 {
		exists, err := t.participantExists(ctx, &p)
		if err != nil {
			return err
		}
		if exists {
			return coaching.SignOnTaken()
		}
		return interpretError(pgx.ErrNoRows, tg)
	}
	return nil
}

func checkParticipant(p *coaching.Participant) error {
	c := checker{subject: "participant"}
	c.key("id", string(p.ID), maxIDBytes)
	c.key("organisation", string(p.Organisation), maxNameBytes)
	c.key("sign_on", p.SignOn, maxIDBytes) // in the unique index of 0012
	c.text("", p)
	return c.err()
}

// InsertCase implements coaching.Tx.
func (t *txn) InsertCase(ctx context.Context, c coaching.Case) error {
	data, err := t.caseData(&c)
	if err != nil {
		return err
	}
	tag, err := t.db.Exec(ctx, t.s.q.insertCase, string(c.ID), string(c.ParticipantID), string(c.Organisation), c.Model, c.State,
		c.Version, c.OpenedAt, optTime(c.ClosedAt), data, teamKey(c.Team))
	if err != nil {
		return interpretError(err, target{kind: "case", id: string(c.ID), caseID: c.ID})
	}
	if tag.RowsAffected() == 0 {
		return &coaching.DuplicateError{Kind: "case", ID: string(c.ID)}
	}
	return nil
}

// UpdateCase implements coaching.Tx: UPDATE ... WHERE id AND version is
// the compare-and-set. When it changes nothing, the stored version (or its
// absence) says why.
func (t *txn) UpdateCase(ctx context.Context, c coaching.Case, expected int64) error {
	tg := target{kind: "case", id: string(c.ID), caseID: c.ID}
	if !lookupKey(string(c.ID), maxIDBytes) {
		return interpretError(pgx.ErrNoRows, tg)
	}
	data, err := t.caseData(&c)
	if err != nil {
		return err
	}
	tag, err := t.db.Exec(ctx, t.s.q.updateCase, string(c.ID), expected, string(c.ParticipantID), string(c.Organisation), c.Model, c.State,
		c.Version, c.OpenedAt, optTime(c.ClosedAt), data, teamKey(c.Team))
	if err != nil {
		return interpretError(err, tg)
	}
	if tag.RowsAffected() == 1 {
		if own, ok := t.db.(*ownTx); ok {
			own.updated.id, own.updated.version, own.updated.statements = c.ID, c.Version, own.statements
		}
		return nil
	}
	var current int64
	rows, err := t.db.Query(ctx, t.s.q.caseVersion, string(c.ID))
	if err := interpretError(queryOne(rows, err, func(r pgx.Rows) error { return r.Scan(&current) }), tg); err != nil {
		return err
	}
	return &coaching.ConflictError{CaseID: c.ID, Expected: expected, Current: current}
}

// UpdateCaseLater implements coaching.PipelinedCaseTx. In a read-write
// transaction the store began itself, the UPDATE travels with the next
// statement or the commit (Fire's audit entry, timers, notices and COMMIT:
// one round trip less per Fire), in a form that raises an error instead of
// updating nothing (queries.updateCaseOrFail): a lost compare-and-set fails
// the transaction, nothing is written, and the error is UpdateCase's. Its
// arguments are checked at once. In a host's transaction, which the store
// must never leave failed, it is UpdateCase.
func (t *txn) UpdateCaseLater(ctx context.Context, c coaching.Case, expected int64) error {
	own, ok := t.db.(*ownTx)
	if !ok || !own.deferrable {
		return t.UpdateCase(ctx, c, expected)
	}
	tg := target{kind: "case", id: string(c.ID), caseID: c.ID, expected: expected}
	if !lookupKey(string(c.ID), maxIDBytes) {
		return interpretError(pgx.ErrNoRows, tg)
	}
	data, err := t.caseData(&c)
	if err != nil {
		return err
	}
	if err := own.deferExec(ctx, tg, t.s.q.updateCaseOrFail, string(c.ID), expected, string(c.ParticipantID), string(c.Organisation),
		c.Model, c.State, c.Version, c.OpenedAt, optTime(c.ClosedAt), data, teamKey(c.Team)); err != nil {
		return err
	}
	// Every statement from now on runs after the UPDATE, on the row it
	// locked, or not at all: as good as a successful UpdateCase for
	// AppendAudit and AppendRecords.
	own.updated.id, own.updated.version, own.updated.statements = c.ID, c.Version, own.statements
	return nil
}

func (t *txn) caseData(c *coaching.Case) ([]byte, error) {
	k := checker{subject: "case"}
	k.key("id", string(c.ID), maxIDBytes)
	k.key("participant_id", string(c.ParticipantID), maxIDBytes)
	k.key("organisation", string(c.Organisation), maxNameBytes)
	k.key("model", c.Model, maxNameBytes)
	k.key("state", c.State, maxNameBytes)
	k.text("", c)
	if err := k.err(); err != nil {
		return nil, err
	}
	return encodeCase(c)
}

// AppendAudit implements coaching.Tx. The INSERT itself checks that the
// case exists and that Seq follows its last entry.
func (t *txn) AppendAudit(ctx context.Context, e coaching.AuditEntry) error {
	tg := target{kind: "audit entry", id: string(e.CaseID) + "/" + strconv.FormatInt(e.Seq, 10), caseID: e.CaseID, versioned: true}
	c := checker{subject: "audit entry"}
	c.key("case_id", string(e.CaseID), maxIDBytes)
	c.text("", &e)
	if err := c.err(); err != nil {
		return err
	}
	var roles []string
	if len(e.Roles) > 0 {
		roles = make([]string, len(e.Roles))
		for i, r := range e.Roles {
			roles[i] = string(r)
		}
	}
	args := []any{string(e.CaseID), e.Seq, e.At, string(e.Kind), e.ActorID, roles, e.Event, e.From, e.To, e.Reason, jsonOrNull(e.Payload), e.IdempotencyKey}
	// The engine's commit: UpdateCase has just moved this case to version
	// Seq, in this transaction, and nothing ran since (or UpdateCaseLater
	// queued that UPDATE, which runs before this INSERT or fails the
	// transaction). The case's row is locked by that UPDATE, and the
	// engine keeps the audit sequence equal to the case version, so the
	// entry follows the last one: the INSERT travels with the next
	// statement or the COMMIT (one round trip less per Fire). Its check
	// still runs, in a form that raises an error instead of inserting
	// nothing, so if the sequence was out of step after all the
	// transaction fails with a *ConflictError and nothing is written.
	if own, ok := t.db.(*ownTx); ok && own.deferrable && own.updated.version > 0 && own.updated.id == e.CaseID &&
		own.updated.version == e.Seq && own.updated.statements == own.statements {
		return own.deferExec(ctx, tg, t.s.q.appendAuditOrFail, args...)
	}
	tag, err := t.db.Exec(ctx, t.s.q.appendAudit, args...)
	if err != nil {
		return interpretError(err, tg)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	exists, last, err := t.existsAndLast(ctx, t.s.q.lastAudit, tg, string(e.CaseID))
	if err != nil {
		return err
	}
	if !exists {
		return &coaching.NotFoundError{Kind: "case", ID: string(e.CaseID)}
	}
	return &coaching.ConflictError{CaseID: e.CaseID, Expected: e.Seq - 1, Current: last}
}

// Records implements coaching.ReadTx: the latest of named records is one
// backward index step per name, whatever else the case holds.
func (t *txn) Records(ctx context.Context, id coaching.CaseID, q coaching.RecordQuery) ([]coaching.Record, error) {
	out := []coaching.Record{}
	if !lookupKey(string(id), maxIDBytes) {
		return out, nil
	}
	var names []string
	for _, n := range q.Names {
		if lookupKey(n, maxIDBytes) && !slices.Contains(names, n) {
			names = append(names, n) // a name PostgreSQL cannot store names no record
		}
	}
	var (
		rows pgx.Rows
		err  error
	)
	switch {
	case len(q.Names) == 0:
		rows, err = t.db.Query(ctx, t.s.q.records, string(id), q.SeqFloor())
	case len(names) == 0:
		return out, nil
	case q.Latest:
		rows, err = t.db.Query(ctx, t.s.q.latestRecords, string(id), names, q.SeqFloor())
	default:
		rows, err = t.db.Query(ctx, t.s.q.recordsNamed, string(id), names, q.SeqFloor())
	}
	out, err = collect(rows, err, out, target{caseID: id}, scanRecord)
	if err != nil {
		return nil, err
	}
	if q.Latest && len(q.Names) == 0 {
		out = q.Select(out)
	}
	return out, nil
}

// checkRecords checks records before they are written: text PostgreSQL
// can store, a name an index can hold, and data that is JSON a jsonb
// column can hold.
func checkRecords(id coaching.CaseID, records []coaching.Record) error {
	c := checker{subject: "records of case " + strconv.Quote(string(id))}
	c.key("case_id", string(id), maxIDBytes)
	for i, r := range records {
		field := "records[" + strconv.Itoa(i) + "]"
		c.key(field+".name", r.Name, maxIDBytes)
		c.text(field, &r) // the data too: JSON a jsonb column can hold
	}
	return c.err()
}

// AppendRecords implements coaching.Tx. In the engine's commit the case's
// row was updated (and locked) just before, in this transaction; the
// INSERTs then travel with the next statement or the COMMIT (no round
// trip of their own). An INSERT cannot quietly insert nothing — an unknown
// case fails its foreign key — so a deferred one that fails fails the
// transaction with its own error.
func (t *txn) AppendRecords(ctx context.Context, id coaching.CaseID, records []coaching.Record) error {
	if err := checkRecords(id, records); err != nil {
		return err
	}
	own, deferred := t.db.(*ownTx)
	deferred = deferred && own.deferrable && own.updated.id == id && own.updated.version > 0
	for _, r := range records {
		tg := target{kind: "record " + r.Name, id: string(id), caseID: id}
		args := []any{string(id), r.Seq, r.Name, r.At, r.By, jsonOrNull(r.Data)}
		if deferred {
			if err := own.deferExec(ctx, tg, t.s.q.appendRecord, args...); err != nil {
				return err
			}
			continue
		}
		if _, err := t.db.Exec(ctx, t.s.q.appendRecord, args...); err != nil {
			return interpretError(err, tg)
		}
	}
	return nil
}

// ReplaceRecords implements coaching.Tx (erasure's): the case's records
// are deleted and the given ones inserted, in order.
func (t *txn) ReplaceRecords(ctx context.Context, id coaching.CaseID, records []coaching.Record) error {
	if err := checkRecords(id, records); err != nil {
		return err
	}
	if err := t.caseMustExist(ctx, id); err != nil {
		return err
	}
	if _, err := t.db.Exec(ctx, t.s.q.deleteRecords, string(id)); err != nil {
		return interpretError(err, target{kind: "records", id: string(id), caseID: id})
	}
	for _, r := range records {
		if _, err := t.db.Exec(ctx, t.s.q.appendRecord, string(id), r.Seq, r.Name, r.At, r.By, jsonOrNull(r.Data)); err != nil {
			return interpretError(err, target{kind: "record " + r.Name, id: string(id), caseID: id})
		}
	}
	return nil
}

// existsAndLast runs one of the "does the case exist, and what is the
// latest version of this" queries that explain a refused insert.
func (t *txn) existsAndLast(ctx context.Context, sql string, tg target, args ...any) (bool, int64, error) {
	var (
		exists bool
		last   int64
	)
	rows, err := t.db.Query(ctx, sql, args...)
	err = queryOne(rows, err, func(r pgx.Rows) error { return r.Scan(&exists, &last) })
	return exists, last, interpretError(err, tg)
}

// PutCommand implements coaching.Tx.
func (t *txn) PutCommand(ctx context.Context, r coaching.CommandRecord) error {
	tg := target{kind: "command", id: string(r.CaseID) + "/" + r.Key, caseID: r.CaseID}
	c := checker{subject: "command"}
	c.key("case_id", string(r.CaseID), maxIDBytes)
	c.key("key", r.Key, maxIDBytes)
	c.text("", &r)
	if err := c.err(); err != nil {
		return err
	}
	tag, err := t.db.Exec(ctx, t.s.q.putCommand, string(r.CaseID), r.Key, r.Fingerprint, r.Seq, r.At)
	if err != nil {
		return interpretError(err, tg)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	if err := t.caseMustExist(ctx, r.CaseID); err != nil {
		return err
	}
	return &coaching.DuplicateError{Kind: "command", ID: string(r.CaseID) + "/" + r.Key}
}

func (t *txn) caseMustExist(ctx context.Context, id coaching.CaseID) error {
	tg := target{kind: "case", id: string(id), caseID: id}
	var exists bool
	rows, err := t.db.Query(ctx, t.s.q.caseExists, string(id))
	if err := interpretError(queryOne(rows, err, func(r pgx.Rows) error { return r.Scan(&exists) }), tg); err != nil {
		return err
	}
	if !exists {
		return &coaching.NotFoundError{Kind: "case", ID: string(id)}
	}
	return nil
}

// Enqueue implements coaching.Tx.
func (t *txn) Enqueue(ctx context.Context, n coaching.Notice) (bool, error) {
	if err := enqueueable(ctx, &n); err != nil {
		return false, err
	}
	args, err := noticeArgs(&n)
	if err != nil {
		return false, &coaching.ValidationError{Subject: "notice", Problems: []coaching.FieldProblem{{Message: err.Error()}}}
	}
	tag, err := t.db.Exec(ctx, t.s.q.enqueue, args...)
	if err != nil {
		return false, interpretError(err, target{kind: "notice", id: n.ID})
	}
	return tag.RowsAffected() == 1, nil
}

// enqueueable checks a notice to enqueue and sets what the outbox sets
// (coaching.Tx.Enqueue): DueAt, an empty Channel (only completions record
// one), and the trace context ctx carries when the notice has none. A
// Trace coaching.WithTrace would not carry is refused.
func enqueueable(ctx context.Context, n *coaching.Notice) error {
	prepared, err := coaching.PrepareEnqueue(ctx, *n)
	if err != nil {
		return err
	}
	*n = prepared
	return checkNotice(n)
}

func checkNotice(n *coaching.Notice) error {
	c := checker{subject: "notice"}
	c.key("id", n.ID, maxComposedBytes)
	c.key("case_id", string(n.CaseID), maxIDBytes)
	switch n.Status {
	case "", coaching.NoticePending, coaching.NoticeClaimed, coaching.NoticeSent, coaching.NoticeDead, coaching.NoticeCancelled:
	default:
		c.add("status", "not a notice status (pending, claimed, sent, dead or cancelled)")
	}
	c.text("", n)
	return c.err()
}

// PutTimer implements coaching.Tx.
func (t *txn) PutTimer(ctx context.Context, tm coaching.Timer) error {
	c := checker{subject: "timer"}
	c.key("key", tm.Key, maxComposedBytes)
	c.key("case_id", string(tm.CaseID), maxIDBytes)
	c.text("", &tm)
	if err := c.err(); err != nil {
		return err
	}
	args := []any{tm.Key, string(tm.CaseID), tm.Kind, tm.DueAt, tm.Ref}
	if own, ok := t.db.(*ownTx); ok {
		// An upsert cannot be refused: it travels with the next statement
		// or the commit (see ownTx).
		return own.deferExec(ctx, target{kind: "timer", id: tm.Key}, t.s.q.putTimer, args...)
	}
	_, err := t.db.Exec(ctx, t.s.q.putTimer, args...)
	return interpretError(err, target{kind: "timer", id: tm.Key})
}

// EnqueueLater implements coaching.PipelinedTx: in a transaction the store
// began itself, the INSERT travels with the next statement or the commit.
func (t *txn) EnqueueLater(ctx context.Context, n coaching.Notice) error {
	if err := enqueueable(ctx, &n); err != nil {
		return err
	}
	args, err := noticeArgs(&n)
	if err != nil {
		return &coaching.ValidationError{Subject: "notice", Problems: []coaching.FieldProblem{{Message: err.Error()}}}
	}
	tg := target{kind: "notice", id: n.ID}
	if own, ok := t.db.(*ownTx); ok {
		return own.deferExec(ctx, tg, t.s.q.enqueue, args...)
	}
	_, err = t.db.Exec(ctx, t.s.q.enqueue, args...)
	return interpretError(err, tg)
}

// DropTimer implements coaching.PipelinedTx: a DELETE that may delete
// nothing, pipelined like EnqueueLater.
func (t *txn) DropTimer(ctx context.Context, key string) error {
	if !lookupKey(key, maxComposedBytes) {
		return nil // no stored key can be that long or hold those bytes
	}
	tg := target{kind: "timer", id: key}
	if own, ok := t.db.(*ownTx); ok {
		return own.deferExec(ctx, tg, t.s.q.deleteTimer, key)
	}
	_, err := t.db.Exec(ctx, t.s.q.deleteTimer, key)
	return interpretError(err, tg)
}

// DeleteTimer implements coaching.Tx. Of concurrent deletes of one timer
// the first to commit wins; the others wait for it and then delete nothing.
func (t *txn) DeleteTimer(ctx context.Context, key string) error {
	tg := target{kind: "timer", id: key}
	if !lookupKey(key, maxComposedBytes) {
		return interpretError(pgx.ErrNoRows, tg)
	}
	tag, err := t.db.Exec(ctx, t.s.q.deleteTimer, key)
	if err != nil {
		return interpretError(err, tg)
	}
	if tag.RowsAffected() == 0 {
		return interpretError(pgx.ErrNoRows, tg)
	}
	return nil
}

// PutSession implements coaching.Tx.
func (t *txn) PutSession(ctx context.Context, s session.Session) error {
	c := checker{subject: "session"}
	c.key("id", s.ID, maxIDBytes)
	for i, id := range s.Cases {
		c.key("cases["+strconv.Itoa(i)+"]", string(id), maxIDBytes)
	}
	c.text("", &s)
	if !s.Date.Valid() {
		c.add("date", "not a calendar date")
	}
	if err := c.err(); err != nil {
		return err
	}
	staff := s.Staff
	if staff == nil {
		staff = []session.Staff{}
	}
	staffJSON, err := json.Marshal(staff)
	if err != nil {
		return &coaching.ValidationError{Subject: "session", Problems: []coaching.FieldProblem{{Field: "staff", Message: err.Error()}}}
	}
	cases := make([]string, len(s.Cases))
	for i, id := range s.Cases {
		cases[i] = string(id)
	}
	elements := make([]string, len(s.Elements))
	for i, e := range s.Elements {
		elements[i] = string(e)
	}
	tag, err := t.db.Exec(ctx, t.s.q.putSession, s.ID, string(s.Kind), sqlDate(s.Date), s.Hours.String(), staffJSON,
		cases, elements, s.PeerSupport, s.Contacts, s.Topic, s.At, s.By, string(s.Organisation))
	if err != nil {
		return interpretError(err, target{kind: "session", id: s.ID})
	}
	if tag.RowsAffected() == 0 {
		return &coaching.DuplicateError{Kind: "session", ID: s.ID}
	}
	return nil
}

// PutMarks implements attendance.Store. The marks go in one round trip (a
// pipelined batch, one statement per mark that checks the revision follows
// the latest and adds the mark's difference to the case's running totals);
// the first one refused is explained and returned.
func (t *txn) PutMarks(ctx context.Context, marks []attendance.Mark) error {
	if len(marks) == 0 {
		return nil
	}
	if err := checkMarks(marks); err != nil {
		return err
	}
	b := &pgx.Batch{}
	for i := range marks {
		m := &marks[i]
		b.Queue(t.s.q.putMark, markArgs(m)...)
	}
	br := t.db.SendBatch(ctx, b)
	refused := -1
	var err error
	for i := range marks {
		tag, e := br.Exec()
		if e != nil {
			err = interpretError(e, markTarget(&marks[i]))
			break
		}
		if tag.RowsAffected() == 0 {
			refused = i
			break
		}
	}
	if cerr := br.Close(); err == nil && refused < 0 && cerr != nil {
		err = interpretError(cerr, target{})
	}
	if err != nil || refused < 0 {
		return err
	}
	m := &marks[refused]
	exists, last, err := t.existsAndLast(ctx, t.s.q.lastMark, markTarget(m), string(m.CaseID), sqlDate(m.Date), m.Lesson)
	if err != nil {
		return err
	}
	if !exists {
		return &coaching.NotFoundError{Kind: "case", ID: string(m.CaseID)}
	}
	return &coaching.ConflictError{CaseID: m.CaseID, Subject: markSubject(m), Expected: int64(m.Revision - 1), Current: last}
}

func markSubject(m *attendance.Mark) string {
	return "attendance mark " + m.Date.String() + "/" + m.Lesson
}

func markTarget(m *attendance.Mark) target {
	return target{kind: "attendance mark", id: string(m.CaseID) + "/" + m.Date.String() + "/" + m.Lesson,
		caseID: m.CaseID, subject: markSubject(m), versioned: true}
}

func markArgs(m *attendance.Mark) []any {
	return []any{string(m.CaseID), sqlDate(m.Date), m.Lesson, m.Revision, m.Title, m.Minutes, string(m.Status), string(m.Reason), m.At, m.By}
}

func checkMarks(marks []attendance.Mark) error {
	c := checker{subject: "attendance marks"}
	for i := range marks {
		m := &marks[i]
		path := "[" + strconv.Itoa(i) + "]"
		c.key(path+".case_id", string(m.CaseID), maxIDBytes)
		c.key(path+".lesson", m.Lesson, maxIDBytes)
		if !m.Date.Valid() {
			c.add(path+".date", "not a calendar date")
		}
		if m.Revision < 1 {
			c.add(path+".revision", "must be 1 or more")
		}
		c.text(path, m)
	}
	return c.err()
}

// UpdateNotice implements coaching.Tx.
func (t *txn) UpdateNotice(ctx context.Context, n coaching.Notice) (bool, error) {
	tg := target{kind: "notice", id: n.ID}
	if !lookupKey(n.ID, maxComposedBytes) {
		return false, interpretError(pgx.ErrNoRows, tg)
	}
	if err := checkNotice(&n); err != nil {
		return false, err
	}
	args, err := noticeArgs(&n)
	if err != nil {
		return false, &coaching.ValidationError{Subject: "notice", Problems: []coaching.FieldProblem{{Message: err.Error()}}}
	}
	// args: id, case_id, kind, recipient, subject, body, data, created_at, not_before, ...
	// $8, when due_at moves: the new not_before, or NULL (created_at) when
	// it is zero.
	tag, err := t.db.Exec(ctx, t.s.q.updateNotice, n.ID, args[3], n.Subject, n.Body, args[6], n.NotBefore, n.Status == coaching.NoticeCancelled,
		optTime(n.NotBefore))
	if err != nil {
		return false, interpretError(err, tg)
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	var status string
	rows, err := t.db.Query(ctx, t.s.q.noticeStatus, n.ID)
	if err := interpretError(queryOne(rows, err, func(r pgx.Rows) error { return r.Scan(&status) }), tg); err != nil {
		return false, err
	}
	return false, nil
}

// PutDocument implements coaching.Tx.
func (t *txn) PutDocument(ctx context.Context, d coaching.Document) error {
	subject := "document " + d.Kind
	tg := target{kind: "document", id: string(d.CaseID) + "/" + d.Kind + "/" + strconv.FormatInt(d.Version, 10),
		caseID: d.CaseID, subject: subject, versioned: true}
	c := checker{subject: "document"}
	c.key("case_id", string(d.CaseID), maxIDBytes)
	c.key("kind", d.Kind, maxIDBytes)
	c.text("", &d)
	if err := c.err(); err != nil {
		return err
	}
	tag, err := t.db.Exec(ctx, t.s.q.putDocument, string(d.CaseID), d.Kind, d.Version, d.Status, d.At, d.By, d.Seq, jsonOrNull(d.Data))
	if err != nil {
		return interpretError(err, tg)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	exists, last, err := t.existsAndLast(ctx, t.s.q.lastDocument, tg, string(d.CaseID), d.Kind)
	if err != nil {
		return err
	}
	if !exists {
		return &coaching.NotFoundError{Kind: "case", ID: string(d.CaseID)}
	}
	return &coaching.ConflictError{CaseID: d.CaseID, Subject: subject, Expected: d.Version - 1, Current: last}
}

// ParticipantBySignOn implements signon.Reader through the unique index on
// (organisation, sign_on) (migration 0012).
func (t *txn) ParticipantBySignOn(ctx context.Context, org coaching.OrganisationID, signOn string) (coaching.ParticipantID, error) {
	tg := target{kind: "sign-on id", id: signOn}
	if signOn == "" || !lookupKey(signOn, maxIDBytes) || !lookupKey(string(org), maxNameBytes) {
		return "", interpretError(pgx.ErrNoRows, tg)
	}
	var id string
	rows, err := t.db.Query(ctx, t.s.q.signOnHolder, string(org), signOn)
	err = queryOne(rows, err, func(r pgx.Rows) error { return r.Scan(&id) })
	if err != nil {
		return "", interpretError(err, tg)
	}
	return coaching.ParticipantID(id), nil
}

var _ signon.Reader = (*txn)(nil)
