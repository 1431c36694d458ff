package coaching_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/valmennus/valmennus/coaching"
)

// The default policy's rows for what families do: report and explain
// absences, decide on requests, read them, write, propose changes. Each
// row is who asks about which ward's case; the features' own tests run the
// same rows end to end on every store.
func TestFamilyOperationsPolicy(t *testing.T) {
	today := coaching.NewDate(2026, 9, 14)
	minor := coaching.Participant{ID: "p-minor", Organisation: schoolA, BirthDate: coaching.NewDate(2010, 5, 1),
		Guardians: []coaching.Guardian{{ID: "guardian-of-minor"}}}
	adult := coaching.Participant{ID: "p-adult", Organisation: schoolA, BirthDate: coaching.NewDate(2008, 9, 7),
		Guardians: []coaching.Guardian{{ID: "guardian-of-adult"}}}
	consenting := adult
	consenting.ID = "p-consenting"
	consenting.GuardianConsent = coaching.ConsentRecord{GivenOn: coaching.NewDate(2026, 9, 8), GivenVia: coaching.ConsentBySelf}
	caseOf := func(p coaching.Participant) *coaching.Case {
		return &coaching.Case{ID: coaching.CaseID("c-" + p.ID), ParticipantID: p.ID, Organisation: schoolA,
			Team: []coaching.TeamMember{{ActorID: "tutor-a", Role: coaching.RolePersonalTutor}, {ActorID: "teacher-a", Role: coaching.RoleTeacher}}}
	}
	guardianOf := func(p coaching.Participant) (coaching.Actor, []coaching.Relation) {
		return coaching.Actor{ID: p.Guardians[0].ID, Organisation: schoolA, Roles: []coaching.Role{coaching.RoleGuardian}},
			[]coaching.Relation{{Kind: coaching.RelationGuardianOf, Participant: p.ID}}
	}
	studentOf := func(p coaching.Participant) (coaching.Actor, []coaching.Relation) {
		return coaching.Actor{ID: "student-" + string(p.ID), Organisation: schoolA, Roles: []coaching.Role{coaching.RoleStudent}},
			[]coaching.Relation{{Kind: coaching.RelationSelf, Participant: p.ID}}
	}
	staff := func(id string, role coaching.Role, onTeam bool) (coaching.Actor, []coaching.Relation) {
		a := coaching.Actor{ID: id, Organisation: schoolA, Roles: []coaching.Role{role}}
		if !onTeam {
			return a, nil
		}
		return a, []coaching.Relation{{Kind: coaching.RelationTeamMember, Role: role}}
	}
	ops := []coaching.Operation{coaching.OpReportAbsence, coaching.OpDecideRequest, coaching.OpReadRequests,
		coaching.OpSendMessage, coaching.OpProposeChange}
	type row struct {
		who  string
		ward coaching.Participant
		mk   func() (coaching.Actor, []coaching.Relation)
		want []string // per ops: allow or the denying rule
	}
	const A = "allow"
	gs, ga, gr := coaching.RuleGuardianScope, coaching.RuleGuardianAge, coaching.RuleGuardianRelation
	st, wc := coaching.RuleSupportTeam, coaching.RuleWelfareChannel
	rows := []row{
		{"guardian of a minor", minor, func() (coaching.Actor, []coaching.Relation) { return guardianOf(minor) }, []string{A, gs, A, A, A}},
		{"guardian of an adult without consent", adult, func() (coaching.Actor, []coaching.Relation) { return guardianOf(adult) }, []string{ga, gs, ga, ga, ga}},
		{"guardian of an adult with consent", consenting, func() (coaching.Actor, []coaching.Relation) {
			a, _ := guardianOf(adult)
			return a, []coaching.Relation{{Kind: coaching.RelationGuardianOf, Participant: consenting.ID}}
		}, []string{A, gs, A, A, A}},
		{"another student's guardian", adult, func() (coaching.Actor, []coaching.Relation) { a, _ := guardianOf(minor); return a, nil }, []string{gr, gr, gr, gr, gr}},
		{"adult student, own case", adult, func() (coaching.Actor, []coaching.Relation) { return studentOf(adult) }, []string{A, coaching.RuleStudentSelf, A, A, A}},
		{"minor student, own case", minor, func() (coaching.Actor, []coaching.Relation) { return studentOf(minor) },
			[]string{coaching.RuleStudentMinor, coaching.RuleStudentSelf, A, A, A}},
		{"student, another's case", minor, func() (coaching.Actor, []coaching.Relation) { a, _ := studentOf(adult); return a, nil },
			repeat(coaching.RuleStudentOther, 5)},
		{"personal tutor on the team", minor, func() (coaching.Actor, []coaching.Relation) {
			return staff("tutor-a", coaching.RolePersonalTutor, true)
		},
			[]string{A, A, A, A, st}},
		{"teacher on the team", minor, func() (coaching.Actor, []coaching.Relation) { return staff("teacher-a", coaching.RoleTeacher, true) },
			[]string{A, coaching.RuleDeciders, A, A, st}},
		{"study counsellor on the team", minor, func() (coaching.Actor, []coaching.Relation) {
			return staff("counsellor-a", coaching.RoleStudyCounsellor, true)
		}, []string{A, A, A, A, st}},
		{"teacher not on the team", minor, func() (coaching.Actor, []coaching.Relation) { return staff("teacher-b", coaching.RoleTeacher, false) },
			repeat(st, 5)},
		{"workplace instructor on the team", minor, func() (coaching.Actor, []coaching.Relation) {
			return staff("instructor-a", coaching.RoleWorkplaceInstructor, true)
		}, []string{st, st, st, st, st}},
		{"peer coach on the team", minor, func() (coaching.Actor, []coaching.Relation) { return staff("peer-a", coaching.RolePeerCoach, true) },
			[]string{st, st, st, st, coaching.RuleNotPermitted}},
		{"curator on the team", minor, func() (coaching.Actor, []coaching.Relation) { return staff("curator-a", coaching.RoleCurator, true) },
			[]string{wc, wc, A, wc, st}},
		{"nurse on the team", minor, func() (coaching.Actor, []coaching.Relation) { return staff("nurse-a", coaching.RoleNurse, true) },
			[]string{wc, wc, A, wc, st}},
		{"psychologist not on the team", minor, func() (coaching.Actor, []coaching.Relation) {
			return staff("psychologist-b", coaching.RolePsychologist, false)
		}, repeat(st, 5)},
		{"head of studies", minor, func() (coaching.Actor, []coaching.Relation) {
			return staff("head-a", coaching.RoleHeadOfStudies, false)
		},
			[]string{A, A, A, A, st}},
	}
	pol := coaching.DefaultPolicy()
	for _, r := range rows {
		for i, op := range ops {
			a, rels := r.mk()
			p := r.ward
			req := &coaching.Request{Actor: a, Operation: op, Organisation: schoolA, Case: caseOf(p), Participant: &p,
				Relations: rels, Today: today}
			d := pol.Decide(context.Background(), req)
			got := A
			if !d.Allowed {
				got = d.Rule
			}
			assert.Equal(t, r.want[i], got, "%s: %s (%s)", r.who, op, d.Reason)
		}
	}
	// Another organisation never.
	head := coaching.Actor{ID: "head-b", Organisation: schoolB, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	for _, op := range ops {
		d := pol.Decide(context.Background(), &coaching.Request{Actor: head, Operation: op, Organisation: schoolA, Case: caseOf(minor), Today: today})
		assert.Equal(t, coaching.RuleOrganisation, d.Rule, op)
	}
}
