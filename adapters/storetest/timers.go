package storetest

import (
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// DueTimers does not say how timers with the same DueAt are ordered; the
// suite gives every timer whose order it checks a distinct DueAt.
func timerCases() []testCase {
	return []testCase{
		{
			name: "DueTimers",
			rule: "Store.DueTimers returns up to limit timers due at or before now, earliest first, field for field",
			run:  testDueTimers,
		},
		{
			name: "PutReplaces",
			rule: "Tx.PutTimer creates or replaces the timer with t.Key",
			run:  testPutTimerReplaces,
		},
		{
			name: "DeleteTwiceNotFound",
			rule: "Tx.DeleteTimer removes a timer, and returns a *NotFoundError (matching ErrNotFound) when it does not exist",
			run:  testDeleteTimerTwice,
		},
		{
			name: "DeleteInFailedUpdateKeeps",
			rule: "Store.Update: a DeleteTimer in a transaction whose fn returns an error is rolled back",
			run:  testDeleteTimerRollback,
		},
		{
			name: "DeleteThenPutInOneUpdate",
			rule: "Tx.PutTimer after Tx.DeleteTimer of the same key in one transaction leaves the new timer (the engine's tick does this)",
			run:  testDeleteThenPut,
		},
	}
}

func testDueTimers(e *env) {
	e.seed("c-1", "c-2")
	now := at(10 * day)
	e.putTimer(
		timer("t-late", "c-1", now.Add(-time.Hour)),
		coaching.Timer{Key: "phase_deadline:c-2:3", CaseID: "c-2", Kind: "custom_kind", DueAt: now.Add(-3 * day), Ref: 3},
		timer("t-boundary", "c-2", now), // due "at" now counts
		timer("t-future", "c-1", now.Add(time.Microsecond)),
		timer("t-earliest", "c-1", now.Add(-30*day)),
	)
	got := e.dueTimers(now, 10)
	assert.Equal(e, []string{"t-earliest", "phase_deadline:c-2:3", "t-late", "t-boundary"}, timerKeys(got), "due at or before now, earliest first")
	if assert.Len(e, got, 4) {
		assert.Equal(e, coaching.Timer{Key: "phase_deadline:c-2:3", CaseID: "c-2", Kind: "custom_kind", DueAt: NormalizeTime(now.Add(-3 * day)), Ref: 3},
			NormalizeTimer(got[1]), "the timer field for field")
		assert.True(e, got[3].DueAt.Equal(now), "DueAt must keep its microseconds")
	}

	assert.Equal(e, []string{"t-earliest", "phase_deadline:c-2:3"}, timerKeys(e.dueTimers(now, 2)), "limit 2")
	assert.Equal(e, []string{"t-earliest"}, timerKeys(e.dueTimers(now, 1)), "limit 1")
	assert.Empty(e, e.dueTimers(now.Add(-31*day), 10), "nothing is due before the earliest timer")
	// DueTimers reads; it does not take timers away.
	assert.Len(e, e.dueTimers(now, 10), 4, "DueTimers must not consume the timers it returns")
	assert.Len(e, e.dueTimers(now.Add(day), 10), 5, "all five are due a day later")
}

func testPutTimerReplaces(e *env) {
	e.seed("c-1")
	e.putTimer(timer("t-1", "c-1", at(5*day)))
	replacement := coaching.Timer{Key: "t-1", CaseID: "c-1", Kind: "other", DueAt: at(1*day + time.Microsecond), Ref: 99}
	e.putTimer(replacement)

	got := e.dueTimers(at(100*day), 10)
	require.Len(e, got, 1, "PutTimer with an existing key must replace, not add")
	assert.Equal(e, NormalizeTimer(replacement), NormalizeTimer(got[0]), "the replacement timer")
	assert.Len(e, e.dueTimers(at(1*day+time.Microsecond), 10), 1, "the new (earlier) DueAt is due")

	// Replace it with a later DueAt in one transaction with a put of
	// another key.
	e.update(func(tx coaching.Tx) error {
		if err := tx.PutTimer(e.ctx, timer("t-1", "c-1", at(7*day))); err != nil {
			return err
		}
		return tx.PutTimer(e.ctx, timer("t-2", "c-1", at(2*day)))
	})
	assert.Equal(e, []string{"t-2"}, timerKeys(e.dueTimers(at(6*day), 10)), "t-1 moved later, so only t-2 is due on day 6")
	assert.Equal(e, []string{"t-2", "t-1"}, timerKeys(e.dueTimers(at(7*day), 10)))
}

func testDeleteTimerTwice(e *env) {
	e.seed("c-1")
	e.putTimer(timer("t-1", "c-1", at(0)), timer("t-2", "c-1", at(time.Minute)))

	e.update(func(tx coaching.Tx) error { return tx.DeleteTimer(e.ctx, "t-1") })
	assert.Equal(e, []string{"t-2"}, timerKeys(e.dueTimers(at(day), 10)), "t-1 was deleted, t-2 stays")

	err := e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.DeleteTimer(e.ctx, "t-1") })
	requireNotFound(e, err, "timer", "t-1", "deleting a deleted timer")
	err = e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.DeleteTimer(e.ctx, "t-never") })
	requireNotFound(e, err, "timer", "t-never", "deleting a timer that never existed")
	assert.Equal(e, []string{"t-2"}, timerKeys(e.dueTimers(at(day), 10)))
}

func testDeleteTimerRollback(e *env) {
	e.seed("c-1")
	e.putTimer(timer("t-1", "c-1", at(0)))
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
		if err := tx.DeleteTimer(e.ctx, "t-1"); err != nil {
			return err
		}
		return errSentinel
	})
	require.ErrorIs(e, err, errSentinel)
	assert.Equal(e, []string{"t-1"}, timerKeys(e.dueTimers(at(day), 10)), "the delete was rolled back")
	// And it can still be deleted once.
	e.update(func(tx coaching.Tx) error { return tx.DeleteTimer(e.ctx, "t-1") })
	assert.Empty(e, e.dueTimers(at(day), 10))
}

func testDeleteThenPut(e *env) {
	e.seed("c-1")
	e.putTimer(timer("t-1", "c-1", at(0)))
	moved := timer("t-1", "c-1", at(3*day))
	e.update(func(tx coaching.Tx) error {
		if err := tx.DeleteTimer(e.ctx, "t-1"); err != nil {
			return err
		}
		return tx.PutTimer(e.ctx, moved)
	})
	assert.Empty(e, e.dueTimers(at(day), 10), "the timer moved to day 3")
	got := e.dueTimers(at(3*day), 10)
	require.Len(e, got, 1)
	assert.Equal(e, NormalizeTimer(moved), NormalizeTimer(got[0]))
}
