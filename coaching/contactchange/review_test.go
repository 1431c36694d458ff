package contactchange_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/contactchange"
)

func approve(v int64) contactchange.Decision {
	return contactchange.Decision{Approve: true, Version: v}
}

// Whoever proposed — or any family member of the student — does not
// decide the proposal, whatever staff role they also hold; nothing is
// written.
func TestNoOneDecidesTheirOwnProposal(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	headParent := coaching.Actor{ID: "guardian-1", Roles: []coaching.Role{coaching.RoleGuardian, coaching.RoleHeadOfStudies}}
	tutorParent := coaching.Actor{ID: "guardian-2", Roles: []coaching.Role{coaching.RoleGuardian, coaching.RolePersonalTutor}}
	c := env.Enrol(t, coaching.ModelPilot, ct.Minor(coaching.NewDate(2027, 5, 1), func(p *coaching.Participant) {
		p.Guardians = append(p.Guardians, coaching.Guardian{ID: "guardian-2", Name: "Toinen", Contact: coaching.Contact{Email: "toinen@example.fi"}})
	}), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor), ct.TeamMember(tutorParent, coaching.RolePersonalTutor))
	pro, err := s.Propose(ctx, headParent, c.ID, coaching.Contact{Email: "oma@example.fi"})
	require.NoError(t, err)
	v := caseVersion(t, env, c.ID)
	for _, a := range []coaching.Actor{headParent, tutorParent} {
		_, err = s.Decide(ctx, a, c.ID, pro.ID, approve(pro.Version))
		assert.Equal(t, contactchange.RuleNotOwnDecision, ct.RequireForbidden(t, err).Rule, a.ID)
	}
	assert.Equal(t, v, caseVersion(t, env, c.ID), "nothing written")
	assert.Equal(t, "huoltaja@example.fi", participant(t, env, c.ParticipantID).Guardians[0].Contact.Email)
	got, err := s.Decide(ctx, ct.Tutor, c.ID, pro.ID, approve(pro.Version))
	require.NoError(t, err)
	assert.Equal(t, contactchange.Approved, got.Status)
}

// A proposal approved after the recorded contact changed (a re-import,
// another approval) is stale: refused, nothing written; an approval
// dates the change on the day it was proposed.
func TestStaleProposalIsNotApproved(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	pro, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "vanha@example.fi"})
	require.NoError(t, err)
	setGuardianEmail(t, env, c.ParticipantID, "sis@example.fi") // the SIS's newer record, re-imported
	env.Clock.AdvanceDays(1)
	_, err = s.Decide(ctx, ct.Tutor, c.ID, pro.ID, approve(pro.Version))
	var se *contactchange.StaleProposalError
	require.ErrorAs(t, err, &se)
	assert.ErrorIs(t, err, coaching.ErrConflict)
	assert.Equal(t, "sis@example.fi", participant(t, env, c.ParticipantID).Guardians[0].Contact.Email, "the newer contact stays")
	got, err := s.Get(ctx, ct.Tutor, c.ID, pro.ID)
	require.NoError(t, err)
	assert.Equal(t, contactchange.Submitted, got.Status, "still pending: staff decline it")
	got, err = s.Decide(ctx, ct.Tutor, c.ID, pro.ID, contactchange.Decision{Reason: "a newer address is recorded", Version: got.Version})
	require.NoError(t, err)
	assert.Equal(t, contactchange.Declined, got.Status)

	env.Clock.AdvanceDays(1)
	fresh, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "uusi@example.fi"})
	require.NoError(t, err)
	env.Clock.AdvanceDays(2)
	_, err = s.Decide(ctx, ct.Tutor, c.ID, fresh.ID, approve(fresh.Version))
	require.NoError(t, err)
	assert.Equal(t, coaching.DateOf(monday).AddDays(4), participant(t, env, c.ParticipantID).Guardians[0].ContactChangedOn,
		"the date staff approved the change, not the date it was proposed")
}

func setGuardianEmail(t *testing.T, env *ct.Env, id coaching.ParticipantID, email string) {
	t.Helper()
	require.NoError(t, env.Store.Update(context.Background(), func(tx coaching.Tx) error {
		p, err := tx.Participant(context.Background(), "", id)
		if err != nil {
			return err
		}
		p.Guardians[0].Contact.Email = email
		return tx.UpdateParticipant(context.Background(), p)
	}))
}

// A new proposal replaces the proposer's pending one of the same details:
// one open proposal per person, listed by Pending — staff see all, a
// family member their own.
func TestNewProposalReplacesThePendingOne(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1), func(p *coaching.Participant) {
		p.Guardians = append(p.Guardians, coaching.Guardian{ID: "guardian-2", Name: "Toinen", Contact: coaching.Contact{Email: "toinen@example.fi"}})
	})
	g2 := coaching.Actor{ID: "guardian-2", Roles: []coaching.Role{coaching.RoleGuardian}}
	first, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "a@example.fi"})
	require.NoError(t, err)
	other, err := s.Propose(ctx, g2, c.ID, coaching.Contact{Email: "g2@example.fi"})
	require.NoError(t, err)
	second, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "b@example.fi"})
	require.NoError(t, err)
	got, err := s.Get(ctx, guardian, c.ID, first.ID)
	require.NoError(t, err)
	assert.Equal(t, contactchange.Withdrawn, got.Status)
	assert.Equal(t, second.ID, got.ReplacedBy)
	ids := func(ps []contactchange.Proposal) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	all, err := s.Pending(ctx, ct.Tutor, c.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{other.ID, second.ID}, ids(all))
	mine, err := s.Pending(ctx, g2, c.ID)
	require.NoError(t, err)
	assert.Equal(t, []string{other.ID}, ids(mine))
	_, err = s.Decide(ctx, ct.Tutor, c.ID, first.ID, approve(got.Version))
	var te *coaching.TransitionError
	require.ErrorAs(t, err, &te, "a replaced proposal is not decided")
}

// An empty field of a proposal leaves the recorded value as it is.
func TestEmptyFieldIsUnchanged(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	pro, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Phone: "+358 40 111 2222"})
	require.NoError(t, err)
	_, err = s.Decide(ctx, ct.Tutor, c.ID, pro.ID, approve(pro.Version))
	require.NoError(t, err)
	g := participant(t, env, c.ParticipantID).Guardians[0]
	assert.Equal(t, coaching.Contact{Email: "huoltaja@example.fi", Phone: "+358 40 111 2222"}, g.Contact)
	// Proposing only what is already recorded changes nothing: invalid.
	_, err = s.Propose(ctx, guardian, c.ID, coaching.Contact{Phone: "+358 40 111 2222"})
	ct.RequireInvalid(t, err, "contact")
}

// A guardian's proposal lapses when the guardian is no longer recorded on
// the student: whether staff approve or decline it.
func TestProposalOfARemovedGuardianLapses(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1), func(p *coaching.Participant) {
		p.Guardians = append(p.Guardians, coaching.Guardian{ID: "guardian-2", Name: "Toinen", Contact: coaching.Contact{Email: "toinen@example.fi"}})
	})
	a, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "a@example.fi"})
	require.NoError(t, err)
	b, err := s.Propose(ctx, coaching.Actor{ID: "guardian-2", Roles: []coaching.Role{coaching.RoleGuardian}}, c.ID, coaching.Contact{Email: "b@example.fi"})
	require.NoError(t, err)
	require.NoError(t, env.Store.Update(ctx, func(tx coaching.Tx) error {
		p, err := tx.Participant(ctx, c.Organisation, c.ParticipantID)
		if err != nil {
			return err
		}
		p.Guardians = []coaching.Guardian{{ID: "guardian-9", Name: "Uusi Huoltaja", Contact: coaching.Contact{Email: "uusi@example.fi"}}}
		return tx.UpdateParticipant(ctx, p)
	}))
	for _, x := range []struct {
		id string
		d  contactchange.Decision
	}{{a.ID, approve(a.Version)}, {b.ID, contactchange.Decision{Reason: "no", Version: b.Version}}} {
		got, err := s.Decide(ctx, ct.Tutor, c.ID, x.id, x.d)
		require.NoError(t, err)
		assert.Equal(t, contactchange.Lapsed, got.Status)
		assert.Empty(t, got.DecidedBy, "no one decided a lapsed proposal")
	}
	assert.Equal(t, "uusi@example.fi", participant(t, env, c.ParticipantID).Guardians[0].Contact.Email)
	assert.Empty(t, notices(t, env, c.ID, contactchange.NoticeKindDecided))
}

// A decision on a proposal no longer pending is a TransitionError; one
// made on an older version of it a ConflictError.
func TestDecisionErrors(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	pro, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "a@example.fi"})
	require.NoError(t, err)
	_, err = s.Decide(ctx, ct.Tutor, c.ID, pro.ID, contactchange.Decision{Approve: true})
	ct.RequireInvalid(t, err, "version")
	w, err := s.Withdraw(ctx, guardian, c.ID, pro.ID)
	require.NoError(t, err)
	assert.Empty(t, w.DecidedBy)
	_, err = s.Decide(ctx, ct.Tutor, c.ID, pro.ID, approve(pro.Version))
	var ce *coaching.ConflictError
	require.ErrorAs(t, err, &ce, "decided on an older version")
	_, err = s.Decide(ctx, ct.Tutor, c.ID, pro.ID, approve(w.Version))
	var te *coaching.TransitionError
	require.ErrorAs(t, err, &te, "withdrawn: not decided")
}

// The generic case read refuses a proposal's document: the student does
// not read the guardian's proposed address.
func TestProposalsAreNotReadThroughTheGenericRead(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.EnrolPilotMinor(t, coaching.NewDate(2027, 5, 1))
	pro, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "salainen@example.fi"})
	require.NoError(t, err)
	student := coaching.Actor{ID: "student-1", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: c.ParticipantID}}}
	for _, a := range []coaching.Actor{student, ct.Tutor} {
		err := env.Engine.ReadCase(ctx, a, coaching.OpReadRequests, c.ID, func(v *coaching.CaseView) error {
			_, err := v.Document("contactchange_"+pro.ID, 0)
			return err
		})
		assert.Equal(t, coaching.RuleFeatureDocument, ct.RequireForbidden(t, err).Rule, a.ID)
	}
	_, err = s.Get(ctx, student, c.ID, pro.ID)
	assert.Equal(t, contactchange.RuleOwnProposal, ct.RequireForbidden(t, err).Rule)
}

// An adult student who is also a guardian (of a child of their own)
// proposes their own contact details.
func TestAdultStudentWhoIsAGuardianProposes(t *testing.T) {
	env, s := newEnv(t)
	ctx := context.Background()
	c := env.Enrol(t, coaching.ModelPilot, ct.Participant())
	student := coaching.Actor{ID: "student-1", Roles: []coaching.Role{coaching.RoleStudent, coaching.RoleGuardian},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: c.ParticipantID}}}
	pro, err := s.Propose(ctx, student, c.ID, coaching.Contact{Email: "oma@example.fi"})
	require.NoError(t, err)
	assert.Equal(t, contactchange.OfStudent, pro.Whose)
}
