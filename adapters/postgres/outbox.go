package postgres

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

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
	if err := coaching.CheckNoticeResult(r); err != nil {
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
	refund := r.Refund && status == coaching.NoticePending
	tag, err := s.pool.Exec(ctx, s.q.completeNotice, id, attempt, string(status), r.Error, optTime(r.At), r.RetryAt,
		r.Channel, refund)
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

var _ coaching.NoticeCompleter = (*Store)(nil)

// completeNoticesQuery records a batch of outcomes in one statement: the
// batch arrives as arrays and is joined to the notices it answers, each
// row under the same WHERE as completeNotice's (status claimed, attempts =
// the claim's). It returns a row per completion: its id, whether it was
// recorded, and the notice's attempts as the statement found them (NULL
// when there is no such notice), which tells a conflict from a missing
// notice without a second round trip.
const completeNoticesQuery = `WITH v AS (
		SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::boolean[])
			AS v(id, attempt, status, err, at, retry_at, channel, refund)),
	u AS (
		UPDATE {s}.notices n SET status = v.status, last_error = v.err, lease_until = v.at,
			sent_at = CASE WHEN v.status = 'sent' THEN v.at ELSE n.sent_at END,
			not_before = CASE WHEN v.status = 'pending' THEN v.retry_at ELSE n.not_before END,
			channel = v.channel, attempts = CASE WHEN v.refund THEN greatest(n.attempts - 1, 0) ELSE n.attempts END
		FROM v WHERE n.id = v.id AND n.status = 'claimed' AND n.attempts = v.attempt
		RETURNING n.id)
	SELECT v.id, u.id IS NOT NULL, cur.attempts
	FROM v LEFT JOIN u ON u.id = v.id LEFT JOIN {s}.notices cur ON cur.id = v.id`

// CompleteNotices implements coaching.NoticeCompleter. The whole batch is
// one statement (one round trip, one commit). A completion that matches no
// claim gets a *coaching.ConflictError whose Current is the notice's
// attempts as the statement saw them, or a *coaching.NotFoundError. Each
// error text is kept as CompleteNotice keeps it.
func (s *Store) CompleteNotices(ctx context.Context, cs []coaching.NoticeCompletion) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	errs := make([]error, len(cs))
	index := make(map[string]int, len(cs))
	var (
		ids, statuses, texts []string
		channels             []string
		refunds              []bool
		attempts             []int32
		ats, retries         []pgtype.Timestamptz
	)
	for i, c := range cs {
		if _, dup := index[c.ID]; dup {
			return nil, fmt.Errorf("postgres: CompleteNotices: notice %q appears more than once", c.ID)
		}
		index[c.ID] = i
		if err := coaching.CheckNoticeResult(c.Result); err != nil {
			errs[i] = err
			continue
		}
		if !lookupKey(c.ID, maxComposedBytes) {
			errs[i] = interpretError(pgx.ErrNoRows, target{kind: "notice", id: c.ID})
			continue
		}
		status := c.Result.Status
		if status != coaching.NoticeSent && status != coaching.NoticeDead {
			status = coaching.NoticePending
		}
		ids = append(ids, c.ID)
		attempts = append(attempts, int32(min(max(c.Attempt, math.MinInt32), math.MaxInt32)))
		statuses = append(statuses, string(status))
		texts = append(texts, storableCopy(c.Result.Error))
		ats = append(ats, optTime(c.Result.At))
		retries = append(retries, pgtype.Timestamptz{Time: c.Result.RetryAt, Valid: true})
		channels = append(channels, c.Result.Channel)
		refunds = append(refunds, c.Result.Refund && status == coaching.NoticePending)
	}
	if len(ids) == 0 {
		return errs, nil
	}
	type outcome struct {
		id       string
		recorded bool
		attempts pgtype.Int4
	}
	rows, err := s.pool.Query(ctx, strings.ReplaceAll(completeNoticesQuery, "{s}", s.ident), ids, attempts, statuses, texts, ats, retries, channels, refunds)
	got, err := collect(rows, err, make([]outcome, 0, len(ids)), target{kind: "notice"}, func(r pgx.Row, o *outcome) error {
		return r.Scan(&o.id, &o.recorded, &o.attempts)
	})
	if err != nil {
		return nil, err
	}
	if len(got) != len(ids) {
		return nil, fmt.Errorf("postgres: CompleteNotices: %d outcomes for %d completions", len(got), len(ids))
	}
	for _, o := range got {
		i := index[o.id]
		switch {
		case o.recorded:
		case !o.attempts.Valid:
			errs[i] = interpretError(pgx.ErrNoRows, target{kind: "notice", id: o.id})
		default:
			errs[i] = &coaching.ConflictError{Subject: "notice " + o.id, Expected: int64(cs[i].Attempt), Current: int64(o.attempts.Int32)}
		}
	}
	return errs, nil
}

var _ coaching.OutboxInspector = (*Store)(nil)

// OutboxHealth implements coaching.OutboxInspector: one statement, one
// round trip, one snapshot. It reads the pending and claimed notices and
// the dead ones through partial indexes (notices_due, notices_dead), never
// the sent ones, so its cost follows the outbox's depth and dead letters,
// not its history.
func (s *Store) OutboxHealth(ctx context.Context, now time.Time) (coaching.OutboxHealth, error) {
	if err := ctx.Err(); err != nil {
		return coaching.OutboxHealth{}, err
	}
	h := coaching.OutboxHealth{At: now, Dead: make(map[string]int)}
	rows, err := s.pool.Query(ctx, s.q.outboxHealth, now)
	if err != nil {
		return coaching.OutboxHealth{}, interpretError(err, target{kind: "outbox health"})
	}
	defer rows.Close()
	for rows.Next() {
		var (
			pending, claimed, due, retrying int64
			oldest                          pgtype.Timestamptz
			channel                         pgtype.Text
			dead                            pgtype.Int8
		)
		if err := rows.Scan(&pending, &claimed, &due, &retrying, &oldest, &channel, &dead); err != nil {
			return coaching.OutboxHealth{}, interpretError(err, target{kind: "outbox health"})
		}
		h.Pending, h.Claimed, h.Due, h.Retrying = int(pending), int(claimed), int(due), int(retrying)
		h.OldestDueAt = timeOf(oldest)
		if channel.Valid {
			h.Dead[channel.String] = int(dead.Int64)
		}
	}
	if err := rows.Err(); err != nil {
		return coaching.OutboxHealth{}, interpretError(err, target{kind: "outbox health"})
	}
	return h, nil
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
	return readNotices(ctx, s, s.pool, q)
}

// readNotices reads the notices q matches through db (the pool, or a
// transaction).
func readNotices(ctx context.Context, s *Store, db dbtx, q coaching.NoticeQuery) ([]coaching.Notice, error) {
	if !storableText(string(q.CaseID)) || !storableText(q.Kind) || !storableText(string(q.Status)) {
		return nil, nil
	}
	var limit any
	if q.Limit > 0 {
		limit = q.Limit
	}
	rows, err := db.Query(ctx, s.q.notices, textOrNull(string(q.CaseID)), textOrNull(q.Kind), textOrNull(string(q.Status)), limit)
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
