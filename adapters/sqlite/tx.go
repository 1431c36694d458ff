package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/coaching/signon"
)

// reader implements coaching.ReadTx on a transaction.
type reader struct {
	tx *sql.Tx
	c  *stmtCache // nil: run statements unprepared (host transactions)
}

// writer implements coaching.Tx on a write transaction.
type writer struct {
	reader
	// kept are the access-log entries written again after a rollback
	// (coaching.DenialKeeper); nil for a transaction the host began, whose
	// end the store does not see.
	kept *[]coaching.AccessEntry
	// erased is set by the writes of an erasure (PurgeCase, and
	// UpdateParticipant of an erased participant): after the commit the
	// store checkpoints the WAL (see Store.Checkpoint).
	erased bool
}

// KeepOnRollback implements coaching.DenialKeeper for the transactions
// the store runs (Update); a host's own transaction (Store.Tx) keeps
// nothing beyond its own end.
func (w *writer) KeepOnRollback(e coaching.AccessEntry) {
	if w.kept != nil {
		*w.kept = append(*w.kept, e.Clone())
	}
}

// secureDelete turns SQLite's secure_delete on for the transaction's
// connection before an erasure deletes or overwrites anything, so that the
// erased bytes are overwritten with zeros in the page (and a freed page is
// zeroed) instead of staying in its free space. Open's connections have it
// on already (see DSN); this covers a pool a host gave to New, and host
// transactions.
func (w *writer) secureDelete(ctx context.Context) error {
	w.erased = true
	_, err := w.tx.ExecContext(ctx, "PRAGMA secure_delete = ON")
	return err
}

var (
	_ coaching.ReadTx = (*reader)(nil)
	_ coaching.Tx     = (*writer)(nil)
)

func (r *reader) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := r.c.stmt(q); st != nil {
		return r.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return r.tx.ExecContext(ctx, q, args...)
}

func (r *reader) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := r.c.stmt(q); st != nil {
		return r.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return r.tx.QueryContext(ctx, q, args...)
}

func (r *reader) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := r.c.stmt(q); st != nil {
		return r.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return r.tx.QueryRowContext(ctx, q, args...)
}

// affected returns the rows a statement changed.
func affected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ---- participants ----------------------------------------------------------

func (r *reader) Participant(ctx context.Context, org coaching.OrganisationID, id coaching.ParticipantID) (coaching.Participant, error) {
	var code sql.NullString
	var data []byte
	rf := ref{kind: "participant", id: string(id)}
	if err := r.queryRow(ctx, qParticipant, string(org), string(id)).Scan(&code, &data); err != nil {
		return coaching.Participant{}, interpretError(err, rf)
	}
	var p coaching.Participant
	var cp *string
	if code.Valid {
		cp = &code.String
	}
	if err := decodeParticipant(string(id), data, cp, &p); err != nil {
		return coaching.Participant{}, err
	}
	return p, nil
}

func (w *writer) InsertParticipant(ctx context.Context, p coaching.Participant) error {
	data, code, err := encodeParticipant(p)
	if err != nil {
		return err
	}
	if err := w.checkSignOn(ctx, &p); err != nil {
		return err
	}
	_, err = w.exec(ctx, qInsertParticipant, string(p.ID), code, data, caseload.NameKey(p.FamilyName, p.GivenNames), string(p.Organisation))
	return interpretError(err, ref{kind: "participant", id: string(p.ID)})
}

// checkSignOn refuses p when another participant of its organisation holds
// its sign-on id (coaching.SignOnTaken). The store has one writer at a
// time, so nothing can take the id between this check and the write; the
// unique index (migration 0012) stands behind it.
func (w *writer) checkSignOn(ctx context.Context, p *coaching.Participant) error {
	if p.SignOn == "" {
		return nil
	}
	var holder string
	err := w.queryRow(ctx, qSignOnHolder, string(p.Organisation), p.SignOn).Scan(&holder)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return interpretError(err, ref{kind: "participant", id: string(p.ID)})
	case holder != string(p.ID):
		return coaching.SignOnTaken()
	}
	return nil
}

func (w *writer) UpdateParticipant(ctx context.Context, p coaching.Participant) error {
	data, code, err := encodeParticipant(p)
	if err != nil {
		return err
	}
	rf := ref{kind: "participant", id: string(p.ID)}
	if !p.ErasedOn.IsZero() {
		if err := w.secureDelete(ctx); err != nil {
			return interpretError(err, rf)
		}
	}
	if err := w.checkSignOn(ctx, &p); err != nil {
		return err
	}
	n, err := affected(w.exec(ctx, qUpdateParticipant, code, data, string(p.ID), caseload.NameKey(p.FamilyName, p.GivenNames), string(p.Organisation)))
	if err != nil {
		return interpretError(err, rf)
	}
	if n == 0 {
		return interpretError(sql.ErrNoRows, rf)
	}
	return nil
}

// ---- cases -----------------------------------------------------------------

func (r *reader) Case(ctx context.Context, id coaching.CaseID) (coaching.Case, error) {
	var sc caseScan
	if err := r.queryRow(ctx, qCase, string(id)).Scan(sc.dest()...); err != nil {
		return coaching.Case{}, interpretError(err, ref{kind: "case", id: string(id)})
	}
	var c coaching.Case
	if err := sc.decode(&c); err != nil {
		return coaching.Case{}, err
	}
	return c, nil
}

func (w *writer) InsertCase(ctx context.Context, c coaching.Case) error {
	if c.Version != 1 {
		return invalid("version", fmt.Sprintf("a new case has version 1, case %q has %d", c.ID, c.Version))
	}
	data, err := encodeCase(c)
	if err != nil {
		return err
	}
	_, err = w.exec(ctx, qInsertCase, string(c.ID), string(c.ParticipantID), c.Model, c.State, string(c.Organisation),
		boolInt(c.Closed()), c.Version, data, micros(c.OpenedAt), closedMicros(c.ClosedAt), phaseDue(&c), teamKey(c.Team))
	return interpretError(err, ref{kind: "case", id: string(c.ID)})
}

// UpdateCase checks the version in the UPDATE's WHERE clause. The usual
// update changes neither the participant, the model, the organisation,
// whether the case is closed nor its team (team_key), and assigns only the
// unindexed columns; when
// that statement matches nothing, the case is read to tell a version
// conflict from an unknown case from a change of those columns (then
// written with every column).
func (w *writer) UpdateCase(ctx context.Context, c coaching.Case, expected int64) error {
	if c.Version != expected+1 {
		return invalid("version", fmt.Sprintf("UpdateCase of case %q: the new version %d must be the expected version %d plus one", c.ID, c.Version, expected))
	}
	data, err := encodeCase(c)
	if err != nil {
		return err
	}
	rf := ref{kind: "case", id: string(c.ID)}
	closed := boolInt(c.Closed())
	due, team := phaseDue(&c), teamKey(c.Team)
	n, err := affected(w.exec(ctx, qUpdateCaseData, c.State, c.Version, data, micros(c.OpenedAt), closedMicros(c.ClosedAt), due,
		string(c.ID), expected, string(c.ParticipantID), c.Model, string(c.Organisation), closed, team))
	if err != nil {
		return interpretError(err, rf)
	}
	if n == 1 {
		return nil
	}
	var current int64
	if err := w.queryRow(ctx, qCaseVersion, string(c.ID)).Scan(&current); err != nil {
		return interpretError(err, rf)
	}
	if current != expected {
		return &coaching.ConflictError{CaseID: c.ID, Expected: expected, Current: current}
	}
	_, err = w.exec(ctx, qUpdateCase, string(c.ParticipantID), c.Model, c.State, string(c.Organisation),
		closed, c.Version, data, micros(c.OpenedAt), closedMicros(c.ClosedAt), due, team, string(c.ID), expected)
	return interpretError(err, rf)
}

// ---- records ---------------------------------------------------------------

// Records reads what q selects: the latest of a name is one backward index
// step, whatever else the case holds.
func (r *reader) Records(ctx context.Context, id coaching.CaseID, q coaching.RecordQuery) ([]coaching.Record, error) {
	type ordered struct {
		rowid int64
		rec   coaching.Record
	}
	var got []ordered
	read := func(query string, args ...any) error {
		rows, err := r.query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				o    ordered
				at   int64
				data []byte
			)
			if err := rows.Scan(&o.rowid, &o.rec.Seq, &o.rec.Name, &at, &o.rec.By, &data); err != nil {
				return err
			}
			o.rec.At, o.rec.Data = fromMicros(at), data
			got = append(got, o)
		}
		return rows.Err()
	}
	var err error
	if len(q.Names) == 0 {
		err = read(qRecords, string(id), q.SeqFloor())
	} else {
		query := qRecordsNamed
		if q.Latest {
			query = qLatestRecord
		}
		for _, name := range slices.Compact(slices.Sorted(slices.Values(q.Names))) {
			if err = read(query, string(id), name, q.SeqFloor()); err != nil {
				break
			}
		}
		// The names were read one after the other: back to the order
		// they were appended in.
		slices.SortFunc(got, func(a, b ordered) int { return cmp.Compare(a.rowid, b.rowid) })
	}
	if err != nil {
		return nil, interpretError(err, ref{kind: "records", id: string(id)})
	}
	out := make([]coaching.Record, len(got))
	for i, o := range got {
		out[i] = o.rec
	}
	if q.Latest && len(q.Names) == 0 {
		out = q.Select(out)
	}
	return out, nil
}

// checkRecords refuses record data that is not JSON (coaching.Record.Data
// is JSON; the BLOB column would keep anything), before anything is
// written.
func checkRecords(id coaching.CaseID, records []coaching.Record) error {
	var problems []coaching.FieldProblem
	for i, r := range records {
		if len(r.Data) > 0 && !json.Valid(r.Data) {
			problems = append(problems, coaching.FieldProblem{Field: fmt.Sprintf("records[%d].data", i), Message: "is not JSON"})
		}
	}
	if len(problems) > 0 {
		return &coaching.ValidationError{Subject: "records of case " + strconv.Quote(string(id)), Problems: problems}
	}
	return nil
}

// AppendRecords inserts the records in order; the rowid keeps it.
func (w *writer) AppendRecords(ctx context.Context, id coaching.CaseID, records []coaching.Record) error {
	if err := checkRecords(id, records); err != nil {
		return err
	}
	for _, rec := range records {
		n, err := affected(w.exec(ctx, qAppendRecord, string(id), rec.Seq, rec.Name, micros(rec.At), rec.By, nullBytes(rec.Data), string(id)))
		if err != nil {
			return interpretError(err, ref{kind: "record " + rec.Name, id: string(id), caseID: id})
		}
		if n == 0 {
			return &coaching.NotFoundError{Kind: "case", ID: string(id)}
		}
	}
	return nil
}

// ReplaceRecords deletes the case's records (with secure_delete on: it is
// erasure's) and inserts the given ones in order, after every rowid the
// table ever handed out.
func (w *writer) ReplaceRecords(ctx context.Context, id coaching.CaseID, records []coaching.Record) error {
	if err := checkRecords(id, records); err != nil {
		return err
	}
	rf := ref{kind: "records", id: string(id), caseID: id}
	var one int
	if err := w.queryRow(ctx, qCaseExists, string(id)).Scan(&one); err != nil {
		return interpretError(err, ref{kind: "case", id: string(id)})
	}
	if err := w.secureDelete(ctx); err != nil {
		return interpretError(err, rf)
	}
	if _, err := w.exec(ctx, qDeleteRecords, string(id)); err != nil {
		return interpretError(err, rf)
	}
	for _, rec := range records {
		if _, err := w.exec(ctx, qInsertRecord, string(id), rec.Seq, rec.Name, micros(rec.At), rec.By, nullBytes(rec.Data)); err != nil {
			return interpretError(err, ref{kind: "record " + rec.Name, id: string(id), caseID: id})
		}
	}
	return nil
}

// ---- audit -----------------------------------------------------------------

func (r *reader) AuditTrail(ctx context.Context, id coaching.CaseID, afterSeq int64) ([]coaching.AuditEntry, error) {
	rows, err := r.query(ctx, qAudit, string(id), afterSeq)
	if err != nil {
		return nil, interpretError(err, ref{kind: "audit trail", id: string(id)})
	}
	defer rows.Close()
	out := []coaching.AuditEntry{}
	for rows.Next() {
		a := coaching.AuditEntry{CaseID: id}
		var at int64
		var roles, payload []byte
		var kind string
		if err := rows.Scan(&a.Seq, &at, &kind, &a.ActorID, &roles, &a.Event, &a.From, &a.To, &a.Reason, &payload, &a.IdempotencyKey); err != nil {
			return nil, interpretError(err, ref{kind: "audit trail", id: string(id)})
		}
		a.At, a.Kind, a.Payload = fromMicros(at), coaching.AuditKind(kind), payload
		if len(roles) > 0 {
			if err := json.Unmarshal(roles, &a.Roles); err != nil {
				return nil, fmt.Errorf("sqlite: audit entry %s/%d: stored roles do not decode: %w", id, a.Seq, err)
			}
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, interpretError(err, ref{kind: "audit trail", id: string(id)})
	}
	return out, nil
}

func (w *writer) AppendAudit(ctx context.Context, e coaching.AuditEntry) error {
	roles, err := marshalOrNull("audit entry", e.Roles)
	if err != nil {
		return err
	}
	rf := ref{kind: "audit entry", id: string(e.CaseID) + "/" + strconv.FormatInt(e.Seq, 10), caseID: e.CaseID, version: e.Seq}
	n, err := affected(w.exec(ctx, qAppendAudit, string(e.CaseID), e.Seq, micros(e.At), string(e.Kind), e.ActorID, roles,
		e.Event, e.From, e.To, e.Reason, nullBytes(e.Payload), e.IdempotencyKey, string(e.CaseID), e.Seq-1))
	if err != nil {
		return interpretError(err, rf)
	}
	if n == 1 {
		return nil
	}
	var last int64
	if err := w.queryRow(ctx, qLastSeq, string(e.CaseID)).Scan(&last); err != nil {
		return interpretError(err, rf)
	}
	return &coaching.ConflictError{CaseID: e.CaseID, Expected: e.Seq - 1, Current: last}
}

// ---- commands --------------------------------------------------------------

func (r *reader) Command(ctx context.Context, id coaching.CaseID, key string) (coaching.CommandRecord, error) {
	c := coaching.CommandRecord{CaseID: id, Key: key}
	var at int64
	if err := r.queryRow(ctx, qCommand, string(id), key).Scan(&c.Fingerprint, &c.Seq, &at); err != nil {
		return coaching.CommandRecord{}, interpretError(err, ref{kind: "command", id: string(id) + "/" + key})
	}
	c.At = fromMicros(at)
	return c, nil
}

func (w *writer) PutCommand(ctx context.Context, c coaching.CommandRecord) error {
	_, err := w.exec(ctx, qPutCommand, string(c.CaseID), c.Key, c.Fingerprint, c.Seq, micros(c.At))
	return interpretError(err, ref{kind: "command", id: string(c.CaseID) + "/" + c.Key, caseID: c.CaseID})
}

// ---- documents -------------------------------------------------------------

func scanDocument(sc interface{ Scan(...any) error }, id coaching.CaseID, kind string) (coaching.Document, error) {
	d := coaching.Document{CaseID: id, Kind: kind}
	var at int64
	var data []byte
	if err := sc.Scan(&d.Version, &d.Status, &at, &d.By, &d.Seq, &data); err != nil {
		return coaching.Document{}, err
	}
	d.At, d.Data = fromMicros(at), data
	return d, nil
}

func (r *reader) Document(ctx context.Context, id coaching.CaseID, kind string, version int64) (coaching.Document, error) {
	var row *sql.Row
	if version == 0 {
		row = r.queryRow(ctx, qLatestDocument, string(id), kind)
	} else {
		row = r.queryRow(ctx, qDocument, string(id), kind, version)
	}
	d, err := scanDocument(row, id, kind)
	if err != nil {
		return coaching.Document{}, interpretError(err, ref{kind: "document", id: string(id) + "/" + kind + "/" + strconv.FormatInt(version, 10)})
	}
	return d, nil
}

func (r *reader) Documents(ctx context.Context, id coaching.CaseID, kind string) ([]coaching.Document, error) {
	rf := ref{kind: "documents", id: string(id) + "/" + kind}
	rows, err := r.query(ctx, qDocuments, string(id), kind)
	if err != nil {
		return nil, interpretError(err, rf)
	}
	defer rows.Close()
	out := []coaching.Document{}
	for rows.Next() {
		d, err := scanDocument(rows, id, kind)
		if err != nil {
			return nil, interpretError(err, rf)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, interpretError(err, rf)
	}
	return out, nil
}

func (w *writer) PutDocument(ctx context.Context, d coaching.Document) error {
	rf := ref{kind: "document " + d.Kind, id: string(d.CaseID) + "/" + d.Kind + "/" + strconv.FormatInt(d.Version, 10), caseID: d.CaseID, version: d.Version}
	var latest int64
	if err := w.queryRow(ctx, qLatestDocVersion, string(d.CaseID), d.Kind).Scan(&latest); err != nil {
		return interpretError(err, rf)
	}
	if d.Version != latest+1 {
		return &coaching.ConflictError{CaseID: d.CaseID, Subject: "document " + d.Kind, Expected: d.Version - 1, Current: latest}
	}
	_, err := w.exec(ctx, qPutDocument, string(d.CaseID), d.Kind, d.Version, d.Status, micros(d.At), d.By, d.Seq, nullBytes(d.Data))
	return interpretError(err, rf)
}

// ---- attendance ------------------------------------------------------------

func scanMark(sc interface{ Scan(...any) error }, id coaching.CaseID) (attendance.Mark, error) {
	m := attendance.Mark{CaseID: id}
	var day, at int64
	var status, reason string
	if err := sc.Scan(&day, &m.Lesson, &m.Revision, &m.Title, &m.Minutes, &status, &reason, &at, &m.By); err != nil {
		return attendance.Mark{}, err
	}
	m.Date, m.Status, m.Reason, m.At = dateOf(day), attendance.Status(status), attendance.AbsenceReason(reason), fromMicros(at)
	return m, nil
}

func (r *reader) marks(ctx context.Context, id coaching.CaseID, q string, args ...any) ([]attendance.Mark, error) {
	rf := ref{kind: "attendance marks", id: string(id)}
	rows, err := r.query(ctx, q, args...)
	if err != nil {
		return nil, interpretError(err, rf)
	}
	defer rows.Close()
	out := []attendance.Mark{}
	for rows.Next() {
		m, err := scanMark(rows, id)
		if err != nil {
			return nil, interpretError(err, rf)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, interpretError(err, rf)
	}
	return out, nil
}

func (r *reader) Marks(ctx context.Context, id coaching.CaseID, from, to coaching.Date) ([]attendance.Mark, error) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	var err error
	if !from.IsZero() {
		if lo, err = dayOf("from", from); err != nil {
			return nil, err
		}
	}
	if !to.IsZero() {
		if hi, err = dayOf("to", to); err != nil {
			return nil, err
		}
	}
	return r.marks(ctx, id, qMarks, string(id), lo, hi)
}

func (r *reader) MarkHistory(ctx context.Context, id coaching.CaseID, k attendance.MarkKey) ([]attendance.Mark, error) {
	day, err := dayOf("date", k.Date)
	if err != nil {
		return nil, err
	}
	return r.marks(ctx, id, qMarkHistory, string(id), day, k.Lesson)
}

func (r *reader) RecentMarks(ctx context.Context, id coaching.CaseID, to coaching.Date, days int) ([]attendance.Mark, error) {
	if days <= 0 {
		return []attendance.Mark{}, nil
	}
	hi, err := dayOf("to", to)
	if err != nil {
		return nil, err
	}
	// The oldest of the last days dates with marks: a walk back along the
	// primary key that skips each date's other rows (see qWindowStart).
	lo := int64(math.MaxInt64)
	var start sql.NullInt64
	if err := r.queryRow(ctx, qWindowStart, string(id), hi, days).Scan(&start); err != nil {
		return nil, interpretError(err, ref{kind: "attendance marks", id: string(id)})
	}
	if start.Valid {
		lo = start.Int64
	}
	return r.marks(ctx, id, qMarks, string(id), lo, hi)
}

func (r *reader) State(ctx context.Context, id coaching.CaseID) (attendance.State, error) {
	rf := ref{kind: "attendance state", id: string(id)}
	var st attendance.State
	var flags []byte
	t := &st.Totals
	err := r.queryRow(ctx, qAttendanceState, string(id)).Scan(&t.Marks, &t.Minutes, &t.AbsentMarks, &t.AbsentMinutes, &t.Unexplained, &flags)
	if errors.Is(err, sql.ErrNoRows) {
		return attendance.State{}, nil
	}
	if err != nil {
		return attendance.State{}, interpretError(err, rf)
	}
	if len(flags) > 0 {
		if err := json.Unmarshal(flags, &st.Flags); err != nil {
			return attendance.State{}, fmt.Errorf("sqlite: the attendance flags of case %q do not decode: %w", id, err)
		}
	}
	if len(st.Flags) == 0 {
		st.Flags = nil
	}
	return st, nil
}

// PutMarks implements attendance.Store: each mark is checked against the
// latest revision (read with its content), inserted, and its difference
// added to the totals of its day in attendance_days and to the case's
// running totals and window of latest days in attendance_state.
func (w *writer) PutMarks(ctx context.Context, marks []attendance.Mark) error {
	deltas := map[coaching.CaseID]*attendance.Totals{}
	var order []coaching.CaseID
	type caseDay struct {
		id  coaching.CaseID
		day int64
	}
	dayDeltas := map[caseDay]*attendance.Totals{}
	var dayOrder []caseDay
	for _, m := range marks {
		day, err := dayOf("date", m.Date)
		if err != nil {
			return err
		}
		subject := "attendance mark " + m.Date.String() + "/" + m.Lesson
		rf := ref{kind: subject, id: string(m.CaseID) + "/" + m.Date.String() + "/" + m.Lesson, caseID: m.CaseID, version: int64(m.Revision)}
		var latest int64
		var prev *attendance.Mark
		row := w.queryRow(ctx, qLatestMarkContent, string(m.CaseID), day, m.Lesson)
		p, err := scanMark(row, m.CaseID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return interpretError(err, rf)
		default:
			latest, prev = int64(p.Revision), &p
		}
		if int64(m.Revision) != latest+1 {
			return &coaching.ConflictError{CaseID: m.CaseID, Subject: subject, Expected: int64(m.Revision - 1), Current: latest}
		}
		if _, err := w.exec(ctx, qPutMark, string(m.CaseID), day, m.Lesson, m.Revision, m.Title, m.Minutes,
			string(m.Status), string(m.Reason), micros(m.At), m.By); err != nil {
			return interpretError(err, rf)
		}
		d, ok := deltas[m.CaseID]
		if !ok {
			d = &attendance.Totals{}
			deltas[m.CaseID] = d
			order = append(order, m.CaseID)
		}
		d.Apply(prev, m)
		k := caseDay{m.CaseID, day}
		dd, ok := dayDeltas[k]
		if !ok {
			dd = &attendance.Totals{}
			dayDeltas[k] = dd
			dayOrder = append(dayOrder, k)
		}
		dd.Apply(prev, m)
	}
	for _, k := range dayOrder {
		d := dayDeltas[k]
		if _, err := w.exec(ctx, qAddDayTotals, string(k.id), k.day, d.Marks, d.Minutes, d.AbsentMarks, d.AbsentMinutes, d.Unexplained); err != nil {
			return interpretError(err, ref{kind: "attendance day", id: string(k.id), caseID: k.id})
		}
	}
	days := make(map[coaching.CaseID][]windowDay, len(order))
	for _, k := range dayOrder {
		days[k.id] = append(days[k.id], windowDay{day: k.day, t: *dayDeltas[k]})
	}
	for _, id := range order {
		slices.SortFunc(days[id], func(a, b windowDay) int { return cmp.Compare(b.day, a.day) })
		recent, err := w.nextWindow(ctx, id, days[id])
		if err != nil {
			return err
		}
		d := deltas[id]
		if _, err := w.exec(ctx, qAddTotals, string(id), d.Marks, d.Minutes, d.AbsentMarks, d.AbsentMinutes, d.Unexplained, recent); err != nil {
			return interpretError(err, ref{kind: "attendance state", id: string(id), caseID: id})
		}
	}
	return nil
}

// PutFlags implements attendance.Store.
func (w *writer) PutFlags(ctx context.Context, id coaching.CaseID, flags []attendance.RiskFlag) error {
	rf := ref{kind: "attendance state", id: string(id), caseID: id}
	b, err := json.Marshal(flags)
	if err != nil {
		return err
	}
	if len(flags) == 0 {
		b = []byte("[]")
	}
	_, err = w.exec(ctx, qPutFlags, string(id), b)
	return interpretError(err, rf)
}

// ---- sessions --------------------------------------------------------------

func (r *reader) Sessions(ctx context.Context, q session.Query) ([]session.Session, error) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	var err error
	if !q.From.IsZero() {
		if lo, err = dayOf("from", q.From); err != nil {
			return nil, err
		}
	}
	if !q.To.IsZero() {
		if hi, err = dayOf("to", q.To); err != nil {
			return nil, err
		}
	}
	rf := ref{kind: "sessions"}
	rows, err := r.query(ctx, qSessions, lo, hi)
	if err != nil {
		return nil, interpretError(err, rf)
	}
	defer rows.Close()
	out := []session.Session{}
	for rows.Next() {
		var s session.Session
		var kind, hours string
		var day, at int64
		var staff, cases, elements []byte
		var org string
		if err := rows.Scan(&s.ID, &kind, &day, &hours, &staff, &cases, &elements, &s.PeerSupport, &s.Contacts, &s.Topic, &at, &s.By, &org); err != nil {
			return nil, interpretError(err, rf)
		}
		s.Kind, s.Date, s.At, s.Organisation = session.Kind(kind), dateOf(day), fromMicros(at), coaching.OrganisationID(org)
		if s.Hours, err = decimal.NewFromString(hours); err != nil {
			return nil, fmt.Errorf("sqlite: session %q: stored hours %q do not parse: %w", s.ID, hours, err)
		}
		for _, f := range []struct {
			b []byte
			v any
		}{{staff, &s.Staff}, {cases, &s.Cases}, {elements, &s.Elements}} {
			if len(f.b) > 0 {
				if err := json.Unmarshal(f.b, f.v); err != nil {
					return nil, fmt.Errorf("sqlite: session %q: stored JSON does not decode: %w", s.ID, err)
				}
			}
		}
		if q.Match(s) {
			out = append(out, s)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, interpretError(err, rf)
	}
	return out, nil
}

func (w *writer) PutSession(ctx context.Context, s session.Session) error {
	day, err := dayOf("date", s.Date)
	if err != nil {
		return err
	}
	subject := "session " + strconv.Quote(s.ID)
	staff, err := marshalOrNull(subject, s.Staff)
	if err != nil {
		return err
	}
	cases, err := marshalOrNull(subject, s.Cases)
	if err != nil {
		return err
	}
	elements, err := marshalOrNull(subject, s.Elements)
	if err != nil {
		return err
	}
	_, err = w.exec(ctx, qPutSession, s.ID, string(s.Kind), day, s.Hours.String(), staff, cases, elements,
		s.PeerSupport, s.Contacts, s.Topic, micros(s.At), s.By, string(s.Organisation))
	return interpretError(err, ref{kind: "session", id: s.ID})
}

// ---- access log ------------------------------------------------------------

// accessQuery builds the AccessLog query from constant fragments; every
// value is a parameter. Each filter on an id uses that column's index,
// whose entries are in seq (rowid) order.
func accessQuery(q coaching.AccessQuery) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 8)
	b.WriteString("SELECT seq, " + accessCols + " FROM access_log WHERE seq > ?")
	args = append(args, q.AfterSeq)
	for _, f := range []struct {
		cond, v string
	}{
		{" AND actor_id = ?", q.ActorID},
		{" AND case_id = ?", string(q.CaseID)},
		{" AND participant_id = ?", string(q.ParticipantID)},
		{" AND organisation = ?", string(q.Organisation)},
	} {
		if f.v != "" {
			b.WriteString(f.cond)
			args = append(args, f.v)
		}
	}
	if !q.From.IsZero() {
		b.WriteString(" AND at >= ?")
		args = append(args, micros(q.From))
	}
	if !q.To.IsZero() {
		b.WriteString(" AND at < ?")
		args = append(args, micros(q.To))
	}
	b.WriteString(" ORDER BY seq")
	if q.Limit > 0 {
		b.WriteString(" LIMIT ?")
		args = append(args, q.Limit)
	}
	return b.String(), args
}

func (r *reader) AccessLog(ctx context.Context, q coaching.AccessQuery) ([]coaching.AccessEntry, error) {
	rf := ref{kind: "access log"}
	query, args := accessQuery(q)
	rows, err := r.query(ctx, query, args...)
	if err != nil {
		return nil, interpretError(err, rf)
	}
	defer rows.Close()
	out := []coaching.AccessEntry{}
	for rows.Next() {
		var a coaching.AccessEntry
		var at int64
		var roles []byte
		var org, op, caseID, participant string
		if err := rows.Scan(&a.Seq, &at, &a.ActorID, &roles, &org, &op, &caseID, &participant, &a.Allowed, &a.Rule, &a.Purpose, &a.Subject); err != nil {
			return nil, interpretError(err, rf)
		}
		a.At, a.Organisation, a.Operation = fromMicros(at), coaching.OrganisationID(org), coaching.Operation(op)
		a.CaseID, a.ParticipantID = coaching.CaseID(caseID), coaching.ParticipantID(participant)
		if len(roles) > 0 {
			if err := json.Unmarshal(roles, &a.Roles); err != nil {
				return nil, fmt.Errorf("sqlite: access-log entry %d: stored roles do not decode: %w", a.Seq, err)
			}
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, interpretError(err, rf)
	}
	return out, nil
}

// AppendAccess lets SQLite number the entry (see migrations/0002): the
// caller's Seq is ignored. The entry's text is stored as
// [coaching.AccessEntry.Sanitized] returns it, as every store does.
func (w *writer) AppendAccess(ctx context.Context, e coaching.AccessEntry) error {
	e = e.Sanitized()
	roles, err := marshalOrNull("access-log entry", e.Roles)
	if err != nil {
		return err
	}
	_, err = w.exec(ctx, qAppendAccess, micros(e.At), e.ActorID, roles, string(e.Organisation), string(e.Operation),
		string(e.CaseID), string(e.ParticipantID), boolInt(e.Allowed), e.Rule, e.Purpose, e.Subject)
	return interpretError(err, ref{kind: "access-log entry"})
}

// ---- erasure ---------------------------------------------------------------

// PurgeCase deletes the case's documents, notices, commands and timers and
// clears the reasons and payloads of its audit entries, in the caller's
// transaction (so it commits or rolls back with it). The case row, marks,
// sessions (see EraseFeatureData) and the access log are not touched. The deleted bytes are
// overwritten (secure_delete), and after the commit the store checkpoints
// the WAL so that it holds no older image of the pages (see
// [Store.Checkpoint]).
func (w *writer) PurgeCase(ctx context.Context, id coaching.CaseID) error {
	rf := ref{kind: "case", id: string(id)}
	var version int64
	if err := w.queryRow(ctx, qCaseVersion, string(id)).Scan(&version); err != nil {
		return interpretError(err, rf)
	}
	if err := w.secureDelete(ctx); err != nil {
		return interpretError(err, ref{kind: "purge of case", id: string(id)})
	}
	for _, q := range []string{qPurgeDocuments, qPurgeNotices, qPurgeCommands, qPurgeTimers, qPurgeAudit} {
		if _, err := w.exec(ctx, q, string(id)); err != nil {
			return interpretError(err, ref{kind: "purge of case", id: string(id)})
		}
	}
	return nil
}

// EraseFeatureData implements coaching.FeatureEraser for the features
// this store keeps data of: the topic and the peer-support text of every
// coaching session the case attended are cleared (session.Store); the
// hours, staff, dates and cases stay for the team hours. The caseload's
// contacts, alerts and planned items lose their free text as
// caseload.Store says (eraseCaseload). Like PurgeCase it
// overwrites the old bytes and has the WAL checkpointed after the commit.
func (w *writer) EraseFeatureData(ctx context.Context, id coaching.CaseID) error {
	if err := w.secureDelete(ctx); err != nil {
		return interpretError(err, ref{kind: "erasure of the sessions of case", id: string(id)})
	}
	if _, err := w.exec(ctx, qEraseSessions, string(id)); err != nil {
		return interpretError(err, ref{kind: "erasure of the sessions of case", id: string(id)})
	}
	return w.eraseCaseload(ctx, id)
}

// ---- timers ----------------------------------------------------------------

func (w *writer) PutTimer(ctx context.Context, t coaching.Timer) error {
	_, err := w.exec(ctx, qPutTimer, t.Key, string(t.CaseID), t.Kind, micros(t.DueAt), t.Ref)
	return interpretError(err, ref{kind: "timer", id: t.Key})
}

func (w *writer) DeleteTimer(ctx context.Context, key string) error {
	rf := ref{kind: "timer", id: key}
	n, err := affected(w.exec(ctx, qDeleteTimer, key))
	if err != nil {
		return interpretError(err, rf)
	}
	if n == 0 {
		return interpretError(sql.ErrNoRows, rf)
	}
	return nil
}

// ---- notices in a transaction ----------------------------------------------

func (r *reader) Notice(ctx context.Context, id string) (coaching.Notice, error) {
	n, err := scanNotice(r.queryRow(ctx, qNotice, id))
	if err != nil {
		return coaching.Notice{}, interpretError(err, ref{kind: "notice", id: id})
	}
	return n, nil
}

func (r *reader) Notices(ctx context.Context, q coaching.NoticeQuery) ([]coaching.Notice, error) {
	query, args := noticesQuery(q)
	return scanNotices(r.tx.QueryContext(ctx, query, args...))
}

func (w *writer) Enqueue(ctx context.Context, n coaching.Notice) (bool, error) {
	n, err := coaching.PrepareEnqueue(ctx, n)
	if err != nil {
		return false, err
	}
	if n.Status == "" {
		n.Status = coaching.NoticePending
	}
	args, err := noticeArgs(&n)
	if err != nil {
		return false, err
	}
	c, err := affected(w.exec(ctx, qEnqueue, args...))
	if err != nil {
		return false, interpretError(err, ref{kind: "notice", id: n.ID})
	}
	return c == 1, nil
}

func (w *writer) UpdateNotice(ctx context.Context, n coaching.Notice) (bool, error) {
	rf := ref{kind: "notice", id: n.ID}
	subject := "notice " + strconv.Quote(n.ID)
	recipient, err := marshal(subject, n.Recipient)
	if err != nil {
		return false, err
	}
	data, err := noticeData(subject, n.Data)
	if err != nil {
		return false, err
	}
	// due_at, when it moves, is the new not_before, or created_at when
	// that is zero (NULL: the statement's coalesce).
	var due any
	if !n.NotBefore.IsZero() {
		due = micros(n.NotBefore)
	}
	c, err := affected(w.exec(ctx, qUpdateNotice, recipient, n.Subject, n.Body, data, micros(n.NotBefore),
		n.Status == coaching.NoticeCancelled, n.ID, due))
	if err != nil {
		return false, interpretError(err, rf)
	}
	if c == 1 {
		return true, nil
	}
	// Not pending any more (claimed, sent, dead, cancelled), or missing.
	var status string
	var attempts int
	var caseID string
	if err := w.queryRow(ctx, qNoticeState, n.ID).Scan(&status, &attempts, &caseID); err != nil {
		return false, interpretError(err, rf)
	}
	return false, nil
}

func noticeData(subject string, m map[string]string) (any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	b, err := marshal(subject, m)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// noticeArgs are the values of noticeCols.
func noticeArgs(n *coaching.Notice) ([]any, error) {
	subject := "notice " + strconv.Quote(n.ID)
	recipient, err := marshal(subject, n.Recipient)
	if err != nil {
		return nil, err
	}
	data, err := noticeData(subject, n.Data)
	if err != nil {
		return nil, err
	}
	return []any{n.ID, string(n.CaseID), n.Kind, recipient, n.Subject, n.Body, data, micros(n.CreatedAt), micros(n.NotBefore),
		string(n.Status), n.Attempts, micros(n.LeaseUntil), micros(n.SentAt), n.LastError,
		micros(n.DueAt), n.Channel, n.Trace}, nil
}

// scanNotice reads the columns of noticeCols.
func scanNotice(sc interface{ Scan(...any) error }) (coaching.Notice, error) {
	var n coaching.Notice
	var caseID, status string
	var recipient, data []byte
	var created, notBefore, lease, sent, due int64
	if err := sc.Scan(&n.ID, &caseID, &n.Kind, &recipient, &n.Subject, &n.Body, &data, &created, &notBefore, &status,
		&n.Attempts, &lease, &sent, &n.LastError, &due, &n.Channel, &n.Trace); err != nil {
		return coaching.Notice{}, err
	}
	n.CaseID, n.Status = coaching.CaseID(caseID), coaching.NoticeStatus(status)
	n.CreatedAt, n.NotBefore, n.LeaseUntil, n.SentAt = fromMicros(created), fromMicros(notBefore), fromMicros(lease), fromMicros(sent)
	n.DueAt = fromMicros(due)
	if err := json.Unmarshal(recipient, &n.Recipient); err != nil {
		return coaching.Notice{}, fmt.Errorf("sqlite: notice %q: stored recipient does not decode: %w", n.ID, err)
	}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &n.Data); err != nil {
			return coaching.Notice{}, fmt.Errorf("sqlite: notice %q: stored data does not decode: %w", n.ID, err)
		}
	}
	return n, nil
}

// sortNotices orders claimed notices as ClaimNotices returns them.
func sortNotices(ns []coaching.Notice) {
	slices.SortFunc(ns, func(a, b coaching.Notice) int {
		if c := a.NotBefore.Compare(b.NotBefore); c != 0 {
			return c
		}
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
}

// ParticipantBySignOn implements signon.Reader through the unique index on
// (organisation, sign_on) (migration 0012).
func (r *reader) ParticipantBySignOn(ctx context.Context, org coaching.OrganisationID, signOn string) (coaching.ParticipantID, error) {
	var id string
	err := r.queryRow(ctx, qSignOnHolder, string(org), signOn).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) || err == nil && signOn == "" {
		return "", &coaching.NotFoundError{Kind: "sign-on id", ID: signOn}
	}
	if err != nil {
		return "", interpretError(err, ref{kind: "sign-on id", id: signOn})
	}
	return coaching.ParticipantID(id), nil
}

var _ signon.Reader = (*reader)(nil)
