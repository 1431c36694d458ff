package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
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
	mk := func(id coaching.CaseID, lesson string, st attendance.Status) attendance.Mark {
		return attendance.Mark{CaseID: id, Date: day, Lesson: lesson, Title: "Oppitunti " + lesson, Minutes: 45, Status: st, Revision: 1, At: testTime, By: "t-1"}
	}
	marks := []attendance.Mark{mk("c-1", "1", attendance.Present), mk("c-1", "2", attendance.Unexplained), mk("c-2", "1", attendance.Late)}
	marks[2].Revision = 0 // taken as 1
	require.NoError(t, store.BulkMarks(ctx, marks))

	var got []attendance.Mark
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		var err error
		got, err = tx.(attendance.Reader).Marks(ctx, "c-1", day, day)
		return err
	}))
	require.Len(t, got, 2)
	assert.Equal(t, storetest.NormalizeMark(marks[0]), storetest.NormalizeMark(got[0]))

	// A correction of a bulk-loaded mark goes through PutMarks as revision 2.
	fix := mk("c-1", "2", attendance.Explained)
	fix.Reason, fix.Revision = attendance.ReasonFamily, 2
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.(attendance.Store).PutMarks(ctx, []attendance.Mark{fix}) }))

	count := func() int {
		n := 0
		require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
			for _, id := range []coaching.CaseID{"c-1", "c-2"} {
				h, err := tx.(attendance.Reader).Marks(ctx, id, coaching.Date{}, coaching.Date{})
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
	err := store.BulkMarks(ctx, []attendance.Mark{mk("c-2", "9", attendance.Present), mk("c-404", "1", attendance.Present)})
	var nf *coaching.NotFoundError
	require.ErrorAs(t, err, &nf)
	assert.Equal(t, "c-404", nf.ID)
	err = store.BulkMarks(ctx, []attendance.Mark{mk("c-2", "9", attendance.Present), mk("c-1", "1", attendance.Present)})
	require.ErrorIs(t, err, coaching.ErrConflict, "a mark that exists")
	err = store.BulkMarks(ctx, []attendance.Mark{mk("c-2", "9", attendance.Present), mk("c-2", "9", attendance.Late)})
	require.ErrorIs(t, err, coaching.ErrConflict, "the same mark twice")
	second := mk("c-2", "8", attendance.Present)
	second.Revision = 2
	err = store.BulkMarks(ctx, []attendance.Mark{second})
	var ve *coaching.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "[0].revision", ve.Problems[0].Field)
	bad := mk("c-2", "8", attendance.Present)
	bad.Title = "nul\x00"
	err = store.BulkMarks(ctx, []attendance.Mark{mk("c-2", "7", attendance.Present), bad})
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "[1].title", ve.Problems[0].Field)
	assert.Equal(t, 3, count(), "refused loads store nothing")

	// In a host's transaction: rolled back with it.
	tx, err := sharedPool(t).Begin(ctx)
	require.NoError(t, err)
	require.NoError(t, store.BulkMarksTx(ctx, tx, []attendance.Mark{mk("c-2", "5", attendance.Present)}))
	require.NoError(t, tx.Rollback(ctx))
	assert.Equal(t, 3, count())

	// The running totals follow the loads and the correction, and not the
	// refused or rolled-back loads.
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		rd := tx.(attendance.Reader)
		for _, id := range []coaching.CaseID{"c-1", "c-2"} {
			ms, err := rd.Marks(ctx, id, coaching.Date{}, coaching.Date{})
			require.NoError(t, err)
			st, err := rd.State(ctx, id)
			require.NoError(t, err)
			assert.Equal(t, attendance.Recount(ms), st.Totals, "the totals of %s are a recount", id)
		}
		return nil
	}))
}
