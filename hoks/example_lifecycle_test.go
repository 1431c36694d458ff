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

// Draw up a HOKS, approve it, and update it: a stale update is a conflict,
// and the first approval queues the start survey.
func ExampleService() {
	ctx := context.Background()
	now := time.Date(2024, 4, 2, 10, 0, 0, 0, coaching.Helsinki)
	eng, _ := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Documents: hoks.Documents(), // the plan is written only through the Service
		Clock:     coaching.ClockFunc(func() time.Time { return now })})
	tutor := coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	c, _ := eng.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot, CaseID: "case-1", Participant: coaching.Participant{
		GivenNames: "Aino", FamilyName: "Virtanen", BirthDate: coaching.NewDate(2007, 9, 1), Language: coaching.Finnish,
		Contact: coaching.Contact{Email: "aino@example.fi"}},
		Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Henna Laaksonen"}}})
	plans, _ := hoks.NewService(eng)

	data, _ := os.ReadFile("testdata/valid_plan.json")
	plan, _ := hoks.Decode(data, nil)
	plan.FirstApproved = coaching.Date{} // a draft is not approved yet

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
	fmt.Println("version", approved.Number, approved.Status, "first approved", approved.Plan.FirstApproved)
	for _, s := range approved.Surveys {
		fmt.Println("survey", s.Survey, "queued:", s.Notice != nil)
	}
	_, err = plans.SaveDraft(ctx, tutor, c.ID, draft.Number, plan)
	fmt.Println(err)
	// Output:
	// version 2 approved first approved 2024-04-02
	// survey aloituskysely queued: true
	// valmennus: document hoks of case "case-1" changed: expected version 1, current version is 2
}
