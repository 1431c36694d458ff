package postgres_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/coaching"
)

// A schema at version 12 with notices in every status migrates to 0013:
// each notice's DueAt is its NotBefore, its Channel and Trace are empty,
// the outbox works on (claim, complete with a channel) and OutboxHealth
// reports the notices that were there.
func TestMigrateNoticeHealthFromVersion12(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := sharedPool(t)
	schema, ident := schemaAt(t, pool, 12)
	base := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	rows := []struct {
		id, status string
		notBefore  time.Duration
		attempts   int
		lastError  string
	}{
		{"n-pending", "pending", 0, 0, ""},
		{"n-retry", "pending", 3 * time.Hour, 2, "451 later"},
		{"n-claimed", "claimed", time.Minute, 1, ""},
		{"n-sent", "sent", 2 * time.Minute, 1, ""},
		{"n-dead", "dead", 3 * time.Minute, 5, "550 no"},
		{"n-cancelled", "cancelled", 4 * time.Minute, 0, ""},
	}
	for _, r := range rows {
		_, err := pool.Exec(ctx, `INSERT INTO `+ident+`.notices (id, case_id, kind, recipient, subject, body, created_at, not_before, status, attempts, lease_until, last_error)
			VALUES ($1, '', 'k', '{"id":"a-1"}', 's', 'b', $2, $3, $4, $5, $6, $7)`,
			r.id, base.Add(-time.Hour), base.Add(r.notBefore), r.status, r.attempts, base.Add(10*time.Minute), r.lastError)
		require.NoError(t, err)
	}
	store, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	requireLatest(t, store)

	for _, r := range rows {
		n, err := store.Notice(ctx, r.id)
		require.NoError(t, err, r.id)
		assert.True(t, n.DueAt.Equal(base.Add(r.notBefore)), "%s: DueAt = NotBefore, got %s", r.id, n.DueAt)
		assert.Empty(t, n.Channel, r.id)
		assert.Empty(t, n.Trace, r.id)
		assert.Equal(t, coaching.NoticeStatus(r.status), n.Status, r.id)
	}
	var nullable string
	require.NoError(t, pool.QueryRow(ctx, `SELECT is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'notices' AND column_name = 'due_at'`, schema).Scan(&nullable))
	assert.Equal(t, "NO", nullable, "due_at is NOT NULL after the backfill")

	now := base.Add(time.Hour)
	h, err := store.OutboxHealth(ctx, now)
	require.NoError(t, err)
	assert.Equal(t, 2, h.Pending)
	assert.Equal(t, 1, h.Claimed)
	assert.Equal(t, 2, h.Due, "n-pending, and n-claimed whose lease ran out")
	assert.Equal(t, 1, h.Retrying)
	assert.True(t, h.OldestDueAt.Equal(base), "OldestDueAt, got %s", h.OldestDueAt)
	assert.Equal(t, map[string]int{"": 1}, h.Dead)

	claimed, err := store.ClaimNotices(ctx, coaching.ClaimParams{Now: now, Limit: 10, Lease: time.Minute})
	require.NoError(t, err)
	require.Len(t, claimed, 2)
	for _, n := range claimed {
		require.NoError(t, store.CompleteNotice(ctx, n.ID, n.Attempts, coaching.NoticeResult{Status: coaching.NoticeDead, At: now, Error: "x", Channel: "email"}))
	}
	h, err = store.OutboxHealth(ctx, now)
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"": 1, "email": 2}, h.Dead)
	assert.Equal(t, 1, h.Pending+h.Claimed)
}

// OutboxHealth reads only the waiting and the dead notices: on an outbox of
// 20 000 sent notices, 3 waiting and 2 dead (analysed), its plan reaches
// the notices through the partial indexes notices_due and notices_dead and
// never scans the table, and it reads no more rows than those five.
func TestOutboxHealthPlan(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := sharedPool(t)
	store := newStoreOn(t, pool)
	ident := pgx.Identifier{store.Schema()}.Sanitize()
	base := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	_, err := pool.Exec(ctx, `INSERT INTO `+ident+`.notices (id, case_id, kind, recipient, subject, body, created_at, not_before, due_at, status, attempts, sent_at)
		SELECT 'n-' || i, '', 'k', '{}', 's', 'b', $1, $1, $1, 'sent', 1, $1 FROM generate_series(1, 20000) i`, base)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO `+ident+`.notices (id, case_id, kind, recipient, subject, body, created_at, not_before, due_at, status, attempts, lease_until, channel)
		VALUES ('w-1', '', 'k', '{}', 's', 'b', $1, $1, $1, 'pending', 0, NULL, ''),
		       ('w-2', '', 'k', '{}', 's', 'b', $1, $1, $1, 'pending', 0, NULL, ''),
		       ('w-3', '', 'k', '{}', 's', 'b', $1, $1, $1, 'claimed', 1, $1, ''),
		       ('d-1', '', 'k', '{}', 's', 'b', $1, $1, $1, 'dead', 3, $1, 'email'),
		       ('d-2', '', 'k', '{}', 's', 'b', $1, $1, $1, 'dead', 3, $1, '')`, base)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `ANALYZE `+ident+`.notices`)
	require.NoError(t, err)

	var plan string
	rows, err := pool.Query(ctx, `EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) `+postgres.OutboxHealthSQL(store), base.Add(time.Hour))
	require.NoError(t, err)
	for rows.Next() {
		var line string
		require.NoError(t, rows.Scan(&line))
		plan += line + "\n"
	}
	require.NoError(t, rows.Err())
	t.Log(plan)
	assert.NotContains(t, plan, "Seq Scan", "the health query must not scan the notices")
	assert.Contains(t, plan, "notices_due")
	assert.Contains(t, plan, "notices_dead")
	assert.NotRegexp(t, `rows=([6-9]|\d{2,})\b`, plan, "no step reads more than the five waiting and dead notices")

	h, err := store.OutboxHealth(ctx, base.Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, coaching.OutboxHealth{At: base.Add(time.Hour), Pending: 2, Claimed: 1, Due: 3, OldestDueAt: base,
		Dead: map[string]int{"email": 1, "": 1}}, h)
}

// A build from before 0013 enqueueing against the migrated schema during a
// rolling upgrade (LegacyWrites: its INSERT names no due_at, channel or
// trace): the enqueue succeeds, due_at is not_before, or created_at when
// not_before is the zero time, and due_at stays NOT NULL.
func TestLegacyEnqueueAfterMigrate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := sharedPool(t)
	store := newStoreOn(t, pool)
	requireLatest(t, store)
	base := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	postgres.LegacyWrites(store, true)
	err := store.Update(ctx, func(tx coaching.Tx) error {
		for _, n := range []coaching.Notice{
			{ID: "n-1", CaseID: "c-1", Kind: "k", CreatedAt: base.Add(-time.Hour), NotBefore: base, Status: coaching.NoticePending},
			{ID: "n-zero", CaseID: "c-1", Kind: "k", CreatedAt: base.Add(30 * time.Minute), Status: coaching.NoticePending},
		} {
			if _, err := tx.Enqueue(ctx, n); err != nil {
				return err
			}
		}
		return nil
	})
	postgres.LegacyWrites(store, false)
	require.NoError(t, err, "the previous build's enqueue")
	for id, due := range map[string]time.Time{"n-1": base, "n-zero": base.Add(30 * time.Minute)} {
		n, err := store.Notice(ctx, id)
		require.NoError(t, err, id)
		assert.True(t, n.DueAt.Equal(due), "%s: DueAt = %s, got %s", id, due, n.DueAt)
	}
	var nullable string
	require.NoError(t, pool.QueryRow(ctx, `SELECT is_nullable FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'notices' AND column_name = 'due_at'`, store.Schema()).Scan(&nullable))
	assert.Equal(t, "NO", nullable, "due_at stays NOT NULL")
	h, err := store.OutboxHealth(ctx, base.Add(time.Hour))
	require.NoError(t, err)
	assert.True(t, h.OldestDueAt.Equal(base), "OldestDueAt, got %s", h.OldestDueAt)
}
