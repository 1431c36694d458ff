package postgres

import (
	"context"
	"iter"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
)

var _ outcomes.FactsStreamer = (*Store)(nil)

// factsSelect is the figures port's SELECT: one pass over case_figures
// (migration 0006), the narrow row per case that triggers keep with the
// case's columns, its participant's birth_date and background and the data
// of its latest record of each name the figures count (JSON text as jsonb
// prints it; JSON null for a record without data) — no JSON document is read and no other table is
// joined.
const factsSelect = `SELECT case_id, participant_id, organisation, model, state, opened_at, closed_at,
	destination, upon_leaving, six_months, birth_date, background, has_participant FROM {s}.case_figures`

// CaseFacts implements outcomes.FactsStreamer, the figures port: one
// SELECT of the cases matching q, reading only the narrow row the figures
// need (see factsSelect), so no whole document crosses the wire or is
// decoded. The statement runs in a read-only transaction of its own (one
// snapshot for the whole report) with JIT compilation off for that
// transaction only (compiling the plan costs more than it saves on a plain
// pass); the rows stream as they come, in no particular order, and the
// connection is held until the loop ends. The
// instants are the cases' opened_at and closed_at columns (microseconds).
func (s *Store) CaseFacts(ctx context.Context, q coaching.CaseQuery) iter.Seq2[*outcomes.CaseFacts, error] {
	return func(yield func(*outcomes.CaseFacts, error) bool) {
		for _, v := range []string{q.Model, q.State, string(q.Organisation), string(q.AfterID), string(q.Participant)} {
			if !storableText(v) {
				return // no stored case can match a filter PostgreSQL cannot store
			}
		}
		fail := func(err error) { yield(nil, interpretError(err, target{kind: "case"})) }
		tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead})
		if err != nil {
			fail(err)
			return
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		if _, err := tx.Exec(ctx, "SET LOCAL jit = off"); err != nil {
			fail(err)
			return
		}
		query, args := s.factsSQL(q)
		rows, err := tx.Query(ctx, query, args...)
		if err != nil {
			fail(err)
			return
		}
		defer rows.Close()
		var (
			f              outcomes.CaseFacts
			opened, closed pgtype.Timestamptz
			// The text columns and the jsonb members are read raw (text is
			// sent as is in both formats); the others are scanned.
			dest = []any{nil, nil, nil, nil, nil, &opened, &closed, nil, nil, nil, nil, nil, &f.HasParticipant}
			name = outcomes.Interner() // organisations, models and states, shared between rows
		)
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				fail(err)
				return
			}
			raw := rows.RawValues()
			f.ID, f.ParticipantID = coaching.CaseID(raw[0]), coaching.ParticipantID(raw[1])
			f.Organisation, f.Model, f.State = coaching.OrganisationID(name(raw[2])), name(raw[3]), name(raw[4])
			f.OpenedAt, f.ClosedAt = opened.Time, closed.Time // zero when NULL
			// JSON kept as text: the same bytes in either format.
			f.Destination, f.UponLeaving, f.SixMonths = raw[7], raw[8], raw[9]
			f.BirthDate, f.Background = raw[10], raw[11]
			if !yield(&f, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			fail(err)
		}
	}
}

// factsSQL adds q's filters to factsSelect; every value is a parameter.
func (s *Store) factsSQL(q coaching.CaseQuery) (string, []any) {
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(factsSelect, "{s}", s.ident))
	var args []any
	where := " WHERE "
	cond := func(sql string) {
		b.WriteString(where)
		b.WriteString(sql)
		where = " AND "
	}
	for _, f := range []struct {
		col, v string
	}{{"case_id > $", string(q.AfterID)}, {"model = $", q.Model}, {"state = $", q.State},
		{"organisation = $", string(q.Organisation)}, {"participant_id = $", string(q.Participant)}} {
		if f.v != "" {
			args = append(args, f.v)
			cond(f.col + strconv.Itoa(len(args)))
		}
	}
	if q.OpenOnly {
		cond("closed_at IS NULL")
	}
	return b.String(), args
}
