package memory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// TestTimersAgreeWithAMap drives the timers through random transactions —
// puts and deletes of a few thousand keys, some rolled back, the same key
// deleted and put again in one transaction or the next — and due-timer
// reads, and compares every step with a plain map of the committed timers:
// deleted timers that stay in the heap until they come back, fall due or
// are swept (killTimer, sweepTimers) must never show. The heap's order and
// indexes and the count of dead items are checked after every step.
func TestTimersAgreeWithAMap(t *testing.T) {
	ctx := context.Background()
	defer func(n int) { minTimerSweep = n }(minTimerSweep)
	minTimerSweep = 64
	rng := rand.New(rand.NewPCG(1, 2))
	s := New()
	want := map[string]coaching.Timer{}
	base := time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	keys := 3 * minTimerSweep
	timer := func() coaching.Timer {
		k := fmt.Sprintf("deadline:c%d:1", rng.IntN(keys))
		// Few distinct due times, so that many timers tie on them and
		// are ordered by key.
		return coaching.Timer{Key: k, CaseID: "c", Kind: coaching.TimerPhaseDeadline,
			DueAt: base.Add(time.Duration(rng.IntN(8)) * time.Hour), Ref: rng.Int64N(3)}
	}
	errRollback := errors.New("roll back")
	sweeps := 0
	for step := range 20000 {
		// Phases of mostly puts and of mostly deletes, so that the dead
		// timers come to outnumber the live ones and are swept.
		deletes := 2
		if step/2000%2 == 1 {
			deletes = 4
		}
		if rng.IntN(50) == 0 {
			now := base.Add(time.Duration(rng.IntN(9)) * time.Hour)
			limit := rng.IntN(20)
			got, err := s.DueTimers(ctx, now, limit)
			if err != nil {
				t.Fatal(err)
			}
			checkDue(t, step, want, now, limit, got)
			checkTimerHeap(t, step, s, want)
			continue
		}
		next := maps.Clone(want)
		deadBefore := s.deadTimers
		commit := rng.IntN(4) != 0
		err := s.Update(ctx, func(tx coaching.Tx) error {
			for range 1 + rng.IntN(4) {
				tm := timer()
				if rng.IntN(5) < deletes {
					// Mostly a key put before, so that deletes find it.
					if len(next) > 0 && rng.IntN(3) != 0 {
						for k := range next {
							tm.Key = k
							break
						}
					}
					err := tx.DeleteTimer(ctx, tm.Key)
					if _, ok := next[tm.Key]; ok != (err == nil) {
						return fmt.Errorf("delete %s: %v, in the map %v", tm.Key, err, ok)
					}
					if err != nil && !errors.Is(err, coaching.ErrNotFound) {
						return err
					}
					delete(next, tm.Key)
					continue
				}
				if err := tx.PutTimer(ctx, tm); err != nil {
					return err
				}
				next[tm.Key] = tm
			}
			if !commit {
				return errRollback
			}
			return nil
		})
		switch {
		case commit && err != nil, !commit && !errors.Is(err, errRollback):
			t.Fatalf("step %d: %v", step, err)
		case commit:
			want = next
		}
		if s.deadTimers < deadBefore && s.deadTimers == 0 {
			sweeps++
		}
		checkTimerHeap(t, step, s, want)
	}
	if sweeps == 0 {
		t.Fatal("the dead timers were never swept")
	}
	t.Logf("%d sweeps", sweeps)
}

// checkDue compares DueTimers' answer with the map's timers due at now.
func checkDue(t *testing.T, step int, want map[string]coaching.Timer, now time.Time, limit int, got []coaching.Timer) {
	t.Helper()
	var due []coaching.Timer
	for _, tm := range want {
		if !tm.DueAt.After(now) {
			due = append(due, tm)
		}
	}
	slices.SortFunc(due, func(a, b coaching.Timer) int {
		if c := a.DueAt.Compare(b.DueAt); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	if limit > 0 && len(due) > limit {
		due = due[:limit]
	}
	if !slices.Equal(due, got) {
		t.Fatalf("step %d: DueTimers(%v, %d) = %d timers, want %d", step, now, limit, len(got), len(due))
	}
}

// checkTimerHeap checks the store's timers against want and the heap's
// invariants.
func checkTimerHeap(t *testing.T, step int, s *Store, want map[string]coaching.Timer) {
	t.Helper()
	dead, live := 0, 0
	for i, it := range s.timerHeap {
		if it.index != i || s.timers[it.t.Key] != it {
			t.Fatalf("step %d: item %d (%s) is out of place", step, i, it.t.Key)
		}
		if i > 0 && s.timerHeap.Less(i, (i-1)/2) {
			t.Fatalf("step %d: item %d is before its parent", step, i)
		}
		if it.dead {
			dead++
			continue
		}
		live++
		if w, ok := want[it.t.Key]; !ok || w != it.t {
			t.Fatalf("step %d: the store has %+v, the map %+v (%v)", step, it.t, w, ok)
		}
	}
	if len(s.timers) != len(s.timerHeap) || dead != s.deadTimers || live != len(want) {
		t.Fatalf("step %d: %d in the map, %d in the heap, %d dead (counted %d), %d live, want %d",
			step, len(s.timers), len(s.timerHeap), dead, s.deadTimers, live, len(want))
	}
}
