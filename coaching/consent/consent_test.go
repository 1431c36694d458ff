package consent_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/consent"
	"github.com/valmennus/valmennus/coaching/erasure"
)

// Consent to guardian notices is recorded and withdrawn, audited, by the
// student or by staff recording written consent — never by a guardian —
// and it decides what the guardian sees.
func TestGuardianConsentOperations(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, &ct.Options{Start: time.Date(2026, 9, 14, 10, 0, 0, 0, coaching.Helsinki)})
	tutor := coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	p := ct.Participant(func(p *coaching.Participant) {
		p.ID = "p-adult"
		p.BirthDate = coaching.NewDate(2008, 9, 7) // 18 last week
		p.Guardians = []coaching.Guardian{{ID: "guardian-1", Name: "Huoltaja", Contact: coaching.Contact{Email: "h@example.fi"}}}
	})
	c := env.Enrol(t, coaching.ModelPilot, p, ct.TeamMember(tutor, coaching.RolePersonalTutor))
	guardianActor := coaching.Actor{ID: "guardian-1", Roles: []coaching.Role{coaching.RoleGuardian}}
	studentActor := coaching.Actor{ID: "student-1", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: p.ID}}}
	today := coaching.DateOf(env.Clock.Now())
	svc, err := consent.New(env.Engine)
	require.NoError(t, err)

	_, err = env.Attendance.Marks(ctx, guardianActor, c.ID, coaching.Date{}, coaching.Date{})
	assert.Equal(t, coaching.RuleGuardianAge, ct.RequireForbidden(t, err).Rule)

	_, err = svc.Record(ctx, guardianActor, p.ID, consent.Change{})
	assert.Equal(t, coaching.RuleGuardianScope, ct.RequireForbidden(t, err).Rule, "a guardian cannot consent for the adult")
	_, err = svc.Record(ctx, tutor, p.ID, consent.Change{On: today.AddDays(1)})
	ct.RequireInvalid(t, err, "on")
	_, err = svc.Withdraw(ctx, tutor, p.ID, consent.Change{})
	ct.RequireInvalid(t, err, "on")
	_, err = svc.Record(ctx, tutor, p.ID, consent.Change{On: coaching.NewDate(2026, 9, 6)})
	ct.RequireInvalid(t, err, "on") // the day before the 18th birthday: a minor cannot consent
	peer := coaching.Actor{ID: "peer-1", Roles: []coaching.Role{coaching.RolePeerCoach}}
	_, err = env.Engine.ChangeCase(ctx, ct.Staff, coaching.OpChangeCase, c.ID, func(ch *coaching.CaseChange) error {
		return ch.ChangeTeam(coaching.TeamChange{Add: &coaching.TeamMember{ActorID: peer.ID, Role: coaching.RolePeerCoach, Name: "Vertainen"}})
	})
	require.NoError(t, err)
	_, err = svc.Record(ctx, peer, p.ID, consent.Change{})
	assert.Equal(t, coaching.RuleNotPermitted, ct.RequireForbidden(t, err).Rule, "a peer coach on the team does not record consent")
	other := coaching.Actor{ID: "student-2", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: "p-other"}}}
	_, err = svc.Record(ctx, other, p.ID, consent.Change{})
	assert.Equal(t, coaching.RuleStudentOther, ct.RequireForbidden(t, err).Rule)

	got, err := svc.Record(ctx, tutor, p.ID, consent.Change{Reason: "signed form"})
	require.NoError(t, err)
	assert.Equal(t, coaching.ConsentRecord{GivenOn: today, GivenVia: coaching.ConsentInWriting, RecordedBy: tutor.ID, RecordedAt: env.Clock.Now()}, got.GuardianConsent)
	assert.True(t, got.IdentityCode.Withheld() || got.IdentityCode.IsZero(), "the code is never returned")
	_, err = env.Attendance.Marks(ctx, guardianActor, c.ID, coaching.Date{}, coaching.Date{})
	require.NoError(t, err, "with consent the guardian sees attendance")

	env.Clock.AdvanceDays(1)
	got, err = svc.Withdraw(ctx, studentActor, p.ID, consent.Change{})
	require.NoError(t, err)
	assert.Equal(t, coaching.ConsentInWriting, got.GuardianConsent.GivenVia, "withdrawing keeps how it was given")
	assert.Equal(t, today.AddDays(1), got.GuardianConsent.WithdrawnOn)
	assert.Equal(t, studentActor.ID, got.GuardianConsent.RecordedBy)
	_, err = env.Attendance.Marks(ctx, guardianActor, c.ID, coaching.Date{}, coaching.Date{})
	assert.Equal(t, coaching.RuleGuardianAge, ct.RequireForbidden(t, err).Rule)

	got, err = svc.Record(ctx, studentActor, p.ID, consent.Change{})
	require.NoError(t, err)
	assert.Equal(t, coaching.ConsentBySelf, got.GuardianConsent.GivenVia, "the student gave it themself")

	trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
	var entries []coaching.AuditEntry
	for _, e := range trail {
		if e.Kind == consent.Kind {
			entries = append(entries, e)
		}
	}
	require.Len(t, entries, 3)
	assert.Equal(t, "guardian_consent_given", entries[2].Event)
	assert.Equal(t, studentActor.ID, entries[2].ActorID)
	entries = entries[:2]
	assert.Equal(t, "guardian_consent_given", entries[0].Event)
	assert.Equal(t, tutor.ID, entries[0].ActorID)
	assert.Equal(t, "signed form", entries[0].Reason)
	assert.Equal(t, "guardian_consent_withdrawn", entries[1].Event)
	assert.Equal(t, studentActor.ID, entries[1].ActorID)
}

// A consent change leaves one entry on each of the participant's cases;
// bad input is refused with the field it concerns and nothing is saved.
func TestConsentOnEveryCaseAndBadInput(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, &ct.Options{Start: time.Date(2026, 9, 14, 10, 0, 0, 0, coaching.Helsinki)})
	svc, err := consent.New(env.Engine)
	require.NoError(t, err)
	_, err = consent.New(nil)
	require.Error(t, err)
	head := coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	p := ct.Participant(func(p *coaching.Participant) { p.ID = "p-adult"; p.BirthDate = coaching.NewDate(2000, 1, 1) })
	first := env.Enrol(t, coaching.ModelPilot, p)
	second, err := env.Engine.Enrol(ctx, ct.Staff, coaching.EnrolParams{Model: coaching.ModelVALO, ExistingParticipant: p.ID})
	require.NoError(t, err)

	_, err = svc.Record(ctx, head, "", consent.Change{})
	ct.RequireInvalid(t, err, "participant_id")
	_, err = svc.Record(ctx, head, "nobody", consent.Change{})
	require.ErrorIs(t, err, coaching.ErrNotFound)
	_, err = svc.Record(ctx, head, p.ID, consent.Change{On: coaching.Date{Year: 2026, Month: 2, Day: 30}, Reason: "bad\x00text"})
	ct.RequireInvalid(t, err, "on", "reason")

	given := coaching.NewDate(2026, 9, 1)
	got, err := svc.Record(ctx, head, p.ID, consent.Change{On: given})
	require.NoError(t, err)
	assert.Equal(t, given, got.GuardianConsent.GivenOn)
	_, err = svc.Withdraw(ctx, head, p.ID, consent.Change{On: given.AddDays(-1)})
	ct.RequireInvalid(t, err, "on") // before it was given
	for _, c := range []coaching.Case{first, second} {
		trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
		require.Len(t, trail, 2, "the opening and one consent entry on case %s", c.ID)
		assert.Equal(t, consent.Kind, trail[1].Kind)
		assert.JSONEq(t, `{"given_on":"2026-09-01","given_via":"written"}`, string(trail[1].Payload))
	}
	stored, err := ct.ReadParticipant(ctx, env.Engine, head, p.ID)
	require.NoError(t, err)
	assert.True(t, stored.GuardianConsent.WithdrawnOn.IsZero(), "the refused withdrawal saved nothing")

	// A bound engine cannot list the participant's cases inside the
	// host's transaction.
	err = env.Store.Update(ctx, func(tx coaching.Tx) error {
		b, err := consent.New(env.Engine.In(tx))
		if err != nil {
			return err
		}
		_, err = b.Withdraw(ctx, head, p.ID, consent.Change{})
		return err
	})
	require.Error(t, err)

	// An erased participant's consent is not changed again.
	er, err := erasure.New(env.Engine)
	require.NoError(t, err)
	_, err = er.Erase(ctx, head, p.ID, nil)
	require.NoError(t, err)
	_, err = svc.Withdraw(ctx, head, p.ID, consent.Change{})
	ct.RequireInvalid(t, err, "participant_id")
}
