package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"strings"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
)

var _ outcomes.FactsStreamer = (*Store)(nil)

// CaseFacts implements outcomes.FactsStreamer, the figures port: one
// SELECT over case_figures (migration 0006), the one narrow row per case
// that triggers keep with the case's columns and instants, its
// participant's birth_date and background, and the data of its latest
// record of each name the figures count — no case or participant document
// is read and no other table is joined. Each row is read as its one
// stored facts value, the columns length-prefixed (factColumns): the
// driver's cost is per column fetched. The rows come in the order of the
// case ids, from one statement on one read connection: the figures are of
// one snapshot, and the connection is held until the loop ends.
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
			f    outcomes.CaseFacts
			row  sql.RawBytes
			cols [len(factColumns)][]byte
			name = outcomes.Interner() // organisations, models and states, shared between rows
		)
		for rows.Next() {
			if err := rows.Scan(&row); err != nil {
				yield(nil, interpretError(err, rf))
				return
			}
			if err := splitFacts(row, cols[:]); err != nil {
				yield(nil, err)
				return
			}
			if err := setFacts(&f, &cols, name); err != nil {
				yield(nil, err)
				return
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

// factColumns are the case_figures columns whose values make up its
// facts column, in their order there (migration 0006): for each, its
// length in bytes, ':' and its bytes (an integer as its decimal text), or
// '~' for NULL. A length prefix, unlike a separator, holds any bytes.
var factColumns = [...]string{"case_id", "participant_id", "organisation", "model", "state", "opened_at", "closed_at",
	"has_participant", "birth_date", "background", "destination", "upon_leaving", "six_months"}

// errFactsRow reports a facts value not in factColumns' form,
// which only a schema other than this package's could give.
var errFactsRow = errors.New("sqlite: figures: malformed row")

// splitFacts sets cols to the values of row (nil for NULL), slices of
// row.
func splitFacts(row []byte, cols [][]byte) error {
	for i := range cols {
		if len(row) > 0 && row[0] == '~' {
			cols[i], row = nil, row[1:]
			continue
		}
		colon := 0
		for colon < len(row) && row[colon] != ':' {
			colon++
		}
		n, err := strconv.Atoi(string(row[:colon])) // does not allocate
		if err != nil || colon == len(row) || n < 0 || n > len(row)-colon-1 {
			return fmt.Errorf("%w: column %s", errFactsRow, factColumns[i])
		}
		cols[i], row = row[colon+1:colon+1+n:colon+1+n], row[colon+1+n:]
	}
	if len(row) != 0 {
		return fmt.Errorf("%w: %d bytes after the last column", errFactsRow, len(row))
	}
	return nil
}

// setFacts sets f from the values of one row; the byte slices of f point
// into cols, valid until the next row.
func setFacts(f *outcomes.CaseFacts, cols *[len(factColumns)][]byte, name func([]byte) string) error {
	f.ID, f.ParticipantID = coaching.CaseID(cols[0]), coaching.ParticipantID(cols[1])
	f.Organisation, f.Model, f.State = coaching.OrganisationID(name(cols[2])), name(cols[3]), name(cols[4])
	var micros [2]int64
	for i, c := range cols[5:7] {
		micros[i] = zeroMicros
		if c == nil {
			continue
		}
		v, err := strconv.ParseInt(string(c), 10, 64)
		if err != nil {
			return fmt.Errorf("%w: case %q: %s", errFactsRow, f.ID, factColumns[5+i])
		}
		micros[i] = v
	}
	f.OpenedAt, f.ClosedAt = fromMicros(micros[0]), fromMicros(micros[1])
	f.HasParticipant = string(cols[7]) == "1"
	f.BirthDate, f.Background = cols[8], cols[9]
	f.Destination, f.UponLeaving, f.SixMonths = cols[10], cols[11], cols[12]
	return nil
}

// factsQuery is the figures SELECT for q; every value is a parameter.
func factsQuery(q coaching.CaseQuery) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT facts FROM case_figures WHERE 1 = 1")
	var args []any
	for _, f := range []struct {
		cond, v string
	}{{" AND case_id > ?", string(q.AfterID)}, {" AND model = ?", q.Model}, {" AND state = ?", q.State},
		{" AND organisation = ?", string(q.Organisation)}, {" AND participant_id = ?", string(q.Participant)}} {
		if f.v != "" {
			b.WriteString(f.cond)
			args = append(args, f.v)
		}
	}
	if q.OpenOnly {
		b.WriteString(" AND closed = 0")
	}
	b.WriteString(" ORDER BY case_id")
	return b.String(), args
}
