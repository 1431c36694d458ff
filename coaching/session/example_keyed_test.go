package session_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/session"
)

// A form sent twice (a double click) carries one key: the session is
// recorded once, and the second call answers with it.
func ExampleService_RecordKeyed() {
	ctx := context.Background()
	now := time.Date(2026, 9, 7, 15, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock: coaching.ClockFunc(func() time.Time { return now })})
	if err != nil {
		fmt.Println(err)
		return
	}
	sessions, err := session.New(eng)
	if err != nil {
		fmt.Println(err)
		return
	}
	coach := coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}
	tutor := coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	c, err := eng.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot,
		Team: []coaching.TeamMember{{ActorID: coach.ID, Role: coaching.RoleCoach, Name: "Coach"}, {ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tutor"}},
		Participant: coaching.Participant{GivenNames: "Aino", FamilyName: "Virtanen", BirthDate: coaching.NewDate(2009, 3, 1),
			Language: coaching.Finnish, Contact: coaching.Contact{Email: "opiskelija@example.fi"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	in := session.Session{Kind: session.Individual, Date: coaching.DateOf(now), Hours: decimal.RequireFromString("1.5"),
		Staff: []session.Staff{{ActorID: coach.ID, Role: coaching.RoleCoach}}, Cases: []coaching.CaseID{c.ID}}
	const key = "form-7QK2M4" // the form's hidden token
	first, err := sessions.RecordKeyed(ctx, coach, key, in)
	if err != nil {
		fmt.Println(err)
		return
	}
	again, err := sessions.RecordKeyed(ctx, coach, key, in)
	if err != nil {
		fmt.Println(err)
		return
	}
	list, err := sessions.List(ctx, coach, session.Query{CaseID: c.ID})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("same session:", first.ID == again.ID, "- recorded:", len(list))
	// Output:
	// same session: true - recorded: 1
}
