package storetest

import (
	"cmp"
	"fmt"
	"slices"
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
	return []testCase{
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
			name: "NoticesQuery",
			rule: "Outbox.Notices lists the notices matching q (NoticeQuery.Match: case, kind, status; Limit caps, 0 = no cap), oldest first",
			run:  testNoticesQuery,
		},
	}
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

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
