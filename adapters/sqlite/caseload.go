package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
)

// The store's transactions keep the caseload's data (migration 0011).
var (
	_ caseload.Reader = (*reader)(nil)
	_ caseload.Store  = (*writer)(nil)
)

// phaseDue is the cases.phase_due column of c: its phase deadline in
// microseconds while it has one and the case is neither paused nor
// closed, else NULL; so a case is overdue at now exactly when phase_due
// < now (caseload.Summary.Overdue).
func phaseDue(c *coaching.Case) any {
	if c.Phase.DueAt.IsZero() || !c.Phase.PausedAt.IsZero() || c.Closed() {
		return nil
	}
	return micros(c.Phase.DueAt)
}

// teamKey is the cases.team_key column: the team's (actor, role) pairs,
// each part length-prefixed so that no two teams share a key. When it
// changes, a trigger rewrites the case's case_team rows (migration 0011);
// a transition writes the same key and the trigger's WHEN test fails.
func teamKey(team []coaching.TeamMember) string {
	if len(team) == 0 {
		return ""
	}
	b := make([]byte, 0, 32*len(team))
	for i := range team {
		b = strconv.AppendInt(b, int64(len(team[i].ActorID)), 10)
		b = append(b, ':')
		b = append(b, team[i].ActorID...)
		b = strconv.AppendInt(b, int64(len(team[i].Role)), 10)
		b = append(b, ':')
		b = append(b, team[i].Role...)
	}
	return string(b)
}

// needID refuses an empty id with a *coaching.ValidationError.
func needID(subject, field, id string) error {
	if id != "" {
		return nil
	}
	return &coaching.ValidationError{Subject: subject, Problems: []coaching.FieldProblem{{Field: field, Message: "is required"}}}
}

// ---- the list --------------------------------------------------------------

// summaryCols are what the list reads per case. The computed columns (the
// summary's feature data and its sort keys) are named so that the outer
// query filters and orders on them: each is an index step (flags one row
// of attendance_state, group one of latest_records, last contact the last
// entry of the case in contacts_case, next and next_welfare a walk of
// planned_cases_next, the alert counts the case's range of
// alerts_active_cause).
var summaryCols = `c.id AS id, c.participant_id AS participant_id, c.organisation AS organisation, c.model AS model,
	c.state AS state, c.opened_at AS opened_at, c.closed_at AS closed_at, c.phase_due AS phase_due,
	c.data -> '$.phase' AS phase, c.data -> '$.team' AS team,
	p.data ->> '$.given_names' AS given, p.data ->> '$.family_name' AS family, coalesce(p.sort_name, char(1)) AS sort_name,
	(SELECT CAST(l.data AS TEXT) ->> '$.group' FROM latest_records l WHERE l.case_id = c.id AND l.name = 'sis_enrolment') AS grp,
	(SELECT json_group_array(json_object('rule', f.value ->> '$.rule', 'seq', f.value ->> '$.seq')) FROM attendance_state a, json_each(a.flags) f WHERE a.case_id = c.id) AS flags,
	coalesce((SELECT max(k.on_day) FROM contacts k WHERE k.case_id = c.id), 0) AS contact,
	(SELECT json_array(q.id, q.data ->> '$.kind', q.data ->> '$.title', n.on_day) FROM planned_cases n JOIN planned q ON q.id = n.planned_id
		WHERE n.case_id = c.id AND n.status = 'planned' AND coalesce(q.data ->> '$.owner.role', '') NOT IN (` + welfareRoles + `)
		ORDER BY n.on_day, n.planned_id LIMIT 1) AS next,
	(SELECT json_array(q.id, q.data ->> '$.kind', q.data ->> '$.title', n.on_day) FROM planned_cases n JOIN planned q ON q.id = n.planned_id
		WHERE n.case_id = c.id AND n.status = 'planned' AND q.data ->> '$.owner.role' IN (` + welfareRoles + `)
		ORDER BY n.on_day, n.planned_id LIMIT 1) AS next_welfare,
	(SELECT count(*) FROM alerts x WHERE x.case_id = c.id AND x.status IN ('open', 'acknowledged') AND x.welfare = 0) AS alerts,
	(SELECT count(*) FROM alerts x WHERE x.case_id = c.id AND x.status IN ('open', 'acknowledged') AND x.welfare <> 0) AS welfare_alerts`

// summariesQuery builds the list's one query from constant fragments; every
// value is a parameter. The inner query selects the cases by their own
// columns (a member's cases from case_team's primary key); the outer one
// filters on the computed columns, applies the keyset (f.After) and orders
// as caseload.Key.Less does.
func summariesQuery(f caseload.Filter) (string, []any, error) {
	var b strings.Builder
	args := make([]any, 0, 16)
	now := micros(f.Now)
	b.WriteString(`SELECT * FROM (SELECT ` + summaryCols + `,
	CASE WHEN c.phase_due < ? THEN 0
		WHEN EXISTS (SELECT 1 FROM attendance_state a WHERE a.case_id = c.id AND json_array_length(a.flags) > 0)
			OR EXISTS (SELECT 1 FROM alerts x WHERE x.case_id = c.id AND x.status IN ('open', 'acknowledged') AND x.welfare = 0) THEN 1
		ELSE 2 END AS rank
	FROM cases c LEFT JOIN participants p ON p.organisation = c.organisation AND p.id = c.participant_id
	WHERE c.organisation = ?`)
	args = append(args, now, string(f.Organisation))
	if f.Member != "" {
		if f.MemberRole != "" {
			b.WriteString(` AND c.id IN (SELECT case_id FROM case_team WHERE actor_id = ? AND role = ?)`)
			args = append(args, f.Member, string(f.MemberRole))
		} else {
			b.WriteString(` AND c.id IN (SELECT case_id FROM case_team WHERE actor_id = ?)`)
			args = append(args, f.Member)
		}
	}
	for _, in := range []struct {
		col string
		vs  []string
	}{{"c.model", f.Models}, {"c.state", f.States}} {
		if len(in.vs) == 0 {
			continue
		}
		var err error
		if args, err = whereIn(&b, args, in.col, in.vs); err != nil {
			return "", nil, err
		}
	}
	switch f.Status {
	case caseload.StatusOpen, "":
		b.WriteString(` AND c.closed = 0`)
	case caseload.StatusClosed:
		b.WriteString(` AND c.closed <> 0`)
	}
	if f.Overdue {
		b.WriteString(` AND c.phase_due < ?`)
		args = append(args, now)
	}
	if f.FlagRule != "" {
		b.WriteString(` AND EXISTS (SELECT 1 FROM attendance_state a, json_each(a.flags) g WHERE a.case_id = c.id AND g.value ->> '$.rule' = ?)`)
		args = append(args, f.FlagRule)
	} else if f.Flagged {
		b.WriteString(` AND EXISTS (SELECT 1 FROM attendance_state a WHERE a.case_id = c.id AND json_array_length(a.flags) > 0)`)
	}
	if f.Participant != "" {
		b.WriteString(` AND c.participant_id = ?`)
		args = append(args, string(f.Participant))
	}
	if !f.OpenedFrom.IsZero() {
		b.WriteString(` AND c.opened_at >= ?`)
		args = append(args, micros(f.OpenedFrom))
	}
	if !f.OpenedTo.IsZero() {
		b.WriteString(` AND c.opened_at < ?`)
		args = append(args, micros(f.OpenedTo))
	}
	b.WriteString(`) WHERE 1 = 1`)
	if !f.ContactBefore.IsZero() {
		day, err := dayOf("contact before", f.ContactBefore)
		if err != nil {
			return "", nil, err
		}
		b.WriteString(` AND contact < ?`)
		args = append(args, day)
	}
	if f.Group != "" {
		b.WriteString(` AND grp = ?`)
		args = append(args, f.Group)
	}
	k := f.After
	switch f.Sort {
	case caseload.SortName:
		if k != nil {
			b.WriteString(` AND (sort_name, id) > (?, ?)`)
			args = append(args, k.Name, string(k.CaseID))
		}
		b.WriteString(` ORDER BY sort_name, id`)
	case caseload.SortOpened:
		if k != nil {
			o := micros(k.Opened)
			b.WriteString(` AND (opened_at < ? OR (opened_at = ? AND id > ?))`)
			args = append(args, o, o, string(k.CaseID))
		}
		b.WriteString(` ORDER BY opened_at DESC, id`)
	default:
		if k != nil {
			day, err := dayOf("after", k.Contact)
			if err != nil {
				return "", nil, err
			}
			b.WriteString(` AND (rank, contact, id) > (?, ?, ?)`)
			args = append(args, k.Rank, day, string(k.CaseID))
		}
		b.WriteString(` ORDER BY rank, contact, id`)
	}
	b.WriteString(` LIMIT ?`)
	args = append(args, f.Limit)
	return b.String(), args, nil
}

// Summaries implements caseload.Reader: one query per call.
func (r *reader) Summaries(ctx context.Context, f caseload.Filter) ([]caseload.Summary, error) {
	if f.Limit <= 0 {
		return []caseload.Summary{}, nil
	}
	query, args, err := summariesQuery(f)
	if err != nil {
		return nil, err
	}
	rf := ref{kind: "caseload"}
	rows, err := r.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, interpretError(err, rf)
	}
	defer rows.Close()
	out := []caseload.Summary{}
	for rows.Next() {
		var (
			s                    caseload.Summary
			id, participant, org string
			opened               int64
			closed, due          sql.NullInt64
			phase, team, flags   []byte
			next, nextWelfare    []byte
			given, family, grp   sql.NullString
			sortName             string
			contact              int64
			rank                 int
			fl                   []struct {
				Rule string `json:"rule"`
				Seq  int64  `json:"seq"`
			}
		)
		if err := rows.Scan(&id, &participant, &org, &s.Model, &s.State, &opened, &closed, &due, &phase, &team,
			&given, &family, &sortName, &grp, &flags, &contact, &next, &nextWelfare, &s.ActiveAlerts, &s.ActiveWelfareAlerts, &rank); err != nil {
			return nil, interpretError(err, rf)
		}
		s.CaseID, s.ParticipantID, s.Organisation = coaching.CaseID(id), coaching.ParticipantID(participant), coaching.OrganisationID(org)
		s.OpenedAt = fromMicros(opened)
		if closed.Valid {
			s.ClosedAt = fromMicros(closed.Int64)
		}
		s.GivenNames, s.FamilyName, s.Group, s.LastContact = given.String, family.String, grp.String, dateOf(contact)
		for _, d := range []struct {
			b []byte
			v any
		}{{phase, &s.Phase}, {team, &s.Team}, {flags, &fl}} {
			if len(d.b) > 0 {
				if err := json.Unmarshal(d.b, d.v); err != nil {
					return nil, fmt.Errorf("sqlite: caseload: case %q: stored JSON does not decode: %w", id, err)
				}
			}
		}
		for _, f := range fl {
			s.Flags = append(s.Flags, caseload.Flag{Rule: f.Rule, Seq: f.Seq})
		}
		for _, n := range []struct {
			b   []byte
			dst **caseload.Upcoming
		}{{next, &s.Next}, {nextWelfare, &s.NextWelfare}} {
			if len(n.b) > 0 {
				u, err := decodeUpcoming(n.b)
				if err != nil {
					return nil, fmt.Errorf("sqlite: caseload: case %q: next planned item does not decode: %w", id, err)
				}
				*n.dst = u
			}
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, interpretError(err, rf)
	}
	return out, nil
}

// decodeUpcoming reads a next planned item's column: the JSON array of
// its id, kind, title and day.
func decodeUpcoming(b []byte) (*caseload.Upcoming, error) {
	var n []json.RawMessage
	var u caseload.Upcoming
	var day int64
	if err := json.Unmarshal(b, &n); err != nil {
		return nil, err
	}
	if len(n) != 4 {
		return nil, fmt.Errorf("%d fields, not 4", len(n))
	}
	for i, v := range []any{&u.ID, &u.Kind, &u.Title, &day} {
		if string(n[i]) == "null" {
			continue
		}
		if err := json.Unmarshal(n[i], v); err != nil {
			return nil, err
		}
	}
	u.On = dateOf(day)
	return &u, nil
}

// welfareRoles is the SQL list of the roles coaching.Role.IsWelfare holds
// of: an item owned in one of them is a summary's NextWelfare. Both walks
// of planned_cases_next skip only the case's open items of the other
// kind, never its held or cancelled ones (its history).
var welfareRoles = "'" + strings.Join(caseload.WelfareRoleNames(), "', '") + "'"

// ---- alerts ----------------------------------------------------------------

const (
	qAlert       = `SELECT data, version FROM alerts WHERE id = ?`
	qActiveAlert = `SELECT id FROM alerts WHERE case_id = ? AND cause_kind = ? AND cause_key = ? AND status IN ('open', 'acknowledged')`
	qPutAlert    = `INSERT INTO alerts (id, case_id, organisation, cause_kind, cause_key, welfare, owner, status, version, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qUpdateAlert = `UPDATE alerts SET organisation = ?, welfare = ?, owner = ?, status = ?, version = ?, data = ?
		WHERE id = ? AND version = ? AND case_id = ? AND cause_kind = ? AND cause_key = ?`
	qAlertKeys = `SELECT version, case_id, cause_kind, cause_key FROM alerts WHERE id = ?`
)

// decodeVersioned reads an alert's or a planned item's JSON into v and
// sets its version from the version column, which is the truth.
func decodeVersioned[T any](kind string, data []byte, version int64, setVersion func(*T, int64)) (T, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		return v, fmt.Errorf("sqlite: %s: stored JSON does not decode: %w", kind, err)
	}
	setVersion(&v, version)
	return v, nil
}

func decodeAlert(data []byte, version int64) (caseload.Alert, error) {
	return decodeVersioned("alert", data, version, func(a *caseload.Alert, v int64) { a.Version = v })
}

func decodePlanned(data []byte, version int64) (caseload.Planned, error) {
	return decodeVersioned("planned item", data, version, func(p *caseload.Planned, v int64) { p.Version = v })
}

// queryVersioned runs a query of (data, version) rows and decodes each.
func queryVersioned[T any](ctx context.Context, r *reader, rf ref, query string, args []any, decode func([]byte, int64) (T, error)) ([]T, error) {
	rows, err := r.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, interpretError(err, rf)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var data []byte
		var version int64
		if err := rows.Scan(&data, &version); err != nil {
			return nil, interpretError(err, rf)
		}
		v, err := decode(data, version)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, interpretError(rows.Err(), rf)
}

// whereIn adds "AND col IN (the values)" to a query, the values as one
// JSON array parameter.
func whereIn[T any](b *strings.Builder, args []any, col string, vs []T) ([]any, error) {
	js, err := json.Marshal(vs)
	if err != nil {
		return nil, err
	}
	b.WriteString(` AND ` + col + ` IN (SELECT value FROM json_each(?))`)
	return append(args, string(js)), nil
}

// orderLimit ends a query with its order and, when limit > 0, its limit.
func orderLimit(b *strings.Builder, args []any, order string, limit int) []any {
	b.WriteString(` ORDER BY ` + order)
	if limit > 0 {
		b.WriteString(` LIMIT ?`)
		args = append(args, limit)
	}
	return args
}

// getVersioned reads one (data, version) row; a *coaching.NotFoundError
// of rf when there is none.
func getVersioned[T any](ctx context.Context, r *reader, rf ref, query string, decode func([]byte, int64) (T, error)) (T, error) {
	var data []byte
	var version int64
	if err := r.queryRow(ctx, query, rf.id).Scan(&data, &version); err != nil {
		var zero T
		return zero, interpretError(err, rf)
	}
	return decode(data, version)
}

func (r *reader) Alert(ctx context.Context, id string) (caseload.Alert, error) {
	return getVersioned(ctx, r, ref{kind: "alert", id: id}, qAlert, decodeAlert)
}

func (r *reader) Alerts(ctx context.Context, q caseload.AlertQuery) ([]caseload.Alert, error) {
	var b strings.Builder
	args := make([]any, 0, 8)
	b.WriteString(`SELECT data, version FROM alerts WHERE id > ?`)
	args = append(args, q.After)
	for _, f := range []struct{ cond, v string }{
		{` AND organisation = ?`, string(q.Organisation)},
		{` AND owner = ?`, q.Owner},
		{` AND case_id = ?`, string(q.CaseID)},
	} {
		if f.v != "" {
			b.WriteString(f.cond)
			args = append(args, f.v)
		}
	}
	statuses := q.Statuses
	if len(statuses) == 0 {
		statuses = []caseload.AlertStatus{caseload.AlertOpen, caseload.AlertAcknowledged}
	}
	args, err := whereIn(&b, args, "status", statuses)
	if err != nil {
		return nil, err
	}
	if len(q.Kinds) > 0 {
		if args, err = whereIn(&b, args, "cause_kind", q.Kinds); err != nil {
			return nil, err
		}
	}
	args = orderLimit(&b, args, "id", q.Limit)
	return queryVersioned(ctx, r, ref{kind: "alerts"}, b.String(), args, decodeAlert)
}

// caseExists returns a *coaching.NotFoundError when case id is not stored.
func (r *reader) caseExists(ctx context.Context, id coaching.CaseID) error {
	var one int
	return interpretError(r.queryRow(ctx, qCaseExists, string(id)).Scan(&one), ref{kind: "case", id: string(id)})
}

// PutAlert checks the active alert of the cause before inserting, so that
// a duplicate names that alert; the partial unique index
// alerts_active_cause holds whatever writes the table.
func (w *writer) PutAlert(ctx context.Context, a caseload.Alert) error {
	subject := "alert " + strconv.Quote(a.ID)
	if err := needID(subject, "id", a.ID); err != nil {
		return err
	}
	if err := needID(subject, "case_id", string(a.CaseID)); err != nil {
		return err
	}
	if err := w.caseExists(ctx, a.CaseID); err != nil {
		return err
	}
	rf := ref{kind: "alert", id: a.ID, caseID: a.CaseID}
	if a.Active() {
		var other string
		err := w.queryRow(ctx, qActiveAlert, string(a.CaseID), string(a.Cause.Kind), a.Cause.Key).Scan(&other)
		switch {
		case err == nil:
			return &coaching.DuplicateError{Kind: "alert", ID: other}
		case !errors.Is(err, sql.ErrNoRows):
			return interpretError(err, rf)
		}
	}
	a.Version = 1
	data, err := marshal(subject, a)
	if err != nil {
		return err
	}
	_, err = w.exec(ctx, qPutAlert, a.ID, string(a.CaseID), string(a.Organisation), string(a.Cause.Kind), a.Cause.Key,
		boolInt(a.Welfare), a.Owner.ActorID, string(a.Status), a.Version, data)
	return interpretError(err, rf)
}

func (w *writer) UpdateAlert(ctx context.Context, a caseload.Alert, expected int64) error {
	subject := "alert " + strconv.Quote(a.ID)
	if err := needID(subject, "id", a.ID); err != nil {
		return err
	}
	rf := ref{kind: "alert", id: a.ID, caseID: a.CaseID}
	a.Version = expected + 1
	data, err := marshal(subject, a)
	if err != nil {
		return err
	}
	n, err := affected(w.exec(ctx, qUpdateAlert, string(a.Organisation), boolInt(a.Welfare), a.Owner.ActorID, string(a.Status),
		a.Version, data, a.ID, expected, string(a.CaseID), string(a.Cause.Kind), a.Cause.Key))
	if err != nil {
		return interpretError(err, rf)
	}
	if n == 1 {
		return nil
	}
	var current int64
	var caseID, kind, key string
	if err := w.queryRow(ctx, qAlertKeys, a.ID).Scan(&current, &caseID, &kind, &key); err != nil {
		return interpretError(err, rf)
	}
	if current != expected {
		return &coaching.ConflictError{CaseID: coaching.CaseID(caseID), Subject: "alert " + a.ID, Expected: expected, Current: current}
	}
	return invalid("alert", fmt.Sprintf("alert %q: its case and cause never change", a.ID))
}

// ---- planned items ---------------------------------------------------------

const (
	qPlanned       = `SELECT data, version FROM planned WHERE id = ?`
	qPutPlanned    = `INSERT INTO planned (id, organisation, owner, status, on_day, version, data) VALUES (?, ?, ?, ?, ?, ?, ?)`
	qUpdatePlanned = `UPDATE planned SET organisation = ?, owner = ?, status = ?, on_day = ?, version = ?, data = ?
		WHERE id = ? AND version = ?`
	qPlannedVersion     = `SELECT version FROM planned WHERE id = ?`
	qDeletePlannedCases = `DELETE FROM planned_cases WHERE planned_id = ?`
	qPutPlannedCase     = `INSERT OR IGNORE INTO planned_cases (case_id, planned_id, on_day, status) VALUES (?, ?, ?, ?)`
)

func (r *reader) PlannedItem(ctx context.Context, id string) (caseload.Planned, error) {
	return getVersioned(ctx, r, ref{kind: "planned", id: id}, qPlanned, decodePlanned)
}

func (r *reader) PlannedItems(ctx context.Context, q caseload.PlannedQuery) ([]caseload.Planned, error) {
	var b strings.Builder
	args := make([]any, 0, 10)
	// After pages by id within the (On, id) order: the items after the one
	// named After where it is now (all of them when there is no such item).
	b.WriteString(`SELECT data, version FROM planned WHERE 1 = 1`)
	if q.After != "" {
		b.WriteString(` AND (NOT EXISTS (SELECT 1 FROM planned WHERE id = ?) OR (on_day, id) > (SELECT on_day, id FROM planned WHERE id = ?))`)
		args = append(args, q.After, q.After)
	}
	for _, f := range []struct{ cond, v string }{
		{` AND organisation = ?`, string(q.Organisation)},
		{` AND owner = ?`, q.Owner},
		{` AND id IN (SELECT planned_id FROM planned_cases WHERE case_id = ?)`, string(q.CaseID)},
	} {
		if f.v != "" {
			b.WriteString(f.cond)
			args = append(args, f.v)
		}
	}
	statuses := q.Statuses
	if len(statuses) == 0 {
		statuses = []caseload.PlannedStatus{caseload.PlannedOpen}
	}
	args, err := whereIn(&b, args, "status", statuses)
	if err != nil {
		return nil, err
	}
	for _, d := range []struct {
		cond  string
		field string
		v     coaching.Date
	}{{` AND on_day >= ?`, "from", q.From}, {` AND on_day <= ?`, "to", q.To}} {
		if d.v.IsZero() {
			continue
		}
		day, err := dayOf(d.field, d.v)
		if err != nil {
			return nil, err
		}
		b.WriteString(d.cond)
		args = append(args, day)
	}
	args = orderLimit(&b, args, "on_day, id", q.Limit)
	return queryVersioned(ctx, r, ref{kind: "planned items"}, b.String(), args, decodePlanned)
}

// plannedCases rewrites the item's rows of planned_cases (the cases it
// lists, with its date and status, for each case's next item).
func (w *writer) plannedCases(ctx context.Context, p *caseload.Planned, day int64) error {
	rf := ref{kind: "planned", id: p.ID}
	if _, err := w.exec(ctx, qDeletePlannedCases, p.ID); err != nil {
		return interpretError(err, rf)
	}
	for _, c := range p.Cases {
		if _, err := w.exec(ctx, qPutPlannedCase, string(c), p.ID, day, string(p.Status)); err != nil {
			return interpretError(err, rf)
		}
	}
	return nil
}

func (w *writer) PutPlanned(ctx context.Context, p caseload.Planned) error {
	subject := "planned " + strconv.Quote(p.ID)
	if err := needID(subject, "id", p.ID); err != nil {
		return err
	}
	for _, c := range p.Cases {
		if err := w.caseExists(ctx, c); err != nil {
			return err
		}
	}
	day, err := dayOf("on", p.On)
	if err != nil {
		return err
	}
	p.Version = 1
	data, err := marshal(subject, p)
	if err != nil {
		return err
	}
	if _, err := w.exec(ctx, qPutPlanned, p.ID, string(p.Organisation), p.Owner.ActorID, string(p.Status), day, p.Version, data); err != nil {
		return interpretError(err, ref{kind: "planned", id: p.ID})
	}
	return w.plannedCases(ctx, &p, day)
}

func (w *writer) UpdatePlanned(ctx context.Context, p caseload.Planned, expected int64) error {
	subject := "planned " + strconv.Quote(p.ID)
	if err := needID(subject, "id", p.ID); err != nil {
		return err
	}
	day, err := dayOf("on", p.On)
	if err != nil {
		return err
	}
	p.Version = expected + 1
	data, err := marshal(subject, p)
	if err != nil {
		return err
	}
	rf := ref{kind: "planned", id: p.ID}
	n, err := affected(w.exec(ctx, qUpdatePlanned, string(p.Organisation), p.Owner.ActorID, string(p.Status), day, p.Version, data, p.ID, expected))
	if err != nil {
		return interpretError(err, rf)
	}
	if n == 0 {
		var current int64
		if err := w.queryRow(ctx, qPlannedVersion, p.ID).Scan(&current); err != nil {
			return interpretError(err, rf)
		}
		var caseID coaching.CaseID
		if len(p.Cases) > 0 {
			caseID = p.Cases[0]
		}
		return &coaching.ConflictError{CaseID: caseID, Subject: "planned " + p.ID, Expected: expected, Current: current}
	}
	return w.plannedCases(ctx, &p, day)
}

// ---- contacts --------------------------------------------------------------

const (
	contactCols = `id, case_id, organisation, kind, on_day, with_guardian, note, at, by_actor, welfare`
	qPutContact = `INSERT INTO contacts (` + contactCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qContacts   = `SELECT ` + contactCols + ` FROM contacts WHERE case_id = ? ORDER BY on_day DESC, at DESC, id DESC LIMIT ?`
)

func (r *reader) Contacts(ctx context.Context, id coaching.CaseID, limit int) ([]caseload.Contact, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rf := ref{kind: "contacts", id: string(id)}
	rows, err := r.query(ctx, qContacts, string(id), limit)
	if err != nil {
		return nil, interpretError(err, rf)
	}
	defer rows.Close()
	out := []caseload.Contact{}
	for rows.Next() {
		var c caseload.Contact
		var caseID, org, kind string
		var day, at int64
		if err := rows.Scan(&c.ID, &caseID, &org, &kind, &day, &c.WithGuardian, &c.Note, &at, &c.By, &c.Welfare); err != nil {
			return nil, interpretError(err, rf)
		}
		c.CaseID, c.Organisation, c.Kind, c.On, c.At = coaching.CaseID(caseID), coaching.OrganisationID(org), caseload.ContactKind(kind), dateOf(day), fromMicros(at)
		out = append(out, c)
	}
	return out, interpretError(rows.Err(), rf)
}

// PutContact stores the contact; the case's last contact is the greatest
// date of its contacts, read from contacts_case, so nothing else moves.
func (w *writer) PutContact(ctx context.Context, c caseload.Contact) error {
	subject := "contact " + strconv.Quote(c.ID)
	if err := needID(subject, "id", c.ID); err != nil {
		return err
	}
	if err := needID(subject, "case_id", string(c.CaseID)); err != nil {
		return err
	}
	if err := w.caseExists(ctx, c.CaseID); err != nil {
		return err
	}
	day, err := dayOf("on", c.On)
	if err != nil {
		return err
	}
	if _, err := marshal(subject, c); err != nil { // the UTF-8 check of every JSON column
		return err
	}
	_, err = w.exec(ctx, qPutContact, c.ID, string(c.CaseID), string(c.Organisation), string(c.Kind), day, boolInt(c.WithGuardian),
		c.Note, micros(c.At), c.By, boolInt(c.Welfare))
	return interpretError(err, ref{kind: "contact", id: c.ID, caseID: c.CaseID})
}

// ---- erasure ---------------------------------------------------------------

// The caseload's part of EraseFeatureData: the free text of the case's
// contacts, alerts (the title becomes the cause's kind) and the planned
// items that list the case alone.
const (
	qEraseContacts = `UPDATE contacts SET note = '' WHERE case_id = ? AND note <> ''`
	qEraseAlerts   = `UPDATE alerts SET data = json_set(json_remove(data, '$.reason', '$.action.note'), '$.title', cause_kind)
		WHERE case_id = ?`
	qErasePlanned = `UPDATE planned SET data = json_set(json_remove(data, '$.reason'), '$.title', '')
		WHERE id IN (SELECT planned_id FROM planned_cases WHERE case_id = ?1)
			AND NOT EXISTS (SELECT 1 FROM planned_cases o WHERE o.planned_id = planned.id AND o.case_id <> ?1)`
)

// eraseCaseload runs the caseload's erasure statements for case id.
func (w *writer) eraseCaseload(ctx context.Context, id coaching.CaseID) error {
	for _, q := range []string{qEraseContacts, qEraseAlerts, qErasePlanned} {
		if _, err := w.exec(ctx, q, string(id)); err != nil {
			return interpretError(err, ref{kind: "erasure of the caseload data of case", id: string(id)})
		}
	}
	return nil
}
