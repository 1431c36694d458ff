package caseload_test

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/coaching/coachingtest"
)

// exampleSetup is an engine on the memory store with the kit's clock, a
// head of studies, a coach and a tutor of one organisation, and three
// cases.
func exampleSetup() (*coaching.Engine, *coachingtest.Clock, *coaching.SystemKey, []coaching.Case) {
	ctx := context.Background()
	clock := coachingtest.NewClock(coachingtest.DefaultStart)
	key := coaching.NewSystemKey()
	eng, _ := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.VALO()}, Clock: clock, SystemKey: key})
	var cases []coaching.Case
	for i, name := range []string{"Virtanen", "Aho", "Öhman"} {
		team := []coaching.TeamMember{coachingtest.TeamMember(tutorA, coaching.RolePersonalTutor)}
		if i != 1 {
			team = append(team, coachingtest.TeamMember(coachA, coaching.RoleCoach))
		}
		p := coachingtest.Participant(func(p *coaching.Participant) { p.GivenNames, p.FamilyName, p.Organisation = "Testi", name, orgA })
		c, _ := eng.Enrol(ctx, headA, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: p, Team: team})
		cases = append(cases, c)
	}
	return eng, clock, key, cases
}

// A coach's caseload by urgency: after a month and more, Review raises an
// alert for each overdue phase; the cases overdue and never contacted
// come first.
func ExampleService_Mine() {
	ctx := context.Background()
	eng, clock, key, cases := exampleSetup()
	svc, _ := caseload.New(eng, nil)
	_, _ = svc.LogContact(ctx, coachA, caseload.Contact{CaseID: cases[0].ID, Kind: caseload.ContactPhone})
	clock.AdvanceDays(35)
	res, _ := svc.Review(ctx, key)
	fmt.Println("alerts raised:", len(res.Raised))
	page, _ := svc.Mine(ctx, coachA, caseload.Query{})
	for _, r := range page.Rows {
		last := "never"
		if !r.LastContact.IsZero() {
			last = r.LastContact.String()
		}
		fmt.Println(r.Name, r.State, "overdue:", r.Overdue, "alerts:", r.OpenAlerts, "last contact:", last)
	}
	// Output:
	// alerts raised: 3
	// Testi Öhman recruitment overdue: true alerts: 1 last contact: never
	// Testi Virtanen recruitment overdue: true alerts: 1 last contact: 2026-08-10
}

// Alerts are work: the owner takes one on and resolves it with the action
// taken; a cause raised again while its alert is active is not
// duplicated.
func ExampleService_Raise() {
	ctx := context.Background()
	eng, _, _, cases := exampleSetup()
	svc, _ := caseload.New(eng, nil)
	cause := caseload.Cause{Kind: caseload.CauseCheckpointDue, Key: "3_months"}
	a, added, _ := svc.Raise(ctx, tutorA, cases[0].ID, caseload.AlertInput{Cause: cause})
	fmt.Println(a.Title, "owner:", a.Owner.ActorID, "new:", added)
	_, added, _ = svc.Raise(ctx, tutorA, cases[0].ID, caseload.AlertInput{Cause: cause})
	fmt.Println("raised again, new:", added)

	mine, _ := svc.MyAlerts(ctx, coachA, caseload.AlertQuery{})
	a, _ = svc.Acknowledge(ctx, coachA, mine.Alerts[0].ID, mine.Alerts[0].Version)
	a, _ = svc.Resolve(ctx, coachA, a.ID, a.Version, caseload.Action{Kind: caseload.ActionGuardianContact})
	fmt.Println(a.Status, a.Action.Kind)
	mine, _ = svc.MyAlerts(ctx, coachA, caseload.AlertQuery{})
	fmt.Println("open:", len(mine.Alerts))
	// Output:
	// Follow-up checkpoint due owner: coach-a new: true
	// raised again, new: false
	// resolved guardian_contact
	// open: 0
}

// A coach's week plan: a session planned for Tuesday, moved to
// Wednesday, then held — recorded as a coaching session and logged as a
// contact.
func ExampleService_Agenda() {
	ctx := context.Background()
	eng, clock, _, cases := exampleSetup()
	svc, _ := caseload.New(eng, nil)
	today := coaching.DateOf(clock.Now())
	p, _ := svc.Plan(ctx, coachA, caseload.Planned{Kind: caseload.PlanIndividualSession, Title: "Check-in",
		Cases: []coaching.CaseID{cases[0].ID}, On: today.AddDays(1)})
	_, _ = svc.Plan(ctx, coachA, caseload.Planned{Kind: caseload.PlanWorkplaceVisit, Title: "Workplace visit",
		Cases: []coaching.CaseID{cases[2].ID}, On: today.AddDays(3)})
	p, _ = svc.Move(ctx, coachA, p.ID, p.Version, today.AddDays(2))
	week, _ := svc.Agenda(ctx, coachA, today, today.AddDays(6))
	for _, it := range week {
		fmt.Println(it.On, it.On.Weekday(), it.Title)
	}
	clock.AdvanceDays(2)
	p, _ = svc.Held(ctx, coachA, p.ID, p.Version, caseload.HeldSession{Hours: decimal.RequireFromString("1")})
	contacts, _ := svc.Contacts(ctx, coachA, cases[0].ID, 0)
	fmt.Println(p.Status, "session recorded:", p.Session != "", "contacts:", len(contacts), contacts[0].Kind)
	// Output:
	// 2026-08-12 Wednesday Check-in
	// 2026-08-13 Thursday Workplace visit
	// held session recorded: true contacts: 1 session
}
