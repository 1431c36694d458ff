package coaching_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

func induction() coaching.InductionFindings {
	return coaching.InductionFindings{
		FieldSuitability:  "Suits cleaning services well; careful and tidy.",
		WorkingLifeSkills: "Punctual, works well in a team.",
		CurrentCompetence: "Has done home cleaning; no machine cleaning yet.",
		TargetUnits:       []string{"Perussiivouspalvelut"},
	}
}

func valoEnv(t *testing.T) (*ct.Env, coaching.Case) {
	t.Helper()
	env := ct.New(t, nil)
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant(), ct.TeamMember(ct.Coach, coaching.RoleCoach))
	return env, c
}

func TestVALOFullPath(t *testing.T) {
	env, c := valoEnv(t)
	day := 24 * time.Hour
	c = env.Drive(t, c.ID,
		ct.Step{Event: coaching.ValoAdmit, As: ct.Coach, Options: &coaching.FireOptions{Payload: allMet()}, After: 10 * day},
		ct.Step{Event: coaching.ValoStartAcquisition, As: ct.Coach, Options: &coaching.FireOptions{Payload: induction()}, After: 25 * day},
		ct.Step{Event: coaching.ValoStartDemonstration, As: ct.Coach, After: 50 * day},
		ct.Step{Event: coaching.ValoReturnToAcquisition, As: ct.Coach, Options: &coaching.FireOptions{Reason: "machine cleaning needs practice"}, After: 5 * day},
		ct.Step{Event: coaching.ValoStartDemonstration, As: ct.Coach, After: 14 * day},
		ct.Step{Event: coaching.ValoStartOnwardGuidance, As: ct.Coach, After: 10 * day},
		ct.Step{Event: coaching.ValoClose, As: ct.Coach, After: 20 * day},
	)
	assert.Equal(t, coaching.ValoClosed, c.State)
	assert.True(t, c.Closed())
	assert.Equal(t, int64(8), c.Version)
	assert.Empty(t, c.History, "a case as stored has no history: the audit trail is its history")
	c, err := env.Engine.Case(context.Background(), ct.Coach, c.ID)
	require.NoError(t, err)
	require.Len(t, c.History, 8, "Engine.Case reads the history from the audit trail")
	wantStates := []string{coaching.ValoRecruitment, coaching.ValoInduction, coaching.ValoSkillAcquisition, coaching.ValoDemonstration,
		coaching.ValoSkillAcquisition, coaching.ValoDemonstration, coaching.ValoOnwardGuidance, coaching.ValoClosed}
	for i, h := range c.History {
		assert.Equal(t, wantStates[i], h.State, "history[%d]", i)
		assert.Equal(t, int64(i+1), h.Seq)
		if i > 0 {
			assert.True(t, h.At.After(c.History[i-1].At), "phase entries are in time order")
		}
	}
	trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
	assert.Equal(t, coaching.AuditOpened, trail[0].Kind)
	assert.Equal(t, "machine cleaning needs practice", trail[4].Reason)
	assert.Equal(t, ct.Coach.ID, trail[1].ActorID)

	var a coaching.EntryAssessment
	require.NoError(t, c.DecodeRecord(coaching.RecordEntryAssessment, &a))
	assert.Equal(t, coaching.CriterionMet, a.GoalCommitment)
	var f coaching.InductionFindings
	require.NoError(t, c.DecodeRecord(coaching.RecordInduction, &f))
	assert.Equal(t, []string{"Perussiivouspalvelut"}, f.TargetUnits)
	assert.JSONEq(t, string(trail[1].Payload), string(mustJSON(t, allMet())), "the audit keeps the payload")

	_, err = env.Engine.Fire(context.Background(), ct.Coach, c.ID, coaching.ValoDiscontinue, &coaching.FireOptions{Reason: "late"})
	ct.RequireNotAllowed(t, err) // nothing leaves a terminal state
}

func TestVALOSideExits(t *testing.T) {
	working := []struct {
		name  string
		steps []ct.Step
	}{
		{coaching.ValoInduction, []ct.Step{ct.FireWith(coaching.ValoAdmit, allMet())}},
		{coaching.ValoSkillAcquisition, []ct.Step{ct.FireWith(coaching.ValoAdmit, allMet()), ct.FireWith(coaching.ValoStartAcquisition, induction())}},
		{coaching.ValoDemonstration, []ct.Step{ct.FireWith(coaching.ValoAdmit, allMet()), ct.FireWith(coaching.ValoStartAcquisition, induction()),
			ct.Fire(coaching.ValoStartDemonstration)}},
		{coaching.ValoOnwardGuidance, []ct.Step{ct.FireWith(coaching.ValoAdmit, allMet()), ct.FireWith(coaching.ValoStartAcquisition, induction()),
			ct.Fire(coaching.ValoStartDemonstration), ct.Fire(coaching.ValoStartOnwardGuidance)}},
	}
	exits := []struct {
		event string
		to    string
		exit  coaching.ExitKind
	}{
		{coaching.ValoDiscontinue, coaching.ValoDiscontinued, coaching.ExitDiscontinued},
		{coaching.ValoRedirect, coaching.ValoRedirected, coaching.ExitPositive},
	}
	m := coaching.VALO()
	for _, w := range working {
		for _, x := range exits {
			t.Run(x.event+"_from_"+w.name, func(t *testing.T) {
				env, c := valoEnv(t)
				c = env.Drive(t, c.ID, w.steps...)
				require.Equal(t, w.name, c.State)
				_, err := env.Engine.Fire(context.Background(), ct.Coach, c.ID, x.event, nil)
				ct.RequireInvalid(t, err, "reason")
				c = env.Drive(t, c.ID, ct.Because(x.event, "moved to another town"))
				assert.Equal(t, x.to, c.State)
				assert.True(t, c.Closed())
				st, _ := m.State(c.State)
				assert.Equal(t, x.exit, st.Exit)
				assert.Equal(t, "moved to another town", ct.RequireTransition(t, env.Engine, c.ID, w.name, x.to).Reason)
			})
		}
	}
	t.Run("discontinue_while_paused", func(t *testing.T) {
		env, c := valoEnv(t)
		c = env.Drive(t, c.ID, ct.FireWith(coaching.ValoAdmit, allMet()), ct.Because(coaching.ValoPause, "sick leave"),
			ct.Because(coaching.ValoDiscontinue, "did not return"))
		assert.Equal(t, coaching.ValoDiscontinued, c.State)
	})
	t.Run("decline_at_recruitment", func(t *testing.T) {
		env, c := valoEnv(t)
		notMet := allMet()
		notMet.AttendanceCommitment = coaching.CriterionNotMet
		c = env.Drive(t, c.ID, ct.Step{Event: coaching.ValoDecline, Options: &coaching.FireOptions{Reason: "entry criteria not met", Payload: notMet}})
		assert.Equal(t, coaching.ValoDeclined, c.State)
		st, _ := m.State(c.State)
		assert.Equal(t, coaching.ExitNotAdmitted, st.Exit)
		var a coaching.EntryAssessment
		require.NoError(t, c.DecodeRecord(coaching.RecordEntryAssessment, &a))
		assert.Equal(t, coaching.CriterionNotMet, a.AttendanceCommitment)
	})
	t.Run("redirect_not_from_recruitment", func(t *testing.T) {
		env, c := valoEnv(t)
		_, err := env.Engine.Fire(context.Background(), ct.Coach, c.ID, coaching.ValoRedirect, &coaching.FireOptions{Reason: "x"})
		ct.RequireNotAllowed(t, err, coaching.ValoAdmit, coaching.ValoDecline, coaching.ValoDiscontinue)
	})
}

func TestRejectedAdmissionChangesNothing(t *testing.T) {
	env, c := valoEnv(t)
	a := allMet()
	a.Motivation = coaching.CriterionNotMet
	a.WorkCommitment = coaching.CriterionNotMet
	_, err := env.Engine.Fire(context.Background(), ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: a})
	rej := ct.RequireRejected(t, err, "own motivation", "commitment to work")
	assert.ErrorIs(t, err, coaching.ErrRulesRejected)
	assert.Equal(t, "entry_criteria_met", rej.Failures[0].Rule)
	after := ct.RequireState(t, env.Engine, c.ID, coaching.ValoRecruitment)
	assert.Equal(t, c.Version, after.Version)
	assert.Len(t, ct.RequireAuditTrail(t, env.Engine, c.ID), 1)

	// An incomplete assessment is a validation error naming every field.
	_, err = env.Engine.Fire(context.Background(), ct.Coach, c.ID, coaching.ValoAdmit,
		&coaching.FireOptions{Payload: coaching.EntryAssessment{Motivation: "maybe"}})
	ct.RequireInvalid(t, err, "motivation", "working_life_skills", "attendance_commitment", "work_commitment", "goal_commitment")
	// No payload at all.
	_, err = env.Engine.Fire(context.Background(), ct.Coach, c.ID, coaching.ValoAdmit, nil)
	ct.RequireInvalid(t, err, "payload")
}

// Every rule that fails is reported, not only the first.
func TestEveryFailingRuleIsReported(t *testing.T) {
	spec := coaching.VALOSpec()
	require.NoError(t, spec.AddRules(coaching.ValoAdmit,
		coaching.NewRule("has_e-mail", func(ctx context.Context, tr *coaching.Transition) error {
			p, err := tr.Participant(ctx)
			if err != nil {
				return err
			}
			if p.Contact.Email == "" {
				return errors.New("the participant has no e-mail address")
			}
			return nil
		}),
		coaching.NewRule("weekday", func(_ context.Context, tr *coaching.Transition) error {
			if d := tr.Today().Weekday(); d == time.Saturday || d == time.Sunday {
				return errors.New("admissions are made on weekdays")
			}
			return nil
		}),
	))
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	env := ct.New(t, &ct.Options{Models: []*coaching.Model{m}, Start: time.Date(2026, 8, 15, 10, 0, 0, 0, coaching.Helsinki)}) // a Saturday
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant(func(p *coaching.Participant) { p.Contact.Email = "" }))
	a := allMet()
	a.GoalCommitment = coaching.CriterionNotMet
	_, err = env.Engine.Fire(context.Background(), ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: a})
	rej := ct.RequireRejected(t, err, "goal-oriented period", "no e-mail address", "weekdays")
	assert.Len(t, rej.Failures, 3)
}

func TestPausedDeadline(t *testing.T) {
	env, c := valoEnv(t)
	c = env.Drive(t, c.ID, ct.FireWith(coaching.ValoAdmit, allMet()), ct.FireWith(coaching.ValoStartAcquisition, induction()))
	entered := c.Phase.EnteredAt
	due := c.Phase.DueAt
	assert.True(t, due.Equal(entered.In(coaching.Helsinki).AddDate(0, 2, 0)), "skill acquisition is due two months after it starts")

	env.Clock.AdvanceDays(20)
	c = env.Drive(t, c.ID, ct.Because(coaching.ValoPause, "sick leave"))
	pausedAt := env.Clock.Now()
	env.Clock.AdvanceDays(30)
	// While paused, the phase cannot be overdue: the old due time passes
	// (the clock is now 50 days on; advance past the original due date).
	env.Clock.Set(due.Add(time.Hour))
	assert.Equal(t, 0, env.Tick(t).Overdue, "a paused phase never runs late")

	// Resuming to another phase is refused.
	_, err := env.Engine.Fire(context.Background(), ct.Coach, c.ID, coaching.ValoResumeDemonstration, nil)
	ct.RequireRejected(t, err, `paused from "skill_acquisition"`)
	var avail []string
	require.NoError(t, env.Engine.ReadCase(context.Background(), ct.Coach, coaching.OpFireEvent, c.ID, func(v *coaching.CaseView) error {
		avail, err = v.Available()
		return err
	}))
	assert.ElementsMatch(t, []string{coaching.ValoResumeAcquisition, coaching.ValoDiscontinue}, avail)

	resumedAt := env.Clock.Now()
	c = env.Drive(t, c.ID, ct.Fire(coaching.ValoResumeAcquisition))
	// The pause ran from 2026-08-30 09:00 to 2026-10-10 10:00 (Helsinki):
	// 41 days and an hour. The deadline moves by that on the calendar, past
	// the end of summer time, and keeps its time of day plus the hour.
	assert.Equal(t, 41*24*time.Hour+time.Hour, c.Phase.PausedFor, "paused from %s to %s", pausedAt, resumedAt)
	wantDue := due.In(coaching.Helsinki).AddDate(0, 0, 41).Add(time.Hour)
	assert.True(t, c.Phase.DueAt.Equal(wantDue), "the deadline moves by the time paused: got %s want %s", c.Phase.DueAt, wantDue)
	assert.Equal(t, due.In(coaching.Helsinki).Hour()+1, c.Phase.DueAt.In(coaching.Helsinki).Hour())
	assert.True(t, c.Phase.EnteredAt.Equal(entered), "resuming is not a new entry")

	env.Clock.Set(c.Phase.DueAt.Add(-time.Minute))
	assert.Equal(t, 0, env.Tick(t).Overdue)
	env.Clock.Set(c.Phase.DueAt.Add(time.Minute))
	rep := env.Tick(t)
	assert.Equal(t, 1, rep.Overdue)
	assert.Equal(t, 1, rep.Notices)
	assert.Equal(t, 0, env.Tick(t).Overdue, "a deadline is noticed once")
	sent := env.Deliver(t)
	n := ct.RequireNotice(t, sent, ct.NoticeMatch{Kind: coaching.NoticeKindPhaseOverdue, CaseID: c.ID, RecipientID: ct.Coach.ID})
	assert.Contains(t, n.Subject, "Skill acquisition")
	c = ct.RequireState(t, env.Engine, c.ID, coaching.ValoSkillAcquisition)
	assert.False(t, c.Phase.OverdueAt.IsZero())
	trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
	assert.Equal(t, coaching.AuditOverdue, trail[len(trail)-1].Kind)
}

// Leaving a phase before its deadline cancels its timer; the next phase
// gets its own.
func TestDeadlineFollowsThePhase(t *testing.T) {
	env, c := valoEnv(t)
	env.Clock.AdvanceDays(10)
	c = env.Drive(t, c.ID, ct.FireWith(coaching.ValoAdmit, allMet()))
	env.Clock.AdvanceDays(25) // recruitment's old deadline has passed, induction's has not
	assert.Equal(t, 0, env.Tick(t).Overdue)
	env.Clock.AdvanceDays(10) // induction is now 35 days old
	assert.Equal(t, 1, env.Tick(t).Overdue)
	c = ct.RequireState(t, env.Engine, c.ID, coaching.ValoInduction)
	assert.False(t, c.Phase.OverdueAt.IsZero())
	// A later transition after an overdue phase does not resurrect the old timer.
	c = env.Drive(t, c.ID, ct.FireWith(coaching.ValoStartAcquisition, induction()))
	assert.True(t, c.Phase.OverdueAt.IsZero())
}

func TestConcurrentFireOnOneCase(t *testing.T) {
	env, c := valoEnv(t)
	c = env.Drive(t, c.ID, ct.FireWith(coaching.ValoAdmit, allMet()), ct.FireWith(coaching.ValoStartAcquisition, induction()))
	start := c.Version
	const workers = 50
	const rounds = 20
	var (
		wg        sync.WaitGroup
		conflicts atomic.Int64
		mu        sync.Mutex
		won       = map[int64]int{} // version produced -> number of winners
	)
	ctx := context.Background()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				cur, err := env.Engine.Case(ctx, ct.Staff, c.ID)
				if err != nil {
					t.Error(err)
					return
				}
				ev, opts := coaching.ValoPause, &coaching.FireOptions{Reason: "sick leave", ExpectedVersion: cur.Version}
				if cur.State == coaching.ValoPaused {
					ev, opts = coaching.ValoResumeAcquisition, &coaching.FireOptions{ExpectedVersion: cur.Version}
				}
				res, err := env.Engine.Fire(ctx, ct.Coach, c.ID, ev, opts)
				switch {
				case err == nil:
					mu.Lock()
					won[res.Case.Version]++
					mu.Unlock()
				case errors.Is(err, coaching.ErrConflict):
					conflicts.Add(1)
				case errors.Is(err, coaching.ErrTransitionNotAllowed):
					// Loaded a state another worker already left.
					conflicts.Add(1)
				default:
					t.Errorf("unexpected error: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	final, err := env.Engine.Case(ctx, ct.Staff, c.ID)
	require.NoError(t, err)
	wins := int64(0)
	for v, n := range won {
		assert.Equal(t, 1, n, "version %d was produced by %d commands", v, n)
		wins += int64(n)
	}
	assert.Equal(t, int64(workers*rounds), wins+conflicts.Load(), "every command either won or got a conflict")
	assert.Greater(t, conflicts.Load(), int64(0), "50 workers on one case must collide")
	assert.Equal(t, start+wins, final.Version, "one version per winning command")
	for v := start + 1; v <= final.Version; v++ {
		assert.Equal(t, 1, won[v], "version %d has no single winner", v)
	}
	trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
	assert.Len(t, trail, int(final.Version), "the audit trail has no gaps")
}

// Without ExpectedVersion, concurrent commands still cannot both commit
// from the same version: the store's version check catches the loser.
func TestConcurrentFireWithoutExpectedVersion(t *testing.T) {
	env, c := valoEnv(t)
	c = env.Drive(t, c.ID, ct.FireWith(coaching.ValoAdmit, allMet()), ct.FireWith(coaching.ValoStartAcquisition, induction()))
	var wg sync.WaitGroup
	var ok, conflict, notAllowed atomic.Int64
	for w := 0; w < 50; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := env.Engine.Fire(context.Background(), ct.Coach, c.ID, coaching.ValoPause, &coaching.FireOptions{Reason: "sick"})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, coaching.ErrConflict):
				conflict.Add(1)
			case errors.Is(err, coaching.ErrTransitionNotAllowed):
				notAllowed.Add(1)
			default:
				t.Errorf("unexpected: %v", err)
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(1), ok.Load(), "exactly one pause wins")
	assert.Equal(t, int64(49), conflict.Load()+notAllowed.Load())
	assert.Len(t, ct.RequireAuditTrail(t, env.Engine, c.ID), int(c.Version)+1)
}

func TestIdempotentFire(t *testing.T) {
	env, c := valoEnv(t)
	ctx := context.Background()
	opts := &coaching.FireOptions{Payload: allMet(), IdempotencyKey: "admit-1"}
	first, err := env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, opts)
	require.NoError(t, err)
	assert.False(t, first.Replayed)
	again, err := env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, opts)
	require.NoError(t, err)
	assert.True(t, again.Replayed)
	assert.Equal(t, first.Entry.Seq, again.Entry.Seq)
	assert.Equal(t, coaching.ValoInduction, again.Case.State)
	assert.Len(t, ct.RequireAuditTrail(t, env.Engine, c.ID), 2, "no second transition")

	// The payload may arrive as JSON on a retry (e.g. over HTTP); it is the
	// same command only if its content is the same.
	_, err = env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoPause, &coaching.FireOptions{Reason: "x", IdempotencyKey: "admit-1"})
	assert.ErrorIs(t, err, coaching.ErrIdempotencyMismatch)

	// Concurrent retries of one command: one transition.
	var wg sync.WaitGroup
	results := make([]*coaching.FireResult, 20)
	errs := make([]error, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoPause, &coaching.FireOptions{Reason: "sick", IdempotencyKey: "pause-1"})
		}()
	}
	wg.Wait()
	fresh := 0
	for i := range results {
		if errs[i] != nil {
			assert.ErrorIs(t, errs[i], coaching.ErrConflict, "a retry that raced the first may see a conflict")
			continue
		}
		if !results[i].Replayed {
			fresh++
		}
	}
	assert.Equal(t, 1, fresh, "exactly one retry transitions")
	assert.Len(t, ct.RequireAuditTrail(t, env.Engine, c.ID), 3)
}

func TestExpectedVersion(t *testing.T) {
	env, c := valoEnv(t)
	_, err := env.Engine.Fire(context.Background(), ct.Coach, c.ID, coaching.ValoAdmit,
		&coaching.FireOptions{Payload: allMet(), ExpectedVersion: c.Version + 3})
	var ce *coaching.ConflictError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, c.Version, ce.Current)
	assert.Equal(t, c.Version+3, ce.Expected)
}

func TestTransitionErrors(t *testing.T) {
	env, c := valoEnv(t)
	ctx := context.Background()
	_, err := env.Engine.Fire(ctx, ct.Coach, c.ID, "fly_away", nil)
	te := ct.RequireNotAllowed(t, err, coaching.ValoAdmit, coaching.ValoDecline, coaching.ValoDiscontinue)
	assert.True(t, te.Unknown)
	_, err = env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoStartDemonstration, nil)
	te = ct.RequireNotAllowed(t, err, coaching.ValoAdmit, coaching.ValoDecline, coaching.ValoDiscontinue)
	assert.False(t, te.Unknown)
	assert.Contains(t, err.Error(), `"start_demonstration" is not allowed from state "recruitment"`)

	_, err = env.Engine.Fire(ctx, ct.Coach, "no-such-case", coaching.ValoAdmit, nil)
	assert.ErrorIs(t, err, coaching.ErrNotFound)
	_, err = env.Engine.Fire(ctx, coaching.Actor{}, c.ID, coaching.ValoAdmit, nil)
	ct.RequireForbidden(t, err)
	_, err = env.Engine.Fire(ctx, ct.Tutor, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()})
	fe := ct.RequireForbidden(t, err)
	assert.Equal(t, coaching.RuleSupportTeam, fe.Rule, "the tutor is not on this case's team")
	_, err = changeTeam(ctx, env.Engine, ct.Staff, c.ID, coaching.TeamChange{Add: new(ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor))})
	require.NoError(t, err)
	_, err = env.Engine.Fire(ctx, ct.Tutor, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()})
	fe = ct.RequireForbidden(t, err)
	assert.Equal(t, "event_roles", fe.Rule, "on the team now, but admission is the coach's")
	assert.Contains(t, fe.Error(), "coach")
}

func TestPayloadForms(t *testing.T) {
	ctx := context.Background()
	t.Run("json", func(t *testing.T) {
		env, c := valoEnv(t)
		raw := json.RawMessage(`{"motivation":"met","working_life_skills":"met","attendance_commitment":"met","work_commitment":"met","goal_commitment":"met"}`)
		res, err := env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: raw})
		require.NoError(t, err)
		assert.Equal(t, coaching.ValoInduction, res.Case.State)
	})
	t.Run("pointer", func(t *testing.T) {
		env, c := valoEnv(t)
		a := allMet()
		_, err := env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: &a})
		require.NoError(t, err)
	})
	bad := []struct {
		name    string
		payload any
		event   string
	}{
		{"unknown_json_field", json.RawMessage(`{"motivation":"met","shoe_size":44}`), coaching.ValoAdmit},
		{"malformed_json", json.RawMessage(`{"motivation":`), coaching.ValoAdmit},
		{"trailing_json", json.RawMessage(`{} {}`), coaching.ValoAdmit},
		{"wrong_type", induction(), coaching.ValoAdmit},
		{"nil_pointer", (*coaching.EntryAssessment)(nil), coaching.ValoAdmit},
		{"event_takes_none", allMet(), coaching.ValoDiscontinue},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			env, c := valoEnv(t)
			_, err := env.Engine.Fire(ctx, ct.Coach, c.ID, b.event, &coaching.FireOptions{Payload: b.payload, Reason: "r"})
			ct.RequireInvalid(t, err, "payload")
			ct.RequireState(t, env.Engine, c.ID, coaching.ValoRecruitment)
		})
	}
}

func TestEnrolValidationStoresNothing(t *testing.T) {
	env := ct.New(t, nil)
	ctx := context.Background()
	bad := ct.Participant(func(p *coaching.Participant) {
		p.GivenNames = ""
		p.Language = "de"
		p.Contact.Email = "not an address"
	})
	_, err := env.Engine.Enrol(ctx, ct.Staff, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: bad,
		Team: []coaching.TeamMember{{ActorID: "x", Role: "astronaut"}}})
	ct.RequireInvalid(t, err, "participant.given_names", "participant.language", "participant.contact.email", "team[0].role", "team[0].name")
	n := 0
	for _, err := range env.Store.Cases(ctx, coaching.CaseQuery{}) {
		require.NoError(t, err)
		n++
	}
	assert.Zero(t, n)

	_, err = env.Engine.Enrol(ctx, ct.Tutor, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: ct.Participant()})
	ct.RequireForbidden(t, err)
	_, err = env.Engine.Enrol(ctx, ct.Staff, coaching.EnrolParams{Model: "nope", Participant: ct.Participant()})
	ct.RequireInvalid(t, err, "model")

	c := env.Enrol(t, coaching.ModelVALO, ct.Participant())
	_, err = env.Engine.Enrol(ctx, ct.Staff, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: ct.Participant(), CaseID: c.ID})
	assert.ErrorIs(t, err, coaching.ErrDuplicate)
	// A second case for the same participant.
	c2, err := env.Engine.Enrol(ctx, ct.Staff, coaching.EnrolParams{Model: coaching.ModelPilot, ExistingParticipant: c.ParticipantID})
	require.NoError(t, err)
	assert.Equal(t, c.ParticipantID, c2.ParticipantID)
	_, err = env.Engine.Enrol(ctx, ct.Staff, coaching.EnrolParams{Model: coaching.ModelPilot, ExistingParticipant: "ghost"})
	assert.ErrorIs(t, err, coaching.ErrNotFound)
}

func TestPilotPath(t *testing.T) {
	env := ct.New(t, nil)
	team := []coaching.TeamMember{ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor), ct.TeamMember(ct.Coach, coaching.RoleCoach)}
	c := env.Enrol(t, coaching.ModelPilot, ct.Participant(), team...)
	ctx := context.Background()
	today := coaching.DateOf(env.Clock.Now())
	incomplete := coaching.InitialSituation{LiteracyScreening: coaching.ScreeningSupportNeed, MathsScreening: coaching.ScreeningNoNeed}
	_, err := env.Engine.Fire(ctx, ct.Tutor, c.ID, coaching.PilotMapInitialSituation, &coaching.FireOptions{Payload: incomplete})
	ct.RequireRejected(t, err, "initial interview has not been held", "HOKS drafting has not started")
	_, err = env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.PilotMapInitialSituation, &coaching.FireOptions{Payload: incomplete})
	ct.RequireForbidden(t, err) // only the personal tutor maps the initial situation

	done := incomplete
	done.InitialInterviewDate = today
	done.HOKSDraftingStarted = today.AddDays(-2)
	done.SupportNeeds = []string{"reading support"}
	res, err := env.Engine.Fire(ctx, ct.Tutor, c.ID, coaching.PilotMapInitialSituation, &coaching.FireOptions{Payload: done})
	require.NoError(t, err)
	assert.Equal(t, coaching.PilotCoaching, res.Case.State)
	require.Len(t, res.Notices, 1, "the coach is told; the tutor who fired is not")
	assert.Equal(t, ct.Coach.ID, res.Notices[0].Recipient.ID)
	sent := env.Deliver(t)
	ct.RequireNotice(t, sent, ct.NoticeMatch{Kind: coaching.NoticeKindTransition, RecipientID: ct.Coach.ID, BodyContains: "Individual and group coaching"})

	c = env.Drive(t, c.ID, ct.Step{Event: coaching.PilotEndFirstYear, As: ct.Tutor}, ct.Step{Event: coaching.PilotContinueStudies, As: ct.Tutor})
	assert.Equal(t, coaching.PilotContinuing, c.State)

	c2 := env.Enrol(t, coaching.ModelPilot, ct.Participant(), team...)
	c2 = env.Drive(t, c2.ID, ct.Step{Event: coaching.PilotRedirect, As: ct.Tutor, Options: &coaching.FireOptions{Reason: "better suited to logistics"}})
	st, _ := coaching.Pilot().State(c2.State)
	assert.Equal(t, coaching.ExitPositive, st.Exit, "a redirect to a better-suited field is a success")
}

func TestTickIsExactlyOnceUnderConcurrency(t *testing.T) {
	env := ct.New(t, nil)
	var ids []coaching.CaseID
	for i := 0; i < 30; i++ {
		ids = append(ids, env.Enrol(t, coaching.ModelVALO, ct.Participant(), ct.TeamMember(ct.Coach, coaching.RoleCoach)).ID)
	}
	env.Clock.AdvanceDays(45)
	var wg sync.WaitGroup
	var overdue, notices atomic.Int64
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := env.Engine.Tick(context.Background(), env.Clock.Now())
			if err != nil {
				t.Error(err)
			}
			overdue.Add(int64(rep.Overdue))
			notices.Add(int64(rep.Notices))
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(30), overdue.Load())
	assert.Equal(t, int64(30), notices.Load())
	assert.Len(t, env.Deliver(t), 30)
	for _, id := range ids {
		assert.Len(t, ct.RequireAuditTrail(t, env.Engine, id), 2)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestChangeTeam(t *testing.T) {
	env, c := valoEnv(t)
	ctx := context.Background()
	nurse := coaching.TeamMember{ActorID: "nurse-1", Role: coaching.RoleNurse, Name: "Terveydenhoitaja", Contact: coaching.Contact{Email: "th@example.fi"}}
	c2, err := changeTeam(ctx, env.Engine, ct.Coach, c.ID, coaching.TeamChange{Add: &nurse, Reason: "health check", ExpectedVersion: c.Version})
	require.NoError(t, err)
	assert.Len(t, c2.Members(coaching.RoleNurse), 1)
	assert.Equal(t, c.Version+1, c2.Version)
	trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
	assert.Equal(t, coaching.AuditTeam, trail[len(trail)-1].Kind)

	// Adding the same person in the same role again replaces the entry.
	nurse.Contact.Phone = "+358 40 111 2222"
	c3, err := changeTeam(ctx, env.Engine, ct.Coach, c.ID, coaching.TeamChange{Add: &nurse})
	require.NoError(t, err)
	require.Len(t, c3.Members(coaching.RoleNurse), 1)
	assert.Equal(t, "+358 40 111 2222", c3.Members(coaching.RoleNurse)[0].Contact.Phone)

	_, err = changeTeam(ctx, env.Engine, ct.Coach, c.ID, coaching.TeamChange{Remove: &coaching.TeamMemberRef{ActorID: "nurse-1", Role: coaching.RoleNurse}, ExpectedVersion: c2.Version})
	assert.ErrorIs(t, err, coaching.ErrConflict, "a stale team change is a conflict")
	c4, err := changeTeam(ctx, env.Engine, ct.Coach, c.ID, coaching.TeamChange{Remove: &coaching.TeamMemberRef{ActorID: "nurse-1", Role: coaching.RoleNurse}})
	require.NoError(t, err)
	assert.Empty(t, c4.Members(coaching.RoleNurse))
	_, err = changeTeam(ctx, env.Engine, ct.Coach, c.ID, coaching.TeamChange{Remove: &coaching.TeamMemberRef{ActorID: "nurse-1", Role: coaching.RoleNurse}})
	assert.ErrorIs(t, err, coaching.ErrNotFound)

	_, err = changeTeam(ctx, env.Engine, ct.Tutor, c.ID, coaching.TeamChange{Add: &nurse})
	ct.RequireForbidden(t, err)
	_, err = changeTeam(ctx, env.Engine, ct.Coach, c.ID, coaching.TeamChange{Add: &coaching.TeamMember{ActorID: "x", Role: "wizard"}})
	ct.RequireInvalid(t, err, "add.role", "add.name")
	_, err = changeTeam(ctx, env.Engine, ct.Coach, c.ID, coaching.TeamChange{})
	ct.RequireInvalid(t, err)
	ct.RequireAuditTrail(t, env.Engine, c.ID)
}

// Overdue notices are written in each recipient's language and name no
// personal data of the participant.
func TestOverdueNoticeLanguages(t *testing.T) {
	env := ct.New(t, nil)
	member := func(id string, l coaching.Language) coaching.TeamMember {
		return coaching.TeamMember{ActorID: id, Role: coaching.RoleCoach, Name: id, Contact: coaching.Contact{Email: id + "@example.fi"}, Language: l}
	}
	p := ct.Participant(func(p *coaching.Participant) { p.GivenNames, p.FamilyName = "Eeva", "Salonen" })
	c := env.Enrol(t, coaching.ModelVALO, p, member("fi-coach", coaching.Finnish), member("sv-coach", coaching.Swedish), member("en-coach", coaching.English))
	env.Clock.AdvanceDays(32)
	assert.Equal(t, 3, env.Tick(t).Notices)
	sent := env.Deliver(t)
	fi := ct.RequireNotice(t, sent, ct.NoticeMatch{RecipientID: "fi-coach"})
	sv := ct.RequireNotice(t, sent, ct.NoticeMatch{RecipientID: "sv-coach"})
	en := ct.RequireNotice(t, sent, ct.NoticeMatch{RecipientID: "en-coach"})
	assert.Contains(t, fi.Body, "1 kuukausi vaiheen alusta")
	assert.Contains(t, fi.Subject, "Määräaika ylittyi")
	assert.Contains(t, sv.Body, "1 månad efter att fasen började")
	assert.Contains(t, en.Body, "1 month after it began")
	assert.Contains(t, en.Body, "2026-09-10")
	assert.Contains(t, fi.Body, "10.9.2026")
	for _, n := range sent {
		assert.NotContains(t, n.Subject+n.Body, "Eeva")
		assert.NotContains(t, n.Subject+n.Body, "Salonen")
		assert.Equal(t, c.ID, n.CaseID)
	}
}

// Reasons may span lines; control characters, NUL and bidi overrides are
// rejected everywhere.
func TestReasonText(t *testing.T) {
	env, c := valoEnv(t)
	ctx := context.Background()
	for _, bad := range []string{"nul\x00byte", "bell\a", "rtl\u202Eevil", "para\u2029graph"} {
		_, err := env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoDiscontinue, &coaching.FireOptions{Reason: bad})
		ct.RequireInvalid(t, err, "reason")
	}
	res, err := env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoDiscontinue, &coaching.FireOptions{Reason: "moved away\n\tnew address unknown"})
	require.NoError(t, err)
	assert.Equal(t, "moved away\n\tnew address unknown", res.Entry.Reason)
	assert.Empty(t, coaching.TextProblems("f", "ok", 10, false))
	assert.Len(t, coaching.TextProblems("f", "two\nlines", 100, false), 1)
	assert.NotNil(t, coaching.Contact{Phone: "call me"}.Validate())
	assert.NoError(t, coaching.Contact{Email: "a@example.fi", Phone: "+358 40 123 4567"}.Validate())
}

// Fire reuses its working memory for the next command when no rule,
// effect or host policy saw it (pause and resume have none, and the test
// kit's engine has the default policy); a result it returned must not
// change with the commands that follow, on the same case or another.
func TestFireResultsAreTheirOwn(t *testing.T) {
	env, c := valoEnv(t)
	c = env.Drive(t, c.ID, ct.FireWith(coaching.ValoAdmit, allMet()), ct.FireWith(coaching.ValoStartAcquisition, induction()))
	other := env.Enrol(t, coaching.ModelVALO, ct.Participant(), ct.TeamMember(ct.Coach, coaching.RoleCoach))
	other = env.Drive(t, other.ID, ct.FireWith(coaching.ValoAdmit, allMet()), ct.FireWith(coaching.ValoStartAcquisition, induction()))
	ctx := context.Background()
	paused, err := env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoPause, &coaching.FireOptions{Reason: "sick leave"})
	require.NoError(t, err)
	want := *paused
	for range 3 {
		_, err := env.Engine.Fire(ctx, ct.Coach, other.ID, coaching.ValoPause, &coaching.FireOptions{Reason: "exams"})
		require.NoError(t, err)
		_, err = env.Engine.Fire(ctx, ct.Coach, other.ID, coaching.ValoResumeAcquisition, nil)
		require.NoError(t, err)
	}
	resumed, err := env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoResumeAcquisition, nil)
	require.NoError(t, err)
	assert.Equal(t, want, *paused, "a later Fire changed an earlier result")
	assert.Equal(t, coaching.ValoPaused, paused.Case.State)
	assert.Equal(t, "sick leave", paused.Entry.Reason)
	assert.Equal(t, coaching.ValoSkillAcquisition, resumed.Case.State)
	assert.Equal(t, paused.Case.Version+1, resumed.Case.Version)
	assert.NotSame(t, paused, resumed)
}

// A host-given case id is scoped to the case's organisation by
// construction — the organisation, a colon, an id without a colon — so no
// organisation can take or detect another's: the other organisation's id
// is refused as malformed (the same for any organisation but one's own,
// whether the id is taken or not), and a taken id of the organisation's
// own is the duplicate. An organisation id may itself contain colons.
func TestEnrolCaseIDsAreScopedToTheOrganisation(t *testing.T) {
	env := ct.New(t, nil)
	ctx := context.Background()
	enrol := func(org coaching.OrganisationID, id coaching.CaseID) (coaching.Case, error) {
		head := coaching.Actor{ID: "coach-" + string(org), Organisation: org, Roles: []coaching.Role{coaching.RoleHeadOfStudies, coaching.RoleCoach}}
		return env.Engine.Enrol(ctx, head, coaching.EnrolParams{Model: coaching.ModelVALO, CaseID: id,
			Participant: ct.Participant(func(p *coaching.Participant) { p.ID, p.Organisation = "", org })})
	}
	c, err := enrol("school-1", "school-1:case-1")
	require.NoError(t, err)
	assert.Equal(t, coaching.CaseID("school-1:case-1"), c.ID)
	assert.Equal(t, coaching.OrganisationCaseID("school-1", "case-1"), c.ID)

	// Another organisation: the same answer for school-1's taken id and
	// for one school-1 has not used, naming case_id and the way.
	var answers []string
	for _, id := range []coaching.CaseID{"school-1:case-1", "school-1:case-2"} {
		_, err := enrol("school-2", id)
		ve := ct.RequireInvalid(t, err, "case_id")
		assert.Contains(t, ve.Problems[0].Message, `"school-2:case-1"`, "says how")
		answers = append(answers, ve.Problems[0].Message)
	}
	assert.Equal(t, answers[0], answers[1])
	_, err = enrol("school-2", "school-2:case-1")
	require.NoError(t, err, "the same own id in another organisation")
	_, err = enrol("school-1", "school-1:case-1")
	assert.ErrorIs(t, err, coaching.ErrDuplicate, "a taken id of the organisation's own")

	for _, tc := range []struct {
		org coaching.OrganisationID
		id  coaching.CaseID
		ok  bool
	}{
		{"school-1", "case-3", false},
		{"school-1", "school-1:", false},
		{"school-1", "school-10:case-3", false},
		{"school-1", "school-1:a:b", false}, // would be organisation "school-1:a"
		{"urn:oid:1.2.246", "urn:oid:1.2.246:case-1", true},
		{"urn:oid:1.2.246", "urn:oid:case-1", false},
		{"urn:oid", "urn:oid:1.2.246:case-2", false}, // the id of organisation "urn:oid:1.2.246"
		{"", "case-4", true},
		{"", "school-1:case-4", false},
		{"", ":case-4", false},
	} {
		_, err := enrol(tc.org, tc.id)
		if tc.ok {
			assert.NoError(t, err, "%q in %q", tc.id, tc.org)
		} else {
			ct.RequireInvalid(t, err, "case_id")
		}
	}
}
