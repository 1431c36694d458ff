package coaching_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// A guardian sees a minor ward's attendance; from the ward's 18th
// birthday only with the adult's consent. Every denial names its rule.
func ExampleDefaultPolicy() {
	ctx := context.Background()
	now := time.Date(2026, 9, 7, 12, 0, 0, 0, coaching.Helsinki)
	eng := exampleEngine(&now)
	att, _ := attendance.New(eng, nil)
	tutor := coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	p := exampleParticipant()
	p.BirthDate = coaching.NewDate(2008, 9, 9) // 18 the day after tomorrow
	p.Guardians = []coaching.Guardian{{ID: "parent-1", Name: "Maarit Virtanen"}}
	c, _ := eng.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p,
		Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"}}})

	parent := coaching.Actor{ID: "parent-1", Roles: []coaching.Role{coaching.RoleGuardian}}
	_, err := att.Marks(ctx, parent, c.ID, coaching.Date{}, coaching.Date{})
	fmt.Println("ward 17, attendance:", err == nil)
	_, err = eng.Case(ctx, parent, c.ID)
	var fe *coaching.ForbiddenError
	if errors.As(err, &fe) {
		fmt.Println("ward 17, the case itself:", fe.Rule)
	}
	now = now.AddDate(0, 0, 2) // the 18th birthday
	_, err = att.Marks(ctx, parent, c.ID, coaching.Date{}, coaching.Date{})
	if errors.As(err, &fe) {
		fmt.Println("ward 18, attendance:", fe.Rule)
	}
	// Output:
	// ward 17, attendance: true
	// ward 17, the case itself: guardian_scope
	// ward 18, attendance: guardian_age
}
