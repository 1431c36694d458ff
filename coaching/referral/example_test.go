package referral_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/referral"
)

// A personal tutor refers a student to the curator and makes the referral;
// the curator sees the confidential reason, the tutor does not, and a
// teacher on the team may not know of the referral at all — nor of its
// entries in the audit trail.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 9, 7, 15, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock:         coaching.ClockFunc(func() time.Time { return now }),
		Documents:     referral.Documents(),
		TimerHandlers: referral.TimerHandlers(nil)})
	if err != nil {
		fmt.Println(err)
		return
	}
	refs, err := referral.New(eng)
	if err != nil {
		fmt.Println(err)
		return
	}
	tutor := coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	curator := coaching.Actor{ID: "curator-1", Roles: []coaching.Role{coaching.RoleCurator}}
	teacher := coaching.Actor{ID: "teacher-1", Roles: []coaching.Role{coaching.RoleTeacher}}
	c, err := eng.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot, Team: []coaching.TeamMember{
		{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tutor"},
		{ActorID: curator.ID, Role: coaching.RoleCurator, Name: "Curator"},
		{ActorID: teacher.ID, Role: coaching.RoleTeacher, Name: "Teacher"}},
		Participant: coaching.Participant{GivenNames: "Aino", FamilyName: "Virtanen", BirthDate: coaching.NewDate(2009, 3, 1),
			Language: coaching.Finnish, Contact: coaching.Contact{Email: "opiskelija@example.fi"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := refs.Propose(ctx, tutor, c.ID, referral.Input{Service: referral.ServiceCurator, Reason: "sleeps badly, worried about home"})
	if err != nil {
		fmt.Println(err)
		return
	}
	if r, err = refs.Advance(ctx, tutor, c.ID, r.ID, referral.Make); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("tutor: %s to the %s, reason shown: %t\n", r.Status, r.Service, r.Reason != "")
	seen, err := refs.Get(ctx, curator, c.ID, r.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("curator:", seen.Reason)
	_, err = refs.Get(ctx, teacher, c.ID, r.ID)
	var fe *coaching.ForbiddenError
	if errors.As(err, &fe) {
		fmt.Println("teacher:", fe.Rule)
	}
	err = eng.ReadCase(ctx, teacher, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
		trail, err := v.AuditTrail()
		fmt.Println("teacher's audit trail:", len(trail), "entry")
		return err
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// tutor: made to the curator, reason shown: false
	// curator: sleeps badly, worried about home
	// teacher: need_to_know
	// teacher's audit trail: 1 entry
}
