package storetest

import (
	"strings"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// outboxHealthCases check what c2715dd added to the outbox port: the
// notice's DueAt, Channel and Trace, NoticeResult.Refund, and the optional
// coaching.OutboxInspector (skipped when a store does not have it).
//
// Lease expiry at exactly now: OutboxHealth's Due counts "claimed ones
// whose lease ran out", as ClaimNotices claims them; like the claim cases,
// these cases never ask at the instant a lease ends.
func outboxHealthCases() []testCase {
	return []testCase{
		{
			name: "HealthEmpty",
			rule: "OutboxInspector.OutboxHealth of an empty outbox has At = now, every count zero, a zero OldestDueAt and a non-nil empty Dead map",
			run:  testHealthEmpty,
		},
		{
			name: "HealthCounts",
			rule: "OutboxInspector.OutboxHealth counts pending and claimed notices, Due = pending with NotBefore <= now plus claimed with an expired lease, Retrying = pending or claimed with a LastError, OldestDueAt = the earliest DueAt <= now among them (a retry moves NotBefore, not DueAt), Dead by Channel (\"\" included); sent and cancelled notices count nowhere",
			run:  testHealthCounts,
		},
		{
			name: "HealthDueAt",
			rule: "the outbox sets DueAt = NotBefore at Enqueue (a caller's DueAt is ignored); Tx.UpdateNotice moves DueAt to the new NotBefore while the notice has never been claimed (Attempts 0 and no LastError) and leaves it once the notice was tried; completions never change it",
			run:  testHealthDueAt,
		},
		{
			name: "HealthZeroNotBefore",
			rule: "a notice enqueued with a zero NotBefore gets DueAt = its CreatedAt (Tx.UpdateNotice to a zero NotBefore before any claim likewise); OutboxHealth leaves a zero DueAt out of OldestDueAt, so it never hides the other notices' lag",
			run:  testHealthZeroNotBefore,
		},
		{
			name: "HealthDueAtAfterRefund",
			rule: "Tx.UpdateNotice keeps DueAt for a notice whose claim was refunded (Attempts back to 0, a LastError): it has waited since its DueAt, and a rewrite with a later NotBefore (a pause's end) must not hide that lag",
			run:  testHealthDueAtAfterRefund,
		},
		{
			name: "EnqueueTraceChannel",
			rule: "Tx.Enqueue (and PipelinedTx.EnqueueLater) stores Channel \"\" whatever the caller's (only completions set it), and refuses a Trace longer than coaching.MaxTraceBytes or holding other than printable ASCII with an error matching coaching.ErrInvalid that names the field trace, writing nothing",
			run:  testEnqueueTraceChannel,
		},
		{
			name: "CompleteChannelInvalid",
			rule: "CompleteNotice (and each completion of NoticeCompleter.CompleteNotices) refuses a NoticeResult.Channel longer than 64 bytes or holding other than printable ASCII with an error matching coaching.ErrInvalid that names the field channel, and leaves the notice as it is",
			run:  testCompleteChannelInvalid,
		},
		{
			name: "Refund",
			rule: "CompleteNotice (and NoticeCompleter.CompleteNotices) with Status pending and Refund takes one off Attempts (never below 0) after the attempt check; a refund answering a stale attempt is a *ConflictError and changes nothing",
			run:  testRefund,
		},
		{
			name: "Trace",
			rule: "Tx.Enqueue (and PipelinedTx.EnqueueLater) keeps a notice's Trace; an empty Trace becomes coaching.TraceFrom(ctx); every read (Notice, Notices, ClaimNotices, ReadTx) returns it",
			run:  testTrace,
		},
		{
			name: "Channel",
			rule: "every completion (CompleteNotice and NoticeCompleter.CompleteNotices, sent, retry or dead) stores NoticeResult.Channel as the notice's Channel, which every read returns",
			run:  testChannel,
		},
	}
}

// inspector returns the store as a coaching.OutboxInspector, or skips the
// case: the capability is optional.
func inspector(e *env) coaching.OutboxInspector {
	e.Helper()
	in, ok := e.store.(coaching.OutboxInspector)
	if !ok {
		e.Skip("the store does not implement coaching.OutboxInspector (optional)")
	}
	return in
}

func (e *env) health(in coaching.OutboxInspector, now time.Time) coaching.OutboxHealth {
	e.Helper()
	h, err := in.OutboxHealth(e.ctx, now)
	require.NoError(e, err, "OutboxHealth(%s)", now)
	require.NotNil(e, h.Dead, "OutboxHealth(%s): Dead must be a non-nil map", now)
	assert.True(e, h.At.Equal(now), "At = now, got %s", h.At)
	return h
}

// healthCounts is what the cases compare of an OutboxHealth: its counts and
// OldestDueAt as a normalised instant.
type healthCounts struct {
	Pending, Claimed, Due, Retrying int
	OldestDueAt                     time.Time
	Dead                            map[string]int
}

// atUTC is at(d) as the Normalize functions return it.
func atUTC(d time.Duration) time.Time { return NormalizeTime(at(d)) }

func countsOf(h coaching.OutboxHealth) healthCounts {
	return healthCounts{Pending: h.Pending, Claimed: h.Claimed, Due: h.Due, Retrying: h.Retrying,
		OldestDueAt: NormalizeTime(h.OldestDueAt), Dead: h.Dead}
}

func testHealthEmpty(e *env) {
	in := inspector(e)
	h := e.health(in, at(hour))
	assert.Equal(e, healthCounts{Dead: map[string]int{}}, countsOf(h))
	assert.Zero(e, h.Depth())
	assert.Zero(e, h.Lag())
	assert.Zero(e, h.DeadTotal())
}

func testHealthCounts(e *env) {
	in := inspector(e)
	e.seed("c-1")
	// a..g are due at t1 (NotBefore a minute apart), h is not, x is
	// cancelled before it ever is.
	ids := []string{"n-a", "n-b", "n-c", "n-d", "n-e", "n-f", "n-g", "n-i"}
	for i, id := range ids {
		e.enqueue(notice(id, "c-1", "k", at(time.Duration(i)*time.Minute)))
	}
	e.enqueue(notice("n-h", "c-1", "k", at(10*hour)), notice("n-x", "c-1", "k", at(0)))
	cancel := notice("n-x", "c-1", "k", at(0))
	cancel.Status = coaching.NoticeCancelled
	e.update(func(tx coaching.Tx) error {
		ok, err := tx.UpdateNotice(e.ctx, cancel)
		require.True(e, ok, "cancelling n-x")
		return err
	})

	t1 := at(hour)
	require.Equal(e, []string{"n-a", "n-b", "n-c", "n-d", "n-e", "n-f"}, noticeIDs(e.claim(t1, 6, 10*time.Minute)))
	require.Equal(e, []string{"n-g"}, noticeIDs(e.claim(t1, 1, 3*hour)))
	done := t1.Add(time.Second)
	e.complete("n-a", 1, coaching.NoticeResult{Status: coaching.NoticeSent, At: done, Channel: "email"})
	e.complete("n-b", 1, coaching.NoticeResult{Status: coaching.NoticeDead, At: done, Error: "550", Channel: "email"})
	e.complete("n-c", 1, coaching.NoticeResult{Status: coaching.NoticeDead, At: done, Error: "550", Channel: "email"})
	e.complete("n-d", 1, coaching.NoticeResult{Status: coaching.NoticeDead, At: done, Error: "410"})
	// n-e is retried at 5h: its NotBefore moves past n-f's, its DueAt
	// (4 minutes) stays the oldest.
	e.complete("n-e", 1, coaching.NoticeResult{Status: coaching.NoticePending, At: done, RetryAt: at(5 * hour), Error: "451", Channel: "email"})

	// At t1 + 30 minutes: n-f's lease (10 minutes) ran out, n-g's (3
	// hours) holds; n-i was never claimed and is due; n-h is not yet.
	now := t1.Add(30 * time.Minute)
	h := e.health(in, now)
	assert.Equal(e, healthCounts{
		Pending:     3, // n-e, n-h, n-i
		Claimed:     2, // n-f, n-g
		Due:         2, // n-i (pending, NotBefore passed), n-f (lease expired)
		Retrying:    1, // n-e
		OldestDueAt: atUTC(4 * time.Minute),
		Dead:        map[string]int{"email": 2, "": 1},
	}, countsOf(h))
	assert.Equal(e, 5, h.Depth())
	assert.Equal(e, 3, h.DeadTotal())
	assert.Equal(e, now.Sub(at(4*time.Minute)), h.Lag())

	// Before anything was due: nothing is, and no notice has waited.
	early := e.health(in, at(-2*hour))
	assert.Equal(e, healthCounts{Pending: 3, Claimed: 2, Retrying: 1, Dead: map[string]int{"email": 2, "": 1}}, countsOf(early),
		"at an instant before every NotBefore, DueAt and lease end")

	// At 10h (n-h's NotBefore, exactly) every waiting notice is due; n-e,
	// claimed again, still counts as retrying.
	require.Equal(e, []string{"n-f", "n-g", "n-i", "n-e"}, noticeIDs(e.claim(at(5*hour), 10, time.Minute)))
	late := e.health(in, at(10*hour))
	assert.Equal(e, healthCounts{Pending: 1, Claimed: 4, Due: 5, Retrying: 1, OldestDueAt: atUTC(4 * time.Minute),
		Dead: map[string]int{"email": 2, "": 1}}, countsOf(late), "at n-h's NotBefore")
}

func testHealthDueAt(e *env) {
	e.seed("c-1")
	// A caller's DueAt is ignored.
	n := notice("n-1", "c-1", "k", at(hour))
	n.DueAt = at(-100 * hour)
	e.enqueue(n)
	assert.Equal(e, atUTC(hour), NormalizeTime(e.mustNotice("n-1").DueAt), "Enqueue sets DueAt = NotBefore")

	update := func(notBefore time.Time) {
		e.Helper()
		u := notice("n-1", "c-1", "k", notBefore)
		u.DueAt = at(-50 * hour)
		e.update(func(tx coaching.Tx) error {
			ok, err := tx.UpdateNotice(e.ctx, u)
			require.True(e, ok, "UpdateNotice of a pending notice")
			return err
		})
	}
	// Never tried: the update moves DueAt with NotBefore.
	update(at(3 * hour))
	got := e.mustNotice("n-1")
	assert.Equal(e, atUTC(3*hour), NormalizeTime(got.NotBefore))
	assert.Equal(e, atUTC(3*hour), NormalizeTime(got.DueAt), "UpdateNotice before any attempt sets DueAt = the new NotBefore")

	// Tried once and retried: DueAt stays where it was through the
	// completion and through a later update.
	require.Len(e, e.claim(at(3*hour), 10, lease), 1)
	e.complete("n-1", 1, coaching.NoticeResult{Status: coaching.NoticePending, At: at(3*hour + time.Second), RetryAt: at(4 * hour), Error: "451"})
	assert.Equal(e, atUTC(3*hour), NormalizeTime(e.mustNotice("n-1").DueAt), "a retry moves NotBefore, not DueAt")
	update(at(6 * hour))
	got = e.mustNotice("n-1")
	assert.Equal(e, atUTC(6*hour), NormalizeTime(got.NotBefore))
	assert.Equal(e, atUTC(3*hour), NormalizeTime(got.DueAt), "UpdateNotice after an attempt keeps DueAt")

	claimed := e.claim(at(6*hour), 10, lease)
	require.Len(e, claimed, 1)
	assert.Equal(e, atUTC(3*hour), NormalizeTime(claimed[0].DueAt), "ClaimNotices returns DueAt")
	e.complete("n-1", 2, coaching.NoticeResult{Status: coaching.NoticeDead, At: at(6*hour + time.Second), Error: "550"})
	assert.Equal(e, atUTC(3*hour), NormalizeTime(e.mustNotice("n-1").DueAt), "a completion never changes DueAt")

	in, ok := e.store.(coaching.OutboxInspector)
	if !ok {
		return
	}
	// A second notice, moved later before any attempt, is not late at
	// its first NotBefore.
	e.enqueue(notice("n-2", "c-1", "k", at(hour)))
	update2 := notice("n-2", "c-1", "k", at(8*hour))
	e.update(func(tx coaching.Tx) error { _, err := tx.UpdateNotice(e.ctx, update2); return err })
	h := e.health(in, at(7*hour))
	assert.Equal(e, healthCounts{Pending: 1, Dead: map[string]int{"": 1}}, countsOf(h), "n-2 is not due before its new NotBefore")
	h = e.health(in, at(9*hour))
	assert.Equal(e, healthCounts{Pending: 1, Due: 1, OldestDueAt: atUTC(8 * hour), Dead: map[string]int{"": 1}}, countsOf(h))
}

func testRefund(e *env) {
	e.seed("c-1")
	e.enqueue(notice("n-1", "c-1", "k", at(0)), notice("n-2", "c-1", "k", at(3*hour)))
	t1 := at(hour)
	require.Len(e, e.claim(t1, 1, lease), 1)
	retryAt := t1.Add(time.Minute)
	e.complete("n-1", 1, coaching.NoticeResult{Status: coaching.NoticePending, At: t1, RetryAt: retryAt, Error: "lease expired before the send", Refund: true})
	got := e.mustNotice("n-1")
	assert.Equal(e, coaching.NoticePending, got.Status)
	assert.Equal(e, 0, got.Attempts, "a refunded claim does not count as an attempt")
	assert.Equal(e, NormalizeTime(retryAt), NormalizeTime(got.NotBefore))
	assert.Equal(e, "lease expired before the send", got.LastError)

	// Claimed again, the claim is attempt 1 again. Its lease runs out and
	// attempt 2 takes it: a refund answering attempt 1 is refused.
	again := e.claim(retryAt, 1, time.Minute)
	require.Len(e, again, 1)
	assert.Equal(e, 1, again[0].Attempts)
	second := e.claim(retryAt.Add(time.Hour), 1, lease)
	require.Equal(e, []string{"n-1"}, noticeIDs(second))
	require.Equal(e, 2, second[0].Attempts)
	before := e.mustNotice("n-1")
	err := e.store.CompleteNotice(e.ctx, "n-1", 1, coaching.NoticeResult{Status: coaching.NoticePending, At: retryAt, RetryAt: retryAt, Refund: true})
	requireConflict(e, err, "a refund answering attempt 1 after attempt 2 was claimed")
	assert.Equal(e, NormalizeNotice(before), NormalizeNotice(e.mustNotice("n-1")), "a stale refund changes nothing")

	// Through the batch, the current claim's refund counts.
	if bc, ok := e.store.(coaching.NoticeCompleter); ok {
		errs, err := bc.CompleteNotices(e.ctx, []coaching.NoticeCompletion{
			{ID: "n-1", Attempt: 2, Result: coaching.NoticeResult{Status: coaching.NoticePending, At: retryAt, RetryAt: retryAt, Refund: true}},
		})
		require.NoError(e, err)
		require.Len(e, errs, 1)
		require.NoError(e, errs[0])
		assert.Equal(e, 1, e.mustNotice("n-1").Attempts, "CompleteNotices refunds like CompleteNotice")
		// A stale refund in a batch is refused and changes nothing.
		before = e.mustNotice("n-1")
		errs, err = bc.CompleteNotices(e.ctx, []coaching.NoticeCompletion{
			{ID: "n-1", Attempt: 2, Result: coaching.NoticeResult{Status: coaching.NoticePending, At: retryAt, RetryAt: retryAt, Refund: true}},
		})
		require.NoError(e, err)
		require.Len(e, errs, 1)
		requireConflict(e, errs[0], "a batch refund answering a claim that is no longer the notice's")
		assert.Equal(e, NormalizeNotice(before), NormalizeNotice(e.mustNotice("n-1")), "a stale refund changes nothing")
	}

	// Never below 0: a claimed notice at Attempts 0 (as a host may have
	// enqueued it) stays at 0.
	odd := notice("n-3", "c-1", "k", at(0))
	odd.Status, odd.LeaseUntil = coaching.NoticeClaimed, at(hour)
	e.enqueue(odd)
	e.complete("n-3", 0, coaching.NoticeResult{Status: coaching.NoticePending, At: t1, RetryAt: t1, Refund: true})
	got = e.mustNotice("n-3")
	assert.Equal(e, coaching.NoticePending, got.Status)
	assert.Equal(e, 0, got.Attempts, "a refund never takes Attempts below 0")

	// Without Refund a retry keeps its attempt.
	require.Contains(e, noticeIDs(e.claim(at(3*hour), 10, lease)), "n-2")
	e.complete("n-2", 1, coaching.NoticeResult{Status: coaching.NoticePending, At: at(3 * hour), RetryAt: at(4 * hour)})
	assert.Equal(e, 1, e.mustNotice("n-2").Attempts)
}

const (
	traceA = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	traceB = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
)

func testTrace(e *env) {
	e.seed("c-1")
	traced := coaching.WithTrace(e.ctx, traceB)
	require.Equal(e, traceB, coaching.TraceFrom(traced))

	explicit := notice("n-1", "c-1", "k", at(0))
	explicit.Trace = traceA
	fromCtx := notice("n-2", "c-1", "k", at(time.Minute))
	none := notice("n-3", "c-1", "k", at(2*time.Minute))
	err := e.store.Update(traced, func(tx coaching.Tx) error {
		for _, n := range []coaching.Notice{explicit, fromCtx} {
			if _, err := tx.Enqueue(traced, n); err != nil {
				return err
			}
		}
		got, err := tx.Notice(traced, "n-2")
		require.NoError(e, err)
		assert.Equal(e, traceB, got.Trace, "ReadTx.Notice in the transaction returns the trace taken from ctx")
		return nil
	})
	require.NoError(e, err)
	e.enqueue(none) // e.ctx carries no trace
	want := map[string]string{"n-1": traceA, "n-2": traceB, "n-3": ""}
	check := func(what string, ns []coaching.Notice) {
		e.Helper()
		require.Len(e, ns, len(want), what)
		for _, n := range ns {
			assert.Equal(e, want[n.ID], n.Trace, "%s: the Trace of %s", what, n.ID)
		}
	}
	check("Outbox.Notice", []coaching.Notice{e.mustNotice("n-1"), e.mustNotice("n-2"), e.mustNotice("n-3")})
	check("Outbox.Notices", e.notices(coaching.NoticeQuery{}))
	check("ReadTx.Notices", viewed(e, func(tx coaching.ReadTx) ([]coaching.Notice, error) { return tx.Notices(e.ctx, coaching.NoticeQuery{}) }))
	check("ClaimNotices", e.claim(at(hour), 10, lease))

	// EnqueueLater, where the store's transactions offer it.
	var pipelined bool
	later := notice("n-4", "c-1", "k", at(0))
	laterExplicit := notice("n-5", "c-1", "k", at(0))
	laterExplicit.Trace = traceA
	err = e.store.Update(traced, func(tx coaching.Tx) error {
		pt, ok := tx.(coaching.PipelinedTx)
		if !ok {
			return nil
		}
		pipelined = true
		if err := pt.EnqueueLater(traced, later); err != nil {
			return err
		}
		return pt.EnqueueLater(traced, laterExplicit)
	})
	require.NoError(e, err)
	if pipelined {
		assert.Equal(e, traceB, e.mustNotice("n-4").Trace, "EnqueueLater takes an empty Trace from ctx")
		assert.Equal(e, traceA, e.mustNotice("n-5").Trace, "EnqueueLater keeps a notice's Trace")
		assert.Equal(e, atUTC(0), NormalizeTime(e.mustNotice("n-4").DueAt), "EnqueueLater sets DueAt = NotBefore")
	}
}

func testChannel(e *env) {
	e.seed("c-1")
	for _, id := range []string{"n-1", "n-2", "n-3", "n-4"} {
		e.enqueue(notice(id, "c-1", "k", at(0)))
	}
	assert.Empty(e, e.mustNotice("n-1").Channel, "no outcome recorded yet")
	t1 := at(hour)
	require.Len(e, e.claim(t1, 10, lease), 4)
	e.complete("n-1", 1, coaching.NoticeResult{Status: coaching.NoticePending, At: t1, RetryAt: t1, Error: "451", Channel: "email"})
	assert.Equal(e, "email", e.mustNotice("n-1").Channel, "a retry records its channel")
	e.complete("n-2", 1, coaching.NoticeResult{Status: coaching.NoticeDead, At: t1, Error: "550", Channel: "webhook"})
	assert.Equal(e, "webhook", e.mustNotice("n-2").Channel, "a dead letter records its channel")

	// The retried notice's next outcome, on another channel, replaces it;
	// the claim returns the channel recorded so far.
	again := e.claim(t1, 10, lease)
	require.Equal(e, []string{"n-1"}, noticeIDs(again))
	assert.Equal(e, "email", again[0].Channel, "ClaimNotices returns Channel")
	e.complete("n-1", 2, coaching.NoticeResult{Status: coaching.NoticeSent, At: t1.Add(time.Second), Channel: "sms"})
	assert.Equal(e, "sms", e.mustNotice("n-1").Channel, "every completion records its channel")
	dead := e.notices(coaching.NoticeQuery{Status: coaching.NoticeDead})
	require.Len(e, dead, 1)
	assert.Equal(e, "webhook", dead[0].Channel, "Outbox.Notices returns Channel")

	bc, ok := e.store.(coaching.NoticeCompleter)
	if !ok {
		return
	}
	errs, err := bc.CompleteNotices(e.ctx, []coaching.NoticeCompletion{
		{ID: "n-3", Attempt: 1, Result: coaching.NoticeResult{Status: coaching.NoticeSent, At: t1, Channel: "email"}},
		{ID: "n-4", Attempt: 1, Result: coaching.NoticeResult{Status: coaching.NoticePending, At: t1, RetryAt: t1, Error: "503", Channel: "webhook"}},
	})
	require.NoError(e, err)
	require.Equal(e, []error{nil, nil}, errs)
	assert.Equal(e, "email", e.mustNotice("n-3").Channel, "CompleteNotices records each completion's channel")
	assert.Equal(e, "webhook", e.mustNotice("n-4").Channel, "CompleteNotices records each completion's channel")
}

// requireInvalidField requires err to match coaching.ErrInvalid and to be a
// *coaching.ValidationError naming field.
func requireInvalidField(e *env, err error, field, what string) {
	e.Helper()
	require.Error(e, err, "%s: want an error matching coaching.ErrInvalid, got nil", what)
	require.ErrorIs(e, err, coaching.ErrInvalid, "%s", what)
	var ve *coaching.ValidationError
	require.ErrorAs(e, err, &ve, "%s: want a *coaching.ValidationError", what)
	var fields []string
	for _, p := range ve.Problems {
		fields = append(fields, p.Field)
	}
	assert.Contains(e, fields, field, "%s: the problems name the field", what)
}

func testHealthZeroNotBefore(e *env) {
	e.seed("c-1")
	late := notice("n-late", "c-1", "k", at(hour))
	now := notice("n-now", "c-1", "k", time.Time{})
	now.CreatedAt = at(2 * hour)
	e.enqueue(late, now)
	assert.Equal(e, atUTC(2*hour), NormalizeTime(e.mustNotice("n-now").DueAt), "a zero NotBefore: DueAt = CreatedAt")

	moved := notice("n-moved", "c-1", "k", at(5*hour))
	moved.CreatedAt = at(90 * time.Minute)
	e.enqueue(moved)
	update := moved
	update.NotBefore = time.Time{}
	e.update(func(tx coaching.Tx) error {
		ok, err := tx.UpdateNotice(e.ctx, update)
		require.True(e, ok, "UpdateNotice of a pending notice")
		return err
	})
	assert.Equal(e, atUTC(90*time.Minute), NormalizeTime(e.mustNotice("n-moved").DueAt),
		"UpdateNotice to a zero NotBefore before any claim: DueAt = CreatedAt")

	in, ok := e.store.(coaching.OutboxInspector)
	if !ok {
		return
	}
	// A notice without NotBefore or CreatedAt (a host's) has a zero DueAt;
	// it must not be the oldest.
	bare := notice("n-bare", "c-1", "k", time.Time{})
	bare.CreatedAt = time.Time{}
	e.enqueue(bare)
	assert.True(e, e.mustNotice("n-bare").DueAt.IsZero(), "no NotBefore and no CreatedAt: DueAt is zero")
	h := e.health(in, at(3*hour))
	assert.Equal(e, healthCounts{Pending: 4, Due: 4, OldestDueAt: atUTC(hour), Dead: map[string]int{}}, countsOf(h),
		"a zero DueAt is left out of OldestDueAt")
	assert.Equal(e, 2*hour, h.Lag())
}

func testHealthDueAtAfterRefund(e *env) {
	e.seed("c-1")
	e.enqueue(notice("n-1", "c-1", "k", at(hour)), notice("n-2", "c-1", "k", at(hour)))
	// n-1 is claimed and released unsent (its channel paused until 3h):
	// Attempts is back to 0, its error says why.
	require.Equal(e, []string{"n-1"}, noticeIDs(e.claim(at(hour), 1, lease)))
	pauseEnd := at(3 * hour)
	e.complete("n-1", 1, coaching.NoticeResult{Status: coaching.NoticePending, At: at(hour), RetryAt: pauseEnd,
		Error: "channel paused", Refund: true})
	require.Equal(e, 0, e.mustNotice("n-1").Attempts)

	update := func(id string, notBefore time.Time) {
		e.Helper()
		u := notice(id, "c-1", "k", notBefore)
		e.update(func(tx coaching.Tx) error {
			ok, err := tx.UpdateNotice(e.ctx, u)
			require.True(e, ok, "UpdateNotice of pending %s", id)
			return err
		})
	}
	// The rewrite keeps the NotBefore the refund gave (the pause's end).
	update("n-1", pauseEnd)
	got := e.mustNotice("n-1")
	assert.Equal(e, NormalizeTime(pauseEnd), NormalizeTime(got.NotBefore))
	assert.Equal(e, atUTC(hour), NormalizeTime(got.DueAt), "UpdateNotice after a refunded claim keeps DueAt")
	// n-2 was never claimed: its DueAt moves.
	update("n-2", at(2*hour))
	assert.Equal(e, atUTC(2*hour), NormalizeTime(e.mustNotice("n-2").DueAt), "UpdateNotice of a never-claimed notice moves DueAt")

	in, ok := e.store.(coaching.OutboxInspector)
	if !ok {
		return
	}
	h := e.health(in, at(4*hour))
	assert.Equal(e, atUTC(hour), NormalizeTime(h.OldestDueAt), "the refunded notice has waited since 1h")
	assert.Equal(e, 3*hour, h.Lag())
}

func testEnqueueTraceChannel(e *env) {
	e.seed("c-1")
	withChannel := notice("n-1", "c-1", "k", at(0))
	withChannel.Channel = "email"
	e.enqueue(withChannel)
	assert.Empty(e, e.mustNotice("n-1").Channel, "Enqueue ignores the caller's Channel")

	long := notice("n-long", "c-1", "k", at(0))
	long.Trace = strings.Repeat("a", coaching.MaxTraceBytes+1)
	control := notice("n-control", "c-1", "k", at(0))
	control.Trace = traceA + "\n"
	nonASCII := notice("n-utf8", "c-1", "k", at(0))
	nonASCII.Trace = "00-é"
	max := notice("n-max", "c-1", "k", at(0))
	max.Trace = strings.Repeat("a", coaching.MaxTraceBytes)
	bad := []coaching.Notice{long, control, nonASCII}

	var pipelined bool
	for _, later := range []bool{false, true} {
		err := e.store.Update(e.ctx, func(tx coaching.Tx) error {
			pt, ok := tx.(coaching.PipelinedTx)
			if later && !ok {
				return nil
			}
			pipelined = pipelined || later
			for _, n := range bad {
				var err error
				what := "Enqueue of " + n.ID
				if later {
					err, what = pt.EnqueueLater(e.ctx, n), "EnqueueLater of "+n.ID
				} else {
					_, err = tx.Enqueue(e.ctx, n)
				}
				requireInvalidField(e, err, "trace", what)
			}
			// The transaction goes on and commits: nothing of the refused
			// notices was written.
			return nil
		})
		require.NoError(e, err)
		for _, n := range bad {
			_, err := e.store.Notice(e.ctx, n.ID)
			requireNotFound(e, err, "notice", n.ID, "a refused notice is not in the outbox")
		}
	}
	e.enqueue(max)
	assert.Equal(e, max.Trace, e.mustNotice("n-max").Trace, "a Trace of exactly coaching.MaxTraceBytes is kept")
	if pipelined {
		laterChannel := notice("n-2", "c-1", "k", at(0))
		laterChannel.Channel = "sms"
		e.update(func(tx coaching.Tx) error { return tx.(coaching.PipelinedTx).EnqueueLater(e.ctx, laterChannel) })
		assert.Empty(e, e.mustNotice("n-2").Channel, "EnqueueLater ignores the caller's Channel")
	}
}

func testCompleteChannelInvalid(e *env) {
	e.seed("c-1")
	e.enqueue(notice("n-1", "c-1", "k", at(0)), notice("n-2", "c-1", "k", at(0)))
	t1 := at(hour)
	require.Len(e, e.claim(t1, 10, lease), 2)
	before := e.mustNotice("n-1")
	for what, channel := range map[string]string{
		"65 bytes":         strings.Repeat("c", 65),
		"a control byte":   "e\tmail",
		"a non-ASCII rune": "sähköposti",
	} {
		err := e.store.CompleteNotice(e.ctx, "n-1", 1, coaching.NoticeResult{Status: coaching.NoticeSent, At: t1, Channel: channel})
		requireInvalidField(e, err, "channel", "CompleteNotice with a Channel of "+what)
		assert.Equal(e, NormalizeNotice(before), NormalizeNotice(e.mustNotice("n-1")), "a refused completion changes nothing")
	}
	if bc, ok := e.store.(coaching.NoticeCompleter); ok {
		errs, err := bc.CompleteNotices(e.ctx, []coaching.NoticeCompletion{
			{ID: "n-1", Attempt: 1, Result: coaching.NoticeResult{Status: coaching.NoticeDead, At: t1, Error: "550", Channel: "bad\x00"}},
			{ID: "n-2", Attempt: 1, Result: coaching.NoticeResult{Status: coaching.NoticeSent, At: t1, Channel: "email"}},
		})
		require.NoError(e, err)
		require.Len(e, errs, 2)
		requireInvalidField(e, errs[0], "channel", "CompleteNotices with a bad Channel")
		assert.NoError(e, errs[1], "the batch's other completion is recorded")
		assert.Equal(e, NormalizeNotice(before), NormalizeNotice(e.mustNotice("n-1")), "a refused completion changes nothing")
		assert.Equal(e, coaching.NoticeSent, e.mustNotice("n-2").Status)
	}
	name := strings.Repeat("c", 64)
	e.complete("n-1", 1, coaching.NoticeResult{Status: coaching.NoticeSent, At: t1, Channel: name})
	assert.Equal(e, name, e.mustNotice("n-1").Channel, "a Channel of 64 printable ASCII bytes is recorded")
}
