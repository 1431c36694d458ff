package coaching_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/looplab/fsm"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// The baseline is the naive way to restore one case per command with
// looplab/fsm: build a machine, set the stored state, fire the event
// (fsm.md's pattern (c)). It runs in the same `go test -bench` run as the
// engine so the ratio is measured on the same machine at the same time.

var (
	sinkState string
	noopCB    = func(context.Context, *fsm.Event) {}
)

func looplabEvents(m *coaching.Model) fsm.Events {
	spec := m.Spec()
	evs := make(fsm.Events, 0, len(spec.Events))
	for _, e := range spec.Events {
		evs = append(evs, fsm.EventDesc{Name: e.Name, Src: e.From, Dst: e.To})
	}
	return evs
}

// BenchmarkBaselineLooplabNaive is NewFSM + SetState + Event per command,
// with a guard and an audit callback, on the VALO model's 10 states and 14
// events.
func BenchmarkBaselineLooplabNaive(b *testing.B) {
	evs := looplabEvents(coaching.VALO())
	cbs := fsm.Callbacks{"before_event": noopCB, "enter_state": noopCB}
	ctx := context.Background()
	ev := [2]string{coaching.ValoPause, coaching.ValoResumeAcquisition}
	state := [2]string{coaching.ValoSkillAcquisition, coaching.ValoPaused}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f := fsm.NewFSM(coaching.ValoRecruitment, evs, cbs)
		f.SetState(state[i&1])
		if err := f.Event(ctx, ev[i&1]); err != nil {
			b.Fatal(err)
		}
		sinkState = f.Current()
		i++
	}
}

// firesPerCase bounds how many transitions one case receives in
// BenchmarkFireMemoryIdempotent: a fresh case every 12 commands, so its
// cases have 3 to 15 prior events. BenchmarkFireMemoryHistory measures
// Fire on long histories.
const firesPerCase = 12

// BenchmarkFireMemoryIdempotent is Engine.Fire on the memory store with an
// idempotency key on every command (one more row written per command):
// pause / resume on VALO cases, a fresh case every firesPerCase commands
// (opened outside the timer).
func BenchmarkFireMemoryIdempotent(b *testing.B) {
	benchFire(b, true)
}

func benchFire(b *testing.B, withKey bool) {
	ctx := context.Background()
	eng := benchEngine(b)
	coach := coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}
	keys := make([]string, firesPerCase)
	for i := range keys {
		keys[i] = fmt.Sprintf("k%d", i)
	}
	pause := &coaching.FireOptions{Reason: "sick leave"}
	resume := &coaching.FireOptions{}
	// Open every case the run needs before the clock starts, so the timed
	// loop measures Fire alone.
	ids := make([]coaching.CaseID, b.N/firesPerCase+1)
	for i := range ids {
		ids[i] = benchCase(b, eng, coaching.ValoSkillAcquisition)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := i % firesPerCase
		id := ids[i/firesPerCase]
		if withKey {
			pause.IdempotencyKey, resume.IdempotencyKey = keys[n], keys[n]
		}
		var err error
		if n&1 == 0 {
			_, err = eng.Fire(ctx, coach, id, coaching.ValoPause, pause)
		} else {
			_, err = eng.Fire(ctx, coach, id, coaching.ValoResumeAcquisition, resume)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

func benchEngine(b testing.TB) *coaching.Engine {
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.VALO()},
		Clock: coaching.ClockFunc(func() time.Time { return now })})
	if err != nil {
		b.Fatal(err)
	}
	return eng
}

// benchCase opens a VALO case and drives it to state.
func benchCase(b testing.TB, eng *coaching.Engine, state string) coaching.CaseID {
	b.Helper()
	ctx := context.Background()
	coach := coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}
	c, err := eng.Enrol(ctx, coach, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: benchParticipant(0),
		Team: []coaching.TeamMember{{ActorID: "coach-1", Role: coaching.RoleCoach, Name: "Maija Kares"}}})
	if err != nil {
		b.Fatal(err)
	}
	steps := []struct {
		ev string
		o  *coaching.FireOptions
	}{
		{coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()}},
		{coaching.ValoStartAcquisition, &coaching.FireOptions{Payload: coaching.InductionFindings{FieldSuitability: "good", WorkingLifeSkills: "good", CurrentCompetence: "basic"}}},
	}
	for _, s := range steps {
		if c.State == state {
			break
		}
		r, err := eng.Fire(ctx, coach, c.ID, s.ev, s.o)
		if err != nil {
			b.Fatal(err)
		}
		c = r.Case
	}
	return c.ID
}

func allMet() coaching.EntryAssessment {
	m := coaching.CriterionMet
	return coaching.EntryAssessment{Motivation: m, WorkingLifeSkills: m, AttendanceCommitment: m, WorkCommitment: m, GoalCommitment: m}
}

func benchParticipant(i int) coaching.Participant {
	months := 14
	return coaching.Participant{
		GivenNames: "Aino", FamilyName: fmt.Sprintf("Virtanen %d", i),
		BirthDate: coaching.NewDate(1990, 5, 17), Language: coaching.Finnish,
		Contact:    coaching.Contact{Email: "aino.virtanen@example.fi"},
		Background: coaching.Background{Gender: coaching.GenderFemale, EducationLevel: coaching.EducationBasic, UnemployedMonths: &months},
	}
}

// BenchmarkIdleCaseMemory reports the heap bytes one idle case costs in the
// memory store: a participant enrolled into a VALO case (case row, history,
// team member, first audit entry, deadline timer).
func BenchmarkIdleCaseMemory(b *testing.B) {
	ctx := context.Background()
	coach := coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}
	const n = 20000
	for b.Loop() {
		store := memory.New()
		eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.VALO()}})
		if err != nil {
			b.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for i := 0; i < n; i++ {
			if _, err := eng.Enrol(ctx, coach, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: benchParticipant(i),
				Team: []coaching.TeamMember{{ActorID: "coach-1", Role: coaching.RoleCoach, Name: "Maija Kares"}}}); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "bytes/idle-case")
		runtime.KeepAlive(store)
	}
}

// nullStore serves one fixed case and discards every write, so
// BenchmarkFireEngineOnly measures the engine's own share of Fire (role
// check, rules, the pooled looplab machine, the plan of writes) without any
// storage work.
type nullStore struct {
	coaching.Store // unused methods panic if called
	c              coaching.Case
	keep           int // history entries the case keeps
}

type nullTx struct {
	coaching.Tx
	c    *coaching.Case
	keep int
}

func (s *nullStore) View(_ context.Context, fn func(coaching.ReadTx) error) error {
	return fn(nullTx{c: &s.c, keep: s.keep})
}
func (s *nullStore) Update(_ context.Context, fn func(coaching.Tx) error) error {
	return fn(nullTx{c: &s.c, keep: s.keep})
}
func (t nullTx) Case(context.Context, coaching.CaseID) (coaching.Case, error) { return *t.c, nil }
func (t nullTx) UpdateCase(_ context.Context, c coaching.Case, _ int64) error {
	if n := len(c.History); n > t.keep {
		c.History = c.History[n-t.keep:] // the case's history stays at keep entries
	}
	*t.c = c
	return nil
}
func (nullTx) AppendAudit(context.Context, coaching.AuditEntry) error { return nil }
func (nullTx) PutTimer(context.Context, coaching.Timer) error         { return nil }
func (nullTx) DeleteTimer(context.Context, string) error              { return nil }
