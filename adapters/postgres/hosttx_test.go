package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// A host keeps its own table (here, an order log) beside the store's. With
// Store.Tx the engine's change and the host's row commit or roll back
// together, in the host's transaction.
func TestHostOwnedTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := sharedPool(t)
	store := newStore(t)
	eng := newEngine(t, store)
	hostTable := pgx.Identifier{store.Schema(), "host_log"}.Sanitize()
	_, err := pool.Exec(ctx, `CREATE TABLE `+hostTable+` (id serial PRIMARY KEY, note text NOT NULL)`)
	require.NoError(t, err)
	openValo(t, eng, "c-host")

	hostRows := func() int {
		var n int
		require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM `+hostTable).Scan(&n))
		return n
	}
	notices := func() int {
		ns, err := store.Notices(ctx, coaching.NoticeQuery{CaseID: "c-host"})
		require.NoError(t, err)
		return len(ns)
	}
	require.Equal(t, 2, notices(), "admit and start_acquisition told the counsellor")

	t.Run("Commit", func(t *testing.T) {
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		defer func() { _ = tx.Rollback(ctx) }()
		_, err = tx.Exec(ctx, `INSERT INTO `+hostTable+` (note) VALUES ($1)`, "paused by the host")
		require.NoError(t, err)
		res, err := eng.In(store.Tx(tx)).Fire(ctx, coach, "c-host", coaching.ValoPause, &coaching.FireOptions{Reason: "sick leave", IdempotencyKey: "host-1"})
		require.NoError(t, err)
		assert.Equal(t, int64(4), res.Case.Version)

		// Nothing is visible outside the host's transaction before it commits.
		c, err := eng.Case(ctx, inspector, "c-host")
		require.NoError(t, err)
		assert.Equal(t, coaching.ValoSkillAcquisition, c.State, "uncommitted: other connections see the old state")
		assert.Equal(t, 2, notices(), "uncommitted: the notice is not in the outbox yet")
		assert.Zero(t, hostRows())

		require.NoError(t, tx.Commit(ctx))
		c, err = eng.Case(ctx, inspector, "c-host")
		require.NoError(t, err)
		assert.Equal(t, coaching.ValoPaused, c.State)
		assert.Equal(t, 1, hostRows(), "the host's row committed with the case")
		assert.Equal(t, 3, notices(), "the transition's notice committed with the case")
		trail, err := ct.ReadCase(ctx, eng, inspector, coaching.OpReadCase, "c-host", (*coaching.CaseView).AuditTrail)
		require.NoError(t, err)
		require.Len(t, trail, 4)
		assert.Equal(t, "host-1", trail[3].IdempotencyKey)

		// The same command again, in another host transaction, is replayed.
		tx2, err := pool.Begin(ctx)
		require.NoError(t, err)
		defer func() { _ = tx2.Rollback(ctx) }()
		again, err := eng.In(store.Tx(tx2)).Fire(ctx, coach, "c-host", coaching.ValoPause, &coaching.FireOptions{Reason: "sick leave", IdempotencyKey: "host-1"})
		require.NoError(t, err)
		assert.True(t, again.Replayed)
		require.NoError(t, tx2.Commit(ctx))
	})

	t.Run("Rollback", func(t *testing.T) {
		before, err := eng.Case(ctx, inspector, "c-host")
		require.NoError(t, err)
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		_, err = tx.Exec(ctx, `INSERT INTO `+hostTable+` (note) VALUES ($1)`, "resumed by the host")
		require.NoError(t, err)
		_, err = eng.In(store.Tx(tx)).Fire(ctx, coach, "c-host", coaching.ValoResumeAcquisition, nil)
		require.NoError(t, err)
		require.NoError(t, tx.Rollback(ctx))

		after, err := eng.Case(ctx, inspector, "c-host")
		require.NoError(t, err)
		assert.Equal(t, before.Version, after.Version, "the rolled-back transition left no trace in the case")
		assert.Equal(t, coaching.ValoPaused, after.State)
		trail, err := ct.ReadCase(ctx, eng, inspector, coaching.OpReadCase, "c-host", (*coaching.CaseView).AuditTrail)
		require.NoError(t, err)
		assert.Len(t, trail, int(before.Version), "no audit entry of the rolled-back transition")
		assert.Equal(t, 1, hostRows(), "the host's row rolled back with the case")
		assert.Equal(t, 3, notices(), "no notice of the rolled-back transition")
	})

	// The store's checks never fail the host's transaction: after a
	// conflict, a duplicate and a missing timer the host carries on and
	// commits its own work.
	t.Run("ChecksKeepHostTxUsable", func(t *testing.T) {
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		defer func() { _ = tx.Rollback(ctx) }()
		stx := store.Tx(tx)
		c, err := stx.Case(ctx, "c-host")
		require.NoError(t, err)
		stale := c
		stale.Version = c.Version
		err = stx.UpdateCase(ctx, stale, c.Version-1)
		var ce *coaching.ConflictError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, c.Version, ce.Current)
		// The pipelined form is the plain one here: refused at once.
		err = stx.(coaching.PipelinedCaseTx).UpdateCaseLater(ctx, stale, c.Version-1)
		require.ErrorAs(t, err, &ce, "UpdateCaseLater in a host's transaction reports the conflict at once")
		assert.Equal(t, c.Version, ce.Current)
		require.ErrorIs(t, stx.InsertCase(ctx, c), coaching.ErrDuplicate)
		require.ErrorIs(t, stx.AppendAudit(ctx, coaching.AuditEntry{CaseID: "c-host", Seq: 1, Kind: coaching.AuditTransition}), coaching.ErrConflict)
		require.ErrorIs(t, stx.DeleteTimer(ctx, "no-such-timer"), coaching.ErrNotFound)
		_, err = stx.Participant(ctx, "", "nobody\x00")
		require.ErrorIs(t, err, coaching.ErrNotFound)
		err = stx.InsertParticipant(ctx, coaching.Participant{ID: "p\x00"})
		require.ErrorIs(t, err, coaching.ErrInvalid)

		_, err = tx.Exec(ctx, `INSERT INTO `+hostTable+` (note) VALUES ($1)`, "still usable")
		require.NoError(t, err, "the host's transaction must still be usable")
		res, err := eng.In(stx).Fire(ctx, coach, "c-host", coaching.ValoResumeAcquisition, nil)
		require.NoError(t, err)
		require.NoError(t, tx.Commit(ctx))
		got, err := eng.Case(ctx, inspector, "c-host")
		require.NoError(t, err)
		assert.Equal(t, res.Case.Version, got.Version)
		assert.Equal(t, 2, hostRows())
	})

	// A host transaction that lost a race: the bound Fire reports the conflict, and
	// the host decides (here: rolls back).
	t.Run("ConcurrentChangeConflicts", func(t *testing.T) {
		tx, err := pool.Begin(ctx)
		require.NoError(t, err)
		defer func() { _ = tx.Rollback(ctx) }()
		stx := store.Tx(tx)
		c, err := stx.Case(ctx, "c-host")
		require.NoError(t, err)
		// Another instance changes the case and commits first.
		_, err = toggle(ctx, eng, "c-host")
		require.NoError(t, err)
		next := c
		next.Version++
		err = stx.UpdateCase(ctx, next, c.Version)
		require.True(t, errors.Is(err, coaching.ErrConflict), "got %v", err)
	})
}
