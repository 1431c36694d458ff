package sqlite

import (
	"context"
	"database/sql"
	"iter"
	"strings"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

var _ outcomes.FactsStreamer = (*Store)(nil)

// CaseFacts implements outcomes.FactsStreamer, the figures port: one
// SELECT of the cases matching q joined with their participants, reading
// the case's columns, the two JSON documents as they are stored (outcomes
// picks the few members the figures need out of them; nothing is decoded
// into a whole case or participant) and the data of the latest record of
// each name the figures count. The rows come in the
// table's order, from one statement on one read connection: the figures
// are of one snapshot, and the connection is held until the loop ends.
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
			id, participant, org, model, state string
			data, pdata, dst, upon, six        sql.RawBytes
			dest                               = []any{&id, &participant, &org, &model, &state, &f.Version, &data, &pdata, &dst, &upon, &six}
		)
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				yield(nil, interpretError(err, rf))
				return
			}
			f.ID, f.ParticipantID = coaching.CaseID(id), coaching.ParticipantID(participant)
			f.Organisation, f.Model, f.State = coaching.OrganisationID(org), model, state
			f.Case, f.Participant, f.HasParticipant = data, nil, pdata != nil
			f.Destination, f.UponLeaving, f.SixMonths = dst, upon, six
			if f.HasParticipant {
				f.Participant = pdata
			}
			if !yield(&f, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(nil, interpretError(err, rf))
		}
	}
}

// latestRecord is the figures SELECT's column of the data of a case's
// latest record called name (one backward step in records_case_name):
// NULL when there is none, JSON null for one without data. name is one of
// pathway's constant record names, never input.
func latestRecord(name string) string {
	return "(SELECT coalesce(r.data, 'null') FROM records r WHERE r.case_id = c.id AND r.name = '" + name + "' ORDER BY r.id DESC LIMIT 1)"
}

// factsQuery is the figures SELECT for q; every value is a parameter.
func factsQuery(q coaching.CaseQuery) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT c.id, c.participant_id, c.organisation, c.model, c.state, c.version, c.data, p.data, " +
		latestRecord(pathway.RecordDestination) + ", " + latestRecord(pathway.RecordUponLeaving) + ", " + latestRecord(pathway.RecordSixMonths) +
		" FROM cases c LEFT JOIN participants p ON p.id = c.participant_id WHERE 1 = 1")
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
