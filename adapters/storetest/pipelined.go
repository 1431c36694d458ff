package storetest

import (
	"errors"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// pipelinedCases check coaching.PipelinedTx, an optional capability: on a
// store whose transactions do not offer it, each case is skipped.
func pipelinedCases() []testCase {
	return []testCase{
		{
			name: "EnqueueLaterLeavesExisting",
			rule: "PipelinedTx.EnqueueLater adds a new notice, leaves one whose ID is in the outbox as it is, and later reads of the transaction see it",
			run:  testEnqueueLater,
		},
		{
			name: "DropTimer",
			rule: "PipelinedTx.DropTimer removes a timer if there is one and is no error when there is none",
			run:  testDropTimer,
		},
		{
			name: "RolledBackWithTheTransaction",
			rule: "PipelinedTx's writes commit or roll back with their transaction",
			run:  testPipelinedRollback,
		},
		{
			name: "BadArgumentAtOnce",
			rule: "PipelinedTx.EnqueueLater reports a problem with its notice at once, as Enqueue does",
			run:  testEnqueueLaterInvalid,
		},
	}
}

// pipelined returns tx's PipelinedTx, skipping the case when the store does
// not offer one.
func (e *env) pipelined(tx coaching.Tx) coaching.PipelinedTx {
	e.Helper()
	pt, ok := tx.(coaching.PipelinedTx)
	if !ok {
		e.Skip("the store's transactions do not offer coaching.PipelinedTx (optional)")
	}
	return pt
}

func testEnqueueLater(e *env) {
	e.seed("c-1")
	first := notice("n-1", "c-1", coaching.NoticeKindTransition, at(hour))
	e.enqueue(first)
	again := notice("n-1", "c-1", coaching.NoticeKindPhaseOverdue, at(2*hour))
	again.Subject = "another subject"
	fresh := notice("n-2", "c-1", coaching.NoticeKindTransition, at(hour))
	e.update(func(tx coaching.Tx) error {
		pt := e.pipelined(tx)
		if err := pt.EnqueueLater(e.ctx, again); err != nil {
			return err
		}
		if err := pt.EnqueueLater(e.ctx, fresh); err != nil {
			return err
		}
		got, err := tx.Notice(e.ctx, "n-2")
		if err != nil {
			return err
		}
		assert.Equal(e, NormalizeNotice(fresh), NormalizeNotice(got), "a later read in the transaction sees the pipelined notice")
		return nil
	})
	assert.Equal(e, NormalizeNotice(first), NormalizeNotice(e.mustNotice("n-1")), "the notice already in the outbox is kept as it was")
	assert.Equal(e, NormalizeNotice(fresh), NormalizeNotice(e.mustNotice("n-2")))
}

func testDropTimer(e *env) {
	e.seed("c-1")
	e.putTimer(timer("t-1", "c-1", at(hour)), timer("t-2", "c-1", at(2*hour)))
	e.update(func(tx coaching.Tx) error {
		pt := e.pipelined(tx)
		if err := pt.DropTimer(e.ctx, "t-1"); err != nil {
			return err
		}
		if err := pt.DropTimer(e.ctx, "t-missing"); err != nil {
			return err
		}
		// The engine's tick deletes with DeleteTimer after a drop of
		// another key: the drop must not disturb it.
		return tx.DeleteTimer(e.ctx, "t-2")
	})
	assert.Empty(e, e.dueTimers(at(10*day), 10), "both timers are gone")
}

func testPipelinedRollback(e *env) {
	e.seed("c-1")
	e.putTimer(timer("t-1", "c-1", at(hour)))
	boom := errors.New("boom")
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
		pt := e.pipelined(tx)
		if err := pt.EnqueueLater(e.ctx, notice("n-1", "c-1", coaching.NoticeKindTransition, at(hour))); err != nil {
			return err
		}
		if err := pt.DropTimer(e.ctx, "t-1"); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(e, err, boom)
	assert.Empty(e, e.notices(coaching.NoticeQuery{}), "the notice is rolled back")
	assert.Equal(e, []string{"t-1"}, timerKeys(e.dueTimers(at(10*day), 10)), "the timer is kept")
}

func testEnqueueLaterInvalid(e *env) {
	e.seed("c-1")
	bad := notice("n-1", "c-1", coaching.NoticeKindTransition, at(hour))
	bad.Status = "bogus"
	var got error
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
		got = e.pipelined(tx).EnqueueLater(e.ctx, bad)
		return got
	})
	require.Error(e, got, "a notice with an unknown status is refused at once")
	require.ErrorIs(e, err, got)
	assert.Empty(e, e.notices(coaching.NoticeQuery{}))
}
