package coaching_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// twoCases enrols one participant (with an identity code) in two cases:
// the first with the coach and the tutor on its team, the second with
// only the coach.
func twoCases(t *testing.T, env *ct.Env) (coaching.Participant, coaching.Case, coaching.Case) {
	t.Helper()
	code, err := coaching.ParseIdentityCode("150300A9989")
	require.NoError(t, err)
	p := ct.Participant(func(p *coaching.Participant) { p.ID = "p-two"; p.IdentityCode = code })
	first := env.Enrol(t, coaching.ModelVALO, p)
	second, err := env.Engine.Enrol(context.Background(), ct.Staff, coaching.EnrolParams{Model: coaching.ModelPilot,
		ExistingParticipant: p.ID, Team: []coaching.TeamMember{ct.TeamMember(ct.Coach, coaching.RoleCoach)}})
	require.NoError(t, err)
	return p, first, second
}

// A participant change writes the participant and one audited change of
// each case in one transaction; the policy allows it by the participant
// or by one of the cases, and a refusal is logged once.
func TestChangeParticipantIsOneAuditedChange(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, nil)
	p, first, second := twoCases(t, env)
	head := coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}

	var rule string
	got, err := env.Engine.ChangeParticipant(ctx, ct.Tutor, coaching.OpRecordConsent, p.ID, func(ch *coaching.ParticipantChange) error {
		rule = ch.Rule()
		assert.Len(t, ch.Cases(), 2)
		q := ch.Participant()
		assert.True(t, q.IdentityCode.Withheld(), "the change never hands out the code")
		q.Contact.Phone = "+358 40 765 4321"
		if err := ch.Update(q); err != nil {
			return err
		}
		return ch.EachCase(func(cc *coaching.CaseChange) error {
			cc.Audit("contact", "phone_changed", "new number", json.RawMessage(`{"field":"phone"}`))
			return nil
		})
	})
	require.NoError(t, err)
	assert.Equal(t, coaching.RuleSupportTeam, rule, "the tutor is allowed by the case whose team they are on")
	assert.Equal(t, "+358 40 765 4321", got.Contact.Phone)
	assert.True(t, got.IdentityCode.Withheld())
	code, err := readIdentityCode(ctx, env.Engine, head, p.ID)
	require.NoError(t, err)
	assert.Equal(t, "150300A9989", code.Reveal(), "a withheld code written back keeps the stored one")
	for _, c := range []coaching.Case{first, second} {
		trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
		last := trail[len(trail)-1]
		assert.Equal(t, coaching.AuditKind("contact"), last.Kind)
		assert.Equal(t, ct.Tutor.ID, last.ActorID)
		assert.Equal(t, c.Version+1, last.Seq, "one new version per case")
	}

	// The head of studies is allowed by the participant itself.
	_, err = env.Engine.ChangeParticipant(ctx, head, coaching.OpRecordConsent, p.ID, func(ch *coaching.ParticipantChange) error {
		rule = ch.Rule()
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, coaching.RuleHeadOfStudies, rule)

	outsider := coaching.Actor{ID: "teacher-9", Roles: []coaching.Role{coaching.RoleTeacher}}
	before := accessLogLen(t, env)
	ran := false
	_, err = env.Engine.ChangeParticipant(ctx, outsider, coaching.OpRecordConsent, p.ID, func(*coaching.ParticipantChange) error {
		ran = true
		return nil
	})
	ct.RequireForbidden(t, err)
	assert.False(t, ran)
	assert.Equal(t, before+1, accessLogLen(t, env), "one denial, one entry")
}

func accessLogLen(t *testing.T, env *ct.Env) int {
	t.Helper()
	var n int
	require.NoError(t, env.Store.View(context.Background(), func(tx coaching.ReadTx) error {
		all, err := tx.AccessLog(context.Background(), coaching.AccessQuery{})
		n = len(all)
		return err
	}))
	return n
}

// Bad changes are refused with a clear error and nothing is half-saved:
// the participant's id and organisation stay, ErasedOn is set only under
// erase, an invalid participant is refused as at enrolment, and a change
// of a case that fails rolls back the participant's.
func TestChangeParticipantRefusals(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, nil)
	p, first, _ := twoCases(t, env)
	head := coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	change := func(fn func(ch *coaching.ParticipantChange) error) error {
		_, err := env.Engine.ChangeParticipant(ctx, head, coaching.OpRecordConsent, p.ID, fn)
		return err
	}
	edit := func(e func(q *coaching.Participant)) error {
		return change(func(ch *coaching.ParticipantChange) error {
			q := ch.Participant()
			e(&q)
			return ch.Update(q)
		})
	}
	ct.RequireInvalid(t, edit(func(q *coaching.Participant) { q.ID = "p-other" }), "id")
	ct.RequireInvalid(t, edit(func(q *coaching.Participant) { q.Organisation = "org-b" }), "organisation")
	ct.RequireInvalid(t, edit(func(q *coaching.Participant) { q.ErasedOn = coaching.NewDate(2026, 8, 10) }), "erased_on")
	ct.RequireInvalid(t, edit(func(q *coaching.Participant) { q.GivenNames = "" }), "given_names")

	errCase := errors.New("the second case fails")
	n := 0
	err := change(func(ch *coaching.ParticipantChange) error {
		q := ch.Participant()
		q.FamilyName = "Muutettu"
		if err := ch.Update(q); err != nil {
			return err
		}
		return ch.EachCase(func(cc *coaching.CaseChange) error {
			if n++; n == 2 {
				return errCase
			}
			cc.Audit("contact", "renamed", "", nil)
			return nil
		})
	})
	require.ErrorIs(t, err, errCase)
	ct.RequireInvalid(t, change(func(ch *coaching.ParticipantChange) error {
		q := ch.Participant()
		q.FamilyName = "Muutettu"
		if err := ch.Update(q); err != nil {
			return err
		}
		return ch.EachCase(func(cc *coaching.CaseChange) error {
			cc.Audit(coaching.AuditErased, "forged", "", nil)
			return nil
		})
	}), "audit.kind")
	err = change(func(ch *coaching.ParticipantChange) error {
		if err := ch.EachCase(func(*coaching.CaseChange) error { return nil }); err != nil {
			return err
		}
		return ch.EachCase(func(*coaching.CaseChange) error { return nil })
	})
	require.ErrorContains(t, err, "called twice")
	err = change(func(ch *coaching.ParticipantChange) error {
		return ch.EachCase(func(cc *coaching.CaseChange) error {
			_, err := cc.Erase(nil)
			return err
		})
	})
	require.ErrorContains(t, err, "not erase", "a change under record_consent cannot erase")

	stored, err := ct.ReadParticipant(ctx, env.Engine, head, p.ID)
	require.NoError(t, err)
	assert.Equal(t, "Osallistuja", stored.FamilyName, "nothing of the refused changes was saved")
	trail := ct.RequireAuditTrail(t, env.Engine, first.ID)
	assert.Len(t, trail, 1, "no case entry either")

	_, err = env.Engine.ChangeParticipant(ctx, head, coaching.OpRecordConsent, "", func(*coaching.ParticipantChange) error { return nil })
	ct.RequireInvalid(t, err, "participant_id")
	_, err = env.Engine.ChangeParticipant(ctx, head, coaching.OpRecordConsent, "nobody", func(*coaching.ParticipantChange) error { return nil })
	assert.ErrorIs(t, err, coaching.ErrNotFound)
	_, err = env.Engine.ChangeParticipant(ctx, head, coaching.OpRecordConsent, p.ID, nil)
	require.Error(t, err)
	err = env.Store.Update(ctx, func(tx coaching.Tx) error {
		_, err := env.Engine.In(tx).ChangeParticipant(ctx, head, coaching.OpRecordConsent, p.ID, func(*coaching.ParticipantChange) error { return nil })
		return err
	})
	require.ErrorContains(t, err, "runs its own transactions", "a bound engine cannot list the participant's cases")
}

// A case erased through a change under erase loses what the kernel purges
// and keeps only the records the function keeps; an erasure records
// nothing else, and a kept record must stay JSON.
func TestCaseChangeErase(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, nil)
	head := coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant(), coaching.TeamMember{ActorID: "g-1", Role: coaching.RoleGuardian, Name: "Huoltaja"},
		ct.TeamMember(ct.Coach, coaching.RoleCoach))
	met := coaching.CriterionMet
	c = env.Drive(t, c.ID, ct.FireWith(coaching.ValoAdmit, coaching.EntryAssessment{Motivation: met, WorkingLifeSkills: met,
		AttendanceCommitment: met, WorkCommitment: met, GoalCommitment: met}))
	require.Len(t, c.Records, 1, "the entry assessment")
	_, err := saveDocument(ctx, env.Engine, ct.Coach, c.ID, coaching.DocumentChange{Kind: "plan", Data: json.RawMessage(`{"goal":"cook"}`)})
	require.NoError(t, err)

	_, err = env.Engine.ChangeCase(ctx, head, coaching.OpErase, c.ID, func(ch *coaching.CaseChange) error {
		if _, err := ch.Erase(nil); err != nil {
			return err
		}
		ch.Audit("note", "x", "", nil)
		return nil
	})
	require.ErrorContains(t, err, "records nothing else")
	_, err = env.Engine.ChangeCase(ctx, head, coaching.OpErase, c.ID, func(ch *coaching.CaseChange) error {
		_, err := ch.Erase(func(string, json.RawMessage) (json.RawMessage, bool, error) { return json.RawMessage(`{`), true, nil })
		return err
	})
	require.Error(t, err)
	docs, err := planVersions(ctx, env.Engine, c.ID)
	require.NoError(t, err)
	require.Len(t, docs, 1, "the refused erasures changed nothing")

	got, err := env.Engine.ChangeCase(ctx, head, coaching.OpErase, c.ID, func(ch *coaching.CaseChange) error {
		_, err := ch.Erase(nil)
		return err
	})
	require.NoError(t, err)
	assert.Len(t, got.Team, 1, "the guardian left the team")
	assert.Empty(t, got.Records, "nil keep keeps no record")
	docs, err = planVersions(ctx, env.Engine, c.ID)
	require.NoError(t, err)
	assert.Empty(t, docs)
	trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
	assert.Equal(t, coaching.AuditErased, trail[len(trail)-1].Kind)
	log, err := ct.ReadAccessLog(ctx, env.Engine, head, coaching.AccessQuery{CaseID: c.ID})
	require.NoError(t, err)
	require.NotEmpty(t, log)
	assert.Equal(t, coaching.OpErase, log[len(log)-1].Operation, "an allowed erase is in the access log")
}

// A system action needs the key the engine was given; the system engine
// allows only the engine's own actor without the policy, under the rule
// it names, and logs what the access log records.
func TestSystemKey(t *testing.T) {
	ctx := context.Background()
	key := coaching.NewSystemKey()
	env := ct.New(t, &ct.Options{Engine: coaching.Options{SystemKey: key}})
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant())

	for name, k := range map[string]*coaching.SystemKey{"none": nil, "another": coaching.NewSystemKey()} {
		_, _, err := env.Engine.System(k, "retention")
		assert.Error(t, err, name)
	}
	_, _, err := env.Engine.System(key, "Retention run")
	require.Error(t, err, "the rule is an identifier")
	noKey := ct.New(t, nil)
	_, _, err = noKey.Engine.System(key, "retention")
	require.Error(t, err, "an engine given no key runs no system action")

	sys, actor, err := env.Engine.System(key, "retention")
	require.NoError(t, err)
	assert.True(t, actor.IsEngine())
	_, err = env.Engine.ChangeCase(ctx, actor, coaching.OpErase, c.ID, func(*coaching.CaseChange) error { return nil })
	assert.Equal(t, coaching.RuleSystem, ct.RequireForbidden(t, err).Rule, "the engine itself still asks the policy for its actor")
	_, err = sys.ChangeCase(ctx, actor, coaching.OpErase, c.ID, func(*coaching.CaseChange) error { return nil })
	require.NoError(t, err)
	_, err = sys.ChangeCase(ctx, coaching.Actor{ID: "teacher-9", Roles: []coaching.Role{coaching.RoleTeacher}}, coaching.OpErase, c.ID,
		func(*coaching.CaseChange) error { return nil })
	ct.RequireForbidden(t, err)
	head := coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	log, err := ct.ReadAccessLog(ctx, env.Engine, head, coaching.AccessQuery{ActorID: "system"})
	require.NoError(t, err)
	var rules []string
	for _, e := range log {
		if e.Allowed {
			rules = append(rules, e.Rule)
		}
	}
	assert.Equal(t, []string{"retention"}, rules, "the system engine's erase is logged under its rule")
}

// planVersions reads every version of the case's plan through a view the
// coach opens.
func planVersions(ctx context.Context, eng *coaching.Engine, id coaching.CaseID) ([]coaching.Document, error) {
	var docs []coaching.Document
	err := eng.ReadCase(ctx, ct.Coach, coaching.OpReadCase, id, func(v *coaching.CaseView) error {
		var err error
		docs, err = v.Documents("plan")
		return err
	})
	return docs, err
}
