package workplace_test

import (
	"context"
	"fmt"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/hoks/workplace"
)

// Follow a training-agreement period of an approved HOKS from the signed
// agreement to the workplace-instructor feedback survey.
func Example() {
	ctx := context.Background()
	now := coaching.NewDate(2026, 10, 5).At(9, 0)
	handlers, _ := workplace.TimerHandlers(nil)
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Documents:     append(hoks.Documents(), workplace.Documents()...),
		TimerHandlers: handlers, // the notices before the start and the end
		Clock:         coaching.ClockFunc(func() time.Time { return now })})
	if err != nil {
		fmt.Println(err)
		return
	}
	tutor := coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	c, _ := eng.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot, CaseID: "case-1", Participant: coaching.Participant{
		GivenNames: "Aino", FamilyName: "Virtanen", BirthDate: coaching.NewDate(2008, 9, 1), Language: coaching.Finnish},
		Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Henna Laaksonen"}}})
	plans, _ := hoks.NewService(eng)
	draft, _ := plans.SaveDraft(ctx, tutor, c.ID, 0, plan()) // jakso-1: 19.10.–11.12.2026 at Maalausliike Oy
	if _, err := plans.Approve(ctx, tutor, c.ID, draft.Number, coaching.DateOf(now)); err != nil {
		fmt.Println(err)
		return
	}

	periods, _ := workplace.New(eng, nil)
	step := func(p workplace.Period, err error) workplace.Period {
		if err != nil {
			fmt.Println(err)
		} else {
			fmt.Println(p.Status)
		}
		return p
	}
	step(periods.Draft(ctx, tutor, c.ID, "jakso-1"))
	step(periods.Sign(ctx, tutor, c.ID, "jakso-1", workplace.SignInput{On: coaching.DateOf(now),
		Instructor: coaching.TeamMember{ActorID: "tpo-1"}})) // name and e-mail from the plan
	now = coaching.NewDate(2026, 10, 19).At(9, 0)
	step(periods.Start(ctx, tutor, c.ID, "jakso-1", coaching.DateOf(now)))
	now = coaching.NewDate(2026, 12, 11).At(15, 0)
	p := step(periods.End(ctx, tutor, c.ID, "jakso-1", coaching.DateOf(now)))
	fmt.Println("TEP survey", p.TEP.NoticeID != "", "answer window", p.TEP.Opens, "–", p.TEP.Closes)
	// Output:
	// drafted
	// signed
	// running
	// ended
	// TEP survey true answer window 2027-01-01 – 2027-01-30
}
