package storetest

import (
	"errors"
	"fmt"
	"time"

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
			name: "UpdateCaseLater",
			rule: "PipelinedCaseTx.UpdateCaseLater saves the case like UpdateCase: the audit entry of the new version may follow it, and later reads of the transaction see it",
			run:  testUpdateCaseLater,
		},
		{
			name: "UpdateCaseLaterConflict",
			rule: "PipelinedCaseTx.UpdateCaseLater from a stale version fails its transaction with UpdateCase's *ConflictError (at the next statement or the commit) and nothing of the transaction is written",
			run:  testUpdateCaseLaterConflict,
		},
		{
			name: "UpdateCaseLaterOneWinner",
			rule: "PipelinedCaseTx.UpdateCaseLater: of 20 concurrent transactions updating from the same expected version exactly one commits, the others get a *ConflictError and write nothing",
			run:  testConcurrentUpdateCaseLater,
		},
		{
			name: "UpdateCaseLaterMissing",
			rule: "PipelinedCaseTx.UpdateCaseLater of a case that is not stored fails its transaction with a *NotFoundError and nothing of it is written",
			run:  testUpdateCaseLaterMissing,
		},
		{
			name: "UpdateCaseLaterBadArgumentAtOnce",
			rule: "PipelinedCaseTx.UpdateCaseLater reports a problem with its case at once, as UpdateCase does",
			run:  testUpdateCaseLaterInvalid,
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

// pipelinedCaseTx is a transaction that pipelines the case update and the
// other writes a Fire sends after it.
type pipelinedCaseTx interface {
	coaching.PipelinedTx
	coaching.PipelinedCaseTx
}

// pipelinedCase returns tx's PipelinedCaseTx (with its PipelinedTx),
// skipping the case when the store does not offer both.
func (e *env) pipelinedCase(tx coaching.Tx) pipelinedCaseTx {
	e.Helper()
	pt, ok := tx.(pipelinedCaseTx)
	if !ok {
		e.Skip("the store's transactions do not offer coaching.PipelinedCaseTx and coaching.PipelinedTx (optional)")
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

func testUpdateCaseLater(e *env) {
	c := e.seed("c-1")[0]
	e.appendAudit(auditEntry("c-1", 1))
	v2 := nextVersion(c, "induction", at(day))
	e.update(func(tx coaching.Tx) error {
		pt := e.pipelinedCase(tx)
		if err := pt.UpdateCaseLater(e.ctx, v2, 1); err != nil {
			return err
		}
		// The engine's commit appends the entry of the new version next.
		if err := tx.AppendAudit(e.ctx, auditEntry("c-1", 2)); err != nil {
			return err
		}
		return pt.EnqueueLater(e.ctx, notice("n-1", "c-1", coaching.NoticeKindTransition, at(day)))
	})
	assert.Equal(e, NormalizeCase(v2), NormalizeCase(e.mustCase("c-1")))
	assert.Len(e, e.trail("c-1", 0), 2)
	assert.Equal(e, []string{"n-1"}, noticeIDs(e.notices(coaching.NoticeQuery{})))

	v3 := nextVersion(v2, "skills", at(2*day))
	e.update(func(tx coaching.Tx) error {
		if err := e.pipelinedCase(tx).UpdateCaseLater(e.ctx, v3, 2); err != nil {
			return err
		}
		got, err := tx.Case(e.ctx, "c-1")
		if err != nil {
			return err
		}
		assert.Equal(e, NormalizeCase(v3), NormalizeCase(got), "a later read in the transaction sees the pipelined update")
		return nil
	})
	assert.Equal(e, NormalizeCase(v3), NormalizeCase(e.mustCase("c-1")))
}

func testUpdateCaseLaterConflict(e *env) {
	c := e.seed("c-1")[0]
	e.appendAudit(auditEntry("c-1", 1))
	e.putTimer(timer("t-1", "c-1", at(hour)))
	// Another writer moves the case to version 2 (without an audit entry,
	// so that only the case's own check can refuse the stale update).
	theirs := nextVersion(c, "theirs", at(day))
	e.update(func(tx coaching.Tx) error { return tx.UpdateCase(e.ctx, theirs, 1) })

	stale := nextVersion(c, "mine", at(day))
	writes := func(tx coaching.Tx) error {
		pt := e.pipelinedCase(tx)
		if err := pt.UpdateCaseLater(e.ctx, stale, 1); err != nil {
			return err
		}
		if err := tx.AppendAudit(e.ctx, auditEntry("c-1", 2)); err != nil {
			return err
		}
		if err := pt.EnqueueLater(e.ctx, notice("n-1", "c-1", coaching.NoticeKindTransition, at(day))); err != nil {
			return err
		}
		if err := pt.DropTimer(e.ctx, "t-1"); err != nil {
			return err
		}
		return tx.PutTimer(e.ctx, timer("t-2", "c-1", at(2*hour)))
	}
	check := func(err error, what string) {
		e.Helper()
		ce := requireConflict(e, err, what)
		assert.Equal(e, coaching.CaseID("c-1"), ce.CaseID, "%s: ConflictError.CaseID", what)
		assert.Equal(e, int64(1), ce.Expected, "%s: ConflictError.Expected", what)
		assert.Equal(e, int64(2), ce.Current, "%s: ConflictError.Current", what)
	}

	// Surfacing at the commit.
	check(e.store.Update(e.ctx, writes), "the commit")
	// Surfacing at the next statement.
	var laterErr error
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
		if err := writes(tx); err != nil {
			return err
		}
		_, laterErr = tx.Notice(e.ctx, "n-1")
		return laterErr
	})
	check(laterErr, "the next statement")
	check(err, "the transaction")

	assert.Equal(e, NormalizeCase(theirs), NormalizeCase(e.mustCase("c-1")), "the other writer's case is kept")
	assert.Len(e, e.trail("c-1", 0), 1, "no audit entry was written")
	assert.Empty(e, e.notices(coaching.NoticeQuery{}), "no notice was written")
	assert.Equal(e, []string{"t-1"}, timerKeys(e.dueTimers(at(10*day), 10)), "the timers are as they were")
}

func testUpdateCaseLaterMissing(e *env) {
	e.seed("c-1")
	ghost := basicCase("c-ghost", "valo", "intake", "org-a", false)
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
		pt := e.pipelinedCase(tx)
		if err := pt.UpdateCaseLater(e.ctx, nextVersion(ghost, "induction", at(day)), 1); err != nil {
			return err
		}
		return pt.EnqueueLater(e.ctx, notice("n-1", "c-1", coaching.NoticeKindTransition, at(day)))
	})
	requireNotFound(e, err, "case", "c-ghost", "UpdateCaseLater of a missing case")
	assert.Empty(e, e.notices(coaching.NoticeQuery{}), "no notice was written")
}

func testUpdateCaseLaterInvalid(e *env) {
	c := e.seed("c-1")[0]
	bad := nextVersion(c, "induction", at(day))
	bad.Records = fullRecords() // the case row holds no records (see Records)
	var got error
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
		got = e.pipelinedCase(tx).UpdateCaseLater(e.ctx, bad, 1)
		return got
	})
	var ve *coaching.ValidationError
	require.ErrorAs(e, got, &ve, "a case with Records is refused at once")
	require.ErrorIs(e, err, got)
	assert.Equal(e, NormalizeCase(c), NormalizeCase(e.mustCase("c-1")), "the refused update changed the case")
}

func testConcurrentUpdateCaseLater(e *env) {
	c := e.seed("c-1")[0]
	e.appendAudit(auditEntry("c-1", 1))
	e.update(func(tx coaching.Tx) error {
		e.pipelinedCase(tx) // skips the case on a store without it
		return nil
	})
	const n = 20
	errs := race(e, n, func(i int) error {
		next := nextVersion(c, fmt.Sprintf("state-%02d", i), at(time.Duration(i)*time.Minute))
		return e.store.Update(e.ctx, func(tx coaching.Tx) error {
			pt, ok := tx.(pipelinedCaseTx)
			if !ok {
				return errors.New("no coaching.PipelinedCaseTx")
			}
			if err := pt.UpdateCaseLater(e.ctx, next, 1); err != nil {
				return err
			}
			entry := auditEntry("c-1", 2)
			entry.Event = fmt.Sprintf("event-of-%02d", i)
			if err := tx.AppendAudit(e.ctx, entry); err != nil {
				return err
			}
			return pt.EnqueueLater(e.ctx, notice(fmt.Sprintf("n-%02d", i), "c-1", coaching.NoticeKindTransition, at(day)))
		})
	})
	winner := oneWinner(e, errs, coaching.ErrConflict, "20 concurrent UpdateCaseLater from version 1")
	got := e.mustCase("c-1")
	assert.Equal(e, int64(2), got.Version, "exactly one update was applied")
	assert.Equal(e, fmt.Sprintf("state-%02d", winner), got.State, "the stored case is the winner's")
	trail := e.trail("c-1", 0)
	if assert.Len(e, trail, 2, "one audit entry was appended") {
		assert.Equal(e, fmt.Sprintf("event-of-%02d", winner), trail[1].Event, "the audit entry is the winner's")
	}
	assert.Equal(e, []string{fmt.Sprintf("n-%02d", winner)}, noticeIDs(e.notices(coaching.NoticeQuery{})), "only the winner's notice")
}
