package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// markColumns are the marks table's columns in the order COPY sends them.
var markColumns = []string{"case_id", "date", "lesson", "revision", "title", "minutes", "status", "reason", "at", "by"}

// BulkMarks stores brand-new attendance marks, such as a national day of
// attendance, with COPY in one transaction of its own: everything or
// nothing is stored. It is the fast path beside [attendance.Store.PutMarks] for
// loads and imports: every mark must be the first revision of its (case,
// date, lesson) (Revision 1; 0 is taken as 1), and every case must exist.
//
// A case that does not exist is a *coaching.NotFoundError. A mark whose
// key already has a revision, or that appears twice in marks, is a
// *coaching.ConflictError (the error also holds the server's message,
// which names the key). Text PostgreSQL cannot store is a
// *coaching.ValidationError naming the mark. Corrections (revision 2 and
// later) go through the engine, which writes them with PutMarks.
func (s *Store) BulkMarks(ctx context.Context, marks []attendance.Mark) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(marks) == 0 {
		return nil
	}
	if err := checkBulkMarks(marks); err != nil {
		return err
	}
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		return s.copyMarks(ctx, tx, marks)
	})
}

// BulkMarksTx is [Store.BulkMarks] inside a transaction the host owns. A
// refused load leaves tx failed (COPY cannot be undone statement by
// statement): roll it back.
func (s *Store) BulkMarksTx(ctx context.Context, tx pgx.Tx, marks []attendance.Mark) error {
	if len(marks) == 0 {
		return nil
	}
	if err := checkBulkMarks(marks); err != nil {
		return err
	}
	return s.copyMarks(ctx, tx, marks)
}

func (s *Store) copyMarks(ctx context.Context, tx pgx.Tx, marks []attendance.Mark) error {
	// The cases must exist: one anti-join over the distinct case ids
	// (marks usually come grouped by case, so consecutive repeats are
	// skipped before the map).
	seen := make(map[coaching.CaseID]struct{})
	ids := make([]string, 0, len(marks)/4+1)
	var last coaching.CaseID
	for i := range marks {
		id := marks[i].CaseID
		if i > 0 && id == last {
			continue
		}
		last = id
		if _, ok := seen[id]; !ok {
			seen[id] = struct{}{}
			ids = append(ids, string(id))
		}
	}
	var missing string
	err := tx.QueryRow(ctx, s.q.missingCases, ids).Scan(&missing)
	switch {
	case err == nil:
		return &coaching.NotFoundError{Kind: "case", ID: missing}
	case err != pgx.ErrNoRows:
		return interpretError(err, target{kind: "case"})
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{s.opts.Schema, "marks"}, markColumns, &markSource{marks: marks, i: -1})
	if err != nil {
		return interpretError(err, target{kind: "attendance mark", subject: "attendance marks (bulk)", versioned: true})
	}
	if n != int64(len(marks)) {
		return fmt.Errorf("postgres: BulkMarks: COPY stored %d of %d marks", n, len(marks))
	}
	// The running totals of the cases and of their dates, in the same
	// transaction: the marks are all new, so each adds itself
	// (attendance.Totals.Apply).
	totals := make(map[coaching.CaseID]*attendance.Totals, len(ids))
	type caseDay struct {
		id   coaching.CaseID
		date coaching.Date
	}
	dayTotals := map[caseDay]*attendance.Totals{}
	var dayOrder []caseDay
	for i := range marks {
		t, ok := totals[marks[i].CaseID]
		if !ok {
			t = &attendance.Totals{}
			totals[marks[i].CaseID] = t
		}
		t.Apply(nil, marks[i])
		k := caseDay{marks[i].CaseID, marks[i].Date}
		dt, ok := dayTotals[k]
		if !ok {
			dt = &attendance.Totals{}
			dayTotals[k] = dt
			dayOrder = append(dayOrder, k)
		}
		dt.Apply(nil, marks[i])
	}
	dayIDs := make([]string, len(dayOrder))
	dates := make([]pgtype.Date, len(dayOrder))
	var dcols [5][]int64
	for i, k := range dayOrder {
		dayIDs[i], dates[i] = string(k.id), sqlDate(k.date)
		t := dayTotals[k]
		for j, v := range []int{t.Marks, t.Minutes, t.AbsentMarks, t.AbsentMinutes, t.Unexplained} {
			dcols[j] = append(dcols[j], int64(v))
		}
	}
	if _, err := tx.Exec(ctx, s.q.addDayTotals, dayIDs, dates, dcols[0], dcols[1], dcols[2], dcols[3], dcols[4]); err != nil {
		return interpretError(err, target{kind: "attendance day"})
	}
	var cols [6][]int64
	for _, id := range ids {
		t := totals[coaching.CaseID(id)]
		for j, v := range []int{t.Marks, t.Minutes, t.AbsentMarks, t.AbsentMinutes, t.Unexplained} {
			cols[j+1] = append(cols[j+1], int64(v))
		}
	}
	if _, err := tx.Exec(ctx, s.q.addTotals, ids, cols[1], cols[2], cols[3], cols[4], cols[5]); err != nil {
		return interpretError(err, target{kind: "attendance state"})
	}
	return nil
}

func checkBulkMarks(marks []attendance.Mark) error {
	// An explicit loop, not the reflective walk: it runs over millions of
	// marks.
	for i := range marks {
		m := &marks[i]
		ok := (m.Revision == 1 || m.Revision == 0) && m.Date.Valid() &&
			len(m.CaseID) <= maxIDBytes && len(m.Lesson) <= maxIDBytes &&
			storableText(string(m.CaseID)) && storableText(m.Lesson) && storableText(m.Title) &&
			storableText(string(m.Status)) && storableText(string(m.Reason)) && storableText(m.By)
		if !ok {
			// Name every problem of the first bad mark.
			c := checker{subject: "attendance marks"}
			path := fmt.Sprintf("[%d]", i)
			if m.Revision != 1 && m.Revision != 0 {
				c.add(path+".revision", "must be 1: BulkMarks stores new marks only (corrections go through PutMarks)")
			}
			if !m.Date.Valid() {
				c.add(path+".date", "not a calendar date")
			}
			c.key(path+".case_id", string(m.CaseID), maxIDBytes)
			c.key(path+".lesson", m.Lesson, maxIDBytes)
			c.text(path, m)
			return c.err()
		}
	}
	return nil
}

// markSource feeds marks to COPY. Values reuses one row slice: pgx encodes
// each row before asking for the next.
type markSource struct {
	marks []attendance.Mark
	i     int
	row   [10]any
}

func (m *markSource) Next() bool {
	m.i++
	return m.i < len(m.marks)
}

func (m *markSource) Values() ([]any, error) {
	k := &m.marks[m.i]
	m.row = [10]any{string(k.CaseID), sqlDate(k.Date), k.Lesson, int32(1), k.Title, int32(k.Minutes),
		string(k.Status), string(k.Reason), k.At, k.By}
	return m.row[:], nil
}

func (m *markSource) Err() error { return nil }
