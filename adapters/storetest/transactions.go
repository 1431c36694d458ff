package storetest

import (
	"context"
	"errors"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

func transactionCases() []testCase {
	return []testCase{
		{
			name: "ErrorRollsBackEveryWrite",
			rule: "Store.Update: if fn returns an error, none of the writes fn made is committed",
			run:  testRollbackEverything,
		},
		{
			name: "FailedWriteRollsBackEarlierWrites",
			rule: "Store.Update: if fn returns a store error (here a version conflict), the writes fn made before it are not committed either",
			run:  testRollbackEarlierWrites,
		},
		{
			name: "ReturnsFnErrorUnchanged",
			rule: "Store.Update returns fn's error unchanged",
			run:  testFnErrorUnchanged,
		},
		{
			name: "ReadsSeeOwnWrites",
			rule: "Store.Update: reads inside the transaction see the transaction's own writes",
			run:  testReadOwnWrites,
		},
		{
			name: "CommittedWritesVisible",
			rule: "Store.Update: when fn returns nil every write is committed and visible to later View, Cases, DueTimers and Outbox calls",
			run:  testCommitVisible,
		},
		{
			name: "CancelledBeforeUpdate",
			rule: "a cancelled context aborts Store.Update with an error and nothing is written",
			run:  testCancelledBeforeUpdate,
		},
		{
			name: "CancelledDuringUpdate",
			rule: "a context cancelled while fn runs aborts Store.Update with an error and rolls the transaction back",
			run:  testCancelledDuringUpdate,
		},
		{
			name: "ReadsReturnCopies",
			rule: "ReadTx: values returned are snapshots; changing their fields never changes the store (their inner slices are read-only)",
			run:  testReadsReturnCopies,
		},
		{
			name: "WritesKeepNoReference",
			rule: "a committed write stores the value as it was written; the caller changing its own value afterwards does not change the store",
			run:  testWritesKeepNoReference,
		},
	}
}

var errSentinel = errors.New("storetest: fn failed on purpose")

// writeEverything makes one write of every kind for case c-tx.
func writeEverything(e *env, tx coaching.Tx) error {
	ctx := e.ctx
	if err := tx.InsertParticipant(ctx, fullParticipant("p-c-tx")); err != nil {
		return err
	}
	if err := tx.InsertCase(ctx, fullCase("c-tx")); err != nil {
		return err
	}
	if err := tx.AppendAudit(ctx, auditEntry("c-tx", 1)); err != nil {
		return err
	}
	if err := tx.AppendRecords(ctx, "c-tx", fullRecords()); err != nil {
		return err
	}
	if err := tx.PutCommand(ctx, command("c-tx", "k-1", 1)); err != nil {
		return err
	}
	if inserted, err := tx.Enqueue(ctx, notice("n-tx", "c-tx", "transition", at(0))); err != nil || !inserted {
		return errors.Join(err, errors.New("storetest: Enqueue of a new notice returned inserted=false"))
	}
	return tx.PutTimer(ctx, timer("t-tx", "c-tx", at(0)))
}

// requireNothingWritten checks that none of writeEverything's writes exist.
func requireNothingWritten(e *env, what string) {
	e.Helper()
	_, err := e.getParticipant(fullOrg, "p-c-tx")
	assert.ErrorIs(e, err, coaching.ErrNotFound, "%s: the participant must not exist", what)
	_, err = e.getCase("c-tx")
	assert.ErrorIs(e, err, coaching.ErrNotFound, "%s: the case must not exist", what)
	assert.Empty(e, e.trail("c-tx", 0), "%s: the audit entry must not exist", what)
	assert.Empty(e, e.records("c-tx", coaching.RecordQuery{}), "%s: the records must not exist", what)
	_, err = e.getCommand("c-tx", "k-1")
	assert.ErrorIs(e, err, coaching.ErrNotFound, "%s: the command record must not exist", what)
	_, err = e.store.Notice(e.ctx, "n-tx")
	assert.ErrorIs(e, err, coaching.ErrNotFound, "%s: the notice must not exist", what)
	assert.Empty(e, e.notices(coaching.NoticeQuery{}), "%s: the outbox must be empty", what)
	assert.Empty(e, e.dueTimers(at(365*day), 100), "%s: the timer must not exist", what)
	assert.Empty(e, e.cases(coaching.CaseQuery{}), "%s: Cases must be empty", what)
	assert.Empty(e, e.claim(at(365*day), 100, hour), "%s: nothing may be claimable", what)
}

func testRollbackEverything(e *env) {
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
		if err := writeEverything(e, tx); err != nil {
			return err
		}
		return errSentinel
	})
	require.ErrorIs(e, err, errSentinel, "Update must return fn's error")
	requireNothingWritten(e, "after an Update whose fn returned an error")

	// The same writes then commit cleanly: the failed attempt left nothing
	// behind that makes them duplicates.
	e.update(func(tx coaching.Tx) error { return writeEverything(e, tx) })
	e.mustCase("c-tx")
}

func testRollbackEarlierWrites(e *env) {
	c := e.seed("c-1")[0]
	e.appendAudit(auditEntry("c-1", 1))

	// The engine's commit order: command, case, audit, timers, notices. A
	// conflicting UpdateCase in the middle must undo the command before it.
	stale := nextVersion(c, "skills", at(day))
	stale.Version = 6
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
		if err := tx.PutCommand(e.ctx, command("c-1", "k-1", 2)); err != nil {
			return err
		}
		if err := tx.PutTimer(e.ctx, timer("t-1", "c-1", at(0))); err != nil {
			return err
		}
		if _, err := tx.Enqueue(e.ctx, notice("n-1", "c-1", "transition", at(0))); err != nil {
			return err
		}
		if err := tx.AppendAudit(e.ctx, auditEntry("c-1", 2)); err != nil {
			return err
		}
		return tx.UpdateCase(e.ctx, stale, 5)
	})
	requireConflict(e, err, "UpdateCase with a wrong expected version")

	_, err = e.getCommand("c-1", "k-1")
	assert.ErrorIs(e, err, coaching.ErrNotFound, "the command record written before the conflict must be rolled back")
	assert.Empty(e, e.dueTimers(at(day), 10), "the timer written before the conflict must be rolled back")
	_, err = e.store.Notice(e.ctx, "n-1")
	assert.ErrorIs(e, err, coaching.ErrNotFound, "the notice written before the conflict must be rolled back")
	assert.Len(e, e.trail("c-1", 0), 1, "the audit entry written before the conflict must be rolled back")
	assert.Equal(e, NormalizeCase(c), NormalizeCase(e.mustCase("c-1")), "the case must be unchanged")
}

type markedError struct{ code int }

func (m *markedError) Error() string { return "storetest: marked error" }

func testFnErrorUnchanged(e *env) {
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error { return errSentinel })
	assert.True(e, err == errSentinel, "Update returned %#v, want fn's error itself", err) //nolint:errorlint // "unchanged" means the same value

	// A typed error, after a write, keeps its identity and its fields.
	marked := &markedError{code: 42}
	err = e.store.Update(e.ctx, func(tx coaching.Tx) error {
		if err := tx.InsertParticipant(e.ctx, minimalParticipant("p-1")); err != nil {
			return err
		}
		return marked
	})
	var got *markedError
	if assert.ErrorAs(e, err, &got, "Update must return fn's error") {
		assert.Same(e, marked, got, "Update must return fn's error unchanged")
		assert.Equal(e, 42, got.code)
	}

	// A store error that fn passes through keeps its type: the engine
	// relies on errors.As(err, *ConflictError) after Update.
	e.insertParticipant(minimalParticipant("p-2"))
	var dup error
	err = e.store.Update(e.ctx, func(tx coaching.Tx) error {
		dup = tx.InsertParticipant(e.ctx, minimalParticipant("p-2"))
		return dup
	})
	requireDuplicate(e, err, "the DuplicateError fn returned")
	assert.True(e, err == dup, "Update returned %v, want fn's error (%v) unchanged", err, dup) //nolint:errorlint

	// View reports fn's error too (the port does not say "unchanged" for
	// View, so only errors.Is is required).
	err = e.store.View(e.ctx, func(tx coaching.ReadTx) error { return errSentinel })
	assert.ErrorIs(e, err, errSentinel, "View must report fn's error")
}

func testReadOwnWrites(e *env) {
	e.update(func(tx coaching.Tx) error {
		ctx := e.ctx
		p := fullParticipant("p-c-1")
		require.NoError(e, tx.InsertParticipant(ctx, p))
		gotP, err := tx.Participant(ctx, p.Organisation, p.ID)
		require.NoError(e, err, "a participant inserted in this transaction must be readable in it")
		assert.Equal(e, NormalizeParticipant(p), NormalizeParticipant(gotP))

		p.FamilyName = "Virtanen"
		require.NoError(e, tx.UpdateParticipant(ctx, p))
		gotP, err = tx.Participant(ctx, p.Organisation, p.ID)
		require.NoError(e, err)
		assert.Equal(e, "Virtanen", gotP.FamilyName, "an update made in this transaction must be visible in it")

		c := fullCase("c-1")
		require.NoError(e, tx.InsertCase(ctx, c))
		gotC, err := tx.Case(ctx, c.ID)
		require.NoError(e, err, "a case inserted in this transaction must be readable in it")
		assert.Equal(e, NormalizeCase(c), NormalizeCase(gotC))

		c2 := nextVersion(c, "skills", at(day))
		require.NoError(e, tx.UpdateCase(ctx, c2, 1), "UpdateCase must see the version inserted in this transaction")
		gotC, err = tx.Case(ctx, c.ID)
		require.NoError(e, err)
		assert.Equal(e, NormalizeCase(c2), NormalizeCase(gotC), "an UpdateCase made in this transaction must be visible in it")
		requireConflict(e, tx.UpdateCase(ctx, nextVersion(c, "x", at(day)), 1), "UpdateCase with the version this transaction already replaced")

		require.NoError(e, tx.AppendAudit(ctx, auditEntry(c.ID, 1)))
		require.NoError(e, tx.AppendAudit(ctx, auditEntry(c.ID, 2)), "AppendAudit must see the entry appended in this transaction")
		trail, err := tx.AuditTrail(ctx, c.ID, 0)
		require.NoError(e, err)
		assert.Equal(e, []int64{1, 2}, seqs(trail), "audit entries appended in this transaction must be visible in it")

		require.NoError(e, tx.PutCommand(ctx, command(c.ID, "k", 2)))
		gotR, err := tx.Command(ctx, c.ID, "k")
		require.NoError(e, err, "a command recorded in this transaction must be readable in it")
		assert.Equal(e, NormalizeCommand(command(c.ID, "k", 2)), NormalizeCommand(gotR))
		requireDuplicate(e, tx.PutCommand(ctx, command(c.ID, "k", 3)), "PutCommand of a key recorded in this transaction")

		inserted, err := tx.Enqueue(ctx, notice("n-1", c.ID, "transition", at(0)))
		require.NoError(e, err)
		assert.True(e, inserted)
		inserted, err = tx.Enqueue(ctx, notice("n-1", c.ID, "transition", at(0)))
		require.NoError(e, err)
		assert.False(e, inserted, "Enqueue must see the notice enqueued in this transaction")

		require.NoError(e, tx.PutTimer(ctx, timer("t-1", c.ID, at(0))))
		require.NoError(e, tx.DeleteTimer(ctx, "t-1"), "DeleteTimer must see the timer put in this transaction")
		requireNotFound(e, tx.DeleteTimer(ctx, "t-1"), "timer", "", "DeleteTimer of a timer deleted in this transaction")
		return nil
	})
	// And all of it committed.
	assert.Equal(e, int64(2), e.mustCase("c-1").Version)
	assert.Equal(e, "Virtanen", e.mustParticipant(fullOrg, "p-c-1").FamilyName)
	assert.Equal(e, []int64{1, 2}, seqs(e.trail("c-1", 0)))
	assert.Equal(e, coaching.NoticePending, e.mustNotice("n-1").Status)
	assert.Empty(e, e.dueTimers(at(day), 10), "the timer deleted in the transaction must stay deleted")
}

func testCommitVisible(e *env) {
	e.update(func(tx coaching.Tx) error { return writeEverything(e, tx) })

	p := e.mustParticipant(fullOrg, "p-c-tx")
	assert.Equal(e, NormalizeParticipant(fullParticipant("p-c-tx")), NormalizeParticipant(p))
	c := e.mustCase("c-tx")
	assert.Equal(e, NormalizeCase(fullCase("c-tx")), NormalizeCase(c))
	assert.Equal(e, normalizeAll([]coaching.AuditEntry{auditEntry("c-tx", 1)}, NormalizeAuditEntry), normalizeAll(e.trail("c-tx", 0), NormalizeAuditEntry))
	r, err := e.getCommand("c-tx", "k-1")
	require.NoError(e, err)
	assert.Equal(e, NormalizeCommand(command("c-tx", "k-1", 1)), NormalizeCommand(r))
	assert.Equal(e, NormalizeNotice(notice("n-tx", "c-tx", "transition", at(0))), NormalizeNotice(e.mustNotice("n-tx")))
	assert.Equal(e, []coaching.Timer{NormalizeTimer(timer("t-tx", "c-tx", at(0)))}, normalizeAll(e.dueTimers(at(0), 10), NormalizeTimer))
	assert.Equal(e, []coaching.CaseID{"c-tx"}, caseIDs(e.cases(coaching.CaseQuery{})))
}

func testCancelledBeforeUpdate(e *env) {
	ctx := cancelled(e.ctx)
	err := e.store.Update(ctx, func(tx coaching.Tx) error { return writeEverything(e, tx) })
	require.Error(e, err, "Update with a cancelled context must fail")
	requireNothingWritten(e, "after an Update with a cancelled context")
}

func testCancelledDuringUpdate(e *env) {
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	err := e.store.Update(ctx, func(tx coaching.Tx) error {
		if err := writeEverything(e, tx); err != nil {
			return err
		}
		cancel()
		// fn itself does not notice the cancellation: the store must, at
		// the latest when it commits (database/sql refuses to commit a
		// transaction whose context is done).
		return nil
	})
	require.Error(e, err, "Update whose context was cancelled while fn ran must fail")
	requireNothingWritten(e, "after an Update whose context was cancelled while fn ran")
}

func testReadsReturnCopies(e *env) {
	e.insertParticipant(fullParticipant("p-1"))
	e.insertCase(fullCase("c-1"))
	e.appendAudit(auditEntry("c-1", 1))
	e.enqueue(notice("n-1", "c-1", "transition", at(0)))

	wantP := NormalizeParticipant(fullParticipant("p-1"))
	wantC := NormalizeCase(fullCase("c-1"))
	wantA := normalizeAll([]coaching.AuditEntry{auditEntry("c-1", 1)}, NormalizeAuditEntry)
	wantN := NormalizeNotice(notice("n-1", "c-1", "transition", at(0)))

	mutateP := func(p coaching.Participant) {
		p.Guardians[0].Name = "MUTATED"
		p.Guardians = append(p.Guardians[:1], coaching.Guardian{ID: "x"})
		p.ExternalIDs["sis"] = "MUTATED"
		p.ExternalIDs["new"] = "MUTATED"
		*p.Background.UnemployedMonths = 99
		*p.Background.Disability = true
	}
	// The slices inside a Case or an AuditEntry (History, Team, Records,
	// Roles, Payload) may be shared with the store and are read-only by
	// contract (coaching.ReadTx), so only the values' own fields and the
	// returned slices of entries are changed here.
	mutateC := func(c coaching.Case) {
		c.State = "MUTATED"
		c.Version = 999
		c.History = append(c.History, coaching.PhaseEntry{State: "MUTATED"})
		c.Team = nil
	}
	mutateA := func(a []coaching.AuditEntry) {
		a[0].Reason = "MUTATED"
		a[0].Seq = 999
		a[0].Roles = append(a[0].Roles, "MUTATED")
	}
	mutateN := func(n coaching.Notice) {
		n.Data["case_id"] = "MUTATED"
		n.Data["new"] = "MUTATED"
	}

	// Values read in a View ...
	e.view(func(tx coaching.ReadTx) error {
		p, err := tx.Participant(e.ctx, fullOrg, "p-1")
		require.NoError(e, err)
		mutateP(p)
		c, err := tx.Case(e.ctx, "c-1")
		require.NoError(e, err)
		mutateC(c)
		a, err := tx.AuditTrail(e.ctx, "c-1", 0)
		require.NoError(e, err)
		require.Len(e, a, 1)
		mutateA(a)
		// ... and read again in the same View.
		p, err = tx.Participant(e.ctx, fullOrg, "p-1")
		require.NoError(e, err)
		assert.Equal(e, wantP, NormalizeParticipant(p), "participant read again in the same View after changing the returned copy")
		c, err = tx.Case(e.ctx, "c-1")
		require.NoError(e, err)
		assert.Equal(e, wantC, NormalizeCase(c), "case read again in the same View after changing the returned copy")
		return nil
	})
	// Values read in an Update that writes nothing.
	e.update(func(tx coaching.Tx) error {
		p, err := tx.Participant(e.ctx, fullOrg, "p-1")
		require.NoError(e, err)
		mutateP(p)
		c, err := tx.Case(e.ctx, "c-1")
		require.NoError(e, err)
		mutateC(c)
		a, err := tx.AuditTrail(e.ctx, "c-1", 0)
		require.NoError(e, err)
		require.Len(e, a, 1)
		mutateA(a)
		return nil
	})
	// Values from the other read paths.
	for c, err := range e.store.Cases(e.ctx, coaching.CaseQuery{}) {
		require.NoError(e, err)
		mutateC(c)
	}
	n, err := e.store.Notice(e.ctx, "n-1")
	require.NoError(e, err)
	mutateN(n)
	ns := e.notices(coaching.NoticeQuery{})
	require.Len(e, ns, 1)
	mutateN(ns[0])

	assert.Equal(e, wantP, NormalizeParticipant(e.mustParticipant(fullOrg, "p-1")), "the stored participant changed when a returned copy was changed")
	assert.Equal(e, wantC, NormalizeCase(e.mustCase("c-1")), "the stored case changed when a returned copy was changed")
	assert.Equal(e, wantA, normalizeAll(e.trail("c-1", 0), NormalizeAuditEntry), "the stored audit trail changed when a returned copy was changed")
	assert.Equal(e, wantN, NormalizeNotice(e.mustNotice("n-1")), "the stored notice changed when a returned copy was changed")

	// Claimed notices are copies too.
	claimed := e.claim(at(0), 10, hour)
	require.Len(e, claimed, 1)
	mutateN(claimed[0])
	got := e.mustNotice("n-1")
	assert.Equal(e, wantN.Data, got.Data, "the stored notice changed when a claimed copy was changed")
}

func testWritesKeepNoReference(e *env) {
	// Writes keep no reference to the caller's participant or notice, and
	// a later change to a written Case's or AuditEntry's own fields does not
	// reach the store.
	p := fullParticipant("p-1")
	c := fullCase("c-1")
	a := auditEntry("c-1", 1)
	n := notice("n-1", "c-1", "transition", at(0))
	wantP, wantC, wantA, wantN := NormalizeParticipant(p), NormalizeCase(c), NormalizeAuditEntry(a), NormalizeNotice(n)

	e.update(func(tx coaching.Tx) error {
		if err := tx.InsertParticipant(e.ctx, p); err != nil {
			return err
		}
		if err := tx.InsertParticipant(e.ctx, minimalParticipant(c.ParticipantID)); err != nil {
			return err
		}
		if err := tx.InsertCase(e.ctx, c); err != nil {
			return err
		}
		if err := tx.AppendAudit(e.ctx, a); err != nil {
			return err
		}
		_, err := tx.Enqueue(e.ctx, n)
		return err
	})
	// Tx write methods may keep the slices of a Case or an AuditEntry (the
	// caller must not modify them afterwards), so only participants',
	// notices' and the values' own fields are changed here.
	p.Guardians[0].Name = "MUTATED"
	p.ExternalIDs["sis"] = "MUTATED"
	*p.Background.UnemployedMonths = 99
	c.State = "MUTATED"
	a.Reason = "MUTATED"
	n.Data["case_id"] = "MUTATED"

	assert.Equal(e, wantP, NormalizeParticipant(e.mustParticipant(fullOrg, "p-1")), "the stored participant changed when the written value was changed")
	assert.Equal(e, wantC, NormalizeCase(e.mustCase("c-1")), "the stored case changed when the written value was changed")
	assert.Equal(e, []coaching.AuditEntry{wantA}, normalizeAll(e.trail("c-1", 0), NormalizeAuditEntry), "the stored audit entry changed when the written value was changed")
	assert.Equal(e, wantN, NormalizeNotice(e.mustNotice("n-1")), "the stored notice changed when the written value was changed")
}

func seqs(es []coaching.AuditEntry) []int64 {
	out := make([]int64, len(es))
	for i, a := range es {
		out[i] = a.Seq
	}
	return out
}
