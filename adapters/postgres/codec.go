package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/session"
)

// encodeCase returns the case's JSON for the cases.data column, without
// the history and the records, which are not the row's (a case with
// records is refused: they are appended with AppendRecords).
func encodeCase(c *coaching.Case) ([]byte, error) {
	q := *c
	q.History = nil // the audit trail's, not the row's (coaching.Case.History)
	if len(q.Records) > 0 {
		return nil, &coaching.ValidationError{Subject: "case", Problems: []coaching.FieldProblem{{Field: "records",
			Message: "are not stored in the case row: append them with AppendRecords"}}}
	}
	q.Records = nil
	b, err := json.Marshal(&q)
	if err != nil {
		return nil, &coaching.ValidationError{Subject: "case", Problems: []coaching.FieldProblem{{Message: "cannot be encoded as JSON: " + err.Error()}}}
	}
	return b, nil
}

func decodeCase(b []byte, c *coaching.Case) error {
	*c = coaching.Case{}
	if err := json.Unmarshal(b, c); err != nil {
		return fmt.Errorf("postgres: a stored case does not decode: %w", err)
	}
	c.History = nil // rows written before history left the row still carry it
	return nil
}

// encodeParticipant returns the participant's JSON without its identity
// code (whose JSON form is only a mask) and the code in clear for its own
// column (NULL when there is none).
func encodeParticipant(p *coaching.Participant) (data []byte, code any, err error) {
	q := *p
	q.IdentityCode = coaching.IdentityCode{}
	data, err = json.Marshal(&q)
	if err != nil {
		return nil, nil, &coaching.ValidationError{Subject: "participant", Problems: []coaching.FieldProblem{{Message: "cannot be encoded as JSON: " + err.Error()}}}
	}
	if !p.IdentityCode.IsZero() {
		code = p.IdentityCode.Reveal()
	}
	return data, code, nil
}

func decodeParticipant(data []byte, code pgtype.Text, p *coaching.Participant) error {
	*p = coaching.Participant{}
	if err := json.Unmarshal(data, p); err != nil {
		return fmt.Errorf("postgres: a stored participant does not decode: %w", err)
	}
	p.IdentityCode = coaching.IdentityCode{}
	if code.Valid && code.String != "" {
		ic, err := coaching.ParseIdentityCode(code.String)
		if err != nil {
			// The parse error never contains the code itself.
			return fmt.Errorf("postgres: the stored identity code of participant %q does not parse: %w", p.ID, err)
		}
		p.IdentityCode = ic
	}
	return nil
}

// optTime is an optional timestamptz: NULL for the zero time.
func optTime(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}

// timeOf reads an optional timestamptz; NULL is the zero time.
func timeOf(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}

// sqlDate is a civil date as a PostgreSQL date; the zero Date is NULL.
func sqlDate(d coaching.Date) pgtype.Date {
	if d.IsZero() {
		return pgtype.Date{}
	}
	return pgtype.Date{Time: time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC), Valid: true}
}

func dateOf(d pgtype.Date) coaching.Date {
	if !d.Valid {
		return coaching.Date{}
	}
	y, m, dd := d.Time.Date()
	return coaching.NewDate(y, m, dd)
}

// jsonOrNull returns b as a jsonb parameter, NULL when empty.
func jsonOrNull(b json.RawMessage) any {
	if len(b) == 0 {
		return nil
	}
	return []byte(b)
}

// textOrNull is a nullable text parameter: NULL for "".
func textOrNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// scanNotice reads a row of noticeCols.
func scanNotice(row pgx.Row, n *coaching.Notice) error {
	var (
		recipient, data          []byte
		caseID                   string
		status                   string
		created, notBefore, due  time.Time
		leaseUntil, sentAt       pgtype.Timestamptz
		attempts                 int32
		lastError, subject, body string
		channel, trace           string
	)
	if err := row.Scan(&n.ID, &caseID, &n.Kind, &recipient, &subject, &body, &data, &created, &notBefore,
		&status, &attempts, &leaseUntil, &sentAt, &lastError, &due, &channel, &trace); err != nil {
		return err
	}
	n.DueAt, n.Channel, n.Trace = due.UTC(), channel, trace
	n.CaseID = coaching.CaseID(caseID)
	n.Subject, n.Body = subject, body
	n.Status = coaching.NoticeStatus(status)
	n.Attempts = int(attempts)
	n.CreatedAt, n.NotBefore = created.UTC(), notBefore.UTC()
	n.LeaseUntil, n.SentAt = timeOf(leaseUntil), timeOf(sentAt)
	n.LastError = lastError
	n.Recipient = coaching.Recipient{}
	if err := json.Unmarshal(recipient, &n.Recipient); err != nil {
		return fmt.Errorf("postgres: the stored recipient of notice %q does not decode: %w", n.ID, err)
	}
	n.Data = nil
	if len(data) > 0 {
		if err := json.Unmarshal(data, &n.Data); err != nil {
			return fmt.Errorf("postgres: the stored data of notice %q does not decode: %w", n.ID, err)
		}
	}
	return nil
}

// noticeArgs are the parameters of the enqueue statement: due_at ($15)
// is n.DueAt, which Enqueue sets; channel is never the caller's.
func noticeArgs(n *coaching.Notice) ([]any, error) {
	recipient, err := json.Marshal(n.Recipient)
	if err != nil {
		return nil, err
	}
	var data any
	if len(n.Data) > 0 {
		b, err := json.Marshal(n.Data)
		if err != nil {
			return nil, err
		}
		data = b
	}
	status := n.Status
	if status == "" {
		status = coaching.NoticePending
	}
	return []any{n.ID, string(n.CaseID), n.Kind, recipient, n.Subject, n.Body, data, n.CreatedAt, n.NotBefore,
		string(status), n.Attempts, optTime(n.LeaseUntil), optTime(n.SentAt), n.LastError, n.DueAt, n.Trace}, nil
}

func scanAudit(rows pgx.Row, a *coaching.AuditEntry) error {
	var (
		caseID, kind string
		roles        []string
		payload      []byte
		at           time.Time
	)
	if err := rows.Scan(&caseID, &a.Seq, &at, &kind, &a.ActorID, &roles, &a.Event, &a.From, &a.To, &a.Reason, &payload, &a.IdempotencyKey); err != nil {
		return err
	}
	a.CaseID, a.Kind, a.At = coaching.CaseID(caseID), coaching.AuditKind(kind), at.UTC()
	a.Roles = nil
	if len(roles) > 0 {
		a.Roles = make([]coaching.Role, len(roles))
		for i, r := range roles {
			a.Roles[i] = coaching.Role(r)
		}
	}
	a.Payload = nil
	if len(payload) > 0 {
		a.Payload = json.RawMessage(payload)
	}
	return nil
}

func scanDocument(row pgx.Row, d *coaching.Document) error {
	var (
		caseID string
		data   []byte
		at     time.Time
	)
	if err := row.Scan(&caseID, &d.Kind, &d.Version, &d.Status, &at, &d.By, &d.Seq, &data); err != nil {
		return err
	}
	d.CaseID, d.At = coaching.CaseID(caseID), at.UTC()
	d.Data = nil
	if len(data) > 0 {
		d.Data = json.RawMessage(data)
	}
	return nil
}

func scanRecord(row pgx.Row, r *coaching.Record) error {
	var (
		rowid int64
		data  []byte
		at    time.Time
	)
	if err := row.Scan(&rowid, &r.Seq, &r.Name, &at, &r.By, &data); err != nil {
		return err
	}
	r.At, r.Data = at.UTC(), nil
	if len(data) > 0 {
		r.Data = json.RawMessage(data)
	}
	return nil
}

func scanMark(row pgx.Row, m *attendance.Mark) error {
	var (
		caseID, status, reason string
		date                   pgtype.Date
		revision, minutes      int32
		at                     time.Time
	)
	if err := row.Scan(&caseID, &date, &m.Lesson, &revision, &m.Title, &minutes, &status, &reason, &at, &m.By); err != nil {
		return err
	}
	m.CaseID, m.Date, m.Revision, m.Minutes = coaching.CaseID(caseID), dateOf(date), int(revision), int(minutes)
	m.Status, m.Reason, m.At = attendance.Status(status), attendance.AbsenceReason(reason), at.UTC()
	return nil
}

func scanSession(row pgx.Row, s *session.Session) error {
	var (
		kind, hours     string
		date            pgtype.Date
		staff           []byte
		cases, elements []string
		contacts        int32
		at              time.Time
	)
	var org string
	if err := row.Scan(&s.ID, &kind, &date, &hours, &staff, &cases, &elements, &s.PeerSupport, &contacts, &s.Topic, &at, &s.By, &org); err != nil {
		return err
	}
	s.Organisation = coaching.OrganisationID(org)
	h, err := decimal.NewFromString(hours)
	if err != nil {
		return fmt.Errorf("postgres: the stored hours of session %q do not parse: %w", s.ID, err)
	}
	s.Kind, s.Date, s.Hours, s.Contacts, s.At = session.Kind(kind), dateOf(date), h, int(contacts), at.UTC()
	s.Staff = nil
	if err := json.Unmarshal(staff, &s.Staff); err != nil {
		return fmt.Errorf("postgres: the stored staff of session %q do not decode: %w", s.ID, err)
	}
	s.Cases = nil
	if len(cases) > 0 {
		s.Cases = make([]coaching.CaseID, len(cases))
		for i, c := range cases {
			s.Cases[i] = coaching.CaseID(c)
		}
	}
	s.Elements = nil
	if len(elements) > 0 {
		s.Elements = make([]session.ApproachElement, len(elements))
		for i, e := range elements {
			s.Elements[i] = session.ApproachElement(e)
		}
	}
	return nil
}

func scanAccess(row pgx.Row, a *coaching.AccessEntry) error {
	var (
		org, op, caseID, participant string
		roles                        []string
		at                           time.Time
	)
	if err := row.Scan(&a.Seq, &at, &a.ActorID, &roles, &org, &op, &caseID, &participant, &a.Allowed, &a.Rule, &a.Purpose, &a.Subject); err != nil {
		return err
	}
	a.At, a.Organisation, a.Operation = at.UTC(), coaching.OrganisationID(org), coaching.Operation(op)
	a.CaseID, a.ParticipantID = coaching.CaseID(caseID), coaching.ParticipantID(participant)
	a.Roles = roleSlice(roles)
	return nil
}

// roleSlice converts a text[] of roles; empty is nil.
func roleSlice(roles []string) []coaching.Role {
	if len(roles) == 0 {
		return nil
	}
	out := make([]coaching.Role, len(roles))
	for i, r := range roles {
		out[i] = coaching.Role(r)
	}
	return out
}

// roleStrings converts roles for a text[] parameter; empty is NULL.
func roleStrings(roles []coaching.Role) []string {
	if len(roles) == 0 {
		return nil
	}
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}

func scanTimer(row pgx.Row, t *coaching.Timer) error {
	var (
		caseID string
		due    time.Time
	)
	if err := row.Scan(&t.Key, &caseID, &t.Kind, &due, &t.Ref); err != nil {
		return err
	}
	t.CaseID, t.DueAt = coaching.CaseID(caseID), due.UTC()
	return nil
}

// queryOne runs a query expected to return at most one row and scans it
// with scan; no row is pgx.ErrNoRows.
func queryOne(rows pgx.Rows, err error, scan func(pgx.Rows) error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := scan(rows); err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}
