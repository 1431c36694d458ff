package coaching_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// The observer sees every Fire with its outcome and the rules that
// rejected it, each denial by rule and operation, the notices enqueued by
// a tick and what the dispatcher did with them (sent with their latency,
// retried, dead), the cycles and the store transactions — and no label
// holds an id, a name, an e-mail address or an identity code of the test's
// people and cases.
func TestObserverSeesTransitionsDenialsAndNotices(t *testing.T) {
	obs := &ct.Observer{}
	env := ct.New(t, &ct.Options{Engine: coaching.Options{Observer: obs},
		Dispatcher: &coaching.DispatcherOptions{Observer: obs, Channel: "email", BaseBackoff: time.Minute, MaxAttempts: 3}})
	ctx := context.Background()
	code, err := ct.SyntheticIdentityCode(coaching.NewDate(2000, 3, 15), 917)
	require.NoError(t, err)
	p := ct.Participant(func(p *coaching.Participant) { p.IdentityCode = code })
	c := env.Enrol(t, coaching.ModelVALO, p, ct.TeamMember(ct.Coach, coaching.RoleCoach), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor))

	notMet := allMet()
	notMet.Motivation = coaching.CriterionNotMet
	_, err = env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: notMet})
	rej := ct.RequireRejected(t, err)
	_, err = env.Engine.Fire(ctx, ct.Tutor, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()})
	ct.RequireForbidden(t, err)
	_, err = env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoClose, nil)
	ct.RequireNotAllowed(t, err, coaching.ValoAdmit, coaching.ValoDecline, coaching.ValoDiscontinue)
	_, err = env.Engine.Fire(ctx, ct.Coach, c.ID, "no-such-event-"+string(c.ID), nil)
	require.Error(t, err)
	_, err = env.Engine.Fire(ctx, ct.Coach, c.ID+"-missing", coaching.ValoAdmit, nil)
	require.Error(t, err)
	_, err = env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet(), IdempotencyKey: "k1"})
	require.NoError(t, err)
	res, err := env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet(), IdempotencyKey: "k1"})
	require.NoError(t, err)
	require.True(t, res.Replayed)

	tr := obs.Transitions()
	require.Len(t, tr, 7)
	assert.Equal(t, coaching.OutcomeRulesRejected, tr[0].Outcome)
	assert.Equal(t, coaching.TransitionEvent{Model: coaching.ModelVALO, Event: coaching.ValoAdmit, From: coaching.ValoRecruitment, To: coaching.ValoInduction,
		Outcome: coaching.OutcomeRulesRejected, Rules: []string{rej.Failures[0].Rule}}, withoutTimes(tr[0]))
	require.NotEmpty(t, rej.Failures[0].Rule)
	assert.Equal(t, coaching.OutcomeForbidden, tr[1].Outcome)
	assert.Equal(t, coaching.OutcomeInvalid, tr[2].Outcome)
	assert.Equal(t, coaching.ValoClose, tr[2].Event)
	assert.Empty(t, tr[2].To, "no edge: no target state")
	assert.Equal(t, coaching.TransitionEvent{Model: coaching.ModelVALO, Event: coaching.LabelUnknown, From: coaching.ValoRecruitment, Outcome: coaching.OutcomeInvalid},
		withoutTimes(tr[3]), "an event the model does not name is labelled unknown")
	assert.Equal(t, coaching.TransitionEvent{Model: coaching.LabelUnknown, Event: coaching.LabelUnknown, Outcome: coaching.OutcomeInvalid},
		withoutTimes(tr[4]), "a missing case names nothing")
	assert.Equal(t, coaching.TransitionEvent{Model: coaching.ModelVALO, Event: coaching.ValoAdmit, From: coaching.ValoRecruitment, To: coaching.ValoInduction,
		Outcome: coaching.OutcomeOK}, withoutTimes(tr[5]))
	assert.True(t, tr[6].Replayed)
	assert.Equal(t, coaching.OutcomeOK, tr[6].Outcome)
	for _, e := range tr {
		assert.False(t, e.Start.IsZero())
		assert.Positive(t, e.Duration)
	}
	assert.Equal(t, 7, obs.BeginCount(coaching.CallFire), "every Fire begins once")
	assert.Empty(t, obs.Unended(), "every call that began ended")

	assert.Equal(t, []coaching.DenialEvent{{Operation: coaching.OpFireEvent, Rule: "event_roles"}}, obs.Denials(), "one denial, once")

	// The phase deadline passes: the tick enqueues the overdue notices.
	env.Clock.AdvanceDays(40)
	rep := env.Tick(t)
	require.Positive(t, rep.Notices)
	assert.Equal(t, rep.Notices, obs.NoticeCount(coaching.NoticeKindPhaseOverdue, coaching.NoticeEnqueued))
	cy := obs.Cycles()
	require.Len(t, cy, 1)
	assert.Equal(t, "tick", cy[0].Kind)
	assert.Equal(t, 1, cy[0].Items)

	// The sender fails once (retried), then delivers: latency is from the
	// notice's creation to its send.
	env.Sender.FailWith(errors.New("connection refused"))
	env.Deliver(t)
	assert.Equal(t, rep.Notices, obs.NoticeCount("", coaching.NoticeRetried))
	env.Sender.FailWith(nil)
	env.Clock.Advance(10 * time.Minute)
	sent := env.Deliver(t)
	require.Len(t, sent, rep.Notices)
	assert.Equal(t, rep.Notices, obs.NoticeCount(coaching.NoticeKindPhaseOverdue, coaching.NoticeSentOK))
	for _, e := range obs.Notices() {
		assert.Equal(t, coaching.NoticeKindPhaseOverdue, e.Kind)
		if e.Outcome == coaching.NoticeSentOK {
			assert.Equal(t, "email", e.Channel)
			assert.Equal(t, 10*time.Minute, e.Latency)
		} else {
			assert.Zero(t, e.Latency)
		}
	}
	dc := obs.Cycles()[1:]
	require.Len(t, dc, 2)
	assert.Equal(t, coaching.CycleEvent{Kind: "dispatch", Channel: "email", Items: rep.Notices, Outcome: coaching.OutcomeOK}, withoutCycleTimes(dc[1]))

	// A permanent refusal makes a notice dead.
	enqueue(t, env.Store, "dead-1")
	env.Sender.FailWith(coaching.Permanent(errors.New("550 no such user")))
	env.Deliver(t)
	assert.Equal(t, 1, obs.NoticeCount("test", coaching.NoticeDeadEnd))
	assert.Equal(t, 1, obs.NoticeCount("", coaching.NoticeDeadEnd))

	txs := obs.StoreTxs()
	require.NotEmpty(t, txs)
	var writes, conflicts int
	for _, e := range txs {
		if e.Write {
			writes++
		}
		if e.Outcome == coaching.OutcomeConflict {
			conflicts++
		}
	}
	assert.Positive(t, writes)
	assert.Zero(t, conflicts)

	personal := []string{string(c.ID), string(c.ParticipantID), p.GivenNames, p.FamilyName, p.Contact.Email, p.Contact.Phone,
		ct.Coach.ID, ct.Coach.Name, ct.Tutor.ID, ct.Tutor.Name, ct.Coach.ID + "@example.fi", "k1", code.Reveal()}
	for _, n := range env.Sender.Sent() {
		personal = append(personal, n.ID, n.Recipient.ID, n.Recipient.Name, n.Recipient.Contact.Email)
	}
	ct.RequireNoPersonalLabel(t, obs, personal...)
}

func withoutTimes(e coaching.TransitionEvent) coaching.TransitionEvent {
	e.Start, e.Duration = time.Time{}, 0
	return e
}

func withoutCycleTimes(e coaching.CycleEvent) coaching.CycleEvent {
	e.Start, e.Duration = time.Time{}, 0
	return e
}

// Every outcome class an observer sees.
func TestOutcomeOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want coaching.Outcome
	}{
		{nil, coaching.OutcomeOK},
		{&coaching.ConflictError{}, coaching.OutcomeConflict},
		{&coaching.RulesRejectedError{}, coaching.OutcomeRulesRejected},
		{&coaching.ForbiddenError{}, coaching.OutcomeForbidden},
		{&coaching.ValidationError{}, coaching.OutcomeInvalid},
		{&coaching.TransitionError{}, coaching.OutcomeInvalid},
		{&coaching.NotFoundError{}, coaching.OutcomeInvalid},
		{coaching.ErrIdempotencyMismatch, coaching.OutcomeInvalid},
		{context.Canceled, coaching.OutcomeError},
	} {
		assert.Equal(t, tc.want, coaching.OutcomeOf(tc.err), "%T %v", tc.err, tc.err)
	}
}

// A dispatcher's channel is a bounded name, not an address.
func TestDispatcherChannelValidated(t *testing.T) {
	_, err := coaching.NewDispatcher(memory.New(), &ct.Sender{}, &coaching.DispatcherOptions{Channel: "mail\nto"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Channel")
}
