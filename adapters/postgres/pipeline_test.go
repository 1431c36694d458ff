package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
