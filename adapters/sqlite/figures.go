package sqlite

import (
	"context"
	"database/sql"
	"iter"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

var _ outcomes.FactsStreamer = (*Store)(nil)

// CaseFacts implements outcomes.FactsStreamer, the figures port: one
// SELECT of the cases matching q joined with their participants and the
// latest records of the names the figures count, reading only narrow
// columns (migration 0005): the case's columns and instants, the
// participant's birth_date and background members, and the records' data
// from latest_records (kept by triggers on records) — no case or
// participant document is read, and no step through the records table is
// made. The rows come in the table's order, from one statement on one
// read connection: the figures are of one snapshot, and the connection is
// held until the loop ends.
func (s *Store) CaseFacts(ctx context.Context, q coaching.CaseQuery) iter.Seq2[*outcomes.CaseFacts, error] {
	return func(yield func(*outcomes.CaseFacts, error) bool) {
		rf := ref{kind: "cases"}
		query, args := factsQuery(q)
		rows, err := s.r.QueryContext(ctx, query, args...)
		if err != nil {
			yield(nil, interpretError(err, rf))
			return
		}
		defer rows.Close()
		var (
			f                                  outcomes.CaseFacts
			id, participant, org, model, state sql.RawBytes
			opened, closed                     sql.NullInt64
			birth, bg, dst, upon, six          sql.RawBytes
			dest                               = []any{&id, &participant, &org, &model, &state, &f.Version, &opened, &closed,
				&f.HasParticipant, &birth, &bg, &dst, &upon, &six}
			name = outcomes.Interner() // organisations, models and states, shared between rows
		)
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				yield(nil, interpretError(err, rf))
				return
			}
			f.ID, f.ParticipantID = coaching.CaseID(id), coaching.ParticipantID(participant)
			f.Organisation, f.Model, f.State = coaching.OrganisationID(name(org)), name(model), name(state)
			f.OpenedAt, f.ClosedAt = time.Time{}, time.Time{}
			if opened.Valid {
				f.OpenedAt = fromMicros(opened.Int64)
			}
			if closed.Valid {
				f.ClosedAt = fromMicros(closed.Int64)
			}
			f.BirthDate, f.Background = birth, bg
			f.Destination, f.UponLeaving, f.SixMonths = dst, upon, six
			if !yield(&f, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(nil, interpretError(err, rf))
		}
	}
}

// latestRecord joins, as alias, a case's latest record called name from
// latest_records (its data, or JSON null for a record without data; NULL
// when the case has none). name is one of pathway's constant record
// names, never input.
func latestRecord(alias, name string) string {
	return " LEFT JOIN latest_records " + alias + " ON " + alias + ".case_id = c.id AND " + alias + ".name = '" + name + "'"
}

// factsQuery is the figures SELECT for q; every value is a parameter.
func factsQuery(q coaching.CaseQuery) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT c.id, c.participant_id, c.organisation, c.model, c.state, c.version, c.opened_at, c.closed_at, " +
		"p.id IS NOT NULL, p.birth_date, p.background, d.data, u.data, x.data" +
		" FROM cases c LEFT JOIN participants p ON p.id = c.participant_id" +
		latestRecord("d", pathway.RecordDestination) + latestRecord("u", pathway.RecordUponLeaving) + latestRecord("x", pathway.RecordSixMonths) +
		" WHERE 1 = 1")
	var args []any
	for _, f := range []struct {
		cond, v string
	}{{" AND c.id > ?", string(q.AfterID)}, {" AND c.model = ?", q.Model}, {" AND c.state = ?", q.State},
		{" AND c.organisation = ?", string(q.Organisation)}, {" AND c.participant_id = ?", string(q.Participant)}} {
		if f.v != "" {
			b.WriteString(f.cond)
			args = append(args, f.v)
		}
	}
	if q.OpenOnly {
		b.WriteString(" AND c.closed = 0")
	}
	return b.String(), args
}
