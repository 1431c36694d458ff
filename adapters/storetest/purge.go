package storetest

import (
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/session"
)

func purgeCases() []testCase {
	return []testCase{
		{
			name: "RemovesWhatTheCaseHolds",
			rule: "Tx.PurgeCase deletes every version of every document of the case, its notices (whatever their status), its idempotency records and its timers, and clears Reason and Payload of its audit entries; other cases are untouched",
			run:  testPurgeRemoves,
		},
		{
			name: "KeepsTheFacts",
			rule: "Tx.PurgeCase keeps the case row, its participant, its attendance marks, its sessions, the access log, and the audit entries' Seq, time, kind, actor, roles, event, states and idempotency key; the trail goes on from the same Seq",
			run:  testPurgeKeeps,
		},
		{
			name: "UnknownCase",
			rule: "Tx.PurgeCase returns a *NotFoundError (kind \"case\") for an unknown case, and the transaction stays usable",
			run:  testPurgeUnknown,
		},
		{
			name: "RolledBack",
			rule: "Store.Update: a PurgeCase in a transaction whose fn returns an error is rolled back with it; the transaction itself sees the purge",
			run:  testPurgeRollback,
		},
	}
}

// purgeFixture gives cases c-1 (to be purged) and c-2 one record of every
// kind, and notices of every status; n-digest is about no case.
func purgeFixture(e *env) {
	e.Helper()
	e.seed("c-1", "c-2")
	e.appendAudit(auditEntry("c-1", 1), auditEntry("c-1", 2), auditEntry("c-2", 1), auditEntry("c-1", 3), auditEntry("c-2", 2))
	e.update(func(tx coaching.Tx) error {
		for _, d := range []coaching.Document{document("c-1", "hoks", 1), document("c-1", "hoks", 2), document("c-1", "tuva", 1), document("c-2", "hoks", 1)} {
			if err := tx.PutDocument(e.ctx, d); err != nil {
				return err
			}
		}
		for _, c := range []coaching.CommandRecord{command("c-1", "k-1", 1), command("c-1", "k-2", 2), command("c-2", "k-1", 1)} {
			if err := tx.PutCommand(e.ctx, c); err != nil {
				return err
			}
		}
		if st, ok := tx.(attendance.Store); ok { // a store that keeps attendance keeps it through a purge
			return st.PutMarks(e.ctx, []attendance.Mark{mark("c-1", 3, "1", attendance.Unexplained, 1), mark("c-2", 3, "1", attendance.Present, 1)})
		}
		return nil
	})
	e.update(func(tx coaching.Tx) error {
		if st, ok := tx.(attendance.Store); ok {
			if err := st.PutMarks(e.ctx, []attendance.Mark{mark("c-1", 3, "1", attendance.Explained, 2)}); err != nil {
				return err
			}
		}
		if st, ok := tx.(session.Store); ok { // a store that keeps sessions keeps them through a purge
			return st.PutSession(e.ctx, sampleSession("s-1", 4, "c-1", "c-2"))
		}
		return nil
	})
	e.putTimer(timer("phase_deadline:c-1:1", "c-1", at(5*day)), timer("t-c1", "c-1", at(-day)), timer("t-c2", "c-2", at(6*day)))
	e.appendAccess(accessEntry("a-curator", "c-1", at(hour)))

	far := at(20 * day)
	e.enqueue(
		notice("n-c1-pending", "c-1", "transition", far),
		notice("n-c1-claimed", "c-1", "transition", at(hour)),
		notice("n-c1-sent", "c-1", "transition", at(hour)),
		notice("n-c1-dead", "c-1", "transition", at(hour)),
		notice("n-c1-cancelled", "c-1", "absence", far),
		notice("n-c2-sent", "c-2", "transition", at(hour)),
		notice("n-c2-pending", "c-2", "transition", far),
		notice("n-digest", "", "digest", far),
	)
	cancel := notice("n-c1-cancelled", "c-1", "absence", far)
	cancel.Status = coaching.NoticeCancelled
	e.update(func(tx coaching.Tx) error {
		ok, err := tx.UpdateNotice(e.ctx, cancel)
		require.NoError(e, err)
		require.True(e, ok, "cancelling a pending notice")
		return nil
	})
	claimed := e.claim(at(2*hour), 10, 30*day)
	require.ElementsMatch(e, []string{"n-c1-claimed", "n-c1-sent", "n-c1-dead", "n-c2-sent"}, noticeIDs(claimed))
	e.complete("n-c1-sent", 1, coaching.NoticeResult{Status: coaching.NoticeSent, At: at(2*hour + time.Second)})
	e.complete("n-c1-dead", 1, coaching.NoticeResult{Status: coaching.NoticeDead, At: at(2*hour + time.Second), Error: "550"})
	e.complete("n-c2-sent", 1, coaching.NoticeResult{Status: coaching.NoticeSent, At: at(2*hour + time.Second)})
}

var c1Notices = []string{"n-c1-pending", "n-c1-claimed", "n-c1-sent", "n-c1-dead", "n-c1-cancelled"}

func (e *env) purge(id coaching.CaseID) {
	e.Helper()
	e.update(func(tx coaching.Tx) error { return tx.PurgeCase(e.ctx, id) })
}

func testPurgeRemoves(e *env) {
	purgeFixture(e)
	others := map[string]coaching.Notice{}
	for _, id := range []string{"n-c2-sent", "n-c2-pending", "n-digest"} {
		others[id] = e.mustNotice(id)
	}
	c2Trail := e.trail("c-2", 0)

	e.purge("c-1")

	e.view(func(tx coaching.ReadTx) error {
		for _, kind := range []string{"hoks", "tuva"} {
			ds, err := tx.Documents(e.ctx, "c-1", kind)
			require.NoError(e, err)
			assert.Empty(e, ds, "every version of the case's %s document is deleted", kind)
			_, err = tx.Document(e.ctx, "c-1", kind, 0)
			requireNotFound(e, err, "document", "", "the latest "+kind+" of a purged case")
			_, err = tx.Document(e.ctx, "c-1", kind, 1)
			requireNotFound(e, err, "document", "", "version 1 of "+kind+" of a purged case")
		}
		ds, err := tx.Documents(e.ctx, "c-2", "hoks")
		require.NoError(e, err)
		if assert.Len(e, ds, 1, "another case's documents stay") {
			assert.Equal(e, NormalizeDocument(document("c-2", "hoks", 1)), NormalizeDocument(ds[0]))
		}
		for _, id := range c1Notices {
			_, err := tx.Notice(e.ctx, id)
			requireNotFound(e, err, "notice", id, "ReadTx.Notice of a purged case's notice")
		}
		return nil
	})
	for _, id := range c1Notices {
		_, err := e.store.Notice(e.ctx, id)
		requireNotFound(e, err, "notice", id, "Outbox.Notice of a purged case's notice")
	}
	assert.Empty(e, e.notices(coaching.NoticeQuery{CaseID: "c-1"}), "no notice of the purged case is listed")
	for id, want := range others {
		assert.Equal(e, NormalizeNotice(want), NormalizeNotice(e.mustNotice(id)), "notice %s of another case (or of none) stays as it was", id)
	}
	assert.ElementsMatch(e, []string{"n-c2-sent", "n-c2-pending", "n-digest"}, noticeIDs(e.notices(coaching.NoticeQuery{})))

	for _, key := range []string{"k-1", "k-2"} {
		_, err := e.getCommand("c-1", key)
		requireNotFound(e, err, "command", "", "a purged case's command "+key)
	}
	r, err := e.getCommand("c-2", "k-1")
	require.NoError(e, err, "another case's command stays")
	assert.Equal(e, NormalizeCommand(command("c-2", "k-1", 1)), NormalizeCommand(r))

	assert.Equal(e, []string{"t-c2"}, timerKeys(e.dueTimers(at(100*day), 10)), "the purged case's timers are deleted, another case's stay")

	want := []coaching.AuditEntry{auditEntry("c-1", 1), auditEntry("c-1", 2), auditEntry("c-1", 3)}
	for i := range want {
		want[i].Reason, want[i].Payload = "", nil
	}
	got := e.trail("c-1", 0)
	assert.Equal(e, normalizeAll(want, NormalizeAuditEntry), normalizeAll(got, NormalizeAuditEntry), "the audit entries with Reason and Payload cleared")
	for _, a := range got {
		assert.Empty(e, a.Reason, "Reason of entry %d", a.Seq)
		assert.Empty(e, a.Payload, "Payload of entry %d", a.Seq)
	}
	assert.Equal(e, normalizeAll(c2Trail, NormalizeAuditEntry), normalizeAll(e.trail("c-2", 0), NormalizeAuditEntry), "another case's audit trail stays")

	// Purging again finds nothing more to remove; the case still exists.
	e.purge("c-1")
	assert.Len(e, e.trail("c-1", 0), 3)

	// Only the claimable notices of the other case and the digest remain.
	assert.ElementsMatch(e, []string{"n-c2-pending", "n-digest"}, noticeIDs(e.claim(at(40*day), 10, hour)),
		"the purged case's claimed notice is not claimed again when its lease ends")
}

func testPurgeKeeps(e *env) {
	purgeFixture(e)
	c := e.mustCase("c-1")
	p := e.mustParticipant("org-a", "p-c-1")
	access := e.accessLog(coaching.AccessQuery{})

	// The engine purges and records the erasure in one transaction.
	erased := auditEntry("c-1", 4)
	erased.Kind, erased.Event, erased.From, erased.To = coaching.AuditErased, "", "", ""
	erased.Reason = "tietosuojapyyntö"
	e.update(func(tx coaching.Tx) error {
		if err := tx.PurgeCase(e.ctx, "c-1"); err != nil {
			return err
		}
		return tx.AppendAudit(e.ctx, erased)
	})

	assert.Equal(e, NormalizeCase(c), NormalizeCase(e.mustCase("c-1")), "the case row stays as it was")
	assert.Equal(e, NormalizeParticipant(p), NormalizeParticipant(e.mustParticipant("org-a", "p-c-1")), "the participant stays (erasing it is the engine's business)")
	got := e.trail("c-1", 0)
	assert.Equal(e, []int64{1, 2, 3, 4}, seqs(got), "the trail keeps its entries and goes on from the same Seq")
	if assert.Len(e, got, 4) {
		want := auditEntry("c-1", 2)
		want.Reason, want.Payload = "", nil
		assert.Equal(e, NormalizeAuditEntry(want), NormalizeAuditEntry(got[1]), "everything but Reason and Payload stays")
		assert.Equal(e, NormalizeAuditEntry(erased), NormalizeAuditEntry(got[3]), "an entry appended after the purge keeps its reason")
	}
	e.view(func(tx coaching.ReadTx) error {
		if rd, ok := tx.(attendance.Reader); ok {
			marks, err := rd.Marks(e.ctx, "c-1", coaching.Date{}, coaching.Date{})
			require.NoError(e, err)
			if assert.Len(e, marks, 1, "attendance marks stay") {
				assert.Equal(e, NormalizeMark(mark("c-1", 3, "1", attendance.Explained, 2)), NormalizeMark(marks[0]))
			}
			h, err := rd.MarkHistory(e.ctx, "c-1", attendance.MarkKey{Date: coaching.NewDate(2025, 3, 3), Lesson: "1"})
			require.NoError(e, err)
			assert.Len(e, h, 2, "every revision of a mark stays")
		}
		if rd, ok := tx.(session.Reader); ok {
			ss, err := rd.Sessions(e.ctx, session.Query{CaseID: "c-1"})
			require.NoError(e, err)
			if assert.Len(e, ss, 1, "sessions stay") {
				assert.Equal(e, "s-1", ss[0].ID)
			}
		}
		return nil
	})
	assert.Equal(e, withoutSeq(access), withoutSeq(e.accessLog(coaching.AccessQuery{})), "the access log stays")
	assert.Equal(e, accessSeqs(access), accessSeqs(e.accessLog(coaching.AccessQuery{})))

	// The case can take new records after the purge.
	e.update(func(tx coaching.Tx) error {
		if err := tx.PutDocument(e.ctx, document("c-1", "hoks", 1)); err != nil {
			return err
		}
		return tx.PutCommand(e.ctx, command("c-1", "k-1", 5))
	})
}

func testPurgeUnknown(e *env) {
	e.seed("c-1")
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.PurgeCase(e.ctx, "c-nope") })
	requireNotFound(e, err, "case", "c-nope", "PurgeCase of an unknown case")

	// The engine logs a refused or failed erasure in the same transaction.
	e.update(func(tx coaching.Tx) error {
		err := tx.PurgeCase(e.ctx, "c-nope")
		requireNotFound(e, err, "case", "c-nope", "PurgeCase of an unknown case inside Update")
		return tx.AppendAccess(e.ctx, accessEntry("a-head", "c-nope", at(hour)))
	})
	assert.Len(e, e.accessLog(coaching.AccessQuery{CaseID: "c-nope"}), 1, "the transaction was usable after the NotFoundError")
}

func testPurgeRollback(e *env) {
	purgeFixture(e)
	trail := e.trail("c-1", 0)
	notices := e.notices(coaching.NoticeQuery{})

	err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
		if err := tx.PurgeCase(e.ctx, "c-1"); err != nil {
			return err
		}
		ds, err := tx.Documents(e.ctx, "c-1", "hoks")
		require.NoError(e, err)
		assert.Empty(e, ds, "the transaction sees its own purge")
		_, err = tx.Notice(e.ctx, "n-c1-pending")
		requireNotFound(e, err, "notice", "n-c1-pending", "the transaction sees its own purge")
		own, err := tx.AuditTrail(e.ctx, "c-1", 0)
		require.NoError(e, err)
		for _, a := range own {
			assert.Empty(e, a.Reason, "the transaction sees its own purge")
		}
		return errMarked
	})
	require.ErrorIs(e, err, errMarked)

	e.view(func(tx coaching.ReadTx) error {
		ds, err := tx.Documents(e.ctx, "c-1", "hoks")
		require.NoError(e, err)
		assert.Len(e, ds, 2, "the documents are back")
		ds, err = tx.Documents(e.ctx, "c-1", "tuva")
		require.NoError(e, err)
		assert.Len(e, ds, 1, "the documents are back")
		return nil
	})
	assert.Equal(e, normalizeAll(notices, NormalizeNotice), normalizeAll(e.notices(coaching.NoticeQuery{}), NormalizeNotice), "the notices are back, as they were")
	_, err = e.getCommand("c-1", "k-2")
	require.NoError(e, err, "the commands are back")
	assert.Equal(e, []string{"t-c1", "phase_deadline:c-1:1", "t-c2"}, timerKeys(e.dueTimers(at(100*day), 10)), "the timers are back")
	assert.Equal(e, normalizeAll(trail, NormalizeAuditEntry), normalizeAll(e.trail("c-1", 0), NormalizeAuditEntry), "the audit reasons and payloads are back")

	// The rolled-back purge did not stop the dispatcher's state: the
	// claimed notice completes as before.
	e.complete("n-c1-claimed", 1, coaching.NoticeResult{Status: coaching.NoticeSent, At: at(3 * hour)})
}
