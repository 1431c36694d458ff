package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/sis"
)

var _ caseload.Store = (*txn)(nil)

// teamKey is the compact form of a team's (actor, role) pairs the store
// writes to cases.team_key with every case write: the case_team trigger
// (migrations/0011_caseload.sql) rewrites the case's membership rows only
// when it changed. It is in no index, so a transition stays a HOT update.
func teamKey(team []coaching.TeamMember) string {
	n := 0
	for i := range team {
		n += len(team[i].ActorID) + len(team[i].Role) + 2
	}
	var b strings.Builder
	b.Grow(n)
	for i := range team {
		b.WriteString(team[i].ActorID)
		b.WriteByte(0x1f)
		b.WriteString(string(team[i].Role))
		b.WriteByte(0x1e)
	}
	return b.String()
}

// fillSortNames writes caseload.NameKey of the participants stored before
// migration 0011, which SQL cannot compute; Migrate runs it in its
// transaction.
func fillSortNames(ctx context.Context, tx pgx.Tx, ident string) error {
	for {
		rows, err := tx.Query(ctx, `SELECT organisation, id, coalesce(data ->> 'family_name', ''), coalesce(data ->> 'given_names', '')
			FROM `+ident+`.participants WHERE sort_name IS NULL LIMIT 1000`)
		if err != nil {
			return err
		}
		var orgs, ids, keys []string
		for rows.Next() {
			var org, id, family, given string
			if err := rows.Scan(&org, &id, &family, &given); err != nil {
				rows.Close()
				return err
			}
			orgs, ids, keys = append(orgs, org), append(ids, id), append(keys, caseload.NameKey(family, given))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		// Keyed by (organisation, id) (migration 0012, which Migrate
		// applies before this).
		if _, err := tx.Exec(ctx, `UPDATE `+ident+`.participants p SET sort_name = u.key
			FROM unnest($1::text[], $2::text[], $3::text[]) AS u (org, id, key) WHERE p.organisation = u.org AND p.id = u.id`, orgs, ids, keys); err != nil {
			return err
		}
	}
}

// ---- the list -----------------------------------------------------------

// summaryCols are what Summaries reads per case: the case's columns, its
// phase and team from its JSON, the participant's names, the group, the
// flags' rules, the last contact, the next planned item and the active
// alert counts. Each of the feature columns is an index lookup per case
// (attendance_state and latest_records by primary key, contacts_case,
// planned_cases_next and alerts_active_cause backward or forward one step
// or over the case's active alerts; the two next items a walk of
// planned_cases_next that skips only the case's open items owned on the
// other side of welfareRoles, never its held or cancelled ones).
var summarySelect = `SELECT c.id, c.participant_id, c.organisation, c.model, c.state, c.opened_at, c.closed_at,
	c.data -> 'phase' AS phase, c.data -> 'team' AS team,
	coalesce(p.data ->> 'given_names', '') AS given, coalesce(p.data ->> 'family_name', '') AS family,
	coalesce(p.sort_name, E'\x01') AS sort_name,
	coalesce(lr.data ->> 'group', '') AS grp,
	coalesce(st.flags, '[]') AS flags,
	(SELECT k."on" FROM {s}.contacts k WHERE k.case_id = c.id ORDER BY k."on" DESC LIMIT 1) AS last_contact,
	nx.id AS next_id, nx.data AS next_data, nw.id AS next_welfare_id, nw.data AS next_welfare_data,
	coalesce(al.active, 0) AS active, coalesce(al.welfare, 0) AS welfare
FROM {s}.cases c
	LEFT JOIN {s}.participants p ON p.organisation = c.organisation AND p.id = c.participant_id
	LEFT JOIN {s}.latest_records lr ON lr.case_id = c.id AND lr.name = '` + sis.RecordName + `'
	LEFT JOIN {s}.attendance_state st ON st.case_id = c.id
	LEFT JOIN LATERAL (SELECT pl.id, pl.data FROM {s}.planned_cases pc JOIN {s}.planned pl ON pl.id = pc.planned_id
		WHERE pc.case_id = c.id AND pc.status = 'planned' AND coalesce(pl.data -> 'owner' ->> 'role', '') NOT IN (` + welfareRoles + `)
		ORDER BY pc."on", pc.planned_id LIMIT 1) nx ON true
	LEFT JOIN LATERAL (SELECT pl.id, pl.data FROM {s}.planned_cases pc JOIN {s}.planned pl ON pl.id = pc.planned_id
		WHERE pc.case_id = c.id AND pc.status = 'planned' AND pl.data -> 'owner' ->> 'role' IN (` + welfareRoles + `)
		ORDER BY pc."on", pc.planned_id LIMIT 1) nw ON true
	LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE NOT a.welfare) AS active, count(*) FILTER (WHERE a.welfare) AS welfare
		FROM {s}.alerts a WHERE a.case_id = c.id AND a.status IN ('open', 'acknowledged')) al ON true`

// welfareRoles is the SQL list of the roles coaching.Role.IsWelfare holds
// of: an item owned in one of them is a summary's NextWelfare.
var welfareRoles = "'" + strings.Join(caseload.WelfareRoleNames(), "', '") + "'"

// overdueSQL is Summary.Overdue in SQL over the summary's columns: the
// phase's due_at before now ($2), not paused, the case open.
const overdueSQL = `(s.closed_at IS NULL AND (s.phase ->> 'paused_at') IS NULL AND (s.phase ->> 'due_at') IS NOT NULL
	AND (s.phase ->> 'due_at')::timestamptz < $2)`

// rankSQL is caseload.KeyOf's urgency rank: s.active counts only the
// non-welfare alerts, and welfare ones never raise the rank.
const rankSQL = `CASE WHEN ` + overdueSQL + ` THEN 0
	WHEN jsonb_array_length(s.flags) > 0 OR s.active > 0 THEN 1 ELSE 2 END`

// summariesSQL builds the one statement of a Summaries call: the case
// filters inside (on the columns the indexes hold: the membership's
// case_team, the organisation, the participant), the computed ones
// (overdue, flags, contact) and the keyset outside, in Key.Less's order.
// $1 is the organisation, $2 Now, $3 the limit; the rest are appended.
func summariesSQL(schema string, f *caseload.Filter) (string, []any) {
	args := []any{string(f.Organisation), f.Now, f.Limit}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var in, out []string
	in = append(in, "c.organisation = $1")
	if f.Member != "" {
		if f.MemberRole != "" {
			in = append(in, "c.id IN (SELECT m.case_id FROM {s}.case_team m WHERE m.actor_id = "+arg(f.Member)+" AND m.role = "+arg(string(f.MemberRole))+")")
		} else {
			in = append(in, "c.id IN (SELECT m.case_id FROM {s}.case_team m WHERE m.actor_id = "+arg(f.Member)+")")
		}
	}
	if len(f.Models) > 0 {
		in = append(in, "c.model = ANY("+arg(f.Models)+"::text[])")
	}
	if len(f.States) > 0 {
		in = append(in, "c.state = ANY("+arg(f.States)+"::text[])")
	}
	switch f.Status {
	case caseload.StatusOpen, "":
		in = append(in, "c.closed_at IS NULL")
	case caseload.StatusClosed:
		in = append(in, "c.closed_at IS NOT NULL")
	}
	if f.Participant != "" {
		in = append(in, "c.participant_id = "+arg(string(f.Participant)))
	}
	if f.Group != "" {
		in = append(in, "lr.data ->> 'group' = "+arg(f.Group))
	}
	if !f.OpenedFrom.IsZero() {
		in = append(in, "c.opened_at >= "+arg(f.OpenedFrom))
	}
	if !f.OpenedTo.IsZero() {
		in = append(in, "c.opened_at < "+arg(f.OpenedTo))
	}
	if f.Overdue {
		out = append(out, overdueSQL)
	}
	if f.FlagRule != "" {
		out = append(out, "s.flags @> jsonb_build_array(jsonb_build_object('rule', "+arg(f.FlagRule)+"::text))")
	} else if f.Flagged {
		out = append(out, "jsonb_array_length(s.flags) > 0")
	}
	if !f.ContactBefore.IsZero() {
		out = append(out, "(s.last_contact IS NULL OR s.last_contact < "+arg(sqlDate(f.ContactBefore))+")")
	}
	var order string
	switch f.Sort {
	case caseload.SortName:
		// The keyset on the case's columns, inside: the name's order is
		// the participant's sort_name, bytewise.
		if f.After != nil {
			in = append(in, "(coalesce(p.sort_name, E'\\x01') COLLATE \"C\", c.id) > ("+arg(f.After.Name)+"::text COLLATE \"C\", "+arg(string(f.After.CaseID))+"::text)")
		}
		order = `s.sort_name COLLATE "C", s.id`
	case caseload.SortOpened:
		if f.After != nil {
			o, id := arg(f.After.Opened), arg(string(f.After.CaseID))
			in = append(in, "(c.opened_at < "+o+" OR (c.opened_at = "+o+" AND c.id > "+id+"))")
		}
		order = `s.opened_at DESC, s.id`
	default:
		// Never contacted sorts first: NULL as -infinity.
		if f.After != nil {
			c := pgtype.Date{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
			if !f.After.Contact.IsZero() {
				c = sqlDate(f.After.Contact)
			}
			out = append(out, "(s.rank, coalesce(s.last_contact, '-infinity'::date), s.id) > ("+arg(f.After.Rank)+"::int, "+arg(c)+"::date, "+arg(string(f.After.CaseID))+"::text)")
		}
		order = `s.rank, coalesce(s.last_contact, '-infinity'::date), s.id`
	}
	where := func(w []string) string {
		if len(w) == 0 {
			return ""
		}
		return " WHERE " + strings.Join(w, " AND ")
	}
	inner := summarySelect + where(in)
	if f.Sort == caseload.SortOpened {
		// The inner ORDER BY and LIMIT let the planner read
		// cases_organisation_opened in order and stop, when no outer
		// filter needs more rows than the limit (OFFSET 0 keeps the
		// subquery from being flattened into a sort of every match).
		if len(out) == 0 {
			inner += ` ORDER BY c.opened_at DESC, c.id LIMIT $3`
		}
	}
	sql := `SELECT s.*, ` + rankSQL + ` AS rank FROM (` + inner + `) s`
	if f.Sort != caseload.SortName && f.Sort != caseload.SortOpened {
		sql = `SELECT * FROM (` + sql + `) s` + where(out) + ` ORDER BY ` + order + ` LIMIT $3`
	} else {
		sql += where(out) + ` ORDER BY ` + order + ` LIMIT $3`
	}
	return strings.ReplaceAll(sql, "{s}", schema), args
}

// Summaries implements caseload.Reader in one statement (summariesSQL).
func (t *txn) Summaries(ctx context.Context, f caseload.Filter) ([]caseload.Summary, error) {
	out := []caseload.Summary{}
	if f.Limit <= 0 || !storableText(string(f.Organisation)) || !storableText(f.Member) || !storableText(string(f.MemberRole)) ||
		!storableText(f.FlagRule) || !storableText(string(f.Participant)) || !storableText(f.Group) {
		return out, nil
	}
	for _, s := range append(append([]string{}, f.Models...), f.States...) {
		if !storableText(s) {
			return out, nil
		}
	}
	if f.After != nil && (!storableText(f.After.Name) || !storableText(string(f.After.CaseID))) {
		return out, nil
	}
	sql, args := summariesSQL(t.s.ident, &f)
	rows, err := t.db.Query(ctx, sql, args...)
	return collect(rows, err, out, target{kind: "caseload"}, scanSummary)
}

func scanSummary(r pgx.Row, s *caseload.Summary) error {
	var (
		id, participant, org string
		closed               pgtype.Timestamptz
		phase, team, flags   []byte
		sortName, rank       any
		last                 pgtype.Date
		nextID, welfareID    pgtype.Text
		nextData, welfData   []byte
		active, welfare      int64
	)
	if err := r.Scan(&id, &participant, &org, &s.Model, &s.State, &s.OpenedAt, &closed, &phase, &team,
		&s.GivenNames, &s.FamilyName, &sortName, &s.Group, &flags, &last, &nextID, &nextData, &welfareID, &welfData, &active, &welfare, &rank); err != nil {
		return err
	}
	s.CaseID, s.ParticipantID, s.Organisation = coaching.CaseID(id), coaching.ParticipantID(participant), coaching.OrganisationID(org)
	s.OpenedAt = s.OpenedAt.UTC()
	if closed.Valid {
		s.ClosedAt = closed.Time.UTC()
	}
	if len(phase) > 0 && string(phase) != "null" {
		if err := json.Unmarshal(phase, &s.Phase); err != nil {
			return fmt.Errorf("postgres: the phase of case %q does not decode: %w", id, err)
		}
	}
	if len(team) > 0 && string(team) != "null" {
		if err := json.Unmarshal(team, &s.Team); err != nil {
			return fmt.Errorf("postgres: the team of case %q does not decode: %w", id, err)
		}
	}
	var fl []struct {
		Rule string `json:"rule"`
		Seq  int64  `json:"seq"`
	}
	if err := json.Unmarshal(flags, &fl); err != nil {
		return fmt.Errorf("postgres: the attendance flags of case %q do not decode: %w", id, err)
	}
	for _, f := range fl {
		s.Flags = append(s.Flags, caseload.Flag{Rule: f.Rule, Seq: f.Seq})
	}
	s.LastContact = dateOf(last)
	for _, n := range []struct {
		id   pgtype.Text
		data []byte
		dst  **caseload.Upcoming
	}{{nextID, nextData, &s.Next}, {welfareID, welfData, &s.NextWelfare}} {
		if !n.id.Valid {
			continue
		}
		var p caseload.Planned
		if err := json.Unmarshal(n.data, &p); err != nil {
			return fmt.Errorf("postgres: planned item %q does not decode: %w", n.id.String, err)
		}
		*n.dst = &caseload.Upcoming{ID: p.ID, Kind: p.Kind, Title: p.Title, On: p.On}
	}
	s.ActiveAlerts, s.ActiveWelfareAlerts = int(active), int(welfare)
	return nil
}

// ---- alerts -------------------------------------------------------------

const alertCols = `data`

func scanJSON[T any](kind string) func(pgx.Row, *T) error {
	return func(r pgx.Row, v *T) error {
		var b []byte
		if err := r.Scan(&b); err != nil {
			return err
		}
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("postgres: a stored %s does not decode: %w", kind, err)
		}
		return nil
	}
}

func checkAlert(a *caseload.Alert) error {
	c := checker{subject: "alert"}
	c.key("id", a.ID, maxIDBytes)
	c.key("case_id", string(a.CaseID), maxIDBytes)
	c.key("organisation", string(a.Organisation), maxNameBytes)
	c.key("cause.kind", string(a.Cause.Kind), maxNameBytes)
	c.key("cause.key", a.Cause.Key, maxComposedBytes)
	c.key("owner.actor_id", a.Owner.ActorID, maxComposedBytes)
	c.text("", a)
	return c.err()
}

// Alerts implements caseload.Reader.
func (t *txn) Alerts(ctx context.Context, q caseload.AlertQuery) ([]caseload.Alert, error) {
	out := []caseload.Alert{}
	if !storableText(string(q.Organisation)) || !storableText(q.Owner) || !storableText(string(q.CaseID)) || !storableText(q.After) {
		return out, nil
	}
	statuses := make([]string, 0, 2)
	for _, s := range q.Statuses {
		statuses = append(statuses, string(s))
	}
	if len(statuses) == 0 {
		statuses = append(statuses, string(caseload.AlertOpen), string(caseload.AlertAcknowledged))
	}
	kinds := make([]string, len(q.Kinds))
	for i, k := range q.Kinds {
		kinds[i] = string(k)
	}
	limit := pgtype.Int8{Int64: int64(q.Limit), Valid: q.Limit > 0}
	rows, err := t.db.Query(ctx, `SELECT `+alertCols+` FROM `+t.s.ident+`.alerts
		WHERE ($1::text IS NULL OR organisation = $1) AND ($2::text IS NULL OR owner = $2) AND ($3::text IS NULL OR case_id = $3)
		  AND status = ANY($4::text[]) AND (cardinality($5::text[]) = 0 OR cause_kind = ANY($5::text[])) AND id > $6
		ORDER BY id LIMIT $7`,
		textOrNull(string(q.Organisation)), textOrNull(q.Owner), textOrNull(string(q.CaseID)), statuses, kinds, q.After, limit)
	return collect(rows, err, out, target{kind: "alert"}, scanJSON[caseload.Alert]("alert"))
}

// Alert implements caseload.Reader.
func (t *txn) Alert(ctx context.Context, id string) (caseload.Alert, error) {
	tg := target{kind: "alert", id: id}
	var a caseload.Alert
	if !lookupKey(id, maxIDBytes) {
		return a, interpretError(pgx.ErrNoRows, tg)
	}
	rows, err := t.db.Query(ctx, `SELECT `+alertCols+` FROM `+t.s.ident+`.alerts WHERE id = $1`, id)
	err = queryOne(rows, err, func(r pgx.Rows) error { return scanJSON[caseload.Alert]("alert")(r, &a) })
	return a, interpretError(err, tg)
}

// PutAlert implements caseload.Store. As the store's other inserts, it
// never leaves the transaction failed: the case must exist (WHERE EXISTS)
// and ON CONFLICT DO NOTHING covers both the primary key and the
// one-active-alert-per-cause index; when nothing was inserted, further
// reads say why.
func (t *txn) PutAlert(ctx context.Context, a caseload.Alert) error {
	if err := checkAlert(&a); err != nil {
		return err
	}
	a.Version = 1
	data, err := json.Marshal(&a)
	if err != nil {
		return err
	}
	tg := target{kind: "alert", id: a.ID, caseID: a.CaseID}
	tag, err := t.db.Exec(ctx, `INSERT INTO `+t.s.ident+`.alerts (id, case_id, organisation, cause_kind, cause_key, owner, status, welfare, version, data)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, 1, $9 WHERE EXISTS (SELECT 1 FROM `+t.s.ident+`.cases WHERE id = $2)
		ON CONFLICT DO NOTHING`,
		a.ID, string(a.CaseID), string(a.Organisation), string(a.Cause.Kind), a.Cause.Key, a.Owner.ActorID, string(a.Status), a.Welfare, data)
	if err != nil {
		return interpretError(err, tg)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	if err := t.caseMustExist(ctx, a.CaseID); err != nil {
		return err
	}
	var other string
	rows, err := t.db.Query(ctx, `SELECT id FROM `+t.s.ident+`.alerts WHERE id = $1
		UNION ALL (SELECT id FROM `+t.s.ident+`.alerts WHERE case_id = $2 AND cause_kind = $3 AND cause_key = $4 AND status IN ('open', 'acknowledged'))
		LIMIT 1`, a.ID, string(a.CaseID), string(a.Cause.Kind), a.Cause.Key)
	if err := queryOne(rows, err, func(r pgx.Rows) error { return r.Scan(&other) }); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return interpretError(err, tg)
	}
	if other == "" {
		other = a.ID
	}
	return &coaching.DuplicateError{Kind: "alert", ID: other}
}

// UpdateAlert implements caseload.Store: the UPDATE is the compare-and-set
// of the version, and keeps the id, case and cause.
func (t *txn) UpdateAlert(ctx context.Context, a caseload.Alert, expected int64) error {
	tg := target{kind: "alert", id: a.ID, caseID: a.CaseID}
	if !lookupKey(a.ID, maxIDBytes) {
		return interpretError(pgx.ErrNoRows, tg)
	}
	if err := checkAlert(&a); err != nil {
		return err
	}
	a.Version = expected + 1
	data, err := json.Marshal(&a)
	if err != nil {
		return err
	}
	tag, err := t.db.Exec(ctx, `UPDATE `+t.s.ident+`.alerts SET organisation = $3, owner = $4, status = $5, welfare = $6, version = $2 + 1, data = $7
		WHERE id = $1 AND version = $2 AND case_id = $8 AND cause_kind = $9 AND cause_key = $10`,
		a.ID, expected, string(a.Organisation), a.Owner.ActorID, string(a.Status), a.Welfare, data, string(a.CaseID), string(a.Cause.Kind), a.Cause.Key)
	if err != nil {
		return interpretError(err, tg)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var (
		current                int64
		caseID, kind, causeKey string
	)
	rows, err := t.db.Query(ctx, `SELECT version, case_id, cause_kind, cause_key FROM `+t.s.ident+`.alerts WHERE id = $1`, a.ID)
	if err := interpretError(queryOne(rows, err, func(r pgx.Rows) error { return r.Scan(&current, &caseID, &kind, &causeKey) }), tg); err != nil {
		return err
	}
	if current != expected {
		return &coaching.ConflictError{CaseID: coaching.CaseID(caseID), Subject: "alert " + a.ID, Expected: expected, Current: current}
	}
	return &coaching.ValidationError{Subject: "alert", Problems: []coaching.FieldProblem{{Field: "case_id",
		Message: "an alert's case and cause never change"}}}
}

// ---- planned items ------------------------------------------------------

func checkPlanned(p *caseload.Planned) error {
	c := checker{subject: "planned"}
	c.key("id", p.ID, maxIDBytes)
	c.key("organisation", string(p.Organisation), maxNameBytes)
	c.key("owner.actor_id", p.Owner.ActorID, maxComposedBytes)
	for i, id := range p.Cases {
		c.key("cases["+strconv.Itoa(i)+"]", string(id), maxIDBytes)
	}
	if !p.On.Valid() {
		c.add("on", "not a calendar date")
	}
	c.text("", p)
	return c.err()
}

func planCases(p *caseload.Planned) []string {
	out := make([]string, len(p.Cases))
	for i, id := range p.Cases {
		out[i] = string(id)
	}
	return out
}

// PlannedItems implements caseload.Reader: in (On, id) order; After is
// the item the previous page ended on.
func (t *txn) PlannedItems(ctx context.Context, q caseload.PlannedQuery) ([]caseload.Planned, error) {
	out := []caseload.Planned{}
	if !storableText(string(q.Organisation)) || !storableText(q.Owner) || !storableText(string(q.CaseID)) || !storableText(q.After) {
		return out, nil
	}
	statuses := make([]string, 0, 1)
	for _, s := range q.Statuses {
		statuses = append(statuses, string(s))
	}
	if len(statuses) == 0 {
		statuses = append(statuses, string(caseload.PlannedOpen))
	}
	from, to := pgtype.Date{InfinityModifier: pgtype.NegativeInfinity, Valid: true}, pgtype.Date{InfinityModifier: pgtype.Infinity, Valid: true}
	if !q.From.IsZero() {
		from = sqlDate(q.From)
	}
	if !q.To.IsZero() {
		to = sqlDate(q.To)
	}
	limit := pgtype.Int8{Int64: int64(q.Limit), Valid: q.Limit > 0}
	s := t.s.ident
	rows, err := t.db.Query(ctx, `SELECT p.data FROM `+s+`.planned p
		WHERE ($1::text IS NULL OR p.organisation = $1) AND ($2::text IS NULL OR p.owner = $2)
		  AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM `+s+`.planned_cases pc WHERE pc.case_id = $3 AND pc.planned_id = p.id))
		  AND p.status = ANY($4::text[]) AND p."on" BETWEEN $5 AND $6
		  AND ($7::text IS NULL OR NOT EXISTS (SELECT 1 FROM `+s+`.planned a WHERE a.id = $7)
		       OR (p."on", p.id) > (SELECT a."on", a.id FROM `+s+`.planned a WHERE a.id = $7))
		ORDER BY p."on", p.id LIMIT $8`,
		textOrNull(string(q.Organisation)), textOrNull(q.Owner), textOrNull(string(q.CaseID)), statuses, from, to, textOrNull(q.After), limit)
	return collect(rows, err, out, target{kind: "planned"}, scanJSON[caseload.Planned]("planned item"))
}

// PlannedItem implements caseload.Reader.
func (t *txn) PlannedItem(ctx context.Context, id string) (caseload.Planned, error) {
	tg := target{kind: "planned", id: id}
	var p caseload.Planned
	if !lookupKey(id, maxIDBytes) {
		return p, interpretError(pgx.ErrNoRows, tg)
	}
	rows, err := t.db.Query(ctx, `SELECT data FROM `+t.s.ident+`.planned WHERE id = $1`, id)
	err = queryOne(rows, err, func(r pgx.Rows) error { return scanJSON[caseload.Planned]("planned item")(r, &p) })
	return p, interpretError(err, tg)
}

// plannedWriteSQL follows the item's write (the CTE w) with its
// planned_cases rows: the cases it no longer lists leave, the others get
// its date and status. Data-modifying CTEs run whatever the query reads,
// and the two touch disjoint rows. It returns whether w wrote the item.
const plannedWriteSQL = `, del AS (DELETE FROM {s}.planned_cases WHERE planned_id = $1 AND NOT (case_id = ANY($8::text[])) AND EXISTS (SELECT 1 FROM w)),
	ins AS (INSERT INTO {s}.planned_cases (case_id, planned_id, "on", status)
		SELECT DISTINCT x, $1, $5::date, $4::text FROM unnest($8::text[]) AS x WHERE EXISTS (SELECT 1 FROM w)
		ON CONFLICT (case_id, planned_id) DO UPDATE SET "on" = excluded."on", status = excluded.status)
	SELECT EXISTS (SELECT 1 FROM w)`

// PutPlanned implements caseload.Store.
func (t *txn) PutPlanned(ctx context.Context, p caseload.Planned) error {
	if err := checkPlanned(&p); err != nil {
		return err
	}
	tg := target{kind: "planned", id: p.ID}
	cases := planCases(&p)
	if err := t.casesExist(ctx, cases, tg); err != nil {
		return err
	}
	p.Version = 1
	data, err := json.Marshal(&p)
	if err != nil {
		return err
	}
	var written bool
	rows, err := t.db.Query(ctx, strings.ReplaceAll(`WITH w AS (INSERT INTO {s}.planned (id, organisation, owner, status, "on", version, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING 1)`+plannedWriteSQL, "{s}", t.s.ident),
		p.ID, string(p.Organisation), p.Owner.ActorID, string(p.Status), sqlDate(p.On), int64(1), data, cases)
	if err := queryOne(rows, err, func(r pgx.Rows) error { return r.Scan(&written) }); err != nil {
		return interpretError(err, tg)
	}
	if !written {
		return &coaching.DuplicateError{Kind: "planned", ID: p.ID}
	}
	return nil
}

// casesExist returns a *coaching.NotFoundError for the first case of ids
// the store does not have.
func (t *txn) casesExist(ctx context.Context, ids []string, tg target) error {
	if len(ids) == 0 {
		return nil
	}
	var missing string
	rows, err := t.db.Query(ctx, t.s.q.missingCases, ids)
	err = queryOne(rows, err, func(r pgx.Rows) error { return r.Scan(&missing) })
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return interpretError(err, tg)
	}
	return &coaching.NotFoundError{Kind: "case", ID: missing}
}

// UpdatePlanned implements caseload.Store: the UPDATE is the
// compare-and-set of the version.
func (t *txn) UpdatePlanned(ctx context.Context, p caseload.Planned, expected int64) error {
	tg := target{kind: "planned", id: p.ID}
	if !lookupKey(p.ID, maxIDBytes) {
		return interpretError(pgx.ErrNoRows, tg)
	}
	if err := checkPlanned(&p); err != nil {
		return err
	}
	cases := planCases(&p)
	if err := t.casesExist(ctx, cases, tg); err != nil {
		return err
	}
	p.Version = expected + 1
	data, err := json.Marshal(&p)
	if err != nil {
		return err
	}
	var written bool
	rows, err := t.db.Query(ctx, strings.ReplaceAll(`WITH w AS (UPDATE {s}.planned SET organisation = $2, owner = $3, status = $4, "on" = $5, version = $6 + 1, data = $7
		WHERE id = $1 AND version = $6 RETURNING 1)`+plannedWriteSQL, "{s}", t.s.ident),
		p.ID, string(p.Organisation), p.Owner.ActorID, string(p.Status), sqlDate(p.On), expected, data, cases)
	if err := queryOne(rows, err, func(r pgx.Rows) error { return r.Scan(&written) }); err != nil {
		return interpretError(err, tg)
	}
	if written {
		return nil
	}
	var current int64
	rows, err = t.db.Query(ctx, `SELECT version FROM `+t.s.ident+`.planned WHERE id = $1`, p.ID)
	if err := interpretError(queryOne(rows, err, func(r pgx.Rows) error { return r.Scan(&current) }), tg); err != nil {
		return err
	}
	var caseID coaching.CaseID
	if len(p.Cases) > 0 {
		caseID = p.Cases[0]
	}
	return &coaching.ConflictError{CaseID: caseID, Subject: "planned " + p.ID, Expected: expected, Current: current}
}

// ---- contacts -----------------------------------------------------------

// Contacts implements caseload.Reader.
func (t *txn) Contacts(ctx context.Context, id coaching.CaseID, limit int) ([]caseload.Contact, error) {
	out := []caseload.Contact{}
	if !lookupKey(string(id), maxIDBytes) {
		return out, nil
	}
	rows, err := t.db.Query(ctx, `SELECT data FROM `+t.s.ident+`.contacts WHERE case_id = $1 ORDER BY "on" DESC, at DESC, id DESC LIMIT $2`,
		string(id), pgtype.Int8{Int64: int64(limit), Valid: limit > 0})
	return collect(rows, err, out, target{kind: "contact"}, scanJSON[caseload.Contact]("contact"))
}

// PutContact implements caseload.Store. The case's last contact is read
// from the contacts themselves (contacts_case), so there is nothing else
// to move.
func (t *txn) PutContact(ctx context.Context, c caseload.Contact) error {
	k := checker{subject: "contact"}
	k.key("id", c.ID, maxIDBytes)
	k.key("case_id", string(c.CaseID), maxIDBytes)
	k.key("organisation", string(c.Organisation), maxNameBytes)
	if !c.On.Valid() {
		k.add("on", "not a calendar date")
	}
	k.text("", &c)
	if err := k.err(); err != nil {
		return err
	}
	data, err := json.Marshal(&c)
	if err != nil {
		return err
	}
	at := c.At
	if at.IsZero() {
		at = time.Time{}.UTC()
	}
	tag, err := t.db.Exec(ctx, `INSERT INTO `+t.s.ident+`.contacts (id, case_id, organisation, "on", at, data)
		SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM `+t.s.ident+`.cases WHERE id = $2)
		ON CONFLICT DO NOTHING`, c.ID, string(c.CaseID), string(c.Organisation), sqlDate(c.On), at, data)
	if err != nil {
		return interpretError(err, target{kind: "contact", id: c.ID, caseID: c.CaseID})
	}
	if tag.RowsAffected() == 0 {
		if err := t.caseMustExist(ctx, c.CaseID); err != nil {
			return err
		}
		return &coaching.DuplicateError{Kind: "contact", ID: c.ID}
	}
	return nil
}
