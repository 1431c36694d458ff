package coaching_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/looplab/fsm"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/internal/benchkit"
)

// The history benchmarks fire on cases that already have 10, 100 or 1 000
// prior events (audit entries; the case's version), so that a write path
// whose cost grows with the history shows it. Each case takes
// benchkit.Budget(events) fires in the timed loop, so every fire sees
// between events and 1.2 × events prior events; the mean is reported as
// "prior-events".
//
// The fires run in rounds (see runRounds): each round opens a fresh store
// with the cases it needs (built through Engine.Fire — enrol, admit,
// start, then pause / resume pairs — with the timer stopped), sweeps over
// them budget times, one fire per case per sweep, and drops the store. The
// live state is one round's store whatever b.N is, so ns/op does not drift
// with b.N as it did when every case of the run stayed in one store (the
// floor's went from 1.3 to 4.4 µs/op as its map and the garbage
// collector's work grew). The floor runs the same rounds on the same
// number of cases of the same history.
//
// Ratios are taken between sub-benchmarks of the same parent, in the same
// run: "x-history10" is ns/op ÷ ns/op of history=10 (issue 13's target:
// ≤ 1.2 at history=1000), "x-floor" and "x-naive" are Fire's ns/op ÷ the
// baseline's (targets ≤ 1.5 and ≤ 0.5). Each also comes as "…-cpu", the
// same ratio of "cpu-ns/op", the process's CPU time per op (getrusage,
// garbage collection included) over the timed loops only: on a machine
// shared with other work the wall time swings with the load, the CPU time
// much less. Read ratios as the median over -count 5.

// roundFires is about how many timed fires a round takes: a round's store
// holds roundFires / budget cases, a few megabytes.
const roundFires = 2048

// histCase is one case of a history benchmark: version is its number of
// audit entries so far.
type histCase struct {
	id      coaching.CaseID
	version int64
}

// histRound opens one round: a fresh store with n cases of events prior
// events each, and the fire that moves one of them on by one event
// (benchkit.ToggleEvent(c.version)).
type histRound func(tb testing.TB, n int) (cases []histCase, fire func(c *histCase) error)

// runRounds runs b.N fires on cases of events prior events, in rounds of
// fresh cases opened by open with the timer stopped, and reports the mean
// history the fires saw and the CPU time per fire of the timed loops,
// which it returns.
func runRounds(b *testing.B, events int, open histRound) (cpuNs float64) {
	b.Helper()
	budget := benchkit.Budget(events)
	perRound := max(1, roundFires/budget)
	b.ReportAllocs()
	b.StopTimer()
	b.ResetTimer()
	// One collection before the first round, none per round: the
	// collector runs as in steady state, paced by all the allocation
	// (the building's too), and the timed loops bear their share of its
	// work. A collection forced after each round's building made that
	// share a threshold instead: a round whose timed allocation fit under
	// the next goal (the floor's) paid no collection at all, one just over
	// it (Fire's) a whole one per round.
	runtime.GC()
	var prior int64
	var cpu time.Duration
	for done := 0; done < b.N; {
		cases, fire := open(b, min(perRound, (b.N-done+budget-1)/budget))
		cpu0 := benchkit.CPUTime()
		b.StartTimer()
		for range budget {
			for i := range cases {
				if done == b.N {
					break
				}
				c := &cases[i]
				prior += c.version
				if err := fire(c); err != nil {
					b.Fatal(err)
				}
				c.version++
				done++
			}
		}
		b.StopTimer()
		cpu += benchkit.CPUTime() - cpu0
	}
	b.ReportMetric(float64(prior)/float64(b.N), "prior-events")
	return benchkit.ReportCPU(b, cpu)
}

// memoryRound opens rounds of VALO cases on a fresh engine over a fresh
// memory store.
func memoryRound(events int) histRound {
	ctx := context.Background()
	coach := coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}
	return func(tb testing.TB, n int) ([]histCase, func(c *histCase) error) {
		eng := benchEngine(tb)
		out := make([]histCase, n)
		for i := range out {
			c := histCase{id: benchCase(tb, eng, coaching.ValoSkillAcquisition), version: 3}
			for c.version < int64(events) {
				ev, o := benchkit.ToggleEvent(c.version)
				if _, err := eng.Fire(ctx, coach, c.id, ev, o); err != nil {
					tb.Fatal(err)
				}
				c.version++
			}
			out[i] = c
		}
		return out, func(c *histCase) error {
			ev, o := benchkit.ToggleEvent(c.version)
			_, err := eng.Fire(ctx, coach, c.id, ev, o)
			return err
		}
	}
}

// BenchmarkFireMemoryHistory is Engine.Fire (pause / resume, VALO) on the
// memory store, on cases with 10, 100 and 1 000 prior events.
func BenchmarkFireMemoryHistory(b *testing.B) {
	var v10 vsHistory10
	for _, events := range benchkit.HistoryEvents {
		b.Run("history="+strconv.Itoa(events), func(b *testing.B) {
			v10.report(b, events, runRounds(b, events, memoryRound(events)))
		})
	}
}

// vsHistory10 is history=10's wall and CPU time per op.
type vsHistory10 struct{ ns, cpu benchkit.PerCount }

// report records history=10's times and reports the others against them:
// x-history10 (wall) and x-history10-cpu.
func (v *vsHistory10) report(b *testing.B, events int, cpu float64) {
	if events == benchkit.HistoryEvents[0] {
		v.ns.Set(b, benchkit.NsPerOp(b))
		v.cpu.Set(b, cpu)
	} else if ns := v.ns.Median(); ns > 0 {
		b.ReportMetric(benchkit.NsPerOp(b)/ns, "x-history10")
		b.ReportMetric(cpu/v.cpu.Median(), "x-history10-cpu")
	}
}

// BenchmarkFireEngineOnly measures the engine's own share of Fire (role
// check, rules, the pooled looplab machine, the plan of writes) on the null
// store, whose one case keeps exactly 10, 100 or 1 000 history entries (the
// store drops the oldest as Fire appends one), so that the engine's own
// cost of a long history shows.
func BenchmarkFireEngineOnly(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, coaching.Helsinki)
	coach := coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}
	var v10 vsHistory10
	for _, events := range benchkit.HistoryEvents {
		hist := make([]coaching.PhaseEntry, events)
		for i := range hist {
			st := coaching.ValoSkillAcquisition
			if i%2 == 1 {
				st = coaching.ValoPaused
			}
			hist[i] = coaching.PhaseEntry{State: st, At: now, Seq: int64(i + 1)}
		}
		store := &nullStore{keep: events, c: coaching.Case{ID: "c", Model: coaching.ModelVALO, State: coaching.ValoSkillAcquisition, Version: int64(events),
			History: hist,
			Team:    []coaching.TeamMember{{ActorID: "coach-1", Role: coaching.RoleCoach, Name: "Coach"}},
			Phase:   coaching.PhaseClock{State: coaching.ValoSkillAcquisition, EnteredAt: now, EntrySeq: 3, DueAt: now.AddDate(0, 2, 0)}}}
		eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.VALO()},
			Clock: coaching.ClockFunc(func() time.Time { return now })})
		if err != nil {
			b.Fatal(err)
		}
		pause := &coaching.FireOptions{Reason: "sick leave"}
		b.Run("history="+strconv.Itoa(events), func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := benchkit.CPUTime()
			for b.Loop() {
				ev, o := coaching.ValoPause, pause
				if store.c.State == coaching.ValoPaused {
					ev, o = coaching.ValoResumeAcquisition, nil
				}
				if _, err := eng.Fire(ctx, coach, "c", ev, o); err != nil {
					b.Fatal(err)
				}
			}
			v10.report(b, events, benchkit.CPUPerOp(b, cpu0))
		})
	}
}

// floorStore is the hand-written floor of Fire on a map: a case row with a
// copy-on-write history (a fire copies the history into a new array and
// appends, as the engine does, so a reader's copy never changes), an
// append-only audit slice per case, and an optimistic version check under
// one lock. The transition runs on one reused looplab machine with a guard
// and an audit callback, as BenchmarkBaselineLooplabNaive. No timers, no
// outbox, no policy beyond one role check: it is the floor.
type floorStore struct {
	mu      sync.RWMutex
	cases   map[coaching.CaseID]*floorCase
	machine *fsm.FSM
}

type floorCase struct {
	state   string
	version int64
	history []coaching.PhaseEntry
	audit   []coaching.AuditEntry
}

var errFloorConflict = errors.New("floor: version conflict")

func newFloorStore(machine *fsm.FSM, n int) *floorStore {
	return &floorStore{cases: make(map[coaching.CaseID]*floorCase, n), machine: machine}
}

// add puts a case with events prior events (history and audit entries);
// its audit has room for room more entries.
func (s *floorStore) add(id coaching.CaseID, events, room int, now time.Time) {
	c := &floorCase{version: int64(events), history: make([]coaching.PhaseEntry, 0, events),
		audit: make([]coaching.AuditEntry, 0, events+room)}
	for i := 1; i <= events; i++ {
		st := coaching.ValoSkillAcquisition
		if i%2 == 0 {
			st = coaching.ValoPaused
		}
		c.state = st
		c.history = append(c.history, coaching.PhaseEntry{State: st, At: now, Seq: int64(i)})
		c.audit = append(c.audit, coaching.AuditEntry{CaseID: id, Seq: int64(i), At: now, Kind: coaching.AuditTransition, ActorID: "coach-1", To: st})
	}
	s.mu.Lock()
	s.cases[id] = c
	s.mu.Unlock()
}

func (s *floorStore) fire(ctx context.Context, actor coaching.Actor, id coaching.CaseID, event, reason string, now time.Time) error {
	s.mu.RLock()
	c, ok := s.cases[id]
	var snap floorCase
	if ok {
		snap = *c
	}
	s.mu.RUnlock()
	if !ok {
		return fmt.Errorf("floor: no case %q", id)
	}
	if !actor.HasRole(coaching.RoleCoach) {
		return errors.New("floor: not a coach")
	}
	s.machine.SetState(snap.state)
	if err := s.machine.Event(ctx, event); err != nil {
		return err
	}
	to := s.machine.Current()
	next := &floorCase{state: to, version: snap.version + 1}
	next.history = append(snap.history[:len(snap.history):len(snap.history)], coaching.PhaseEntry{State: to, At: now, Seq: next.version})
	entry := coaching.AuditEntry{CaseID: id, Seq: next.version, At: now, Kind: coaching.AuditTransition, ActorID: actor.ID, Roles: actor.Roles,
		Event: event, From: snap.state, To: to, Reason: reason}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.cases[id]
	if cur.version != snap.version {
		return errFloorConflict
	}
	next.audit = append(cur.audit, entry)
	s.cases[id] = next
	return nil
}

// BenchmarkFireMemoryVsFloor compares Engine.Fire on the memory store
// (cases of 10 prior events, as BenchmarkFireMemoryHistory/history=10) with
// two baselines in the same run: "looplab-naive" is
// BenchmarkBaselineLooplabNaive (a machine built per command, no store),
// "floor" is floorStore (a reused machine over a hand-written map store)
// in the same rounds as Fire: as many cases of the same history per
// round, swept the same way. "fire" reports x-floor and x-naive: its ns/op
// ÷ theirs.
func BenchmarkFireMemoryVsFloor(b *testing.B) {
	ctx := context.Background()
	coach := coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}
	const events = 10
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, coaching.Helsinki)
	var naive, floor, naiveCPU, floorCPU benchkit.PerCount
	b.Run("looplab-naive", func(b *testing.B) {
		cpu0 := benchkit.CPUTime()
		BenchmarkBaselineLooplabNaive(b)
		naive.Set(b, benchkit.NsPerOp(b))
		naiveCPU.Set(b, benchkit.CPUPerOp(b, cpu0))
	})
	machine := fsm.NewFSM(coaching.ValoRecruitment, looplabEvents(coaching.VALO()), fsm.Callbacks{"before_event": noopCB, "enter_state": noopCB})
	b.Run("floor", func(b *testing.B) {
		cpu := runRounds(b, events, func(_ testing.TB, n int) ([]histCase, func(c *histCase) error) {
			fs := newFloorStore(machine, n)
			out := make([]histCase, n)
			for i := range out {
				id := coaching.CaseID("f-" + strconv.Itoa(i))
				fs.add(id, events, benchkit.Budget(events), now)
				out[i] = histCase{id: id, version: events}
			}
			return out, func(c *histCase) error {
				ev, o := benchkit.ToggleEvent(c.version)
				reason := ""
				if o != nil {
					reason = o.Reason
				}
				return fs.fire(ctx, coach, c.id, ev, reason, now)
			}
		})
		floor.Set(b, benchkit.NsPerOp(b))
		floorCPU.Set(b, cpu)
	})
	b.Run("fire", func(b *testing.B) {
		cpu := runRounds(b, events, memoryRound(events))
		if ns := floor.Median(); ns > 0 {
			b.ReportMetric(benchkit.NsPerOp(b)/ns, "x-floor")
			b.ReportMetric(cpu/floorCPU.Median(), "x-floor-cpu")
		}
		if ns := naive.Median(); ns > 0 {
			b.ReportMetric(benchkit.NsPerOp(b)/ns, "x-naive")
			b.ReportMetric(cpu/naiveCPU.Median(), "x-naive-cpu")
		}
	})
}

// A caller that edits the roles of its FireResult's audit entry changes no
// stored entry of another case (found in review: entries shared a
// package-wide one-role slice).
func TestFireResultRolesAreTheEntrysOwn(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(st, &coaching.Options{Models: []*coaching.Model{coaching.VALO()},
		Clock: coaching.ClockFunc(func() time.Time { return now })})
	if err != nil {
		t.Fatal(err)
	}
	a := benchCase(t, eng, coaching.ValoSkillAcquisition)
	b := benchCase(t, eng, coaching.ValoSkillAcquisition)
	coach := coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}
	if _, err := eng.Fire(ctx, coach, b, coaching.ValoPause, &coaching.FireOptions{Reason: "sick"}); err != nil {
		t.Fatal(err)
	}
	res, err := eng.Fire(ctx, coach, a, coaching.ValoPause, &coaching.FireOptions{Reason: "sick"})
	if err != nil {
		t.Fatal(err)
	}
	res.Entry.Roles[0] = "tampered"
	err = st.View(ctx, func(tx coaching.ReadTx) error {
		trail, err := tx.AuditTrail(ctx, b, 0)
		if err != nil {
			return err
		}
		for _, e := range trail {
			if len(e.Roles) != 1 || e.Roles[0] != coaching.RoleCoach {
				t.Errorf("case %s's audit entry %d has roles %v", b, e.Seq, e.Roles)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
