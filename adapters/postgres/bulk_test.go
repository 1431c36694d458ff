package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
)

func TestBulkMarks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := newStore(t)
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		for _, id := range []coaching.CaseID{"c-1", "c-2"} {
			if err := tx.InsertCase(ctx, coaching.Case{ID: id, ParticipantID: "p", Model: "valo", State: "s", Version: 1, OpenedAt: testTime}); err != nil {
				return err
			}
		}
		return nil
	}))
	day := coaching.NewDate(2026, 9, 7)
	mk := func(id coaching.CaseID, lesson string, st coaching.AttendanceStatus) coaching.Mark {
		return coaching.Mark{CaseID: id, Date: day, Lesson: lesson, Title: "Oppitunti " + lesson, Minutes: 45, Status: st, Revision: 1, At: testTime, By: "t-1"}
	}
	marks := []coaching.Mark{mk("c-1", "1", coaching.AttendancePresent), mk("c-1", "2", coaching.AttendanceUnexplained), mk("c-2", "1", coaching.AttendanceLate)}
	marks[2].Revision = 0 // taken as 1
	require.NoError(t, store.BulkMarks(ctx, marks))

	var got []coaching.Mark
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		var err error
		got, err = tx.Marks(ctx, "c-1", day, day)
		return err
	}))
	require.Len(t, got, 2)
	assert.Equal(t, storetest.NormalizeMark(marks[0]), storetest.NormalizeMark(got[0]))

	// A correction of a bulk-loaded mark goes through PutMarks as revision 2.
	fix := mk("c-1", "2", coaching.AttendanceExplained)
	fix.Reason, fix.Revision = coaching.ReasonFamily, 2
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.PutMarks(ctx, []coaching.Mark{fix}) }))

	count := func() int {
		n := 0
		require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
			for _, id := range []coaching.CaseID{"c-1", "c-2"} {
				h, err := tx.Marks(ctx, id, coaching.Date{}, coaching.Date{})
				if err != nil {
					return err
				}
				n += len(h)
			}
			return nil
		}))
		return n
	}
	require.Equal(t, 3, count())

	// Refusals store nothing.
	err := store.BulkMarks(ctx, []coaching.Mark{mk("c-2", "9", coaching.AttendancePresent), mk("c-404", "1", coaching.AttendancePresent)})
	var nf *coaching.NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "c-404", nf.ID)
	err = store.BulkMarks(ctx, []coaching.Mark{mk("c-2", "9", coaching.AttendancePresent), mk("c-1", "1", coaching.AttendancePresent)})
	require.ErrorIs(t, err, coaching.ErrConflict, "a mark that exists")
	err = store.BulkMarks(ctx, []coaching.Mark{mk("c-2", "9", coaching.AttendancePresent), mk("c-2", "9", coaching.AttendanceLate)})
	require.ErrorIs(t, err, coaching.ErrConflict, "the same mark twice")
	second := mk("c-2", "8", coaching.AttendancePresent)
	second.Revision = 2
	err = store.BulkMarks(ctx, []coaching.Mark{second})
	var ve *coaching.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "[0].revision", ve.Problems[0].Field)
	bad := mk("c-2", "8", coaching.AttendancePresent)
	bad.Title = "nul\x00"
	err = store.BulkMarks(ctx, []coaching.Mark{mk("c-2", "7", coaching.AttendancePresent), bad})
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "[1].title", ve.Problems[0].Field)
	assert.Equal(t, 3, count(), "refused loads store nothing")

	// In a host's transaction: rolled back with it.
	tx, err := sharedPool(t).Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, store.BulkMarksTx(ctx, tx, []coaching.Mark{mk("c-2", "5", coaching.AttendancePresent)}))
	require.NoError(t, tx.Rollback(ctx))
	assert.Equal(t, 3, count())
}
