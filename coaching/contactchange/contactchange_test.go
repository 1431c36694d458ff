package contactchange_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/consent"
	"github.com/valmennus/valmennus/coaching/contactchange"
)

var (
	monday   = time.Date(2026, 9, 7, 9, 0, 0, 0, coaching.Helsinki)
	guardian = coaching.Actor{ID: "guardian-1", Name: "Huoltaja", Roles: []coaching.Role{coaching.RoleGuardian}}
	head     = coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
)

func newEnv(t *testing.T) (*ct.Env, *contactchange.Service) {
	t.Helper()
	env := ct.New(t, &ct.Options{Start: monday, Engine: coaching.Options{Documents: contactchange.Documents()}})
	s, err := contactchange.New(env.Engine, nil)
	require.NoError(t, err)
	return env, s
}

func participant(t *testing.T, env *ct.Env, id coaching.ParticipantID) coaching.Participant {
	t.Helper()
	var p coaching.Participant
	require.NoError(t, env.Store.View(context.Background(), func(tx coaching.ReadTx) error {
		var err error
		p, err = tx.Participant(context.Background(), "", id)
		return err
	}))
	return p
}

func notices(t *testing.T, env *ct.Env, id coaching.CaseID, kind string) []coaching.Notice {
	t.Helper()
	var ns []coaching.Notice
	require.NoError(t, env.Store.View(context.Background(), func(tx coaching.ReadTx) error {
		var err error
		ns, err = tx.Notices(context.Background(), coaching.NoticeQuery{CaseID: id, Kind: kind})
		return err
	}))
	return ns
}

// A guardian's proposal is approved: the guardian's contact changes with
// the date, the tutor was told of the proposal and the guardian of the
// decision, in their languages; the audit trail names no address.
func TestGuardianProposalApproved(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1), func(p *coaching.Participant) { p.Guardians[0].Language = coaching.Swedish })
	pro, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "uusi.osoite@example.fi", Phone: "040 765 4321"})
	require.NoError(t, err)
	assert.Equal(t, contactchange.Submitted, pro.Status)
	assert.Equal(t, contactchange.OfGuardian, pro.Whose)
	told := notices(t, env, c.ID, contactchange.NoticeKindProposed)
	require.Len(t, told, 1)
	assert.Equal(t, ct.Tutor.ID, told[0].Recipient.ID, "the personal tutor is told")
	assert.NotContains(t, told[0].Body, "uusi.osoite", "the notice to staff does not carry the address")

	env.Clock.AdvanceDays(1)
	got, err := s.Decide(ctx, ct.Tutor, c.ID, pro.ID, contactchange.Decision{Approve: true, Version: pro.Version})
	require.NoError(t, err)
	assert.Equal(t, contactchange.Approved, got.Status)
	p := participant(t, env, c.ParticipantID)
	assert.Equal(t, "uusi.osoite@example.fi", p.Guardians[0].Contact.Email)
	assert.Equal(t, coaching.NewDate(2026, 9, 8), p.Guardians[0].ContactChangedOn, "the day it was approved (proposed the day before)")
	assert.True(t, p.ContactChangedOn.IsZero(), "the student's own contact did not change")
	decided := notices(t, env, c.ID, contactchange.NoticeKindDecided)
	require.Len(t, decided, 2, "told at the new address and at the one replaced")
	slices.SortFunc(decided, func(a, b coaching.Notice) int { return strings.Compare(a.ID, b.ID) })
	for _, n := range decided {
		assert.Equal(t, guardian.ID, n.Recipient.ID)
		assert.Equal(t, coaching.Swedish, n.Recipient.Language)
		assert.Contains(t, n.Subject, "uppdaterats")
		assert.NotContains(t, n.Body, "uusi.osoite")
	}
	assert.Equal(t, coaching.Contact{Email: "uusi.osoite@example.fi", Phone: "040 765 4321"}, decided[0].Recipient.Contact)
	assert.Equal(t, coaching.Contact{Email: "huoltaja@example.fi"}, decided[1].Recipient.Contact, "the address replaced is told too (the phone was not replaced)")

	err = env.Engine.ReadCase(ctx, ct.Tutor, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
		trail, err := v.AuditTrail()
		require.NoError(t, err)
		for _, e := range trail {
			assert.NotContains(t, e.Reason+string(e.Payload), "uusi.osoite", "no address in the audit trail")
		}
		assert.Equal(t, "contact_change_approved", trail[len(trail)-1].Event)
		return nil
	})
	require.NoError(t, err)

	// Decided once: a second decision is a transition not allowed.
	_, err = s.Decide(ctx, head, c.ID, pro.ID, contactchange.Decision{Reason: "no", Version: got.Version})
	var te *coaching.TransitionError
	require.ErrorAs(t, err, &te)
}

// The proposal's state machine: declined with a reason, withdrawn by
// whoever proposed (and by no one else), and nothing after a final state.
func TestProposalStates(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	pro, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "a@example.fi"})
	require.NoError(t, err)

	_, err = s.Decide(ctx, ct.Tutor, c.ID, pro.ID, contactchange.Decision{Version: pro.Version})
	ct.RequireInvalid(t, err, "reason")
	got, err := s.Decide(ctx, ct.Tutor, c.ID, pro.ID, contactchange.Decision{Reason: "please call the office to confirm", Version: pro.Version})
	require.NoError(t, err)
	assert.Equal(t, contactchange.Declined, got.Status)
	assert.Equal(t, "huoltaja@example.fi", participant(t, env, c.ParticipantID).Guardians[0].Contact.Email, "nothing changed")
	decided := notices(t, env, c.ID, contactchange.NoticeKindDecided)
	require.Len(t, decided, 1)
	assert.Contains(t, decided[0].Body, "please call the office")
	_, err = s.Withdraw(ctx, guardian, c.ID, pro.ID)
	var te *coaching.TransitionError
	require.ErrorAs(t, err, &te, "a declined proposal is not withdrawn")

	second, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Phone: "+358 50 111 2222"})
	require.NoError(t, err)
	_, err = s.Withdraw(ctx, ct.Tutor, c.ID, second.ID)
	ct.RequireForbidden(t, err)
	w, err := s.Withdraw(ctx, guardian, c.ID, second.ID)
	require.NoError(t, err)
	assert.Equal(t, contactchange.Withdrawn, w.Status)
	_, err = s.Decide(ctx, ct.Tutor, c.ID, second.ID, contactchange.Decision{Approve: true, Version: w.Version})
	require.ErrorAs(t, err, &te, "a withdrawn proposal is not decided")

	got, err = s.Get(ctx, guardian, c.ID, second.ID)
	require.NoError(t, err)
	assert.Equal(t, contactchange.Withdrawn, got.Status)
	_, err = s.Get(ctx, ct.Tutor, c.ID, "nosuch")
	assert.ErrorIs(t, err, coaching.ErrNotFound)
	assert.Contains(t, contactchange.Diagram(), "lapsed")
}

// Bad input names every bad field and saves nothing; a minor student and
// staff do not propose.
func TestProposalInput(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	_, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "not an address", Phone: "call me"})
	ct.RequireInvalid(t, err, "contact.email", "contact.phone")
	_, err = s.Propose(ctx, guardian, c.ID, coaching.Contact{})
	ct.RequireInvalid(t, err, "contact")
	_, err = s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "huoltaja@example.fi"})
	ct.RequireInvalid(t, err, "contact")
	student := coaching.Actor{ID: "student-1", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: c.ParticipantID}}}
	_, err = s.Propose(ctx, student, c.ID, coaching.Contact{Email: "minor@example.fi"})
	assert.Equal(t, coaching.RuleStudentMinor, ct.RequireForbidden(t, err).Rule)
	assert.Empty(t, notices(t, env, c.ID, contactchange.NoticeKindProposed), "nothing was saved")
	assert.Equal(t, int64(1), caseVersion(t, env, c.ID))
}

func caseVersion(t *testing.T, env *ct.Env, id coaching.CaseID) int64 {
	t.Helper()
	var c coaching.Case
	require.NoError(t, env.Store.View(context.Background(), func(tx coaching.ReadTx) error {
		var err error
		c, err = tx.Case(context.Background(), id)
		return err
	}))
	return c.Version
}

// Two staff decide one proposal at once: exactly one wins, the other gets
// a conflict, and the participant carries the winner's outcome.
func TestConcurrentDecisions(t *testing.T) {
	for round := 0; round < 20; round++ {
		env, s := newEnv(t)
		ctx := context.Background()
		c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
		pro, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "uusi@example.fi"})
		require.NoError(t, err)
		decisions := []struct {
			actor coaching.Actor
			d     contactchange.Decision
		}{{ct.Tutor, contactchange.Decision{Approve: true, Version: pro.Version}}, {head, contactchange.Decision{Reason: "not confirmed", Version: pro.Version}}}
		results := make([]contactchange.Proposal, len(decisions))
		errs := make([]error, len(decisions))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, d := range decisions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = s.Decide(ctx, d.actor, c.ID, pro.ID, d.d)
			}()
		}
		close(start)
		wg.Wait()
		won := -1
		for i, err := range errs {
			if err == nil {
				require.Equal(t, -1, won, "exactly one decision wins")
				won = i
				continue
			}
			var ce *coaching.ConflictError
			require.ErrorAs(t, err, &ce, "the loser gets a conflict")
		}
		require.NotEqual(t, -1, won, "one decision wins")
		p := participant(t, env, c.ParticipantID)
		if results[won].Status == contactchange.Approved {
			assert.Equal(t, "uusi@example.fi", p.Guardians[0].Contact.Email)
		} else {
			assert.Equal(t, "huoltaja@example.fi", p.Guardians[0].Contact.Email)
		}
		told := 1
		if results[won].Status == contactchange.Approved {
			told = 2 // at the new address and at the one replaced
		}
		assert.Len(t, notices(t, env, c.ID, contactchange.NoticeKindDecided), told, "one decision told")
	}
}

// A guardian's pending proposal lapses when the ward turned 18 before it
// was decided and has not consented; with the adult's consent the
// guardian proposes again and it is decided as usual.
func TestGuardianProposalLapsesAtEighteen(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	eighteenth := coaching.NewDate(2026, 9, 10)
	c := env.EnrolPilotMinor(t, eighteenth)
	pro, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "uusi@example.fi"})
	require.NoError(t, err)
	env.Clock.AdvanceDays(3) // Thursday the 10th: eighteen

	got, err := s.Decide(ctx, ct.Tutor, c.ID, pro.ID, contactchange.Decision{Approve: true, Version: pro.Version})
	require.NoError(t, err)
	assert.Equal(t, contactchange.Lapsed, got.Status)
	assert.Equal(t, "huoltaja@example.fi", participant(t, env, c.ParticipantID).Guardians[0].Contact.Email, "a lapsed proposal changes nothing")
	assert.Empty(t, notices(t, env, c.ID, contactchange.NoticeKindDecided), "the guardian of an adult who has not consented is not told")
	_, err = s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "kolmas@example.fi"})
	assert.Equal(t, coaching.RuleGuardianAge, ct.RequireForbidden(t, err).Rule)

	// The student consents: the guardian proposes again.
	student := coaching.Actor{ID: "student-1", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: c.ParticipantID}}}
	cons, err := consent.New(env.Engine)
	require.NoError(t, err)
	_, err = cons.Record(ctx, student, c.ParticipantID, consent.Change{})
	require.NoError(t, err)
	second, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "toinen@example.fi"})
	require.NoError(t, err)
	got, err = s.Decide(ctx, ct.Tutor, c.ID, second.ID, contactchange.Decision{Approve: true, Version: second.Version})
	require.NoError(t, err)
	assert.Equal(t, contactchange.Approved, got.Status)
	assert.Equal(t, "toinen@example.fi", participant(t, env, c.ParticipantID).Guardians[0].Contact.Email)
}

// An adult student proposes their own contact; its approval stamps the
// participant's ContactChangedOn and audits every case of the participant.
func TestAdultStudentProposal(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.Enrol(t, coaching.ModelPilot, ct.Participant())
	other, err := env.Engine.Enrol(ctx, ct.Staff, coaching.EnrolParams{Model: coaching.ModelVALO, ExistingParticipant: c.ParticipantID,
		Team: []coaching.TeamMember{ct.TeamMember(ct.Coach, coaching.RoleCoach)}})
	require.NoError(t, err)
	student := coaching.Actor{ID: "student-1", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: c.ParticipantID}}}
	pro, err := s.Propose(ctx, student, c.ID, coaching.Contact{Email: "oma@example.fi", Phone: "+358 40 123 4567"})
	require.NoError(t, err)
	assert.Equal(t, contactchange.OfStudent, pro.Whose)
	_, err = s.Decide(ctx, ct.Tutor, c.ID, pro.ID, contactchange.Decision{Approve: true, Version: pro.Version})
	require.NoError(t, err)
	p := participant(t, env, c.ParticipantID)
	assert.Equal(t, "oma@example.fi", p.Contact.Email)
	assert.Equal(t, coaching.DateOf(monday), p.ContactChangedOn)
	err = env.Engine.ReadCase(ctx, ct.Coach, coaching.OpReadCase, other.ID, func(v *coaching.CaseView) error {
		trail, err := v.AuditTrail()
		require.NoError(t, err)
		last := trail[len(trail)-1]
		assert.Equal(t, contactchange.AuditKind, last.Kind, "the participant's other case records the change")
		assert.False(t, strings.Contains(last.Reason, "oma@"))
		return nil
	})
	require.NoError(t, err)
	decided := notices(t, env, c.ID, contactchange.NoticeKindDecided)
	require.Len(t, decided, 2)
	slices.SortFunc(decided, func(a, b coaching.Notice) int { return strings.Compare(a.ID, b.ID) })
	assert.Equal(t, "oma@example.fi", decided[0].Recipient.Contact.Email, "the decision reaches the new address")
	assert.Equal(t, coaching.Contact{Email: "testi.osallistuja@example.fi"}, decided[1].Recipient.Contact, "and the address replaced")
}
