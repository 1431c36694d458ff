package sqlite

import (
	"context"
	"database/sql"
	"iter"
	"strings"

	"github.com/valmennus/valmennus/coaching"
)

// Cases implements coaching.Store. It reads the matching cases a batch at
// a time (Options.CaseBatch) with keyset pagination (WHERE id > last ORDER
// BY id LIMIT n): each batch is one query on a read connection, fully read
// and released before the loop body sees its cases, so no connection or
// transaction is held while the caller works and leaving the loop early
// leaves nothing behind. Each batch is a consistent snapshot; cases written
// during the iteration may or may not be seen.
func (s *Store) Cases(ctx context.Context, q coaching.CaseQuery) iter.Seq2[coaching.Case, error] {
	return func(yield func(coaching.Case, error) bool) {
		var buf []caseRow
		s.batches(ctx, q, false, &buf, func(r *caseRow) bool { return yield(r.c, nil) },
			func(err error) { yield(coaching.Case{}, err) })
	}
}

// CasesWithParticipants implements coaching.CaseStreamer: the batches of
// Cases, each case joined with its participant in the same query, and the
// records of the batch's cases read with one more (the range of the
// batch's ids, in the records index's order).
func (s *Store) CasesWithParticipants(ctx context.Context, q coaching.CaseQuery) iter.Seq2[*coaching.CaseRow, error] {
	return func(yield func(*coaching.CaseRow, error) bool) {
		var buf []caseRow
		var row coaching.CaseRow
		s.batches(ctx, q, true, &buf, func(r *caseRow) bool {
			row = coaching.CaseRow{Case: &r.c}
			if r.hasP {
				row.Participant, row.HasParticipant = &r.p, true
			}
			return yield(&row, nil)
		}, func(err error) { yield(nil, err) })
	}
}

// caseRow is one decoded row of a batch.
type caseRow struct {
	c    coaching.Case
	p    coaching.Participant
	hasP bool
}

// casesQuery builds the batch query from constant fragments; every value
// is a parameter.
func casesQuery(q coaching.CaseQuery, withParticipants bool, after string, first bool, limit int) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 7)
	if withParticipants {
		b.WriteString("SELECT c.id, c.participant_id, c.model, c.state, c.organisation, c.version, c.data, p.identity_code, p.data" +
			" FROM cases c LEFT JOIN participants p ON p.organisation = c.organisation AND p.id = c.participant_id WHERE 1 = 1")
	} else {
		b.WriteString("SELECT c.id, c.participant_id, c.model, c.state, c.organisation, c.version, c.data FROM cases c WHERE 1 = 1")
	}
	if !first || after != "" {
		b.WriteString(" AND c.id > ?")
		args = append(args, after)
	}
	if q.Model != "" {
		b.WriteString(" AND c.model = ?")
		args = append(args, q.Model)
	}
	if q.State != "" {
		b.WriteString(" AND c.state = ?")
		args = append(args, q.State)
	}
	if q.Organisation != "" {
		b.WriteString(" AND c.organisation = ?")
		args = append(args, string(q.Organisation))
	}
	if q.Participant != "" {
		b.WriteString(" AND c.participant_id = ?")
		args = append(args, string(q.Participant))
	}
	if q.OpenOnly {
		b.WriteString(" AND c.closed = 0")
	}
	b.WriteString(" ORDER BY c.id LIMIT ?")
	args = append(args, limit)
	return b.String(), args
}

func (s *Store) batches(ctx context.Context, q coaching.CaseQuery, withParticipants bool, buf *[]caseRow,
	yield func(*caseRow) bool, fail func(error)) {
	after := string(q.AfterID)
	for first := true; ; first = false {
		if err := ctx.Err(); err != nil {
			fail(err)
			return
		}
		n, last, err := s.readBatch(ctx, q, withParticipants, after, first, buf)
		if err != nil {
			fail(err)
			return
		}
		for i := range n {
			if !yield(&(*buf)[i]) {
				return
			}
		}
		if n < s.batch {
			return
		}
		after = last
	}
}

// readBatch reads one batch into buf (reusing its memory) and returns how
// many rows it holds and the last id.
func (s *Store) readBatch(ctx context.Context, q coaching.CaseQuery, withParticipants bool, after string, first bool, buf *[]caseRow) (int, string, error) {
	query, args := casesQuery(q, withParticipants, after, first, s.batch)
	rf := ref{kind: "cases"}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, "", interpretError(err, rf)
	}
	defer rows.Close()
	if cap(*buf) < s.batch {
		*buf = make([]caseRow, s.batch)
	}
	b := (*buf)[:s.batch]
	n := 0
	var sc caseScan
	var pdata []byte
	var code sql.NullString
	dest := sc.dest()
	if withParticipants {
		dest = append(dest, &code, &pdata)
	}
	for rows.Next() {
		r := &b[n]
		if err := rows.Scan(dest...); err != nil {
			return 0, "", interpretError(err, rf)
		}
		if err := sc.decode(&r.c); err != nil {
			return 0, "", err
		}
		r.hasP = withParticipants && pdata != nil
		if r.hasP {
			var cp *string
			if code.Valid {
				cp = &code.String
			}
			if err := decodeParticipant(sc.participant, pdata, cp, &r.p); err != nil {
				return 0, "", err
			}
		} else {
			r.p = coaching.Participant{}
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, "", interpretError(err, rf)
	}
	if withParticipants && n > 0 {
		if err := s.batchRecords(ctx, b[:n]); err != nil {
			return 0, "", err
		}
	}
	return n, sc.id, nil
}

// batchRecords sets the records of a batch of cases (in id order): one
// query over the batch's range of ids, merged with the batch.
func (s *Store) batchRecords(ctx context.Context, batch []caseRow) error {
	rf := ref{kind: "records"}
	rows, err := s.r.QueryContext(ctx, qBatchRecords, string(batch[0].c.ID), string(batch[len(batch)-1].c.ID))
	if err != nil {
		return interpretError(err, rf)
	}
	defer rows.Close()
	var (
		recs   []coaching.Record
		owners []string
	)
	for rows.Next() {
		var (
			rec   coaching.Record
			owner string
			at    int64
			data  []byte
		)
		if err := rows.Scan(&owner, &rec.Seq, &rec.Name, &at, &rec.By, &data); err != nil {
			return interpretError(err, rf)
		}
		rec.At, rec.Data = fromMicros(at), data
		recs, owners = append(recs, rec), append(owners, owner)
	}
	if err := rows.Err(); err != nil {
		return interpretError(err, rf)
	}
	i := 0
	for j := range batch {
		c := &batch[j].c
		for i < len(owners) && owners[i] < string(c.ID) {
			i++ // a case the filters left out
		}
		lo := i
		for i < len(owners) && owners[i] == string(c.ID) {
			i++
		}
		if i > lo {
			c.Records = recs[lo:i:i]
		}
	}
	return nil
}
