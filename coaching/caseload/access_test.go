package caseload_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
)

// The access matrix of the caseload under the default policy: a list
// shows only the cases the actor may read, a welfare alert only the
// welfare roles on the team, another organisation never.
func TestAccessMatrix(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	coachB := actor("coach-b", orgB, coaching.RoleCoach)
	one := f.enrol(t, headA, "Aino", "Aho", member(coachA, coaching.RoleCoach), member(tutorA, coaching.RolePersonalTutor), member(curatorA, coaching.RoleCurator))
	two := f.enrol(t, headA, "Eino", "Eskola", member(tutorA, coaching.RolePersonalTutor))
	three := f.enrol(t, headB, "Olli", "Oja", member(coachB, coaching.RoleCoach))

	student := actor("student-1", orgA, coaching.RoleStudent)
	student.Relations = []coaching.Relation{{Kind: coaching.RelationSelf, Participant: one.ParticipantID}}
	guardian := actor("guardian-1", orgA, coaching.RoleGuardian)
	guardian.Relations = []coaching.Relation{{Kind: coaching.RelationGuardianOf, Participant: two.ParticipantID}}

	_, added, err := f.svc.Raise(ctx, curatorA, one.ID, caseload.AlertInput{Cause: caseload.Cause{Kind: caseload.CauseReferralFollowUp, Key: "referral_1"}})
	require.NoError(t, err)
	require.True(t, added)
	_, _, err = f.svc.Raise(ctx, tutorA, one.ID, caseload.AlertInput{Title: "Absent all week"})
	require.NoError(t, err)

	type row struct {
		who            coaching.Actor
		list, mine     []coaching.CaseID
		alerts, wAlert int // alerts seen on case one, of which welfare
	}
	for _, r := range []row{
		{who: headA, list: []coaching.CaseID{one.ID, two.ID}, alerts: 1},
		{who: coachA, list: []coaching.CaseID{one.ID}, mine: []coaching.CaseID{one.ID}, alerts: 1},
		{who: tutorA, list: []coaching.CaseID{one.ID, two.ID}, mine: []coaching.CaseID{one.ID, two.ID}, alerts: 1},
		{who: curatorA, list: []coaching.CaseID{one.ID}, mine: []coaching.CaseID{one.ID}, alerts: 2, wAlert: 1},
		{who: teacherA},
		{who: student, list: []coaching.CaseID{one.ID}}, // alerts are staff work
		{who: guardian}, // the default policy shows a guardian no case list
		{who: headB, list: []coaching.CaseID{three.ID}},
		{who: coachB, list: []coaching.CaseID{three.ID}, mine: []coaching.CaseID{three.ID}},
	} {
		t.Run(r.who.ID, func(t *testing.T) {
			p, err := f.svc.List(ctx, r.who, caseload.Query{})
			require.NoError(t, err)
			assert.ElementsMatch(t, r.list, ids(p.Rows), "list")
			p, err = f.svc.Mine(ctx, r.who, caseload.Query{})
			require.NoError(t, err)
			assert.ElementsMatch(t, r.mine, ids(p.Rows), "mine")
			// Asking for another organisation's list shows nothing of it.
			other := orgB
			if r.who.Organisation == orgB {
				other = orgA
			}
			p, err = f.svc.List(ctx, r.who, caseload.Query{Organisation: other})
			require.NoError(t, err)
			assert.Empty(t, p.Rows, "another organisation")

			as, err := f.svc.Alerts(ctx, r.who, caseload.AlertQuery{CaseID: one.ID, Organisation: orgA})
			require.NoError(t, err)
			welfare := 0
			for _, a := range as.Alerts {
				if a.Welfare {
					welfare++
				}
			}
			assert.Equal(t, r.alerts, len(as.Alerts), fmt.Sprintf("alerts of %s", r.who.ID))
			assert.Equal(t, r.wAlert, welfare, "welfare alerts")
		})
	}
}
