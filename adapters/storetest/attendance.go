package storetest

import (
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// NormalizeMark normalises a mark for comparison.
func NormalizeMark(m coaching.Mark) coaching.Mark {
	m.At = NormalizeTime(m.At)
	return m
}

func mark(id coaching.CaseID, day int, lesson string, status coaching.AttendanceStatus, rev int) coaching.Mark {
	m := coaching.Mark{CaseID: id, Date: coaching.NewDate(2025, 3, day), Lesson: lesson, Title: "Matematiikka " + lesson,
		Minutes: 90, Status: status, Revision: rev, At: at(hour * 3), By: "a-teacher"}
	if status == coaching.AttendanceExplained {
		m.Reason = coaching.ReasonAppointment
	}
	return m
}

func attendanceCases() []testCase {
	return []testCase{
		{
			name: "PutAndRange",
			rule: "Tx.PutMarks stores marks; ReadTx.Marks returns the current marks of a case dated from..to inclusive (zero ends open), ordered by date then lesson",
			run: func(e *env) {
				e.seed("c-1", "c-2")
				marks := []coaching.Mark{
					mark("c-1", 5, "2", coaching.AttendancePresent, 1), mark("c-1", 3, "1", coaching.AttendanceUnexplained, 1),
					mark("c-1", 4, "", coaching.AttendanceSick, 1), mark("c-1", 5, "1", coaching.AttendanceLate, 1),
					mark("c-2", 4, "1", coaching.AttendancePresent, 1),
				}
				e.update(func(tx coaching.Tx) error { return tx.PutMarks(e.ctx, marks) })
				e.view(func(tx coaching.ReadTx) error {
					all, err := tx.Marks(e.ctx, "c-1", coaching.Date{}, coaching.Date{})
					require.NoError(e, err)
					var keys []string
					for _, m := range all {
						keys = append(keys, m.Date.String()+"/"+m.Lesson)
					}
					assert.Equal(e, []string{"2025-03-03/1", "2025-03-04/", "2025-03-05/1", "2025-03-05/2"}, keys)
					assert.Equal(e, NormalizeMark(marks[1]), NormalizeMark(all[0]), "field for field")
					some, err := tx.Marks(e.ctx, "c-1", coaching.NewDate(2025, 3, 4), coaching.NewDate(2025, 3, 4))
					require.NoError(e, err)
					require.Len(e, some, 1)
					assert.Equal(e, coaching.AttendanceSick, some[0].Status)
					from, err := tx.Marks(e.ctx, "c-1", coaching.NewDate(2025, 3, 5), coaching.Date{})
					require.NoError(e, err)
					assert.Len(e, from, 2)
					none, err := tx.Marks(e.ctx, "nope", coaching.Date{}, coaching.Date{})
					require.NoError(e, err)
					assert.Empty(e, none)
					return nil
				})
			},
		},
		{
			name: "CorrectionsKeepHistory",
			rule: "Tx.PutMarks: a correction is the next revision; ReadTx.Marks returns the latest, ReadTx.MarkHistory every revision oldest first; a gap or a repeat is a *ConflictError",
			run: func(e *env) {
				e.seed("c-1")
				e.update(func(tx coaching.Tx) error {
					return tx.PutMarks(e.ctx, []coaching.Mark{mark("c-1", 3, "1", coaching.AttendanceUnexplained, 1)})
				})
				e.update(func(tx coaching.Tx) error {
					return tx.PutMarks(e.ctx, []coaching.Mark{mark("c-1", 3, "1", coaching.AttendanceExplained, 2)})
				})
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
					return tx.PutMarks(e.ctx, []coaching.Mark{mark("c-1", 3, "1", coaching.AttendancePresent, 2)})
				})
				requireConflict(e, err, "PutMarks repeating revision 2")
				err = e.store.Update(e.ctx, func(tx coaching.Tx) error {
					return tx.PutMarks(e.ctx, []coaching.Mark{mark("c-1", 3, "2", coaching.AttendancePresent, 2)})
				})
				requireConflict(e, err, "PutMarks of revision 2 of a new mark")
				e.view(func(tx coaching.ReadTx) error {
					cur, err := tx.Marks(e.ctx, "c-1", coaching.Date{}, coaching.Date{})
					require.NoError(e, err)
					require.Len(e, cur, 1)
					assert.Equal(e, coaching.AttendanceExplained, cur[0].Status)
					h, err := tx.MarkHistory(e.ctx, "c-1", coaching.MarkKey{Date: coaching.NewDate(2025, 3, 3), Lesson: "1"})
					require.NoError(e, err)
					require.Len(e, h, 2)
					assert.Equal(e, coaching.AttendanceUnexplained, h[0].Status)
					assert.Equal(e, 2, h[1].Revision)
					return nil
				})
			},
		},
		{
			name: "MarksRolledBack",
			rule: "Store.Update: marks written by a failed transaction are not stored, corrections included",
			run: func(e *env) {
				e.seed("c-1")
				e.update(func(tx coaching.Tx) error {
					return tx.PutMarks(e.ctx, []coaching.Mark{mark("c-1", 3, "1", coaching.AttendanceUnexplained, 1)})
				})
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
					if err := tx.PutMarks(e.ctx, []coaching.Mark{mark("c-1", 3, "1", coaching.AttendanceExplained, 2),
						mark("c-1", 4, "1", coaching.AttendancePresent, 1)}); err != nil {
						return err
					}
					return errMarked
				})
				require.ErrorIs(e, err, errMarked)
				e.view(func(tx coaching.ReadTx) error {
					cur, err := tx.Marks(e.ctx, "c-1", coaching.Date{}, coaching.Date{})
					require.NoError(e, err)
					require.Len(e, cur, 1)
					assert.Equal(e, coaching.AttendanceUnexplained, cur[0].Status)
					h, err := tx.MarkHistory(e.ctx, "c-1", coaching.MarkKey{Date: coaching.NewDate(2025, 3, 3), Lesson: "1"})
					require.NoError(e, err)
					assert.Len(e, h, 1)
					return nil
				})
			},
		},
		{
			name: "UpdatePendingNotice",
			rule: "Tx.UpdateNotice replaces a pending notice's content or cancels it (true); a claimed or sent notice is left as it is (false); a missing one is a *NotFoundError; ReadTx.Notice reads it in the transaction",
			run: func(e *env) {
				e.seed("c-1")
				e.enqueue(notice("n-1", "c-1", "absence", at(hour)), notice("n-2", "c-1", "absence", at(hour)))
				changed := notice("n-1", "c-1", "absence", at(2*hour))
				changed.Subject, changed.Body = "Poissaolo 3.3.2025", "Tunnit: Matematiikka 1, Matematiikka 2"
				changed.Data = map[string]string{"lessons": "1,2"}
				e.update(func(tx coaching.Tx) error {
					ok, err := tx.UpdateNotice(e.ctx, changed)
					require.NoError(e, err)
					assert.True(e, ok)
					got, err := tx.Notice(e.ctx, "n-1")
					require.NoError(e, err)
					assert.Equal(e, changed.Body, got.Body, "the transaction sees its own update")
					return nil
				})
				n := e.mustNotice("n-1")
				assert.Equal(e, changed.Subject, n.Subject)
				assert.Equal(e, map[string]string{"lessons": "1,2"}, n.Data)
				assert.True(e, n.NotBefore.Equal(at(2*hour)))
				assert.Equal(e, coaching.NoticePending, n.Status)

				// Cancel n-2: it is never claimed.
				cancel := notice("n-2", "c-1", "absence", at(hour))
				cancel.Status = coaching.NoticeCancelled
				e.update(func(tx coaching.Tx) error {
					ok, err := tx.UpdateNotice(e.ctx, cancel)
					require.NoError(e, err)
					assert.True(e, ok)
					return nil
				})
				assert.Equal(e, coaching.NoticeCancelled, e.mustNotice("n-2").Status)
				claimed := e.claim(at(3*hour), 10, hour)
				require.Len(e, claimed, 1)
				assert.Equal(e, "n-1", claimed[0].ID, "a cancelled notice is not claimed")

				// Claimed: no longer updatable.
				e.update(func(tx coaching.Tx) error {
					ok, err := tx.UpdateNotice(e.ctx, notice("n-1", "c-1", "absence", at(hour)))
					require.NoError(e, err)
					assert.False(e, ok)
					_, err = tx.UpdateNotice(e.ctx, notice("n-9", "c-1", "absence", at(hour)))
					requireNotFound(e, err, "notice", "n-9", "UpdateNotice of a missing notice")
					_, err = tx.Notice(e.ctx, "n-9")
					requireNotFound(e, err, "notice", "n-9", "ReadTx.Notice of a missing notice")
					return nil
				})
				assert.Equal(e, changed.Body, e.mustNotice("n-1").Body)

				// A failed transaction's update is undone.
				again := notice("n-3", "c-1", "absence", at(hour))
				e.enqueue(again)
				err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
					upd := again
					upd.Status = coaching.NoticeCancelled
					if _, err := tx.UpdateNotice(e.ctx, upd); err != nil {
						return err
					}
					return errMarked
				})
				require.ErrorIs(e, err, errMarked)
				assert.Equal(e, coaching.NoticePending, e.mustNotice("n-3").Status)
				assert.Len(e, e.claim(at(3*hour+hour/2), 10, hour), 1, "the rolled-back cancel leaves n-3 claimable (n-1 is still leased)")
			},
		},
	}
}
