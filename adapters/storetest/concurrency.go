package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// The port: "Methods may be called concurrently from many goroutines."
// These cases start many goroutines at once (a closed channel is the
// starting gun) and check the outcome, never the timing. Goroutines only
// collect results; the checks run on the test goroutine.
func concurrencyCases() []testCase {
	return []testCase{
		{
			name: "UpdateCaseOneWinner",
			rule: "Tx.UpdateCase: of 20 concurrent updates from the same expected version exactly one succeeds, the others get a *ConflictError",
			run:  testConcurrentUpdateCase,
		},
		{
			name: "ClaimersNeverShare",
			rule: "Outbox.ClaimNotices: two concurrent callers never receive the same notice while its lease holds (8 claimers, 200 notices)",
			run:  testConcurrentClaimers,
		},
		{
			name: "DeleteTimerOneWinner",
			rule: "Tx.DeleteTimer: of concurrent deletes of one timer exactly one succeeds, the others get a *NotFoundError (how tickers agree who fires it)",
			run:  testConcurrentDeleteTimer,
		},
		{
			name: "AppendAuditOneWinner",
			rule: "Tx.AppendAudit: of concurrent appends of the same next Seq exactly one succeeds, the others get a *ConflictError",
			run:  testConcurrentAppendAudit,
		},
		{
			name: "InsertCaseOneWinner",
			rule: "Tx.InsertCase: of concurrent inserts of one id exactly one succeeds, the others get a *DuplicateError",
			run:  testConcurrentInsertCase,
		},
		{
			name: "EnqueueOneInserted",
			rule: "Tx.Enqueue: of concurrent enqueues of one notice ID exactly one reports inserted=true, and none fails",
			run:  testConcurrentEnqueue,
		},
	}
}

// race runs fn(i) for i in [0, n) on n goroutines started together and
// returns the results in index order.
func race[T any](e *env, n int, fn func(i int) T) []T {
	e.Helper()
	out := make([]T, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = fn(i)
		})
	}
	close(start)
	err := within(e, 2*time.Minute, fmt.Sprintf("%d concurrent calls", n), func() error {
		wg.Wait()
		return nil
	})
	require.NoError(e, err)
	return out
}

// oneWinner checks that exactly one error is nil and every other matches
// target, and returns the winner's index.
func oneWinner(e *env, errs []error, target error, what string) int {
	e.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				e.Errorf("%s: goroutines %d and %d both succeeded", what, winner, i)
			}
			winner = i
		case !errors.Is(err, target):
			e.Errorf("%s: goroutine %d failed with %v, want an error matching %v", what, i, err, target)
		}
	}
	if winner < 0 {
		e.Fatalf("%s: no goroutine succeeded", what)
	}
	return winner
}

func testConcurrentUpdateCase(e *env) {
	c := e.seed("c-1")[0]
	const n = 20
	errs := race(e, n, func(i int) error {
		next := nextVersion(c, fmt.Sprintf("state-%02d", i), at(time.Duration(i)*time.Minute))
		return e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.UpdateCase(e.ctx, next, 1) })
	})
	for i, err := range errs {
		if err != nil {
			var ce *coaching.ConflictError
			assert.ErrorAs(e, err, &ce, "goroutine %d: a losing UpdateCase returns a *ConflictError", i)
		}
	}
	winner := oneWinner(e, errs, coaching.ErrConflict, "20 concurrent UpdateCase from version 1")
	got := e.mustCase("c-1")
	assert.Equal(e, int64(2), got.Version, "exactly one update was applied")
	assert.Equal(e, fmt.Sprintf("state-%02d", winner), got.State, "the stored case is the winner's")
}

func testConcurrentClaimers(e *env) {
	e.seed("c-1")
	const total, claimers, limit = 200, 8, 7
	ns := make([]coaching.Notice, total)
	for i := range ns {
		ns[i] = notice(fmt.Sprintf("n-%03d", i), "c-1", "k", at(time.Duration(i)*time.Second))
	}
	e.enqueue(ns...)
	now := at(day)

	type result struct {
		ids    []string
		bad    []string
		err    error
		rounds int
	}
	results := race(e, claimers, func(int) result {
		var r result
		for r.rounds < total { // a bound in case a store keeps returning notices
			r.rounds++
			got, err := e.store.ClaimNotices(e.ctx, coaching.ClaimParams{Now: now, Limit: limit, Lease: time.Hour})
			if err != nil {
				r.err = err
				return r
			}
			if len(got) == 0 {
				return r
			}
			if len(got) > limit {
				r.bad = append(r.bad, fmt.Sprintf("a claim returned %d notices, limit %d", len(got), limit))
			}
			for _, n := range got {
				if n.Status != coaching.NoticeClaimed || n.Attempts != 1 {
					r.bad = append(r.bad, fmt.Sprintf("%s came back with status %s attempts %d", n.ID, n.Status, n.Attempts))
				}
				r.ids = append(r.ids, n.ID)
			}
		}
		return r
	})

	seen := map[string]int{}
	var all []string
	for i, r := range results {
		assert.NoError(e, r.err, "claimer %d", i)
		assert.Empty(e, r.bad, "claimer %d", i)
		for _, id := range r.ids {
			seen[id]++
			all = append(all, id)
		}
	}
	for id, k := range seen {
		assert.Equal(e, 1, k, "notice %s was claimed %d times", id, k)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	assert.Equal(e, noticeIDs(ns), all, "every notice was claimed (exactly once)")
	for _, n := range e.notices(coaching.NoticeQuery{}) {
		assert.Equal(e, 1, n.Attempts, "notice %s: one claim, one attempt", n.ID)
	}
}

func testConcurrentDeleteTimer(e *env) {
	e.seed("c-1")
	const keys, n = 5, 10
	for k := range keys {
		e.putTimer(timer(fmt.Sprintf("t-%d", k), "c-1", at(0)))
	}
	for k := range keys {
		key := fmt.Sprintf("t-%d", k)
		errs := race(e, n, func(int) error {
			return e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.DeleteTimer(e.ctx, key) })
		})
		oneWinner(e, errs, coaching.ErrNotFound, "concurrent DeleteTimer("+key+")")
	}
	assert.Empty(e, e.dueTimers(at(day), 10))
}

func testConcurrentAppendAudit(e *env) {
	e.seed("c-1")
	e.appendAudit(auditEntry("c-1", 1), auditEntry("c-1", 2), auditEntry("c-1", 3))
	const n = 10
	errs := race(e, n, func(i int) error {
		a := auditEntry("c-1", 4)
		a.Reason = fmt.Sprintf("writer %d", i)
		return e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.AppendAudit(e.ctx, a) })
	})
	winner := oneWinner(e, errs, coaching.ErrConflict, "10 concurrent AppendAudit of Seq 4")
	got := e.trail("c-1", 0)
	assert.Equal(e, []int64{1, 2, 3, 4}, seqs(got))
	if len(got) == 4 {
		assert.Equal(e, fmt.Sprintf("writer %d", winner), got[3].Reason, "entry 4 is the winner's")
	}
}

func testConcurrentInsertCase(e *env) {
	e.insertParticipant(minimalParticipant("p-c-1"))
	const n = 10
	errs := race(e, n, func(i int) error {
		c := basicCase("c-1", fmt.Sprintf("model-%d", i), "intake", "org-a", false)
		return e.store.Update(e.ctx, func(tx coaching.Tx) error { return tx.InsertCase(e.ctx, c) })
	})
	winner := oneWinner(e, errs, coaching.ErrDuplicate, "10 concurrent InsertCase of one id")
	assert.Equal(e, fmt.Sprintf("model-%d", winner), e.mustCase("c-1").Model, "the stored case is the winner's")
	assert.Len(e, e.cases(coaching.CaseQuery{}), 1)
}

func testConcurrentEnqueue(e *env) {
	e.seed("c-1")
	const n = 10
	type result struct {
		inserted bool
		err      error
	}
	results := race(e, n, func(i int) result {
		nt := notice("n-1", "c-1", "k", at(0))
		nt.Subject = fmt.Sprintf("writer %d", i)
		var r result
		r.err = e.store.Update(e.ctx, func(tx coaching.Tx) error {
			var err error
			r.inserted, err = tx.Enqueue(e.ctx, nt)
			return err
		})
		return r
	})
	winner := -1
	for i, r := range results {
		assert.NoError(e, r.err, "goroutine %d: Enqueue of an existing ID is not an error", i)
		if r.inserted {
			assert.Equal(e, -1, winner, "goroutines %d and %d both inserted", winner, i)
			winner = i
		}
	}
	require.GreaterOrEqual(e, winner, 0, "no Enqueue reported inserted=true")
	assert.Equal(e, fmt.Sprintf("writer %d", winner), e.mustNotice("n-1").Subject, "the stored notice is the one reported inserted")
	assert.Len(e, e.notices(coaching.NoticeQuery{}), 1)
}
