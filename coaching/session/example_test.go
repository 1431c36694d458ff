package session_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/session"
)

// A coach records a group session and an individual one; the head of
// studies adds up the team's hours; a guardian cannot record sessions.
func Example() {
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
	team := []coaching.TeamMember{{ActorID: coach.ID, Role: coaching.RoleCoach, Name: "Coach"}, {ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tutor"}}
	var cases []coaching.CaseID
	for _, name := range []string{"Aino", "Eero"} {
		c, err := eng.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot, Team: team, Participant: coaching.Participant{
			GivenNames: name, FamilyName: "Virtanen", BirthDate: coaching.NewDate(2009, 3, 1), Language: coaching.Finnish,
			Contact: coaching.Contact{Email: "opiskelija@example.fi"}}})
		if err != nil {
			fmt.Println(err)
			return
		}
		cases = append(cases, c.ID)
	}
	today := coaching.DateOf(now)
	staff := []session.Staff{{ActorID: coach.ID, Role: coaching.RoleCoach}}
	if _, err := sessions.Record(ctx, coach, session.Session{Kind: session.Group, Date: today, Hours: decimal.RequireFromString("1.5"),
		Staff: staff, Cases: cases, Elements: []session.ApproachElement{session.ElementTrust}, Topic: "planning the week"}); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := sessions.Record(ctx, coach, session.Session{Kind: session.Individual, Date: today, Hours: decimal.RequireFromString("0.75"),
		Staff: staff, Cases: cases[:1], Elements: []session.ApproachElement{session.ElementPresence}}); err != nil {
		fmt.Println(err)
		return
	}
	head := coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	hours, err := sessions.TeamHours(ctx, head, today, today)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, h := range hours {
		fmt.Println(h.ActorID, h.Role, h.Hours.StringFixed(2), "hours in", h.Sessions, "sessions")
	}
	_, err = sessions.Record(ctx, coaching.Actor{ID: "parent-1", Roles: []coaching.Role{coaching.RoleGuardian}},
		session.Session{Kind: session.Group, Date: today, Hours: decimal.NewFromInt(1), Staff: staff, Cases: cases})
	var fe *coaching.ForbiddenError
	if errors.As(err, &fe) {
		fmt.Println("a guardian:", fe.Rule)
	}
	// Output:
	// coach-1 coach 2.25 hours in 2 sessions
	// a guardian: session_staff
}
