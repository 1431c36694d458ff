package postgres

import (
	"context"
	"encoding/json"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/valmennus/valmennus/coaching"
)

// Cases implements coaching.Store. It pages through the cases with a
// keyset query (WHERE id > last ORDER BY id LIMIT Options.CaseBatch): each
// batch is one short statement, read completely and released before the
// loop body sees its cases, so no connection, lock or snapshot is held
// while the caller works, and memory stays at one batch whatever the size
// of the table. Cases committed during the iteration may or may not be
// seen; a case is never seen twice.
func (s *Store) Cases(ctx context.Context, q coaching.CaseQuery) iter.Seq2[coaching.Case, error] {
	return func(yield func(coaching.Case, error) bool) {
		s.stream(ctx, q, false, func(r *coaching.CaseRow) bool { return yield(*r.Case, nil) },
			func(err error) { yield(coaching.Case{}, err) })
	}
}

// CasesWithParticipants implements coaching.CaseStreamer: the same keyset
// paging as [Store.Cases], each case joined with its participant (LEFT
// JOIN: a case whose participant is not stored has HasParticipant false),
// and the records of a page's cases read with one more statement. The
// *CaseRow is reused: it is valid until the next iteration.
func (s *Store) CasesWithParticipants(ctx context.Context, q coaching.CaseQuery) iter.Seq2[*coaching.CaseRow, error] {
	return func(yield func(*coaching.CaseRow, error) bool) {
		s.stream(ctx, q, true, func(r *coaching.CaseRow) bool { return yield(r, nil) },
			func(err error) { yield(nil, err) })
	}
}

// casesSQL builds the paging query for q. Only the filters q sets appear
// in the WHERE clause (so each combination gets its own plan); every value
// is a parameter.
func (s *Store) casesSQL(q coaching.CaseQuery, withParticipants bool, first bool) (string, []any) {
	var b strings.Builder
	if withParticipants {
		b.WriteString(s.q.casesWithParticipantsSelect)
	} else {
		b.WriteString(s.q.casesSelect)
	}
	args := make([]any, 0, 6)
	cond := func(sql string, v any) {
		if len(args) == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		args = append(args, v)
		b.WriteString(strings.ReplaceAll(sql, "$", "$"+strconv.Itoa(len(args))))
	}
	// The first page starts after q.AfterID (or at the beginning, so that a
	// case with the empty id is not skipped); later pages after the last id
	// seen. The id placeholder is always $1 when present.
	if !first || q.AfterID != "" {
		cond("c.id > $", "")
	}
	if q.Model != "" {
		cond("c.model = $", q.Model)
	}
	if q.State != "" {
		cond("c.state = $", q.State)
	}
	if q.Organisation != "" {
		cond("c.organisation = $", string(q.Organisation))
	}
	if q.Participant != "" {
		cond("c.participant_id = $", string(q.Participant))
	}
	if q.OpenOnly {
		if len(args) == 0 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
		b.WriteString("c.closed_at IS NULL")
	}
	args = append(args, s.opts.CaseBatch)
	b.WriteString(" ORDER BY c.id LIMIT $" + strconv.Itoa(len(args)))
	return b.String(), args
}

func (s *Store) stream(ctx context.Context, q coaching.CaseQuery, withParticipants bool, yield func(*coaching.CaseRow) bool, fail func(error)) {
	for _, v := range []string{q.Model, q.State, string(q.Organisation), string(q.AfterID), string(q.Participant)} {
		if !storableText(v) {
			// No stored case can match a filter PostgreSQL cannot store.
			return
		}
	}
	after := string(q.AfterID)
	batch := s.opts.CaseBatch
	cases := make([]coaching.Case, 0, batch)
	var (
		parts []coaching.Participant
		has   []bool
	)
	if withParticipants {
		parts = make([]coaching.Participant, batch)
		has = make([]bool, batch)
	}
	first := true
	var row coaching.CaseRow
	for {
		if err := ctx.Err(); err != nil {
			fail(err)
			return
		}
		sql, args := s.casesSQL(q, withParticipants, first)
		if !first || q.AfterID != "" {
			args[0] = after
		}
		first = false
		cases = cases[:0]
		rows, err := s.pool.Query(ctx, sql, args...)
		if err != nil {
			fail(interpretError(err, target{kind: "case"}))
			return
		}
		for rows.Next() {
			var (
				data, pdata []byte
				code        pgtype.Text
			)
			if withParticipants {
				err = rows.Scan(&data, &pdata, &code)
			} else {
				err = rows.Scan(&data)
			}
			if err != nil {
				break
			}
			var c coaching.Case
			if err = decodeCase(data, &c); err != nil {
				break
			}
			if withParticipants {
				i := len(cases)
				has[i] = pdata != nil
				if has[i] {
					if err = decodeParticipant(pdata, code, &parts[i]); err != nil {
						break
					}
				} else {
					parts[i] = coaching.Participant{}
				}
			}
			cases = append(cases, c)
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err == nil && withParticipants && len(cases) > 0 {
			err = s.pageRecords(ctx, cases)
		}
		if err != nil {
			fail(interpretError(err, target{kind: "case"}))
			return
		}
		for i := range cases {
			row = coaching.CaseRow{Case: &cases[i]}
			if withParticipants && has[i] {
				row.Participant, row.HasParticipant = &parts[i], true
			}
			if !yield(&row) {
				return
			}
		}
		if len(cases) < batch {
			return
		}
		after = string(cases[len(cases)-1].ID)
	}
}

// pageRecords sets the records of a page of cases (in id order): one
// statement for the page, merged with it.
func (s *Store) pageRecords(ctx context.Context, cases []coaching.Case) error {
	ids := make([]string, len(cases))
	for i := range cases {
		ids[i] = string(cases[i].ID)
	}
	rows, err := s.pool.Query(ctx, s.q.batchRecords, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	j := 0
	for rows.Next() {
		var (
			owner string
			r     coaching.Record
			at    time.Time
			data  []byte
		)
		if err := rows.Scan(&owner, &r.Seq, &r.Name, &at, &r.By, &data); err != nil {
			return err
		}
		r.At = at.UTC()
		if len(data) > 0 {
			r.Data = json.RawMessage(data)
		}
		for j < len(cases) && string(cases[j].ID) < owner {
			j++
		}
		if j < len(cases) && string(cases[j].ID) == owner {
			cases[j].Records = append(cases[j].Records, r)
		}
	}
	return rows.Err()
}
