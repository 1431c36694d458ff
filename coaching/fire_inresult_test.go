package coaching_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// TestFireInResultAgreesWithTheCopy: a Fire that no rule, effect or host
// policy sees loads the case straight into its result and changes it there
// (plan.inResult); loaded into the Transition and copied into the result,
// as every other Fire does it, the same commands — pauses and resumes with
// their timers, idempotency keys and their replays, refused events,
// missing reasons, a resume to the wrong phase, an ExpectedVersion
// conflict, the end of the case — must come out the same: results, errors,
// the case, its audit trail and the timers.
func TestFireInResultAgreesWithTheCopy(t *testing.T) {
	run := func(copies bool) []string {
		old := *coaching.FireCopiesLoaded
		*coaching.FireCopiesLoaded = copies
		defer func() { *coaching.FireCopiesLoaded = old }()
		ctx := context.Background()
		now := time.Date(2026, 9, 1, 9, 0, 0, 0, coaching.Helsinki)
		n := 0
		st := memory.New()
		eng, err := coaching.New(st, &coaching.Options{Models: []*coaching.Model{coaching.VALO()},
			Clock: coaching.ClockFunc(func() time.Time { now = now.Add(37 * time.Hour); return now }),
			NewID: func() string { n++; return fmt.Sprintf("id-%d", n) }})
		if err != nil {
			t.Fatal(err)
		}
		id := benchCase(t, eng, coaching.ValoSkillAcquisition)
		coach := coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}
		stranger := coaching.Actor{ID: "someone", Roles: []coaching.Role{coaching.RoleCoach}}
		steps := []struct {
			a  coaching.Actor
			ev string
			o  *coaching.FireOptions
		}{
			{coach, coaching.ValoPause, &coaching.FireOptions{Reason: "sick leave", IdempotencyKey: "k1"}},
			{coach, coaching.ValoPause, &coaching.FireOptions{Reason: "sick leave", IdempotencyKey: "k1"}}, // replay
			{coach, coaching.ValoPause, &coaching.FireOptions{Reason: "again"}},                            // not from paused
			{coach, coaching.ValoResumeAcquisition, &coaching.FireOptions{ExpectedVersion: 1}},             // conflict
			{stranger, coaching.ValoResumeAcquisition, nil},
			{coach, coaching.ValoResumeAcquisition, nil},
			{coach, coaching.ValoPause, nil}, // reason required
			{coach, coaching.ValoPause, &coaching.FireOptions{Reason: "holiday"}},
			{coach, "no-such-event", nil},
			{coach, coaching.ValoResumeAcquisition, &coaching.FireOptions{IdempotencyKey: "k2"}},
			{coach, coaching.ValoResumeAcquisition, &coaching.FireOptions{IdempotencyKey: "k2"}},           // replay
			{coach, coaching.ValoPause, &coaching.FireOptions{Reason: "sick leave", IdempotencyKey: "k2"}}, // mismatch
			{coach, coaching.ValoDiscontinue, &coaching.FireOptions{Reason: "moved away"}},
			{coach, coaching.ValoResumeAcquisition, nil},
		}
		var out []string
		for i, s := range steps {
			res, err := eng.Fire(ctx, s.a, id, s.ev, s.o)
			if res != nil {
				out = append(out, fmt.Sprintf("%d: %+v", i, *res))
			}
			timers, terr := st.DueTimers(ctx, now.AddDate(10, 0, 0), 100)
			out = append(out, fmt.Sprintf("%d: %v; timers %+v %v", i, err, timers, terr))
		}
		c, err := eng.Case(ctx, coach, id)
		out = append(out, fmt.Sprintf("case %+v %v", c, err))
		err = st.View(ctx, func(tx coaching.ReadTx) error {
			trail, err := tx.AuditTrail(ctx, id, 0)
			out = append(out, fmt.Sprintf("trail %+v %v", trail, err))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	fast, slow := run(false), run(true)
	if len(fast) != len(slow) {
		t.Fatalf("%d lines in place, %d copied", len(fast), len(slow))
	}
	for i := range fast {
		if fast[i] != slow[i] {
			t.Errorf("in place:\n%s\ncopied:\n%s", fast[i], slow[i])
		}
	}
}
