package caseload_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// TestCaseItems: a case's planned items, by date, in every status by
// default; a group session names only the cases the reader may read; a
// welfare worker's item is shown to them, not to the tutor; a student
// sees no title or reason and no other case; another organisation's case
// is concealed; the query is validated.
func TestCaseItems(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	one := f.enrol(t, headA, "Aino", "Aho", member(coachA, coaching.RoleCoach), member(tutorA, coaching.RolePersonalTutor),
		member(curatorA, coaching.RoleCurator))
	two := f.enrol(t, headA, "Eetu", "Esa", member(coachA, coaching.RoleCoach))
	other := f.enrol(t, headB, "Olli", "Berg", member(headB, coaching.RoleCoach))
	today := coaching.DateOf(f.env.Clock.Now())
	plan := func(by coaching.Actor, k caseload.PlannedKind, title string, on coaching.Date, cases ...coaching.CaseID) caseload.Planned {
		t.Helper()
		p, err := f.svc.Plan(ctx, by, caseload.Planned{Kind: k, Title: title, On: on, Cases: cases})
		require.NoError(t, err)
		return p
	}
	group := plan(coachA, caseload.PlanGroupSession, "Study skills", today.AddDays(3), one.ID, two.ID)
	welfare := plan(curatorA, caseload.PlanIndividualSession, "Curator's meeting", today.AddDays(1), one.ID)
	task := plan(tutorA, caseload.PlanTask, "Call the workplace", today, one.ID)
	cancelled := plan(tutorA, caseload.PlanGuardianMeeting, "Guardian meeting", today.AddDays(7), one.ID)
	_, err := f.svc.Cancel(ctx, tutorA, cancelled.ID, cancelled.Version, "the guardian is ill")
	require.NoError(t, err)
	plan(coachA, caseload.PlanTask, "Another student's task", today, two.ID)
	plan(headB, caseload.PlanTask, "Another organisation's task", today, other.ID)

	idsOf := func(ps []caseload.Planned) []string {
		out := []string{}
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	byID := func(ps []caseload.Planned, id string) caseload.Planned {
		for _, p := range ps {
			if p.ID == id {
				return p
			}
		}
		t.Fatalf("no item %s", id)
		return caseload.Planned{}
	}

	got, err := f.svc.CaseItems(ctx, tutorA, one.ID, caseload.CaseItemsQuery{})
	require.NoError(t, err)
	assert.Equal(t, []string{task.ID, group.ID, cancelled.ID}, idsOf(got), "by date; no welfare item for the tutor")
	assert.Equal(t, []coaching.CaseID{one.ID}, byID(got, group.ID).Cases, "the tutor may not read the other case of the group")
	assert.Equal(t, "the guardian is ill", byID(got, cancelled.ID).Reason)

	got, err = f.svc.CaseItems(ctx, coachA, one.ID, caseload.CaseItemsQuery{})
	require.NoError(t, err)
	assert.Equal(t, []coaching.CaseID{one.ID, two.ID}, byID(got, group.ID).Cases, "the coach reads both")
	assert.NotContains(t, idsOf(got), welfare.ID)

	got, err = f.svc.CaseItems(ctx, curatorA, one.ID, caseload.CaseItemsQuery{})
	require.NoError(t, err)
	assert.Contains(t, idsOf(got), welfare.ID, "the curator's own item")

	got, err = f.svc.CaseItems(ctx, tutorA, one.ID, caseload.CaseItemsQuery{Statuses: []caseload.PlannedStatus{caseload.PlannedOpen},
		From: today.AddDays(1), To: today.AddDays(30)})
	require.NoError(t, err)
	assert.Equal(t, []string{group.ID}, idsOf(got), "open items from tomorrow")
	got, err = f.svc.CaseItems(ctx, tutorA, one.ID, caseload.CaseItemsQuery{Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, []string{task.ID, group.ID}, idsOf(got), "the limit counts the items shown, the welfare item skipped")

	student := actor("student-1", orgA, coaching.RoleStudent)
	student.Relations = []coaching.Relation{{Kind: coaching.RelationSelf, Participant: one.ParticipantID}}
	got, err = f.svc.CaseItems(ctx, student, one.ID, caseload.CaseItemsQuery{})
	require.NoError(t, err, "the default policy lets a student read their own case")
	assert.Equal(t, []string{task.ID, group.ID, cancelled.ID}, idsOf(got))
	for _, p := range got {
		assert.Empty(t, p.Title, "a student sees no title")
		assert.Empty(t, p.Reason, "nor a cancellation's reason")
		assert.Equal(t, []coaching.CaseID{one.ID}, p.Cases, "nor another case")
	}

	_, err = f.svc.CaseItems(ctx, tutorA, two.ID, caseload.CaseItemsQuery{})
	ct.RequireForbidden(t, err)
	_, err = f.svc.CaseItems(ctx, tutorA, other.ID, caseload.CaseItemsQuery{})
	fe := ct.RequireForbidden(t, err)
	assert.NotNil(t, fe.NotFound(), "another organisation's case is concealed")

	_, err = f.svc.CaseItems(ctx, tutorA, one.ID, caseload.CaseItemsQuery{From: today, To: today.AddDays(-1)})
	ct.RequireInvalid(t, err, "from")
	_, err = f.svc.CaseItems(ctx, tutorA, one.ID, caseload.CaseItemsQuery{Statuses: []caseload.PlannedStatus{"done"}})
	ct.RequireInvalid(t, err, "statuses[0]")
	_, err = f.svc.CaseItems(ctx, tutorA, one.ID, caseload.CaseItemsQuery{Limit: caseload.MaxLimit + 1})
	ct.RequireInvalid(t, err, "limit")
	// The alert and contact listings page by the same limit rule.
	_, err = f.svc.Alerts(ctx, tutorA, caseload.AlertQuery{Limit: -1})
	ct.RequireInvalid(t, err, "limit")
	_, err = f.svc.Contacts(ctx, tutorA, one.ID, caseload.MaxLimit+1)
	ct.RequireInvalid(t, err, "limit")
	_, err = f.svc.Contacts(ctx, tutorA, one.ID, caseload.MaxLimit)
	require.NoError(t, err)
	_, err = f.svc.CaseItems(ctx, tutorA, "", caseload.CaseItemsQuery{From: coaching.Date{Year: 2026, Month: 2, Day: 30}})
	ct.RequireInvalid(t, err, "case", "from")
}
