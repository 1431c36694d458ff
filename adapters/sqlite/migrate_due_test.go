package sqlite_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// legacyEnqueue is the enqueue statement of the builds before 0013: no
// due_at, channel or trace, so the row gets 0013's defaults.
const legacyEnqueue = `INSERT INTO notices (id, case_id, kind, recipient, subject, body, data, created_at, not_before, status, attempts, lease_until, sent_at, last_error)
	VALUES (?, 'c-1', 'k', '{"id":"a-1"}', 's', 'b', NULL, ?, ?, 'pending', 0, ?, ?, '')
	ON CONFLICT (id) DO NOTHING`

// A build from before 0013 enqueueing against the schema during a rolling
// upgrade: its notices, inserted before 0014 (the default 0 then reads as
// 1970) and after it, get due_at = not_before, or created_at when
// not_before is the zero time, and OutboxHealth reports their real lag.
func TestMigrateLegacyEnqueueGetsDueAt(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, db := openAt(t, 13)
	base := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	zero := time.Time{}.UnixMicro()
	legacy := func(id string, created, notBefore int64) {
		t.Helper()
		_, err := db.ExecContext(ctx, legacyEnqueue, id, created, notBefore, zero, zero)
		require.NoError(t, err, "the previous build's enqueue of %s", id)
	}
	legacy("n-before", base.Add(-time.Hour).UnixMicro(), base.UnixMicro())
	requireLatest(t, store)
	legacy("n-after", base.UnixMicro(), base.Add(time.Hour).UnixMicro())
	legacy("n-zero", base.Add(30*time.Minute).UnixMicro(), zero)

	want := map[string]time.Time{"n-before": base, "n-after": base.Add(time.Hour), "n-zero": base.Add(30 * time.Minute)}
	for id, due := range want {
		n, err := store.Notice(ctx, id)
		require.NoError(t, err, id)
		assert.True(t, n.DueAt.Equal(due), "%s: DueAt = %s, got %s", id, due, n.DueAt)
		assert.Empty(t, n.Channel, id)
		assert.Empty(t, n.Trace, id)
	}

	now := base.Add(2 * time.Hour)
	h, err := store.OutboxHealth(ctx, now)
	require.NoError(t, err)
	assert.Equal(t, 3, h.Pending)
	assert.True(t, h.OldestDueAt.Equal(base), "OldestDueAt, got %s", h.OldestDueAt)
	assert.Equal(t, 2*time.Hour, h.Lag())

	// This build's inserts are left as they are.
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		_, err := tx.Enqueue(ctx, coaching.Notice{ID: "n-new", CaseID: "c-1", Kind: "k", CreatedAt: base, NotBefore: base.Add(3 * time.Hour)})
		return err
	}))
	n, err := store.Notice(ctx, "n-new")
	require.NoError(t, err)
	assert.True(t, n.DueAt.Equal(base.Add(3*time.Hour)), "DueAt, got %s", n.DueAt)
}
