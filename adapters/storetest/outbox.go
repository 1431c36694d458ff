package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// Ordering. The port says ClaimNotices and Notices return notices "oldest
// first" without naming the field or a tie-break. The suite reads it as
// ascending NotBefore, and builds its notices so that CreatedAt runs in the
// same order as NotBefore: a store that orders by CreatedAt passes as well.
// For ClaimNotices, notices with equal NotBefore go by ascending ID (byte
// order), as the lead engineer specified; for Notices the suite leaves ties
// alone (insertion order would be just as "oldest first"). ClaimNotices must
// both pick the oldest notices and return them in that order (a SQL store
// whose UPDATE ... RETURNING comes back unordered sorts them before
// returning).
//
// Lease expiry. "Claimed with an expired lease" does not say whether a
// lease ending exactly at Now has expired; the suite never claims at that
// instant.
func outboxCases() []testCase {
	return append([]testCase{
		{
			name: "EnqueueRoundTrip",
			rule: "Tx.Enqueue adds a notice (inserted=true) that Outbox.Notice returns field for field",
			run:  testEnqueueRoundTrip,
		},
		{
			name: "EnqueueDuplicateID",
			rule: "Tx.Enqueue of an ID already in the outbox adds nothing, returns inserted=false and no error, and leaves the first notice as it is",
			run:  testEnqueueDuplicate,
		},
		{
			name: "ClaimOnlyDuePending",
			rule: "Outbox.ClaimNotices leases only notices that are pending with NotBefore <= Now (or claimed with an expired lease)",
			run:  testClaimOnlyDuePending,
		},
		{
			name: "ClaimOldestFirst",
			rule: "Outbox.ClaimNotices leases the oldest notices first (NotBefore, then ID) and returns them in that order",
			run:  testClaimOldestFirst,
		},
		{
			name: "ClaimRespectsLimit",
			rule: "Outbox.ClaimNotices leases at most p.Limit notices",
			run:  testClaimLimit,
		},
		{
			name: "ClaimSetsLease",
			rule: "a claimed notice has Status claimed, Attempts incremented and LeaseUntil = Now + Lease, in the result and in the store",
			run:  testClaimSetsLease,
		},
		{
			name: "LeaseHoldsThenExpires",
			rule: "a claimed notice is not claimed again while its lease holds, and is claimable again (Attempts 2) once it has expired",
			run:  testLeaseExpiry,
		},
		{
			name: "CompleteSent",
			rule: "Outbox.CompleteNotice with the claim's attempt and Status sent marks the notice sent at r.At; it is never claimed again",
			run:  testCompleteSent,
		},
		{
			name: "CompleteStaleAttempt",
			rule: "Outbox.CompleteNotice returns a *ConflictError when attempt is not the notice's Attempts, and changes nothing",
			run:  testCompleteStale,
		},
		{
			name: "CompleteRetry",
			rule: "Outbox.CompleteNotice with Status pending makes the notice pending again with NotBefore = RetryAt and LastError = r.Error; it is not claimable before RetryAt",
			run:  testCompleteRetry,
		},
		{
			name: "CompleteDead",
			rule: "Outbox.CompleteNotice with Status dead marks the notice dead (LastError = r.Error); it is never claimed again",
			run:  testCompleteDead,
		},
		{
			name: "CompleteUnknown",
			rule: "Outbox.CompleteNotice of an unknown notice returns a *NotFoundError (matching ErrNotFound)",
			run:  testCompleteUnknown,
		},
		{
			name: "NoticeUnknown",
			rule: "Outbox.Notice returns a *NotFoundError (matching ErrNotFound) for an unknown id",
			run: func(e *env) {
				_, err := e.store.Notice(e.ctx, "n-none")
				requireNotFound(e, err, "notice", "n-none", "reading an unknown notice")
			},
		},
		{
			name: "CompleteBatch",
			rule: "NoticeCompleter.CompleteNotices records each completion as CompleteNotice would (sent, retry, dead) and answers each with its own error: nil, a *ConflictError for a stale or unclaimed attempt (changing nothing), a *NotFoundError for an unknown id",
			run:  testCompleteBatch,
		},
		{
			name: "CompleteBatchAllOrNothing",
			rule: "NoticeCompleter.CompleteNotices with an id twice or a cancelled context fails as a whole and records none of the batch; an empty batch does nothing",
			run:  testCompleteBatchAllOrNothing,
		},
		{
			name: "DispatcherExactlyOnce",
			rule: "dispatchers sharing the store (4 dispatchers, 4 concurrent sends each, claims of 7) send every notice exactly once, attempt 1, and record it sent",
			run:  testDispatcherExactlyOnce,
		},
		{
			name: "DispatcherRetriesAndDeadLetters",
			rule: "the Dispatcher over the store retries a transient failure at Now + backoff, marks a permanent failure dead at once and a notice dead after MaxAttempts, calls OnDead once for each, and sends a sent notice never again",
			run:  testDispatcherRetries,
		},
		{
			name: "DispatcherCrashTakeover",
			rule: "the notices a crashed dispatcher holds are not claimed again while its leases hold; once they expire another dispatcher takes them over (attempt 2) and sends each once, and the crashed dispatcher's late outcomes are refused and change nothing",
			run:  testDispatcherCrashTakeover,
		},
		{
			name: "NoticesQuery",
			rule: "Outbox.Notices lists the notices matching q (NoticeQuery.Match: case, kind, status; Limit caps, 0 = no cap), oldest first",
			run:  testNoticesQuery,
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
		{
			name: "NoticesInTransaction",
			rule: "ReadTx.Notices lists what Outbox.Notices lists, as the transaction sees it: in a View the committed notices, in an Update the notices it enqueued as well, which are gone once it rolls back",
			run:  testNoticesInTx,
		},
	}, outboxHealthCases()...)
}

const lease = 2*time.Minute + 1500*time.Microsecond

func testEnqueueRoundTrip(e *env) {
	e.seed("c-1")
	n := notice("n-1", "c-1", coaching.NoticeKindTransition, at(hour))
	var inserted bool
	e.update(func(tx coaching.Tx) error {
		var err error
		inserted, err = tx.Enqueue(e.ctx, n)
		return err
	})
	assert.True(e, inserted, "Enqueue of a new notice returns inserted=true")
	assert.Equal(e, NormalizeNotice(n), NormalizeNotice(e.mustNotice("n-1")))

	// A notice without a case and without data (both optional).
	bare := notice("n-bare", "", "digest", at(hour))
	bare.Data = nil
	e.enqueue(bare)
	assert.Equal(e, NormalizeNotice(bare), NormalizeNotice(e.mustNotice("n-bare")))
}

func testEnqueueDuplicate(e *env) {
	e.seed("c-1")
	first := notice("n-1", "c-1", coaching.NoticeKindTransition, at(hour))
	e.enqueue(first)

	again := notice("n-1", "c-1", coaching.NoticeKindPhaseOverdue, at(2*hour))
	again.Subject, again.Body = "another subject", "another body"
	again.Data = map[string]string{"other": "x"}
	enqueueAgain := func(what string) {
		e.Helper()
		var inserted bool
		e.update(func(tx coaching.Tx) error {
			var err error
			inserted, err = tx.Enqueue(e.ctx, again)
			return err
		})
		assert.False(e, inserted, "%s: Enqueue of an existing ID returns inserted=false", what)
	}
	enqueueAgain("a pending notice")
	assert.Equal(e, NormalizeNotice(first), NormalizeNotice(e.mustNotice("n-1")), "the first notice must be kept as it was")
	assert.Len(e, e.notices(coaching.NoticeQuery{}), 1, "the outbox must hold one notice")

	// Once the notice is sent, the same ID is still "in the outbox": the
	// engine relies on this to not send a notice twice.
	claimed := e.claim(at(hour), 10, lease)
	require.Len(e, claimed, 1)
	e.complete("n-1", 1, coaching.NoticeResult{Status: coaching.NoticeSent, At: at(hour + time.Second)})
	enqueueAgain("a sent notice")
	got := e.mustNotice("n-1")
	assert.Equal(e, coaching.NoticeSent, got.Status, "re-enqueueing a sent notice must not make it pending again")
	assert.Equal(e, first.Subject, got.Subject)
	assert.Empty(e, e.claim(at(10*day), 10, lease), "re-enqueueing a sent notice must not make it claimable")
}

func testClaimOnlyDuePending(e *env) {
	e.seed("c-1")
	now := at(10 * hour)

	// One notice is under a live lease: claimed at now-10m for an hour.
	e.enqueue(notice("n-leased", "c-1", "k", now.Add(-5*hour)))
	require.Len(e, e.claim(now.Add(-10*time.Minute), 10, hour), 1)

	sent := notice("n-sent", "c-1", "k", now.Add(-4*hour))
	sent.Status, sent.SentAt, sent.Attempts = coaching.NoticeSent, now.Add(-3*hour), 1
	dead := notice("n-dead", "c-1", "k", now.Add(-4*hour))
	dead.Status, dead.Attempts, dead.LastError = coaching.NoticeDead, 10, "550 no such user"
	cancelledN := notice("n-cancelled", "c-1", "k", now.Add(-4*hour))
	cancelledN.Status = coaching.NoticeCancelled
	e.enqueue(
		notice("n-due", "c-1", "k", now.Add(-hour)),
		notice("n-boundary", "c-1", "k", now), // NotBefore == Now is due ("≤")
		notice("n-future", "c-1", "k", now.Add(time.Microsecond)),
		sent, dead, cancelledN,
	)

	got := e.claim(now, 100, day) // leased for a day: not claimable again below
	assert.Equal(e, []string{"n-due", "n-boundary"}, noticeIDs(got), "claimable at Now: pending with NotBefore <= Now, and nothing else")

	for _, want := range []coaching.Notice{sent, dead, cancelledN} {
		assert.Equal(e, NormalizeNotice(want), NormalizeNotice(e.mustNotice(want.ID)), "a %s notice must not be claimed or changed", want.Status)
	}
	future := e.mustNotice("n-future")
	assert.Equal(e, coaching.NoticePending, future.Status, "a notice not yet due must stay pending")
	assert.Zero(e, future.Attempts)
	leased := e.mustNotice("n-leased")
	assert.Equal(e, 1, leased.Attempts, "a notice under a live lease must not be claimed again")
	assert.True(e, leased.LeaseUntil.Equal(now.Add(-10*time.Minute+hour)), "the live lease must be unchanged")

	// Later, the future one is due and the lease has expired.
	got = e.claim(now.Add(2*hour), 100, lease)
	assert.ElementsMatch(e, []string{"n-leased", "n-future"}, noticeIDs(got), "at Now+2h: the expired lease and the now-due notice")
}

func testClaimOldestFirst(e *env) {
	e.seed("c-1")
	now := at(10 * day)
	// IDs deliberately out of NotBefore order; n-e and n-d share NotBefore.
	e.enqueue(
		notice("n-a", "c-1", "k", at(3*hour)),
		notice("n-b", "c-1", "k", at(1*hour)),
		notice("n-e", "c-1", "k", at(0)),
		notice("n-c", "c-1", "k", at(2*hour+time.Microsecond)),
		notice("n-d", "c-1", "k", at(0)),
		notice("n-f", "c-1", "k", at(2*hour)),
	)
	got := e.claim(now, 3, lease)
	assert.Equal(e, []string{"n-d", "n-e", "n-b"}, noticeIDs(got), "the three oldest, oldest first (equal NotBefore: by ID)")
	got = e.claim(now, 10, lease)
	assert.Equal(e, []string{"n-f", "n-c", "n-a"}, noticeIDs(got), "the rest, oldest first")
}

func testClaimLimit(e *env) {
	e.seed("c-1")
	var ns []coaching.Notice
	for i := range 5 {
		ns = append(ns, notice(fmt.Sprintf("n-%d", i), "c-1", "k", at(time.Duration(i)*time.Minute)))
	}
	e.enqueue(ns...)
	now := at(day)
	assert.Equal(e, []string{"n-0", "n-1", "n-2"}, noticeIDs(e.claim(now, 3, lease)), "limit 3 of 5")
	assert.Equal(e, []string{"n-3"}, noticeIDs(e.claim(now, 1, lease)), "limit 1 of the remaining 2")
	assert.Equal(e, []string{"n-4"}, noticeIDs(e.claim(now, 10, lease)), "limit 10 of the remaining 1")
	assert.Empty(e, e.claim(now, 10, lease), "nothing left to claim")
}

func testClaimSetsLease(e *env) {
	e.seed("c-1")
	n := notice("n-1", "c-1", "k", at(0))
	e.enqueue(n)
	now := at(hour + 17*time.Microsecond)

	got := e.claim(now, 10, lease)
	require.Len(e, got, 1)
	want := n
	want.Status, want.Attempts, want.LeaseUntil = coaching.NoticeClaimed, 1, now.Add(lease)
	assert.Equal(e, NormalizeNotice(want), NormalizeNotice(got[0]), "the claimed notice as ClaimNotices returns it")
	assert.True(e, got[0].LeaseUntil.Equal(now.Add(lease)), "LeaseUntil = Now + Lease to the microsecond, got %s", got[0].LeaseUntil)
	assert.Equal(e, NormalizeNotice(want), NormalizeNotice(e.mustNotice("n-1")), "the claimed notice as the store keeps it")
}

func testLeaseExpiry(e *env) {
	e.seed("c-1")
	e.enqueue(notice("n-1", "c-1", "k", at(0)))
	t1 := at(hour)
	require.Len(e, e.claim(t1, 10, time.Hour), 1)

	assert.Empty(e, e.claim(t1, 10, time.Hour), "claiming again at the same Now")
	assert.Empty(e, e.claim(t1.Add(59*time.Minute), 10, time.Hour), "claiming again before the lease expires")

	t2 := t1.Add(time.Hour + time.Second)
	got := e.claim(t2, 10, lease)
	require.Len(e, got, 1, "a notice whose lease has expired is claimable again")
	assert.Equal(e, coaching.NoticeClaimed, got[0].Status)
	assert.Equal(e, 2, got[0].Attempts, "the second claim is attempt 2")
	assert.True(e, got[0].LeaseUntil.Equal(t2.Add(lease)), "the new lease runs from the new claim, got %s", got[0].LeaseUntil)
	stored := e.mustNotice("n-1")
	assert.Equal(e, 2, stored.Attempts)
	assert.True(e, stored.LeaseUntil.Equal(t2.Add(lease)))

	assert.Empty(e, e.claim(t2.Add(time.Minute), 10, lease), "the new lease holds")
}

func testCompleteSent(e *env) {
	e.seed("c-1")
	n := notice("n-1", "c-1", "k", at(0))
	e.enqueue(n)
	require.Len(e, e.claim(at(hour), 10, lease), 1)

	// The port does not name the field NoticeResult.At goes to; for a sent
	// notice the only candidate is SentAt.
	sentAt := at(hour + 3*time.Second + 250*time.Microsecond)
	e.complete("n-1", 1, coaching.NoticeResult{Status: coaching.NoticeSent, At: sentAt})
	got := e.mustNotice("n-1")
	assert.Equal(e, coaching.NoticeSent, got.Status)
	assert.True(e, got.SentAt.Equal(sentAt), "SentAt = r.At, got %s", got.SentAt)
	assert.Equal(e, 1, got.Attempts, "completing does not count another attempt")
	assert.Equal(e, n.Subject, got.Subject)
	assert.Equal(e, n.Data, got.Data)

	assert.Empty(e, e.claim(at(100*day), 10, lease), "a sent notice is never claimed again")
	assert.Equal(e, []string{"n-1"}, noticeIDs(e.notices(coaching.NoticeQuery{Status: coaching.NoticeSent})))
}

func testCompleteStale(e *env) {
	e.seed("c-1")
	e.enqueue(notice("n-1", "c-1", "k", at(0)))
	require.Len(e, e.claim(at(hour), 10, time.Minute), 1)
	second := e.claim(at(2*hour), 10, lease) // the first lease expired
	require.Len(e, second, 1)
	require.Equal(e, 2, second[0].Attempts)
	before := e.mustNotice("n-1")

	err := e.store.CompleteNotice(e.ctx, "n-1", 1, coaching.NoticeResult{Status: coaching.NoticeSent, At: at(2*hour + time.Second)})
	requireConflict(e, err, "completing attempt 1 after attempt 2 was claimed")
	assert.Equal(e, NormalizeNotice(before), NormalizeNotice(e.mustNotice("n-1")), "a stale completion must not change the notice")

	err = e.store.CompleteNotice(e.ctx, "n-1", 3, coaching.NoticeResult{Status: coaching.NoticeDead, At: at(2*hour + time.Second), Error: "x"})
	requireConflict(e, err, "completing attempt 3 when attempt 2 is the latest claim")
	assert.Equal(e, NormalizeNotice(before), NormalizeNotice(e.mustNotice("n-1")), "a stale completion must not change the notice")

	e.complete("n-1", 2, coaching.NoticeResult{Status: coaching.NoticeSent, At: at(2*hour + time.Second)})
	assert.Equal(e, coaching.NoticeSent, e.mustNotice("n-1").Status, "the current attempt can complete")
}

func testCompleteRetry(e *env) {
	e.seed("c-1")
	e.enqueue(notice("n-1", "c-1", "k", at(0)))
	t1 := at(hour)
	require.Len(e, e.claim(t1, 10, time.Hour), 1)

	// RetryAt lies before the end of the old lease: a pending notice is
	// claimable at NotBefore whatever LeaseUntil says.
	retryAt := t1.Add(30*time.Minute + 42*time.Microsecond)
	e.complete("n-1", 1, coaching.NoticeResult{Status: coaching.NoticePending, At: t1.Add(time.Second), RetryAt: retryAt, Error: "451 try again later"})
	got := e.mustNotice("n-1")
	assert.Equal(e, coaching.NoticePending, got.Status)
	assert.True(e, got.NotBefore.Equal(retryAt), "NotBefore = RetryAt, got %s", got.NotBefore)
	assert.Equal(e, "451 try again later", got.LastError)
	assert.Equal(e, 1, got.Attempts)
	assert.True(e, got.SentAt.IsZero(), "a notice to retry has not been sent")

	assert.Empty(e, e.claim(retryAt.Add(-time.Second), 10, lease), "not claimable before RetryAt")
	again := e.claim(retryAt, 10, lease)
	require.Len(e, again, 1, "claimable at RetryAt")
	assert.Equal(e, 2, again[0].Attempts)
	assert.Equal(e, []string{"n-1"}, noticeIDs(e.notices(coaching.NoticeQuery{Status: coaching.NoticeClaimed})))
}

func testCompleteDead(e *env) {
	e.seed("c-1")
	e.enqueue(notice("n-1", "c-1", "k", at(0)), notice("n-2", "c-1", "k", at(time.Minute)))
	require.Len(e, e.claim(at(hour), 1, lease), 1)

	e.complete("n-1", 1, coaching.NoticeResult{Status: coaching.NoticeDead, At: at(hour + time.Second), Error: "550 mailbox unavailable"})
	got := e.mustNotice("n-1")
	assert.Equal(e, coaching.NoticeDead, got.Status)
	assert.Equal(e, "550 mailbox unavailable", got.LastError)
	assert.True(e, got.SentAt.IsZero(), "a dead notice was not sent")

	assert.Equal(e, []string{"n-2"}, noticeIDs(e.claim(at(100*day), 10, lease)), "a dead notice is never claimed again")
	// n-2's lease has long expired by then, so it comes back; n-1 does not.
	assert.Equal(e, []string{"n-2"}, noticeIDs(e.claim(at(1000*day), 10, lease)), "a dead notice is never claimed again")
	assert.Equal(e, []string{"n-1"}, noticeIDs(e.notices(coaching.NoticeQuery{Status: coaching.NoticeDead})))
}

func testCompleteUnknown(e *env) {
	err := e.store.CompleteNotice(e.ctx, "n-none", 1, coaching.NoticeResult{Status: coaching.NoticeSent, At: at(0)})
	requireNotFound(e, err, "notice", "n-none", "completing an unknown notice")
	_, err = e.store.Notice(e.ctx, "n-none")
	assert.ErrorIs(e, err, coaching.ErrNotFound, "CompleteNotice must not create a notice")
}

func testNoticesQuery(e *env) {
	e.seed("c-1", "c-2")
	mk := func(id string, c coaching.CaseID, kind string, nb time.Duration, st coaching.NoticeStatus) coaching.Notice {
		n := notice(id, c, kind, at(nb))
		n.Status = st
		return n
	}
	const tr, od = coaching.NoticeKindTransition, coaching.NoticeKindPhaseOverdue
	all := []coaching.Notice{
		mk("n-09", "c-1", tr, 1*hour, coaching.NoticePending),
		mk("n-01", "c-2", tr, 5*hour, coaching.NoticeSent),
		mk("n-05", "c-1", od, 2*hour, coaching.NoticePending),
		mk("n-03", "c-2", od, 2*hour+time.Microsecond, coaching.NoticeDead),
		mk("n-07", "c-1", tr, 0, coaching.NoticeSent),
		mk("n-02", "c-1", od, 4*hour, coaching.NoticeCancelled),
		mk("n-08", "", "digest", 3*hour, coaching.NoticePending),
	}
	e.enqueue(all...)
	oldestFirst := slices.Clone(all)
	slices.SortFunc(oldestFirst, func(a, b coaching.Notice) int {
		return cmp.Or(a.NotBefore.Compare(b.NotBefore), cmp.Compare(a.ID, b.ID))
	})

	queries := []coaching.NoticeQuery{
		{},
		{CaseID: "c-1"},
		{CaseID: "c-2"},
		{CaseID: "c-none"},
		{Kind: tr},
		{Kind: od},
		{Status: coaching.NoticePending},
		{Status: coaching.NoticeSent},
		{Status: coaching.NoticeClaimed},
		{CaseID: "c-1", Kind: od},
		{CaseID: "c-1", Kind: tr, Status: coaching.NoticeSent},
		{Limit: 2},
		{Limit: 100},
		{CaseID: "c-1", Limit: 1},
		{Status: coaching.NoticePending, Limit: 2},
	}
	for _, q := range queries {
		var want []string
		for _, n := range oldestFirst {
			if q.Match(n) && (q.Limit == 0 || len(want) < q.Limit) {
				want = append(want, n.ID)
			}
		}
		got := e.notices(q)
		assert.Equal(e, want, nilIfEmpty(noticeIDs(got)), "Notices(%+v)", q)
		for _, n := range got {
			assert.True(e, q.Match(n), "Notices(%+v) returned a notice that does not match: %s", q, n.ID)
		}
	}
	// Full values, not only ids.
	got := e.notices(coaching.NoticeQuery{CaseID: "c-2"})
	assert.Equal(e, []coaching.Notice{NormalizeNotice(all[3]), NormalizeNotice(all[1])}, normalizeAll(got, NormalizeNotice), "Notices(c-2) field for field")
}

func testNoticesInTx(e *env) {
	e.seed("c-1", "c-2")
	const tr, od = coaching.NoticeKindTransition, coaching.NoticeKindPhaseOverdue
	e.enqueue(notice("n-1", "c-1", tr, at(hour)), notice("n-2", "c-2", tr, at(2*hour)), notice("n-3", "c-1", od, at(3*hour)))
	queries := []coaching.NoticeQuery{{}, {CaseID: "c-1"}, {CaseID: "c-2", Kind: od}, {Kind: tr, Limit: 1}}
	e.view(func(tx coaching.ReadTx) error {
		for _, q := range queries {
			got, err := tx.Notices(e.ctx, q)
			require.NoError(e, err, "ReadTx.Notices(%+v)", q)
			assert.Equal(e, normalizeAll(e.notices(q), NormalizeNotice), normalizeAll(got, NormalizeNotice), "ReadTx.Notices(%+v) as Outbox.Notices", q)
		}
		return nil
	})
	errRollback := errors.New("storetest: roll back")
	err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
		if _, err := tx.Enqueue(e.ctx, notice("n-4", "c-1", od, at(4*hour))); err != nil {
			return err
		}
		got, err := tx.Notices(e.ctx, coaching.NoticeQuery{CaseID: "c-1"})
		require.NoError(e, err)
		assert.Equal(e, []string{"n-1", "n-3", "n-4"}, noticeIDs(got), "the transaction sees the notice it enqueued")
		return errRollback
	})
	require.ErrorIs(e, err, errRollback)
	assert.Equal(e, []string{"n-1", "n-3"}, noticeIDs(e.notices(coaching.NoticeQuery{CaseID: "c-1"})), "the rolled-back notice is gone")
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// completer returns the store as a coaching.NoticeCompleter, or skips the
// case: the capability is optional (the dispatcher falls back to
// CompleteNotice).
func completer(e *env) coaching.NoticeCompleter {
	e.Helper()
	c, ok := e.store.(coaching.NoticeCompleter)
	if !ok {
		e.Skip("the store does not implement coaching.NoticeCompleter (optional)")
	}
	return c
}

func testCompleteBatch(e *env) {
	bc := completer(e)
	e.seed("c-1")
	for i := range 6 {
		e.enqueue(notice(fmt.Sprintf("n-%d", i), "c-1", "k", at(time.Duration(i)*time.Minute)))
	}
	t1 := at(hour)
	require.Equal(e, []string{"n-0", "n-1", "n-2", "n-3"}, noticeIDs(e.claim(t1, 4, hour)))
	// n-4's first lease runs out and it is claimed again: attempt 1 is
	// stale. n-5 is never claimed.
	require.Equal(e, []string{"n-4"}, noticeIDs(e.claim(t1, 1, time.Minute)))
	require.Equal(e, []string{"n-4"}, noticeIDs(e.claim(t1.Add(2*time.Minute), 1, hour)))

	sentAt := t1.Add(3*time.Second + 7*time.Microsecond)
	retryAt := t1.Add(30*time.Minute + 11*time.Microsecond)
	before4, before5 := e.mustNotice("n-4"), e.mustNotice("n-5")
	cs := []coaching.NoticeCompletion{
		{ID: "n-2", Attempt: 1, Result: coaching.NoticeResult{Status: coaching.NoticeDead, At: sentAt, Error: "550 mailbox unavailable"}},
		{ID: "n-none", Attempt: 1, Result: coaching.NoticeResult{Status: coaching.NoticeSent, At: sentAt}},
		{ID: "n-0", Attempt: 1, Result: coaching.NoticeResult{Status: coaching.NoticeSent, At: sentAt}},
		{ID: "n-4", Attempt: 1, Result: coaching.NoticeResult{Status: coaching.NoticeSent, At: sentAt}},
		{ID: "n-1", Attempt: 1, Result: coaching.NoticeResult{Status: coaching.NoticePending, At: sentAt, RetryAt: retryAt, Error: "451 try again later"}},
		{ID: "n-5", Attempt: 0, Result: coaching.NoticeResult{Status: coaching.NoticeSent, At: sentAt}},
		{ID: "n-3", Attempt: 2, Result: coaching.NoticeResult{Status: coaching.NoticeSent, At: sentAt}},
	}
	errs, err := bc.CompleteNotices(e.ctx, cs)
	require.NoError(e, err, "CompleteNotices of a batch with stale and unknown entries")
	require.Len(e, errs, len(cs), "one error per completion")
	assert.NoError(e, errs[0], "n-2 (dead)")
	requireNotFound(e, errs[1], "notice", "n-none", "completing an unknown notice in a batch")
	assert.NoError(e, errs[2], "n-0 (sent)")
	requireConflict(e, errs[3], "n-4: attempt 1 after attempt 2 was claimed")
	assert.NoError(e, errs[4], "n-1 (retry)")
	requireConflict(e, errs[5], "n-5: a pending notice that was never claimed")
	requireConflict(e, errs[6], "n-3: attempt 2 when attempt 1 is the claim")

	n0 := e.mustNotice("n-0")
	assert.Equal(e, coaching.NoticeSent, n0.Status)
	assert.True(e, n0.SentAt.Equal(sentAt), "SentAt = r.At, got %s", n0.SentAt)
	assert.Equal(e, 1, n0.Attempts)
	n1 := e.mustNotice("n-1")
	assert.Equal(e, coaching.NoticePending, n1.Status)
	assert.True(e, n1.NotBefore.Equal(retryAt), "NotBefore = RetryAt, got %s", n1.NotBefore)
	assert.Equal(e, "451 try again later", n1.LastError)
	assert.True(e, n1.SentAt.IsZero())
	n2 := e.mustNotice("n-2")
	assert.Equal(e, coaching.NoticeDead, n2.Status)
	assert.Equal(e, "550 mailbox unavailable", n2.LastError)
	assert.True(e, n2.SentAt.IsZero())
	n3 := e.mustNotice("n-3")
	assert.Equal(e, coaching.NoticeClaimed, n3.Status, "a refused completion changes nothing")
	assert.Equal(e, 1, n3.Attempts)
	assert.Equal(e, NormalizeNotice(before4), NormalizeNotice(e.mustNotice("n-4")), "a stale completion must not change the notice")
	assert.Equal(e, NormalizeNotice(before5), NormalizeNotice(e.mustNotice("n-5")), "completing an unclaimed notice must not change it")
	_, err = e.store.Notice(e.ctx, "n-none")
	assert.ErrorIs(e, err, coaching.ErrNotFound, "CompleteNotices must not create a notice")

	// The current claim of n-4 completes; sent and dead notices are never
	// claimed again, and the retry comes back at RetryAt.
	errs, err = bc.CompleteNotices(e.ctx, []coaching.NoticeCompletion{{ID: "n-4", Attempt: 2, Result: coaching.NoticeResult{Status: coaching.NoticeSent, At: sentAt}}})
	require.NoError(e, err)
	require.Len(e, errs, 1)
	require.NoError(e, errs[0], "the current attempt can complete")
	assert.Equal(e, []string{"n-5"}, noticeIDs(e.claim(retryAt.Add(-time.Second), 10, hour)),
		"before RetryAt only the never-claimed notice is due (n-3's lease holds)")
	assert.Equal(e, []string{"n-3", "n-5", "n-1"}, noticeIDs(e.claim(t1.Add(2*hour), 10, lease)),
		"later the expired leases and the retry come back, oldest first; the sent and dead notices never do")
}

func testCompleteBatchAllOrNothing(e *env) {
	bc := completer(e)
	e.seed("c-1")
	e.enqueue(notice("n-1", "c-1", "k", at(0)), notice("n-2", "c-1", "k", at(time.Minute)))
	require.Len(e, e.claim(at(hour), 10, hour), 2)
	before := []coaching.Notice{e.mustNotice("n-1"), e.mustNotice("n-2")}
	unchanged := func(what string) {
		e.Helper()
		for _, b := range before {
			assert.Equal(e, NormalizeNotice(b), NormalizeNotice(e.mustNotice(b.ID)), "%s: nothing of the batch may be recorded", what)
		}
	}
	sent := coaching.NoticeResult{Status: coaching.NoticeSent, At: at(hour + time.Second)}

	errs, err := bc.CompleteNotices(e.ctx, []coaching.NoticeCompletion{
		{ID: "n-1", Attempt: 1, Result: sent},
		{ID: "n-2", Attempt: 1, Result: sent},
		{ID: "n-1", Attempt: 1, Result: sent},
	})
	require.Error(e, err, "a batch naming a notice twice must fail")
	assert.Nil(e, errs)
	unchanged("a batch naming n-1 twice")

	errs, err = bc.CompleteNotices(cancelled(e.ctx), []coaching.NoticeCompletion{{ID: "n-1", Attempt: 1, Result: sent}, {ID: "n-2", Attempt: 1, Result: sent}})
	require.Error(e, err, "CompleteNotices with a cancelled context must fail")
	assert.Nil(e, errs)
	unchanged("a cancelled batch")

	errs, err = bc.CompleteNotices(e.ctx, nil)
	require.NoError(e, err, "an empty batch")
	assert.Empty(e, errs)
	unchanged("an empty batch")
}

// fixedClock is a clock a case sets by hand.
type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fixedClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// countingSender counts the notices it delivered by id.
type countingSender struct {
	mu   sync.Mutex
	sent map[string]int
	fail func(n coaching.Notice, call int) error
	call map[string]int
}

func (s *countingSender) Send(_ context.Context, n coaching.Notice) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.call == nil {
		s.call, s.sent = map[string]int{}, map[string]int{}
	}
	s.call[n.ID]++
	if s.fail != nil {
		if err := s.fail(n, s.call[n.ID]); err != nil {
			return err
		}
	}
	s.sent[n.ID]++
	return nil
}

func (s *countingSender) counts() (calls, sent map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.call), maps.Clone(s.sent)
}

func (e *env) dispatcher(s coaching.Sender, o coaching.DispatcherOptions) *coaching.Dispatcher {
	e.Helper()
	d, err := coaching.NewDispatcher(e.store, s, &o)
	require.NoError(e, err, "NewDispatcher")
	return d
}

func testDispatcherExactlyOnce(e *env) {
	e.seed("c-1")
	const count = 120
	var ns []coaching.Notice
	want := map[string]int{}
	for i := range count {
		id := fmt.Sprintf("n-%03d", i)
		ns = append(ns, notice(id, "c-1", "k", at(time.Duration(i%17)*time.Second)))
		want[id] = 1
	}
	e.enqueue(ns...)
	clock := &fixedClock{now: at(hour)}
	sender := &countingSender{}
	var wg sync.WaitGroup
	reports := make([]coaching.DispatchReport, 4)
	for w := range reports {
		d := e.dispatcher(sender, coaching.DispatcherOptions{Clock: clock, BatchSize: 7, Concurrency: 4})
		wg.Go(func() {
			var err error
			reports[w], err = d.RunOnce(e.ctx)
			assert.NoError(e, err, "RunOnce")
		})
	}
	wg.Wait()
	_, sent := sender.counts()
	assert.Equal(e, want, sent, "every notice sent exactly once")
	var total coaching.DispatchReport
	for _, r := range reports {
		total.Add(r)
	}
	assert.Equal(e, coaching.DispatchReport{Claimed: count, Sent: count}, total, "the dispatchers' reports")
	for _, n := range e.notices(coaching.NoticeQuery{}) {
		assert.Equal(e, coaching.NoticeSent, n.Status, "notice %s", n.ID)
		assert.Equal(e, 1, n.Attempts, "notice %s: one claim", n.ID)
	}
}

type transientError string

func (e transientError) Error() string { return string(e) }

func testDispatcherRetries(e *env) {
	e.seed("c-1")
	e.enqueue(
		notice("n-ok", "c-1", "k", at(0)),
		notice("n-flaky", "c-1", "k", at(time.Second)),
		notice("n-bad", "c-1", "k", at(2*time.Second)),
		notice("n-down", "c-1", "k", at(3*time.Second)),
	)
	sender := &countingSender{fail: func(n coaching.Notice, call int) error {
		switch {
		case n.ID == "n-flaky" && call == 1, n.ID == "n-down":
			return transientError("503 service unavailable")
		case n.ID == "n-bad":
			return coaching.Permanent(errors.New("550 no such user"))
		}
		return nil
	}}
	var mu sync.Mutex
	dead := map[string]int{}
	t0 := at(day)
	clock := &fixedClock{now: t0}
	opts := coaching.DispatcherOptions{Clock: clock, BaseBackoff: time.Minute, MaxBackoff: 10 * time.Minute,
		MaxAttempts: 3, Concurrency: 3, OnDead: func(_ context.Context, n coaching.Notice) { mu.Lock(); dead[n.ID]++; mu.Unlock() }}
	opts.Test.Jitter = func() float64 { return 1 } // the top of each range: the exponential schedule exactly
	d := e.dispatcher(sender, opts)
	run := func(now time.Time, want coaching.DispatchReport) {
		e.Helper()
		clock.Set(now)
		rep, err := d.RunOnce(e.ctx)
		require.NoError(e, err, "RunOnce at %s", now)
		assert.Equal(e, want, rep, "RunOnce at %s", now)
	}

	run(t0, coaching.DispatchReport{Claimed: 4, Sent: 1, Retried: 2, Dead: 1})
	ok := e.mustNotice("n-ok")
	assert.Equal(e, coaching.NoticeSent, ok.Status)
	assert.True(e, ok.SentAt.Equal(t0), "SentAt is the dispatcher's clock after the send, got %s", ok.SentAt)
	for _, id := range []string{"n-flaky", "n-down"} {
		n := e.mustNotice(id)
		assert.Equal(e, coaching.NoticePending, n.Status, id)
		assert.True(e, n.NotBefore.Equal(t0.Add(time.Minute)), "%s: retried after BaseBackoff, got %s", id, n.NotBefore)
		assert.Equal(e, "503 service unavailable", n.LastError, id)
	}
	bad := e.mustNotice("n-bad")
	assert.Equal(e, coaching.NoticeDead, bad.Status, "a permanent failure is dead at once")
	assert.Equal(e, 1, bad.Attempts)
	assert.Contains(e, bad.LastError, "550")

	run(t0.Add(30*time.Second), coaching.DispatchReport{})
	run(t0.Add(time.Minute), coaching.DispatchReport{Claimed: 2, Sent: 1, Retried: 1})
	down := e.mustNotice("n-down")
	assert.True(e, down.NotBefore.Equal(t0.Add(3*time.Minute)), "the second failure doubles the backoff, got %s", down.NotBefore)
	run(t0.Add(3*time.Minute), coaching.DispatchReport{Claimed: 1, Dead: 1})
	down = e.mustNotice("n-down")
	assert.Equal(e, coaching.NoticeDead, down.Status, "dead after MaxAttempts")
	assert.Equal(e, 3, down.Attempts)
	run(t0.Add(100*day), coaching.DispatchReport{})

	calls, sent := sender.counts()
	assert.Equal(e, map[string]int{"n-ok": 1, "n-flaky": 2, "n-bad": 1, "n-down": 3}, calls, "Send calls per notice")
	assert.Equal(e, map[string]int{"n-ok": 1, "n-flaky": 1}, sent, "deliveries per notice")
	mu.Lock()
	assert.Equal(e, map[string]int{"n-bad": 1, "n-down": 1}, dead, "OnDead once per dead notice")
	mu.Unlock()
	assert.Equal(e, coaching.NoticeSent, e.mustNotice("n-flaky").Status)
}

// blockingSender holds every Send until its context ends, like a process
// that stopped in the middle of sending.
type blockingSender struct{ started chan string }

func (s *blockingSender) Send(ctx context.Context, n coaching.Notice) error {
	s.started <- n.ID
	<-ctx.Done()
	return ctx.Err()
}

func testDispatcherCrashTakeover(e *env) {
	e.seed("c-1")
	const count = 10
	for i := range count {
		e.enqueue(notice(fmt.Sprintf("n-%02d", i), "c-1", "k", at(time.Duration(i)*time.Second)))
	}
	t0 := at(hour)
	const leaseA = time.Minute

	// Dispatcher A claims all ten and stalls in its first two sends.
	crashed := &blockingSender{started: make(chan string, count)}
	a := e.dispatcher(crashed, coaching.DispatcherOptions{Clock: &fixedClock{now: t0}, BatchSize: count, Concurrency: 2, Lease: leaseA})
	ctxA, crash := context.WithCancel(e.ctx)
	defer crash()
	doneA := make(chan error, 1)
	go func() { _, err := a.RunOnce(ctxA); doneA <- err }()
	for range 2 {
		select {
		case <-crashed.started:
		case <-time.After(30 * time.Second):
			e.Fatal("dispatcher A did not start sending")
		}
	}
	claimed := e.notices(coaching.NoticeQuery{Status: coaching.NoticeClaimed})
	require.Len(e, claimed, count, "A holds a lease on every notice")

	// B finds nothing while A's leases hold.
	clockB := &fixedClock{now: t0.Add(leaseA / 2)}
	sender := &countingSender{}
	b := e.dispatcher(sender, coaching.DispatcherOptions{Clock: clockB, BatchSize: 4, Concurrency: 3})
	rep, err := b.RunOnce(e.ctx)
	require.NoError(e, err)
	assert.Equal(e, coaching.DispatchReport{}, rep, "nothing is claimable while the leases hold")

	// Once they have expired, B takes every notice over.
	clockB.Set(t0.Add(leaseA + time.Second))
	rep, err = b.RunOnce(e.ctx)
	require.NoError(e, err)
	assert.Equal(e, coaching.DispatchReport{Claimed: count, Sent: count}, rep, "B takes over after the leases expire")
	_, sent := sender.counts()
	assert.Len(e, sent, count)
	for id, k := range sent {
		assert.Equal(e, 1, k, "notice %s sent %d times by B", id, k)
	}
	after := e.notices(coaching.NoticeQuery{})
	for _, n := range after {
		assert.Equal(e, coaching.NoticeSent, n.Status, n.ID)
		assert.Equal(e, 2, n.Attempts, "%s: B's claim is attempt 2", n.ID)
	}

	// A comes back to life only to stop: its outcomes answer attempt 1 and
	// are refused.
	crash()
	select {
	case <-doneA:
	case <-time.After(30 * time.Second):
		e.Fatal("dispatcher A did not stop")
	}
	assert.Equal(e, normalizeAll(after, NormalizeNotice), normalizeAll(e.notices(coaching.NoticeQuery{}), NormalizeNotice),
		"the crashed dispatcher's late outcomes change nothing")
	assert.Empty(e, e.claim(t0.Add(100*day), 10, lease), "nothing is left to claim")
}
