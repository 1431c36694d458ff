package coaching_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/internal/benchkit"
)

// countingObserver counts events, as a metrics adapter's counters would.
type countingObserver struct {
	coaching.NopObserver
	transitions, txs atomic.Int64
	nanos            atomic.Int64
}

func (o *countingObserver) Transition(_ context.Context, e coaching.TransitionEvent) {
	o.transitions.Add(1)
	o.nanos.Add(int64(e.Duration))
}

func (o *countingObserver) StoreTx(_ context.Context, e coaching.TxEvent) {
	o.txs.Add(1)
	o.nanos.Add(int64(e.Duration))
}

func observedEngine(tb testing.TB, obs coaching.Observer) *coaching.Engine {
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.VALO()},
		Clock: coaching.ClockFunc(func() time.Time { return now }), Observer: obs})
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

// A Fire allocates nothing for its observer: with a counting observer it
// makes as many allocations as with none.
func TestFireObserverAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation changes what allocates")
	}
	ctx := context.Background()
	coach := coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}
	pause, resume := &coaching.FireOptions{Reason: "sick leave"}, &coaching.FireOptions{}
	allocs := func(obs coaching.Observer) float64 {
		eng := observedEngine(t, obs)
		id := benchCase(t, eng, coaching.ValoSkillAcquisition)
		i := 0
		return testing.AllocsPerRun(200, func() {
			ev, o := coaching.ValoPause, pause
			if i&1 == 1 {
				ev, o = coaching.ValoResumeAcquisition, resume
			}
			i++
			if _, err := eng.Fire(ctx, coach, id, ev, o); err != nil {
				t.Fatal(err)
			}
		})
	}
	none := allocs(nil)
	obs := &countingObserver{}
	counted := allocs(obs)
	if counted != none {
		t.Fatalf("Fire allocates %.1f times with a counting observer, %.1f times with none", counted, none)
	}
	if obs.transitions.Load() == 0 || obs.txs.Load() == 0 {
		t.Fatalf("the observer saw %d transitions and %d transactions", obs.transitions.Load(), obs.txs.Load())
	}
}

// BenchmarkFireObserved is Fire on the memory store (pause / resume on
// VALO cases, as BenchmarkFireMemoryIdempotent without keys) on two
// engines in the same run, one with no observer and one with a counting
// observer, interleaved in blocks so both see the same machine state. It
// reports each one's ns per Fire and their ratio (observed / none; the
// target of issue 17 is at most 1.15).
func BenchmarkFireObserved(b *testing.B) {
	coach := coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}
	engs := [2]*coaching.Engine{observedEngine(b, nil), observedEngine(b, &countingObserver{})}
	benchkit.FirePair(b, engs, [2]string{"none", "observed"}, coach, func(eng *coaching.Engine, _ int) coaching.CaseID {
		return benchCase(b, eng, coaching.ValoSkillAcquisition)
	})
}
