package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// ClaimNotices implements coaching.Outbox: one write transaction whose one
// UPDATE ... RETURNING leases the due notices. Writes are serialised (one
// writer connection in the process, BEGIN IMMEDIATE across processes), so
// two claimers never receive the same notice while its lease holds.
func (s *Store) ClaimNotices(ctx context.Context, p coaching.ClaimParams) ([]coaching.Notice, error) {
	limit := int64(p.Limit)
	if limit <= 0 {
		limit = -1 // no limit
	}
	now := micros(p.Now)
	var out []coaching.Notice
	err := s.write(ctx, func(w *writer) error {
		rows, err := w.query(ctx, qClaim, micros(p.Now.Add(p.Lease)), now, now, limit)
		if err != nil {
			return interpretError(err, ref{kind: "notice claim"})
		}
		defer rows.Close()
		for rows.Next() {
			n, err := scanNotice(rows)
			if err != nil {
				return interpretError(err, ref{kind: "notice claim"})
			}
			out = append(out, n)
		}
		return interpretError(rows.Err(), ref{kind: "notice claim"})
	})
	if err != nil {
		return nil, err
	}
	sortNotices(out)
	return out, nil
}

var _ coaching.NoticeCompleter = (*Store)(nil)

// CompleteNotice implements coaching.Outbox. The attempt is checked in the
// UPDATE's WHERE clause.
func (s *Store) CompleteNotice(ctx context.Context, id string, attempt int, r coaching.NoticeResult) error {
	var cerr error
	err := s.write(ctx, func(w *writer) error {
		var err error
		cerr, err = completeOne(ctx, w, coaching.NoticeCompletion{ID: id, Attempt: attempt, Result: r})
		if err != nil {
			return err
		}
		return cerr
	})
	if err != nil {
		return err
	}
	return cerr
}

// CompleteNotices implements coaching.NoticeCompleter: one write
// transaction (one commit, one fsync) for the whole batch, each completion
// an UPDATE like CompleteNotice's.
func (s *Store) CompleteNotices(ctx context.Context, cs []coaching.NoticeCompletion) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	seen := make(map[string]struct{}, len(cs))
	for _, c := range cs {
		if _, dup := seen[c.ID]; dup {
			return nil, fmt.Errorf("sqlite: CompleteNotices: notice %q appears more than once", c.ID)
		}
		seen[c.ID] = struct{}{}
	}
	errs := make([]error, len(cs))
	if len(cs) == 0 {
		return errs, nil
	}
	err := s.write(ctx, func(w *writer) error {
		for i, c := range cs {
			var err error
			if errs[i], err = completeOne(ctx, w, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// completeOne records one outcome in w's transaction. It returns the
// completion's own error (a *coaching.ConflictError, a
// *coaching.NotFoundError, or a *coaching.ValidationError for a Channel
// coaching.NewDispatcher would refuse) first, and an error that fails the transaction
// second.
func completeOne(ctx context.Context, w *writer, c coaching.NoticeCompletion) (error, error) {
	rf := ref{kind: "notice", id: c.ID}
	r := c.Result
	if err := coaching.CheckNoticeResult(r); err != nil {
		return err, nil
	}
	status := coaching.NoticePending
	var sentAt, notBefore any
	refund := false
	switch r.Status {
	case coaching.NoticeSent:
		status, sentAt = coaching.NoticeSent, micros(r.At)
	case coaching.NoticeDead:
		status = coaching.NoticeDead
	default:
		notBefore, refund = micros(r.RetryAt), r.Refund
	}
	n, err := affected(w.exec(ctx, qComplete, string(status), r.Error, micros(r.At), sentAt, notBefore, r.Channel, refund, c.ID, c.Attempt))
	if err != nil {
		return nil, interpretError(err, rf)
	}
	if n == 1 {
		return nil, nil
	}
	var cur string
	var attempts int
	var caseID string
	if err := w.queryRow(ctx, qNoticeState, c.ID).Scan(&cur, &attempts, &caseID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return interpretError(err, rf), nil
		}
		return nil, interpretError(err, rf)
	}
	return &coaching.ConflictError{CaseID: coaching.CaseID(caseID), Subject: "notice " + c.ID, Expected: int64(c.Attempt), Current: int64(attempts)}, nil
}

var _ coaching.OutboxInspector = (*Store)(nil)

// OutboxHealth implements coaching.OutboxInspector: one read statement
// (qOutboxHealth) that reads the pending and claimed notices and the dead
// ones through partial indexes, never the sent ones.
func (s *Store) OutboxHealth(ctx context.Context, now time.Time) (coaching.OutboxHealth, error) {
	h := coaching.OutboxHealth{At: now, Dead: make(map[string]int)}
	if err := ctx.Err(); err != nil {
		return coaching.OutboxHealth{}, err
	}
	rf := ref{kind: "outbox health"}
	rows, err := s.readQuery(ctx, qOutboxHealth, micros(now), zeroMicros)
	if err != nil {
		return coaching.OutboxHealth{}, interpretError(err, rf)
	}
	defer rows.Close()
	for rows.Next() {
		var oldest sql.NullInt64
		var channel sql.NullString
		var dead sql.NullInt64
		if err := rows.Scan(&h.Pending, &h.Claimed, &h.Due, &h.Retrying, &oldest, &channel, &dead); err != nil {
			return coaching.OutboxHealth{}, interpretError(err, rf)
		}
		if oldest.Valid {
			h.OldestDueAt = fromMicros(oldest.Int64)
		}
		if channel.Valid {
			h.Dead[channel.String] = int(dead.Int64)
		}
	}
	if err := rows.Err(); err != nil {
		return coaching.OutboxHealth{}, interpretError(err, rf)
	}
	return h, nil
}

// Notice implements coaching.Outbox.
func (s *Store) Notice(ctx context.Context, id string) (coaching.Notice, error) {
	if err := ctx.Err(); err != nil {
		return coaching.Notice{}, err
	}
	n, err := scanNotice(s.readRow(ctx, qNotice, id))
	if err != nil {
		return coaching.Notice{}, interpretError(err, ref{kind: "notice", id: id})
	}
	return n, nil
}

// Notices implements coaching.Outbox: oldest (CreatedAt) first, ties in
// the order they were enqueued.
func (s *Store) Notices(ctx context.Context, q coaching.NoticeQuery) ([]coaching.Notice, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	query, args := noticesQuery(q)
	return scanNotices(s.r.QueryContext(ctx, query, args...))
}

// noticesQuery is the statement that reads the notices q matches, oldest
// first.
func noticesQuery(q coaching.NoticeQuery) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT " + noticeCols + " FROM notices WHERE 1 = 1")
	var args []any
	if q.CaseID != "" {
		b.WriteString(" AND case_id = ?")
		args = append(args, string(q.CaseID))
	}
	if q.Kind != "" {
		b.WriteString(" AND kind = ?")
		args = append(args, q.Kind)
	}
	if q.Status != "" {
		b.WriteString(" AND status = ?")
		args = append(args, string(q.Status))
	}
	b.WriteString(" ORDER BY created_at, rowid")
	if q.Limit > 0 {
		b.WriteString(" LIMIT ?")
		args = append(args, q.Limit)
	}
	return b.String(), args
}

// scanNotices reads the rows of noticesQuery.
func scanNotices(rows *sql.Rows, err error) ([]coaching.Notice, error) {
	rf := ref{kind: "notices"}
	if err != nil {
		return nil, interpretError(err, rf)
	}
	defer rows.Close()
	var out []coaching.Notice
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, interpretError(err, rf)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, interpretError(err, rf)
	}
	return out, nil
}

// DueTimers implements coaching.Store.
func (s *Store) DueTimers(ctx context.Context, now time.Time, limit int) ([]coaching.Timer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lim := int64(limit)
	if lim <= 0 {
		lim = -1
	}
	rf := ref{kind: "timers"}
	rows, err := s.readQuery(ctx, qDueTimers, micros(now), lim)
	if err != nil {
		return nil, interpretError(err, rf)
	}
	defer rows.Close()
	var out []coaching.Timer
	for rows.Next() {
		var t coaching.Timer
		var caseID string
		var due int64
		if err := rows.Scan(&t.Key, &caseID, &t.Kind, &due, &t.Ref); err != nil {
			return nil, interpretError(err, rf)
		}
		t.CaseID, t.DueAt = coaching.CaseID(caseID), fromMicros(due)
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, interpretError(err, rf)
	}
	return out, nil
}

// readRow runs a one-row query on a read connection, outside a
// transaction.
func (s *Store) readRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := s.rc.get(ctx).stmt(q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return s.r.QueryRowContext(ctx, q, args...)
}

func (s *Store) readQuery(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := s.rc.get(ctx).stmt(q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.r.QueryContext(ctx, q, args...)
}
