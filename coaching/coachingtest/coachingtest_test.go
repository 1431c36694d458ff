package coachingtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// mockT records failures instead of failing the real test, so the kit's
// own failure paths can be asserted.
type mockT struct {
	failed   bool
	messages []string
}

func (m *mockT) Helper() {}
func (m *mockT) Errorf(format string, args ...any) {
	m.failed = true
	m.messages = append(m.messages, fmt.Sprintf(format, args...))
}

// FailNow would stop the goroutine in a real T; the mock only records it,
// and the twins return right after calling fail.
func (m *mockT) FailNow() { m.failed = true }

func (m *mockT) text() string { return strings.Join(m.messages, "\n") }

func TestClock(t *testing.T) {
	start := time.Date(2026, 3, 28, 9, 0, 0, 0, coaching.Helsinki)
	c := NewClock(start)
	assert.True(t, c.Now().Equal(start))
	c.AdvanceDays(1) // into the 23-hour day of 2026-03-29
	assert.Equal(t, 9, c.Now().In(coaching.Helsinki).Hour(), "a civil day keeps the wall-clock time")
	assert.Equal(t, 23*time.Hour, c.Now().Sub(start))
	c.Advance(time.Hour)
	assert.Equal(t, 10, c.Now().In(coaching.Helsinki).Hour())
	c.Set(start)
	assert.True(t, c.Now().Equal(start))
}

func TestSenderRecordsAndFails(t *testing.T) {
	var s Sender
	ctx := context.Background()
	require.NoError(t, s.Send(ctx, coaching.Notice{ID: "a"}))
	boom := errors.New("smtp down")
	s.FailWith(boom)
	assert.ErrorIs(t, s.Send(ctx, coaching.Notice{ID: "b"}), boom)
	s.FailWith(nil)
	require.NoError(t, s.Send(ctx, coaching.Notice{ID: "c"}))
	sent := s.Sent()
	require.Len(t, sent, 2)
	assert.Equal(t, "a", sent[0].ID)
	assert.Equal(t, "c", sent[1].ID)
	assert.Equal(t, 3, s.Calls())
}

func TestParticipantHelpersAreValid(t *testing.T) {
	today := coaching.NewDate(2026, 8, 10)
	require.NoError(t, Participant().Validate(today))
	m := Minor(coaching.NewDate(2027, 1, 5))
	require.NoError(t, m.Validate(today))
	assert.True(t, m.MinorOn(coaching.NewDate(2027, 1, 4)))
	assert.False(t, m.MinorOn(coaching.NewDate(2027, 1, 5)), "the 18th birthday is a day of adulthood")
	p := Participant(func(p *coaching.Participant) { p.GivenNames = "Aino" })
	assert.Equal(t, "Aino", p.GivenNames)
}

func TestDriveAndAssertions(t *testing.T) {
	env := New(t, nil)
	c := env.Enrol(t, coaching.ModelVALO, Participant(), TeamMember(Coach, coaching.RoleCoach))
	c = env.Drive(t, c.ID,
		FireWith(coaching.ValoAdmit, allMet()),
		Because(coaching.ValoPause, "sick leave"),
	)
	assert.Equal(t, coaching.ValoPaused, c.State)
	RequireState(t, env.Engine, c.ID, coaching.ValoPaused)
	trail := RequireAuditTrail(t, env.Engine, c.ID)
	assert.Len(t, trail, 3)
	e := RequireTransition(t, env.Engine, c.ID, coaching.ValoRecruitment, coaching.ValoInduction)
	assert.Equal(t, coaching.ValoAdmit, e.Event)

	// Failure paths report through the narrow interface with the header.
	mt := &mockT{}
	requireState(mt, env.Engine, c.ID, coaching.ValoClosed)
	assert.True(t, mt.failed)
	assert.Contains(t, mt.text(), failureHeader)
	assert.Contains(t, mt.text(), `is in state "paused", want "closed"`)

	mt = &mockT{}
	requireTransition(mt, env.Engine, c.ID, coaching.ValoInduction, coaching.ValoClosed)
	assert.True(t, mt.failed)
	assert.Contains(t, mt.text(), "never moved induction→closed")
	assert.Contains(t, mt.text(), "recruitment→induction")

	mt = &mockT{}
	env.drive(mt, c.ID, []Step{Fire(coaching.ValoClose)})
	assert.True(t, mt.failed)
	assert.Contains(t, mt.text(), "step 1 (close) from state \"paused\" failed")
}

func TestErrorAssertions(t *testing.T) {
	env := New(t, nil)
	c := env.Enrol(t, coaching.ModelVALO, Participant(), TeamMember(Coach, coaching.RoleCoach), TeamMember(Tutor, coaching.RolePersonalTutor))
	ctx := context.Background()
	notMet := allMet()
	notMet.Motivation = coaching.CriterionNotMet
	_, err := env.Engine.Fire(ctx, Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: notMet})
	rej := RequireRejected(t, err, "own motivation")
	assert.Equal(t, coaching.ValoAdmit, rej.Event)

	mt := &mockT{}
	requireRejected(mt, err, []string{"commitment to work"})
	assert.True(t, mt.failed, "a reason that is not there must fail")

	mt = &mockT{}
	requireRejected(mt, nil, nil)
	assert.True(t, mt.failed)
	assert.Contains(t, mt.text(), "no error")

	_, err = env.Engine.Fire(ctx, Tutor, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()})
	fe := RequireForbidden(t, err)
	assert.Equal(t, "event_roles", fe.Rule)

	_, err = env.Engine.Fire(ctx, Coach, c.ID, coaching.ValoClose, nil)
	RequireNotAllowed(t, err, coaching.ValoAdmit, coaching.ValoDecline, coaching.ValoDiscontinue)
	mt = &mockT{}
	requireNotAllowed(mt, err, []string{coaching.ValoAdmit})
	assert.True(t, mt.failed)

	_, err = env.Engine.Fire(ctx, Coach, c.ID, coaching.ValoDiscontinue, nil)
	RequireInvalid(t, err, "reason")
	mt = &mockT{}
	requireInvalid(mt, err, []string{"payload"})
	assert.True(t, mt.failed)
}

func TestNoticeAssertions(t *testing.T) {
	notices := []coaching.Notice{
		{ID: "1", Kind: "phase_overdue", Recipient: coaching.Recipient{ID: "coach-1"}, Subject: "Deadline passed: Induction"},
		{ID: "2", Kind: "transition", Recipient: coaching.Recipient{ID: "tutor-1"}, Subject: "Case moved"},
	}
	n := RequireNotice(t, notices, NoticeMatch{Kind: "phase_overdue", SubjectContains: "Induction"})
	assert.Equal(t, "1", n.ID)
	RequireNoNotice(t, notices, NoticeMatch{Kind: "guardian_absence"})

	mt := &mockT{}
	requireNotice(mt, notices, NoticeMatch{RecipientID: "nobody"})
	assert.True(t, mt.failed)
	assert.Contains(t, mt.text(), "no notice matches {recipient=nobody}")

	mt = &mockT{}
	requireNotice(mt, notices, NoticeMatch{})
	assert.True(t, mt.failed)
	assert.Contains(t, mt.text(), "2 notices match")

	mt = &mockT{}
	requireNoNotice(mt, notices, NoticeMatch{Kind: "transition"})
	assert.True(t, mt.failed)
}

func TestDeliverAndTick(t *testing.T) {
	env := New(t, nil)
	c := env.Enrol(t, coaching.ModelVALO, Participant(), TeamMember(Coach, coaching.RoleCoach))
	env.Clock.AdvanceDays(40) // recruitment is due within one month
	rep := env.Tick(t)
	assert.Equal(t, 1, rep.Overdue)
	sent := env.Deliver(t)
	RequireNotice(t, sent, NoticeMatch{Kind: coaching.NoticeKindPhaseOverdue, CaseID: c.ID, RecipientID: Coach.ID})
	assert.Empty(t, env.Deliver(t), "a delivered notice is not delivered again")
}

func allMet() coaching.EntryAssessment {
	m := coaching.CriterionMet
	return coaching.EntryAssessment{Motivation: m, WorkingLifeSkills: m, AttendanceCommitment: m, WorkCommitment: m, GoalCommitment: m}
}

func TestIdentityCodeScan(t *testing.T) {
	code, err := SyntheticIdentityCode(coaching.NewDate(2008, 9, 7), 917)
	require.NoError(t, err)
	assert.True(t, code.Temporary())
	old, err := SyntheticIdentityCode(coaching.NewDate(1985, 1, 31), 999)
	require.NoError(t, err)
	_, err = SyntheticIdentityCode(coaching.NewDate(1985, 1, 31), 123)
	assert.Error(t, err, "only the temporary range")

	mt := &mockT{}
	requireNoIdentityCodes(mt, "the log", "case opened case_id=valo-001 at 2026-09-07 ok")
	assert.False(t, mt.failed)
	for _, c := range []coaching.IdentityCode{code, old} {
		mt = &mockT{}
		requireNoIdentityCodes(mt, "the log", "participant "+c.Reveal()+" enrolled")
		assert.True(t, mt.failed)
		assert.Contains(t, mt.text(), "the log contains an identity-code-like string")
		assert.NotContains(t, mt.text(), c.Reveal(), "the failure never repeats the code")
	}
}

// The kit takes the engine's own options, and its Tick fails a test whose
// timers were dropped for want of a handler instead of reporting Stale: 1.
func TestEngineOptionsAndUnhandledTimers(t *testing.T) {
	ctx := context.Background()
	handled := 0
	env := New(t, &Options{Engine: coaching.Options{TimerHandlers: map[string]coaching.TimerHandler{
		"reminder": coaching.TimerHandlerFunc(func(context.Context, coaching.ReadTx, coaching.Case, coaching.Timer, time.Time) (coaching.TimerResult, error) {
			handled++
			return coaching.TimerResult{}, nil
		})}}})
	c := env.Enrol(t, coaching.ModelVALO, Participant())
	put := func(key, kind string) {
		require.NoError(t, env.Store.Update(ctx, func(tx coaching.Tx) error {
			return tx.PutTimer(ctx, coaching.Timer{Key: key, CaseID: c.ID, Kind: kind, DueAt: env.Clock.Now()})
		}))
	}
	put("reminder:1", "reminder")
	rep := env.Tick(t)
	assert.Equal(t, 1, rep.Handled)
	assert.Equal(t, 1, handled, "the handler given in Options.Engine ran")

	put("follow_up:1", "follow_up")
	m := &mockT{}
	env.tick(m)
	assert.True(t, m.failed)
	assert.Contains(t, m.text(), "tick dropped timers of kind follow_up")
	assert.Contains(t, m.text(), "Options.Engine.TimerHandlers")

	m = &mockT{}
	assert.Nil(t, newEnv(m, &Options{Engine: coaching.Options{Clock: coaching.SystemClock{}}}))
	assert.Contains(t, m.text(), "Options.Engine.Clock is set")
}
