package coaching_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// A signed-in student and guardian are recognised by the sign-on ids the
// participant's record links (Participant.SignOn, Guardian.SignOn), never
// by what the caller says: the student reads their own case, the guardian
// their ward's notices; the same ids in another role, or other ids, are
// refused.
func TestSignOnIDsGiveRelations(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, nil)
	c := env.Enrol(t, coaching.ModelPilot, ct.Minor(coaching.NewDate(2027, 5, 1), func(p *coaching.Participant) {
		p.SignOn = "https://idp.example.fi|student-7"
		p.Guardians[0].SignOn = "https://broker.example.fi|guardian-7"
	}), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor))
	student := coaching.Actor{ID: "https://idp.example.fi|student-7", Organisation: c.Organisation, Roles: []coaching.Role{coaching.RoleStudent}}
	guardian := coaching.Actor{ID: "https://broker.example.fi|guardian-7", Organisation: c.Organisation, Roles: []coaching.Role{coaching.RoleGuardian}}

	_, err := env.Engine.Case(ctx, student, c.ID)
	assert.NoError(t, err, "the student by their sign-on id")
	err = env.Engine.ReadCase(ctx, guardian, coaching.OpReadNotices, c.ID, func(*coaching.CaseView) error { return nil })
	assert.NoError(t, err, "the guardian by their sign-on id")

	other := student
	other.ID = "https://idp.example.fi|student-8"
	_, err = env.Engine.Case(ctx, other, c.ID)
	assert.Equal(t, coaching.RuleStudentOther, ct.RequireForbidden(t, err).Rule)
	asGuardian := guardian
	asGuardian.Roles = []coaching.Role{coaching.RoleStudent}
	_, err = env.Engine.Case(ctx, asGuardian, c.ID)
	assert.Equal(t, coaching.RuleStudentOther, ct.RequireForbidden(t, err).Rule, "the guardian's id in the student role is not the student")
	asStudent := student
	asStudent.Roles = []coaching.Role{coaching.RoleGuardian}
	err = env.Engine.ReadCase(ctx, asStudent, coaching.OpReadNotices, c.ID, func(*coaching.CaseView) error { return nil })
	assert.Equal(t, coaching.RuleGuardianRelation, ct.RequireForbidden(t, err).Rule, "the student's id in the guardian role is no guardian")
}

func TestSignOnIsValidated(t *testing.T) {
	p := ct.Minor(coaching.NewDate(2027, 5, 1), func(p *coaching.Participant) {
		p.SignOn = "bad\x00id"
		p.Guardians[0].SignOn = string(make([]byte, 300))
	})
	p.ID = "p-1"
	err := p.Validate(coaching.NewDate(2026, 9, 1))
	ct.RequireInvalid(t, err, "sign_on")
	ct.RequireInvalid(t, err, "guardians[0].sign_on")

	p = ct.Minor(coaching.NewDate(2027, 5, 1), func(p *coaching.Participant) {
		p.SignOn = "idp|x"
		p.Guardians[0].SignOn = "idp|x"
	})
	p.ID = "p-2"
	ct.RequireInvalid(t, p.Validate(coaching.NewDate(2026, 9, 1)), "guardians[0].sign_on")
	p.Guardians[0].SignOn = "idp|g"
	p.Guardians = append(p.Guardians, coaching.Guardian{ID: "guardian-2", Name: "Toinen", SignOn: "idp|g"})
	ct.RequireInvalid(t, p.Validate(coaching.NewDate(2026, 9, 1)), "guardians[1].sign_on")
}

// A guardian linked to a sign-on id is recognised by it alone: the record
// id made up at import is no credential once a sign-on id is linked.
func TestGuardianRecordIDIsNoCredentialOnceLinked(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, nil)
	c := env.Enrol(t, coaching.ModelPilot, ct.Minor(coaching.NewDate(2027, 5, 1), func(p *coaching.Participant) {
		p.Guardians[0].SignOn = "broker|pekka"
	}), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor))
	byRecordID := coaching.Actor{ID: "guardian-1", Organisation: c.Organisation, Roles: []coaching.Role{coaching.RoleGuardian}}
	err := env.Engine.ReadCase(ctx, byRecordID, coaching.OpReadNotices, c.ID, func(*coaching.CaseView) error { return nil })
	assert.Equal(t, coaching.RuleGuardianRelation, ct.RequireForbidden(t, err).Rule)
}

// Participant.GuardianOf and IsStudent recognise whom the policy does: a
// linked guardian by sign-on id alone, an unlinked one by record id, an
// asserted relation, and only in the matching role.
func TestGuardianOfAndIsStudent(t *testing.T) {
	p := coaching.Participant{ID: "p-1", SignOn: "idp|s", Guardians: []coaching.Guardian{
		{ID: "g-1", Name: "Linked", SignOn: "broker|g1"}, {ID: "g-2", Name: "Unlinked"}}}
	as := func(id string, role coaching.Role, rels ...coaching.Relation) coaching.Actor {
		return coaching.Actor{ID: id, Roles: []coaching.Role{role}, Relations: rels}
	}
	g, ok := p.GuardianOf(as("broker|g1", coaching.RoleGuardian))
	assert.True(t, ok)
	assert.Equal(t, "Linked", g.Name)
	_, ok = p.GuardianOf(as("g-1", coaching.RoleGuardian))
	assert.False(t, ok, "a linked guardian's record id is no credential")
	g, ok = p.GuardianOf(as("g-2", coaching.RoleGuardian))
	assert.True(t, ok)
	assert.Equal(t, "Unlinked", g.Name)
	_, ok = p.GuardianOf(as("broker|g1", coaching.RoleStudent))
	assert.False(t, ok, "the role counts")
	g, ok = p.GuardianOf(as("sso|x", coaching.RoleGuardian, coaching.Relation{Kind: coaching.RelationGuardianOf, Participant: "p-1"}))
	assert.True(t, ok, "asserted by the host")
	assert.Equal(t, "sso|x", g.ID)
	assert.True(t, p.IsStudent(as("idp|s", coaching.RoleStudent)))
	assert.True(t, p.IsStudent(as("sso|y", coaching.RoleStudent, coaching.Relation{Kind: coaching.RelationSelf, Participant: "p-1"})))
	assert.False(t, p.IsStudent(as("idp|s", coaching.RoleGuardian)))
	assert.False(t, p.IsStudent(as("idp|t", coaching.RoleStudent)))
}
