package hoks_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// A student proposes to move a workplace period of their plan; the
// guardian's summary shows the open proposal's title; the personal tutor
// accepts it into a new version of the plan and approves it at once.
func ExampleService_AcceptProposal() {
	ctx := context.Background()
	now := time.Date(2024, 4, 2, 10, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock:     coaching.ClockFunc(func() time.Time { return now }),
		Documents: hoks.Documents(), // the plan (reserved), proposals, comments and staff notes (private)
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	tutor := coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	c, err := eng.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot, CaseID: "case-1", Participant: coaching.Participant{
		ID: "p-1", GivenNames: "Aino", FamilyName: "Virtanen", BirthDate: coaching.NewDate(2007, 9, 1), Language: coaching.English,
		Contact: coaching.Contact{Email: "aino@example.fi"}, Guardians: []coaching.Guardian{{ID: "guardian-1", Name: "Anne Virtanen"}}},
		Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Henna Laaksonen"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	student := coaching.Actor{ID: "aino", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: "p-1"}}}
	guardian := coaching.Actor{ID: "guardian-1", Roles: []coaching.Role{coaching.RoleGuardian}}
	plans, err := hoks.NewService(eng)
	if err != nil {
		fmt.Println(err)
		return
	}

	data, err := os.ReadFile("testdata/valid_plan.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, err := hoks.Decode(data, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	plan.FirstApproved = coaching.Date{}
	draft, err := plans.SaveDraft(ctx, tutor, c.ID, 0, plan)
	if err != nil {
		fmt.Println(err)
		return
	}
	approved, err := plans.Approve(ctx, tutor, c.ID, draft.Number, coaching.DateOf(now))
	if err != nil {
		fmt.Println(err)
		return
	}

	p, err := plans.Propose(ctx, student, c.ID, hoks.ProposalInput{
		Title:       "Apprenticeship a month later",
		Description: "My summer job ends at the end of April.",
		Change: &hoks.PlanChange{Kind: hoks.ChangeSchedule, Unit: "tutkinnonosat_106233",
			From: hoks.Span{Start: coaching.NewDate(2024, 4, 1), End: coaching.NewDate(2024, 6, 30)},
			To:   hoks.Span{Start: coaching.NewDate(2024, 5, 2), End: coaching.NewDate(2024, 7, 31)}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("proposal", p.Number, p.Status, "against version", p.PlanVersion, "of", approved.Number)
	sum, err := plans.Summary(ctx, guardian, c.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("guardian's summary:", sum.OpenProposals, "open:", sum.OpenProposalTitles)

	acc, v, err := plans.AcceptProposal(ctx, tutor, c.ID, p.Number, hoks.AcceptInput{BasedOn: p.Version, Approve: true,
		Note: "Agreed with the employer."})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("proposal", acc.Status, "as version", acc.AcceptedAs, "approved as version", acc.ApprovedAs)
	for _, ch := range hoks.Diff(approved.Plan, v.Plan) {
		if ch.Kind == hoks.PeriodMoved {
			fmt.Println(ch)
		}
	}
	mine, err := plans.Proposal(ctx, student, c.ID, p.Number)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("the student sees %s, staff note %q\n", mine.Status, mine.StaffNote)
	// Output:
	// proposal 1 submitted against version 2 of 2
	// guardian's summary: 1 open: [Apprenticeship a month later]
	// proposal accepted as version 3 approved as version 4
	// period moved: workplace period in unit tutkinnonosat_106233: 2024-04-01–2024-06-30 → 2024-05-02–2024-07-31
	// the student sees accepted, staff note ""
}
