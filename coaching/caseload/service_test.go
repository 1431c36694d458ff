package caseload_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/coaching/caseload/caseloadtest"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/session"
)

func TestListMineAndPages(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	var mine []coaching.CaseID
	for i, name := range []string{"Aho", "Böök", "Öhman", "Virtanen", "Ahonen"} {
		team := []coaching.TeamMember{member(tutorA, coaching.RolePersonalTutor)}
		if i%2 == 0 {
			team = append(team, member(coachA, coaching.RoleCoach))
		}
		c := f.enrol(t, headA, "Testi", name, team...)
		if i%2 == 0 {
			mine = append(mine, c.ID)
		}
	}
	page, err := f.svc.Mine(ctx, coachA, caseload.Query{})
	require.NoError(t, err)
	assert.ElementsMatch(t, mine, ids(page.Rows))
	assert.Empty(t, page.Next)
	for _, r := range page.Rows {
		assert.Equal(t, []coaching.Role{coaching.RoleCoach}, r.Roles)
		assert.Equal(t, coaching.ValoRecruitment, r.State)
		assert.False(t, r.PhaseDue.IsZero())
	}

	// By name, two at a time: every case once, in Finnish order.
	var names []string
	q := caseload.Query{Sort: caseload.SortName, Limit: 2}
	for range 10 {
		p, err := f.svc.List(ctx, headA, q)
		require.NoError(t, err)
		for _, r := range p.Rows {
			names = append(names, r.Name)
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	assert.Equal(t, []string{"Testi Aho", "Testi Ahonen", "Testi Böök", "Testi Virtanen", "Testi Öhman"}, names)

	// Another organisation's head sees none of them.
	page, err = f.svc.List(ctx, headB, caseload.Query{})
	require.NoError(t, err)
	assert.Empty(t, page.Rows)
}

func TestListValidation(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.enrol(t, headA, "A", "B", member(coachA, coaching.RoleCoach))
	f.enrol(t, headA, "C", "D", member(coachA, coaching.RoleCoach))
	cases := map[string]caseload.Query{
		"sort":            {Sort: "random"},
		"status":          {Status: "half"},
		"limit":           {Limit: 501},
		"no_contact_days": {NoContactDays: -1},
		"opened_from":     {OpenedFrom: coaching.NewDate(2026, 3, 1), OpenedTo: coaching.NewDate(2026, 2, 1)},
		"member_role":     {MemberRole: coaching.RoleCoach},
		"cursor":          {Cursor: "not a cursor!"},
	}
	for field, q := range cases {
		_, err := f.svc.List(ctx, headA, q)
		ct.RequireInvalid(t, err, field)
	}
	_, err := f.svc.List(ctx, headA, caseload.Query{Limit: -1})
	ct.RequireInvalid(t, err, "limit")

	p, err := f.svc.List(ctx, headA, caseload.Query{Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, p.Next)
	_, err = f.svc.List(ctx, headA, caseload.Query{Limit: 1, Sort: caseload.SortName, Cursor: p.Next})
	ct.RequireInvalid(t, err, "cursor")
	tampered := []byte(p.Next)
	tampered[len(tampered)/2] ^= 1
	_, err = f.svc.List(ctx, headA, caseload.Query{Limit: 1, Cursor: string(tampered)})
	ct.RequireInvalid(t, err, "cursor")
	// The same query with another page size continues.
	p2, err := f.svc.List(ctx, headA, caseload.Query{Limit: 5, Cursor: p.Next})
	require.NoError(t, err)
	assert.Len(t, p2.Rows, 1)
	assert.NotEqual(t, p.Rows[0].CaseID, p2.Rows[0].CaseID)
}

// Alerts pages by id: every alert the actor may see once, in id order,
// whatever the alerts on cases the policy hides between them, and the last
// page says the list ended.
func TestAlertsPages(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	var want []string
	for i := range 6 {
		team := []coaching.TeamMember{member(tutorA, coaching.RolePersonalTutor)}
		if i%2 == 0 {
			team = append(team, member(coachA, coaching.RoleCoach))
		}
		c := f.enrol(t, headA, "Testi", fmt.Sprint("Nimi", i), team...)
		a, added, err := f.svc.Raise(ctx, headA, c.ID, caseload.AlertInput{Cause: caseload.Cause{Kind: caseload.CauseManual, Key: "check"}})
		require.NoError(t, err)
		require.True(t, added)
		if i%2 == 0 {
			want = append(want, a.ID)
		}
	}
	slices.Sort(want)
	var got []string
	q := caseload.AlertQuery{Limit: 1}
	for range 10 {
		p, err := f.svc.Alerts(ctx, coachA, q)
		require.NoError(t, err)
		require.LessOrEqual(t, len(p.Alerts), 1)
		for _, a := range p.Alerts {
			got = append(got, a.ID)
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	assert.Equal(t, want, got, "the coach's three alerts, each once, by id; the tutor-only cases' alerts never")

	all, err := f.svc.Alerts(ctx, tutorA, caseload.AlertQuery{Limit: 6})
	require.NoError(t, err)
	assert.Len(t, all.Alerts, 6)
	assert.Empty(t, all.Next, "a page that holds the rest ends the list")
	_, err = f.svc.Alerts(ctx, tutorA, caseload.AlertQuery{After: strings.Repeat("x", 300)})
	ct.RequireInvalid(t, err, "after")
}

// A cursor is signed with the service's key: it is refused when passed to
// another actor or to a service with another key, and carries over to a
// service given the same key (a host's other process).
func TestListCursorSigned(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.enrol(t, headA, "A", "B", member(coachA, coaching.RoleCoach))
	f.enrol(t, headA, "C", "D", member(coachA, coaching.RoleCoach))

	_, err := caseload.New(f.env.Engine, &caseload.Options{CursorKey: []byte("short")})
	require.ErrorContains(t, err, "CursorKey must be at least 32 bytes")
	key := []byte("0123456789abcdef0123456789abcdef")
	one, err := caseload.New(f.env.Engine, &caseload.Options{CursorKey: key})
	require.NoError(t, err)
	two, err := caseload.New(f.env.Engine, &caseload.Options{CursorKey: slices.Clone(key)})
	require.NoError(t, err)

	p, err := one.Mine(ctx, coachA, caseload.Query{Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, p.Next)
	next, err := two.Mine(ctx, coachA, caseload.Query{Limit: 1, Cursor: p.Next})
	require.NoError(t, err, "the same key: another instance continues the list")
	require.Len(t, next.Rows, 1)
	assert.NotEqual(t, p.Rows[0].CaseID, next.Rows[0].CaseID)

	_, err = f.svc.Mine(ctx, coachA, caseload.Query{Limit: 1, Cursor: p.Next})
	ct.RequireInvalid(t, err, "cursor")
	_, err = one.List(ctx, headA, caseload.Query{Limit: 1, Member: coachA.ID, Cursor: p.Next})
	ct.RequireInvalid(t, err, "cursor")
}

func TestAlertsLifecycle(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	c := f.enrol(t, headA, "A", "B", member(coachA, coaching.RoleCoach), member(tutorA, coaching.RolePersonalTutor), member(curatorA, coaching.RoleCurator))

	a, added, err := f.svc.Raise(ctx, tutorA, c.ID, caseload.AlertInput{Cause: caseload.Cause{Kind: caseload.CauseCheckpointDue, Key: "3m"}})
	require.NoError(t, err)
	assert.True(t, added)
	assert.Equal(t, caseload.Owner{ActorID: coachA.ID, Role: coaching.RoleCoach}, a.Owner, "the default owner")
	again, added, err := f.svc.Raise(ctx, coachA, c.ID, caseload.AlertInput{Cause: caseload.Cause{Kind: caseload.CauseCheckpointDue, Key: "3m"}})
	require.NoError(t, err)
	assert.False(t, added)
	assert.Equal(t, a.ID, again.ID, "no duplicate")

	got := caseloadtest.RequireAlert(t, f.svc, coachA, c.ID, caseload.CauseCheckpointDue)
	assert.Equal(t, a.ID, got.ID)
	mine, err := f.svc.MyAlerts(ctx, coachA, caseload.AlertQuery{})
	require.NoError(t, err)
	assert.Len(t, mine.Alerts, 1)
	assert.Empty(t, mine.Next)

	_, err = f.svc.Acknowledge(ctx, coachA, a.ID, a.Version+1)
	assert.ErrorIs(t, err, coaching.ErrConflict)
	a, err = f.svc.Acknowledge(ctx, coachA, a.ID, a.Version)
	require.NoError(t, err)
	assert.Equal(t, caseload.AlertAcknowledged, a.Status)
	_, err = f.svc.Acknowledge(ctx, coachA, a.ID, a.Version)
	var te *coaching.TransitionError
	assert.ErrorAs(t, err, &te)

	_, err = f.svc.Reassign(ctx, coachA, a.ID, a.Version, caseload.Owner{ActorID: teacherA.ID, Role: coaching.RoleTeacher})
	ct.RequireInvalid(t, err, "owner")
	a, err = f.svc.Reassign(ctx, coachA, a.ID, a.Version, caseload.Owner{ActorID: tutorA.ID, Role: coaching.RolePersonalTutor})
	require.NoError(t, err)
	_, err = f.svc.Dismiss(ctx, tutorA, a.ID, a.Version, " ")
	ct.RequireInvalid(t, err, "reason")
	a, err = f.svc.Resolve(ctx, tutorA, a.ID, a.Version, caseload.Action{Kind: caseload.ActionGuardianContact, Note: "called home"})
	require.NoError(t, err)
	assert.Equal(t, caseload.AlertResolved, a.Status)
	caseloadtest.RequireNoAlert(t, f.svc, coachA, c.ID, caseload.CauseCheckpointDue)

	// Raised again after resolution: a new alert.
	b, added, err := f.svc.Raise(ctx, coachA, c.ID, caseload.AlertInput{Cause: caseload.Cause{Kind: caseload.CauseCheckpointDue, Key: "3m"}})
	require.NoError(t, err)
	assert.True(t, added)
	assert.NotEqual(t, a.ID, b.ID)
	_, err = f.svc.Dismiss(ctx, coachA, b.ID, b.Version, "already handled at the meeting")
	require.NoError(t, err)

	// Every change is in the case's audit trail, without the title or notes.
	trail := ct.RequireAuditTrail(t, f.env.Engine, c.ID)
	n := 0
	for _, e := range trail {
		if e.Kind == caseload.AuditCaseload {
			n++
			assert.NotContains(t, string(e.Payload), "called home")
		}
	}
	assert.Equal(t, 6, n)

	// A teacher not on the team raises nothing.
	_, _, err = f.svc.Raise(ctx, teacherA, c.ID, caseload.AlertInput{Title: "Worried"})
	ct.RequireForbidden(t, err)
	_, _, err = f.svc.Raise(ctx, coachA, c.ID, caseload.AlertInput{Cause: caseload.Cause{Kind: "bogus", Key: "x"}})
	ct.RequireInvalid(t, err, "cause.kind")
}

func TestWelfareAlerts(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	c := f.enrol(t, headA, "A", "B", member(coachA, coaching.RoleCoach), member(curatorA, coaching.RoleCurator))
	_, _, err := f.svc.Raise(ctx, coachA, c.ID, caseload.AlertInput{Cause: caseload.Cause{Kind: caseload.CauseReferralFollowUp, Key: "referral_1"}})
	ct.RequireForbidden(t, err)
	a, added, err := f.svc.Raise(ctx, curatorA, c.ID, caseload.AlertInput{Cause: caseload.Cause{Kind: caseload.CauseReferralFollowUp, Key: "referral_1"}})
	require.NoError(t, err)
	require.True(t, added)
	assert.True(t, a.Welfare)
	assert.Equal(t, curatorA.ID, a.Owner.ActorID)
	caseloadtest.RequireAlert(t, f.svc, curatorA, c.ID, caseload.CauseReferralFollowUp)
	caseloadtest.RequireNoAlert(t, f.svc, coachA, c.ID, caseload.CauseReferralFollowUp)
	_, err = f.svc.Acknowledge(ctx, coachA, a.ID, a.Version)
	ct.RequireForbidden(t, err)

	row := caseloadtest.RequireInCaseload(t, f.svc, curatorA, c.ID)
	assert.Equal(t, 1, row.OpenAlerts)
	row = caseloadtest.RequireInCaseload(t, f.svc, coachA, c.ID)
	assert.Equal(t, 0, row.OpenAlerts, "the coach does not count the welfare alert")
}

func TestReviewRaisesAndResolves(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	c := f.enrol(t, headA, "A", "B", member(coachA, coaching.RoleCoach), member(tutorA, coaching.RolePersonalTutor))
	_, err := f.svc.Review(ctx, coaching.NewSystemKey())
	require.Error(t, err, "another key")

	res, err := f.svc.Review(ctx, f.key)
	require.NoError(t, err)
	assert.Empty(t, res.Raised)

	f.env.Clock.AdvanceDays(40)
	res, err = f.svc.Review(ctx, f.key)
	require.NoError(t, err)
	require.Len(t, res.Raised, 1)
	a := caseloadtest.RequireAlert(t, f.svc, coachA, c.ID, caseload.CausePhaseOverdue)
	assert.Equal(t, coachA.ID, a.Owner.ActorID)
	row := caseloadtest.RequireInCaseload(t, f.svc, coachA, c.ID)
	assert.True(t, row.Overdue)
	assert.Equal(t, 1, row.OpenAlerts)

	res, err = f.svc.Review(ctx, f.key)
	require.NoError(t, err)
	assert.Empty(t, res.Raised, "idempotent")

	_, err = f.env.Engine.Fire(ctx, headA, c.ID, coaching.ValoAdmit, admitted())
	require.NoError(t, err)
	res, err = f.svc.Review(ctx, f.key)
	require.NoError(t, err)
	assert.Empty(t, res.Raised)
	require.Len(t, res.Resolved, 1)
	assert.Equal(t, "cleared", res.Resolved[0].Reason)
	caseloadtest.RequireNoAlert(t, f.svc, coachA, c.ID, caseload.CausePhaseOverdue)

	// A planned item overdue by the grace days raises an alert to its owner.
	p, err := f.svc.Plan(ctx, tutorA, caseload.Planned{Kind: caseload.PlanHOKSDiscussion, Title: "HOKS", Cases: []coaching.CaseID{c.ID},
		On: coaching.DateOf(f.env.Clock.Now())})
	require.NoError(t, err)
	f.env.Clock.AdvanceDays(3)
	res, err = f.svc.Review(ctx, f.key)
	require.NoError(t, err)
	assert.Empty(t, res.Raised, "within the grace")
	f.env.Clock.AdvanceDays(1)
	res, err = f.svc.Review(ctx, f.key)
	require.NoError(t, err)
	require.Len(t, res.Raised, 1)
	assert.Equal(t, caseload.Cause{Kind: caseload.CausePlannedOverdue, Key: p.ID}, res.Raised[0].Cause)
	assert.Equal(t, tutorA.ID, res.Raised[0].Owner.ActorID)
}

func TestPlanningHeldAndContacts(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	c := f.enrol(t, headA, "A", "B", member(coachA, coaching.RoleCoach), member(tutorA, coaching.RolePersonalTutor))
	today := coaching.DateOf(f.env.Clock.Now())

	_, err := f.svc.Plan(ctx, coachA, caseload.Planned{Kind: caseload.PlanIndividualSession, Title: "Check-in", Cases: []coaching.CaseID{c.ID}, On: today.AddDays(-1)})
	ct.RequireInvalid(t, err, "on")
	_, err = f.svc.Plan(ctx, coachA, caseload.Planned{Kind: "party", Title: "x", Cases: []coaching.CaseID{c.ID}, On: today})
	ct.RequireInvalid(t, err, "kind")
	_, err = f.svc.Plan(ctx, teacherA, caseload.Planned{Kind: caseload.PlanTask, Title: "x", Cases: []coaching.CaseID{c.ID}, On: today})
	ct.RequireForbidden(t, err)
	_, err = f.svc.Plan(ctx, coachA, caseload.Planned{Kind: caseload.PlanTask, Title: "x", Cases: []coaching.CaseID{c.ID}, On: today,
		Owner: caseload.Owner{ActorID: teacherA.ID, Role: coaching.RoleTeacher}})
	ct.RequireInvalid(t, err, "owner")

	p, err := f.svc.Plan(ctx, coachA, caseload.Planned{Kind: caseload.PlanIndividualSession, Title: "Check-in", Cases: []coaching.CaseID{c.ID}, On: today.AddDays(2)})
	require.NoError(t, err)
	assert.Equal(t, caseload.Owner{ActorID: coachA.ID, Role: coaching.RoleCoach}, p.Owner)
	week, err := f.svc.Agenda(ctx, coachA, today, today.AddDays(6))
	require.NoError(t, err)
	require.Len(t, week, 1)
	row := caseloadtest.RequireInCaseload(t, f.svc, coachA, c.ID)
	require.NotNil(t, row.Next)
	assert.Equal(t, p.ID, row.Next.ID)

	p, err = f.svc.Move(ctx, coachA, p.ID, p.Version, today.AddDays(1))
	require.NoError(t, err)
	assert.Equal(t, 1, p.Moves)
	_, err = f.svc.Move(ctx, coachA, p.ID, p.Version-1, today.AddDays(3))
	assert.ErrorIs(t, err, coaching.ErrConflict)

	f.env.Clock.AdvanceDays(1)
	_, err = f.svc.Held(ctx, coachA, p.ID, p.Version, caseload.HeldSession{})
	ct.RequireInvalid(t, err, "hours")
	p, err = f.svc.Held(ctx, coachA, p.ID, p.Version, caseload.HeldSession{Hours: decimal.RequireFromString("1.5"),
		Elements: []session.ApproachElement{session.ElementTrust}})
	require.NoError(t, err)
	assert.Equal(t, caseload.PlannedHeld, p.Status)
	require.NotEmpty(t, p.Session)
	sessions, err := session.New(f.env.Engine)
	require.NoError(t, err)
	recorded, err := sessions.List(ctx, coachA, session.Query{CaseID: c.ID})
	require.NoError(t, err)
	require.Len(t, recorded, 1)
	assert.Equal(t, p.Session, recorded[0].ID)
	contacts, err := f.svc.Contacts(ctx, coachA, c.ID, 0)
	require.NoError(t, err)
	require.Len(t, contacts, 1)
	assert.Equal(t, caseload.ContactSession, contacts[0].Kind)
	row = caseloadtest.RequireInCaseload(t, f.svc, coachA, c.ID)
	assert.Equal(t, today.AddDays(1), row.LastContact)
	assert.Nil(t, row.Next)
	_, err = f.svc.Cancel(ctx, coachA, p.ID, p.Version, "ill")
	var te *coaching.TransitionError
	assert.ErrorAs(t, err, &te, "a held item is final")

	// The contact log, and the list's no-contact filter.
	_, err = f.svc.LogContact(ctx, tutorA, caseload.Contact{CaseID: c.ID, Kind: caseload.ContactPhone, On: today.AddDays(5)})
	ct.RequireInvalid(t, err, "on")
	f.env.Clock.AdvanceDays(10)
	page, err := f.svc.Mine(ctx, tutorA, caseload.Query{NoContactDays: 7})
	require.NoError(t, err)
	assert.Len(t, page.Rows, 1)
	_, err = f.svc.LogContact(ctx, tutorA, caseload.Contact{CaseID: c.ID, Kind: caseload.ContactPhone, Note: "called"})
	require.NoError(t, err)
	page, err = f.svc.Mine(ctx, tutorA, caseload.Query{NoContactDays: 7})
	require.NoError(t, err)
	assert.Empty(t, page.Rows)

	q, err := f.svc.Plan(ctx, tutorA, caseload.Planned{Kind: caseload.PlanGuardianMeeting, Title: "Meeting", Cases: []coaching.CaseID{c.ID},
		On: coaching.DateOf(f.env.Clock.Now())})
	require.NoError(t, err)
	_, err = f.svc.Cancel(ctx, tutorA, q.ID, q.Version, "")
	ct.RequireInvalid(t, err, "reason")
	q, err = f.svc.Cancel(ctx, tutorA, q.ID, q.Version, "the guardian is ill")
	require.NoError(t, err)
	assert.Equal(t, caseload.PlannedCancelled, q.Status)
}

func TestTemplatesCreateTasks(t *testing.T) {
	spec := coaching.VALOSpec()
	require.Error(t, caseload.Attach(&spec, caseload.Template{Name: "x", Model: "other", State: coaching.ValoInduction}))
	welcome := caseload.Template{Name: "induction_welcome", Model: coaching.ModelVALO, State: coaching.ValoInduction,
		Tasks: []caseload.TemplateTask{{Kind: caseload.PlanTask, Title: "Welcome call", OwnerRole: coaching.RolePersonalTutor, DueInDays: 14}}}
	require.ErrorContains(t, caseload.Attach(&spec, welcome, welcome), "two templates are named")
	// Two templates of one state both create their tasks (found in review:
	// the second's collided on id with the first's and were dropped).
	require.NoError(t, caseload.Attach(&spec, caseload.Template{Name: "induction_start", Model: coaching.ModelVALO, State: coaching.ValoInduction,
		Tasks: []caseload.TemplateTask{
			{Kind: caseload.PlanTask, Title: "Initial interview", OwnerRole: coaching.RolePersonalTutor, DueInDays: 14},
			{Kind: caseload.PlanTask, Title: "Literacy and maths screening", OwnerRole: coaching.RolePersonalTutor, DueInDays: 14},
		}}, welcome))
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	f := newFixture(t, &ct.Options{Models: []*coaching.Model{m}})
	ctx := context.Background()
	c := f.enrol(t, headA, "A", "B", member(coachA, coaching.RoleCoach), member(tutorA, coaching.RolePersonalTutor))
	_, err = f.env.Engine.Fire(ctx, headA, c.ID, coaching.ValoAdmit, admitted())
	require.NoError(t, err)
	today := coaching.DateOf(f.env.Clock.Now())
	items, err := f.svc.Agenda(ctx, tutorA, today, today.AddDays(14))
	require.NoError(t, err)
	require.Len(t, items, 3)
	templates := map[string]int{}
	for _, p := range items {
		assert.Equal(t, today.AddDays(14), p.On)
		templates[p.Template]++
	}
	assert.Equal(t, map[string]int{"induction_start": 2, "induction_welcome": 1}, templates)
	coachItems, err := f.svc.Agenda(ctx, coachA, today, today.AddDays(14))
	require.NoError(t, err)
	assert.Empty(t, coachItems)
}

func TestAlertOnTimer(t *testing.T) {
	spec := coaching.VALOSpec()
	reminder := coaching.NewEffect("follow_up", func(_ context.Context, tr *coaching.Transition, next coaching.Case) (coaching.EffectWrites, error) {
		return coaching.EffectWrites{Timers: []coaching.Timer{{Key: "followup:" + string(next.ID), CaseID: next.ID, Kind: "follow_up",
			DueAt: next.ClosedAt.AddDate(0, 0, 28)}}}, nil
	})
	require.NoError(t, spec.AddEffects([]coaching.Effect{reminder}, coaching.ValoDiscontinue))
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	inner := coaching.TimerHandlerFunc(func(_ context.Context, _ coaching.ReadTx, c coaching.Case, tm coaching.Timer, now time.Time) (coaching.TimerResult, error) {
		return coaching.TimerResult{Audit: "follow_up_due"}, nil
	})
	h := caseload.AlertOnTimer(caseload.CauseCheckpointDue, inner, func(tm coaching.Timer) caseload.Cause { return caseload.Cause{Key: "28d"} })
	f := newFixture(t, &ct.Options{Models: []*coaching.Model{m}, Engine: coaching.Options{TimerHandlers: map[string]coaching.TimerHandler{"follow_up": h}}})
	ctx := context.Background()
	c := f.enrol(t, headA, "A", "B", member(coachA, coaching.RoleCoach))
	_, err = f.env.Engine.Fire(ctx, headA, c.ID, coaching.ValoDiscontinue, &coaching.FireOptions{Reason: "moved away"})
	require.NoError(t, err)
	f.env.Clock.AdvanceDays(29)
	assert.Equal(t, 1, f.env.Tick(t).Handled)
	as, err := f.svc.Alerts(ctx, coachA, caseload.AlertQuery{CaseID: c.ID})
	require.NoError(t, err)
	require.Len(t, as.Alerts, 1)
	assert.Equal(t, caseload.Cause{Kind: caseload.CauseCheckpointDue, Key: "28d"}, as.Alerts[0].Cause)
	assert.Equal(t, coachA.ID, as.Alerts[0].Owner.ActorID)
}

func TestReviewEarlyWarnings(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	c := f.enrol(t, headA, "A", "B", member(coachA, coaching.RoleCoach), member(tutorA, coaching.RolePersonalTutor))
	mark := func(st attendance.Status) { f.markDay(t, c.ID, st) }
	mark(attendance.Unexplained)
	res, err := f.svc.Review(ctx, f.key)
	require.NoError(t, err)
	require.Len(t, res.Raised, 1)
	a := caseloadtest.RequireAlert(t, f.svc, tutorA, c.ID, caseload.CauseEarlyWarning)
	assert.Equal(t, tutorA.ID, a.Owner.ActorID, "personal tutor first")
	row := caseloadtest.RequireInCaseload(t, f.svc, tutorA, c.ID)
	assert.NotEmpty(t, row.Flags)
	page, err := f.svc.Mine(ctx, tutorA, caseload.Query{Flagged: true})
	require.NoError(t, err)
	assert.Len(t, page.Rows, 1)

	res, err = f.svc.Review(ctx, f.key)
	require.NoError(t, err)
	assert.Empty(t, res.Raised, "idempotent")

	mark(attendance.Present)
	res, err = f.svc.Review(ctx, f.key)
	require.NoError(t, err)
	assert.Empty(t, res.Raised)
	require.Len(t, res.Resolved, 1)
	caseloadtest.RequireNoAlert(t, f.svc, tutorA, c.ID, caseload.CauseEarlyWarning)
}

// An early warning a person resolved is not raised again while the flag
// stays raised; when the flag clears and is raised again, that is a new
// cause and a new alert.
func TestReviewEarlyWarningReturns(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	c := f.enrol(t, headA, "A", "B", member(coachA, coaching.RoleCoach), member(tutorA, coaching.RolePersonalTutor))
	mark := func(st attendance.Status) { f.markDay(t, c.ID, st) }
	mark(attendance.Unexplained)
	res, err := f.svc.Review(ctx, f.key)
	require.NoError(t, err)
	require.Len(t, res.Raised, 1)
	first := res.Raised[0]
	assert.Equal(t, "Early warning: unexplained_3_in_10", first.Title, "the title names the rule, not the raising")
	first, err = f.svc.Resolve(ctx, tutorA, first.ID, first.Version, caseload.Action{Kind: caseload.ActionGuardianContact, Note: "called home"})
	require.NoError(t, err)

	res, err = f.svc.Review(ctx, f.key)
	require.NoError(t, err)
	assert.Empty(t, res.Raised, "resolved by a person while the same flag is still raised: not raised again")

	mark(attendance.Present)
	res, err = f.svc.Review(ctx, f.key)
	require.NoError(t, err)
	assert.Empty(t, res.Raised)
	assert.Empty(t, res.Resolved, "a closed alert is not resolved again")

	mark(attendance.Unexplained)
	res, err = f.svc.Review(ctx, f.key)
	require.NoError(t, err)
	require.Len(t, res.Raised, 1, "the flag came back: a new raising, a new alert")
	again := res.Raised[0]
	assert.NotEqual(t, first.ID, again.ID)
	assert.NotEqual(t, first.Cause, again.Cause)
	assert.Equal(t, caseload.AlertOpen, again.Status)
	a := caseloadtest.RequireAlert(t, f.svc, tutorA, c.ID, caseload.CauseEarlyWarning)
	assert.Equal(t, again.ID, a.ID)
}

// A referral follow-up timer raises a welfare alert for the welfare staff
// alone; a timer its handler finds stale raises nothing.
func TestAlertOnTimerWelfare(t *testing.T) {
	spec := coaching.VALOSpec()
	set := coaching.NewEffect("referral_follow_up", func(_ context.Context, tr *coaching.Transition, next coaching.Case) (coaching.EffectWrites, error) {
		return coaching.EffectWrites{Timers: []coaching.Timer{
			{Key: "ref:" + string(next.ID), CaseID: next.ID, Kind: "ref", DueAt: tr.Now.AddDate(0, 0, 14)},
			{Key: "stale:" + string(next.ID), CaseID: next.ID, Kind: "stale", DueAt: tr.Now.AddDate(0, 0, 14)}}}, nil
	})
	require.NoError(t, spec.AddEffects([]coaching.Effect{set}, coaching.ValoAdmit))
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	due := coaching.TimerHandlerFunc(func(context.Context, coaching.ReadTx, coaching.Case, coaching.Timer, time.Time) (coaching.TimerResult, error) {
		return coaching.TimerResult{Audit: "referral_follow_up_due"}, nil
	})
	stale := coaching.TimerHandlerFunc(func(context.Context, coaching.ReadTx, coaching.Case, coaching.Timer, time.Time) (coaching.TimerResult, error) {
		return coaching.TimerResult{}, nil
	})
	key := func(tm coaching.Timer) caseload.Cause { return caseload.Cause{Key: "referral_" + tm.Key} }
	f := newFixture(t, &ct.Options{Models: []*coaching.Model{m}, Engine: coaching.Options{TimerHandlers: map[string]coaching.TimerHandler{
		"ref":   caseload.AlertOnTimer(caseload.CauseReferralFollowUp, due, key),
		"stale": caseload.AlertOnTimer(caseload.CauseCheckpointDue, stale, key)}}})
	ctx := context.Background()
	c := f.enrol(t, headA, "A", "B", member(coachA, coaching.RoleCoach), member(curatorA, coaching.RoleCurator))
	_, err = f.env.Engine.Fire(ctx, headA, c.ID, coaching.ValoAdmit, admitted())
	require.NoError(t, err)
	f.env.Clock.AdvanceDays(15)
	f.env.Tick(t)
	a := caseloadtest.RequireAlert(t, f.svc, curatorA, c.ID, caseload.CauseReferralFollowUp)
	assert.True(t, a.Welfare)
	assert.Equal(t, curatorA.ID, a.Owner.ActorID)
	caseloadtest.RequireNoAlert(t, f.svc, coachA, c.ID, caseload.CauseReferralFollowUp)
	caseloadtest.RequireNoAlert(t, f.svc, curatorA, c.ID, caseload.CauseCheckpointDue)
}
