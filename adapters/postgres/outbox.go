package postgres

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/valmennus/valmennus/coaching"
)

// ClaimNotices implements coaching.Outbox. It is one statement: the oldest
// due notices are locked with FOR UPDATE SKIP LOCKED and leased in the same
// UPDATE, so any number of dispatchers, in any number of processes, claim
// disjoint notices without waiting for each other. A notice whose
// dispatcher died is claimed again once its lease has expired (LeaseUntil
// ≤ p.Now). A Limit of 0 or less claims every due notice.
func (s *Store) ClaimNotices(ctx context.Context, p coaching.ClaimParams) ([]coaching.Notice, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var limit any
	if p.Limit > 0 {
		limit = p.Limit
	}
	rows, err := s.pool.Query(ctx, s.q.claimNotices, p.Now, limit, p.Now.Add(p.Lease))
	out, err := collect(rows, err, []coaching.Notice(nil), target{kind: "notice"}, scanNotice)
	if err != nil {
		return nil, err
	}
	// UPDATE ... RETURNING does not keep the order of the CTE.
	slices.SortFunc(out, func(a, b coaching.Notice) int {
		return cmp.Or(a.NotBefore.Compare(b.NotBefore), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// CompleteNotice implements coaching.Outbox. The UPDATE matches only the
// claim the caller answers (status claimed, Attempts = attempt), so a
// dispatcher whose lease expired cannot overwrite a newer claim's outcome;
// it gets a *coaching.ConflictError. Status sent sets SentAt = r.At,
// status dead keeps the notice for the record, any other status makes it
// pending again at r.RetryAt. r.Error is kept with each run of invalid
// UTF-8 and each NUL replaced by U+FFFD (see storableCopy), never refused.
func (s *Store) CompleteNotice(ctx context.Context, id string, attempt int, r coaching.NoticeResult) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	tg := target{kind: "notice", id: id}
	if !lookupKey(id, maxComposedBytes) {
		return interpretError(pgx.ErrNoRows, tg)
	}
	// The error text comes from outside (an SMTP server's reply, an HTTP
	// body): refusing it would leave the notice claimed and sent again and
	// again, so what PostgreSQL cannot hold is replaced instead.
	r.Error = storableCopy(r.Error)
	status := r.Status
	if status != coaching.NoticeSent && status != coaching.NoticeDead {
		status = coaching.NoticePending
	}
	tag, err := s.pool.Exec(ctx, s.q.completeNotice, id, attempt, string(status), r.Error, optTime(r.At), r.RetryAt)
	if err != nil {
		return interpretError(err, tg)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var current int32
	rows, err := s.pool.Query(ctx, s.q.noticeAttempts, id)
	if err := interpretError(queryOne(rows, err, func(r pgx.Rows) error { return r.Scan(&current) }), tg); err != nil {
		return err
	}
	return &coaching.ConflictError{Subject: "notice " + id, Expected: int64(attempt), Current: int64(current)}
}

// Notice implements coaching.Outbox.
func (s *Store) Notice(ctx context.Context, id string) (coaching.Notice, error) {
	if err := ctx.Err(); err != nil {
		return coaching.Notice{}, err
	}
	return readNotice(ctx, s, s.pool, id)
}

// Notices implements coaching.Outbox: oldest first by CreatedAt, then in
// the order they were enqueued.
func (s *Store) Notices(ctx context.Context, q coaching.NoticeQuery) ([]coaching.Notice, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !storableText(string(q.CaseID)) || !storableText(q.Kind) || !storableText(string(q.Status)) {
		return nil, nil
	}
	var limit any
	if q.Limit > 0 {
		limit = q.Limit
	}
	rows, err := s.pool.Query(ctx, s.q.notices, textOrNull(string(q.CaseID)), textOrNull(q.Kind), textOrNull(string(q.Status)), limit)
	return collect(rows, err, []coaching.Notice(nil), target{kind: "notice"}, scanNotice)
}

// DueTimers implements coaching.Store. A limit of 0 or less returns every
// due timer.
func (s *Store) DueTimers(ctx context.Context, now time.Time, limit int) ([]coaching.Timer, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var lim any
	if limit > 0 {
		lim = limit
	}
	rows, err := s.pool.Query(ctx, s.q.dueTimers, now, lim)
	return collect(rows, err, []coaching.Timer(nil), target{kind: "timer"}, scanTimer)
}
