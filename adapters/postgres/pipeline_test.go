package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/coaching"
)

// The store pipelines the audit entry the engine appends right after
// UpdateCase (see txn.AppendAudit). If the audit sequence was out of step
// with the case version after all, the transaction fails with a
// *coaching.ConflictError, from the next statement or from the commit, and
// nothing is written.
func TestPipelinedAuditOutOfStep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := newStore(t)
	base := coaching.Case{ID: "c-1", ParticipantID: "p", Model: "valo", State: "a", Version: 1, OpenedAt: testTime}
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		if err := tx.InsertCase(ctx, base); err != nil {
			return err
		}
		// Entries 1..3 while the case stays at version 1: out of step.
		for seq := int64(1); seq <= 3; seq++ {
			if err := tx.AppendAudit(ctx, coaching.AuditEntry{CaseID: "c-1", Seq: seq, At: testTime, Kind: coaching.AuditTransition}); err != nil {
				return err
			}
		}
		return nil
	}))
	next := base
	next.Version, next.State = 2, "b"
	entry := coaching.AuditEntry{CaseID: "c-1", Seq: 2, At: testTime, Kind: coaching.AuditTransition, To: "b"}

	// Surfacing at the commit.
	err := store.Update(ctx, func(tx coaching.Tx) error {
		if err := tx.UpdateCase(ctx, next, 1); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, entry)
	})
	require.ErrorIs(t, err, coaching.ErrConflict)
	// Surfacing at the next statement.
	var laterErr error
	err = store.Update(ctx, func(tx coaching.Tx) error {
		if err := tx.UpdateCase(ctx, next, 1); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, entry); err != nil {
			return err
		}
		laterErr = tx.DeleteTimer(ctx, "no-timer")
		return laterErr
	})
	require.ErrorIs(t, laterErr, coaching.ErrConflict, "the pipelined append's conflict, not the timer's NotFound")
	require.ErrorIs(t, err, coaching.ErrConflict)

	var c coaching.Case
	var trail []coaching.AuditEntry
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		var err error
		if c, err = tx.Case(ctx, "c-1"); err != nil {
			return err
		}
		trail, err = tx.AuditTrail(ctx, "c-1", 0)
		return err
	}))
	assert.Equal(t, int64(1), c.Version, "nothing of the failed transactions was written")
	assert.Len(t, trail, 3)
}

// racingStore is the store whose Update hands Fire a transaction that lets
// race run (once, on other connections) when the engine saves the case
// with UpdateCaseLater: after the case was read, before its update is sent.
type racingStore struct {
	*postgres.Store
	race func()
}

func (s *racingStore) Update(ctx context.Context, fn func(tx coaching.Tx) error) error {
	return s.Store.Update(ctx, func(tx coaching.Tx) error {
		return fn(&racingTx{Tx: tx, PipelinedTx: tx.(coaching.PipelinedTx), later: tx.(coaching.PipelinedCaseTx), s: s})
	})
}

type racingTx struct {
	coaching.Tx
	coaching.PipelinedTx
	later coaching.PipelinedCaseTx
	s     *racingStore
}

func (t *racingTx) UpdateCaseLater(ctx context.Context, c coaching.Case, expected int64) error {
	t.runRace()
	return t.later.UpdateCaseLater(ctx, c, expected)
}

// UpdateCase races too: a bound engine saves the case with it.
func (t *racingTx) UpdateCase(ctx context.Context, c coaching.Case, expected int64) error {
	t.runRace()
	return t.Tx.UpdateCase(ctx, c, expected)
}

func (t *racingTx) runRace() {
	if race := t.s.race; race != nil {
		t.s.race = nil
		race()
	}
}

// A Fire that loses the race to a concurrent one on its pipelined case
// update (the other commits after this one read the case, before its
// update runs) returns a *coaching.ConflictError, and none of its writes
// (audit entry, notice, timer) is kept.
func TestPipelinedFireConflict(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := newStore(t)
	other := newEngine(t, store)
	openValo(t, other, "c-1")

	type snapshot struct {
		c       coaching.Case
		trail   []coaching.AuditEntry
		notices []coaching.Notice
		timers  []coaching.Timer
	}
	read := func() snapshot {
		var s snapshot
		require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
			var err error
			if s.c, err = tx.Case(ctx, "c-1"); err != nil {
				return err
			}
			if s.trail, err = tx.AuditTrail(ctx, "c-1", 0); err != nil {
				return err
			}
			s.notices, err = tx.Notices(ctx, coaching.NoticeQuery{CaseID: "c-1"})
			return err
		}))
		var err error
		s.timers, err = store.DueTimers(ctx, time.Now().AddDate(100, 0, 0), 100)
		require.NoError(t, err)
		return s
	}

	var raced snapshot
	rs := &racingStore{Store: store}
	rs.race = func() {
		// The other instance pauses and resumes the case: version 5, in
		// skill acquisition again, with a new phase-deadline timer.
		for range 2 {
			_, err := toggle(ctx, other, "c-1")
			require.NoError(t, err)
		}
		raced = read()
	}
	eng := newEngine(t, rs)
	_, err := eng.Fire(ctx, coach, "c-1", coaching.ValoPause, &coaching.FireOptions{Reason: "sick leave"})
	require.Nil(t, rs.race, "Fire saved the case with UpdateCaseLater")
	var ce *coaching.ConflictError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, coaching.ConflictError{CaseID: "c-1", Expected: 3, Current: 5}, *ce)
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr, "the pipelined update's own error")
	assert.Equal(t, "VC409", pgErr.Code)

	assert.Equal(t, raced, read(), "nothing of the losing Fire was written")
	assert.Len(t, raced.trail, 5)
	assert.Len(t, raced.timers, 1)
}

// A Fire on an engine bound to the store's own transaction (Engine.In
// inside Store.Update) that loses the race reports the conflict itself, at
// once, and the transaction stays usable for the host: the bound engine
// never pipelines the case update (found in review: it returned success and
// the conflict came out of the host's next statement).
func TestBoundFireInStoreUpdateReportsItsConflict(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	other := newEngine(t, store)
	openValo(t, other, "c-1")
	eng := newEngine(t, store)
	var fireErr error
	err := store.Update(ctx, func(tx coaching.Tx) error {
		rs := &racingStore{Store: store, race: func() {
			for range 2 {
				_, err := toggle(ctx, other, "c-1")
				require.NoError(t, err)
			}
		}}
		rtx := &racingTx{Tx: tx, PipelinedTx: tx.(coaching.PipelinedTx), later: tx.(coaching.PipelinedCaseTx), s: rs}
		_, fireErr = eng.In(rtx).Fire(ctx, coach, "c-1", coaching.ValoPause, &coaching.FireOptions{Reason: "sick leave"})
		if fireErr == nil {
			return nil
		}
		// The host handles the conflict and goes on in its transaction.
		return tx.AppendAccess(ctx, coaching.AccessEntry{ActorID: "host", Operation: coaching.OpReadCase, CaseID: "c-1", Allowed: true, Rule: "host", At: testTime})
	})
	require.ErrorIs(t, fireErr, coaching.ErrConflict, "the bound Fire reports the lost race itself")
	require.NoError(t, err, "the host's transaction stays usable after the refused update")
}
