package contactchange_test

import (
	"context"
	"fmt"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/contactchange"
)

// A minor student's guardian proposes a new e-mail address; the personal
// tutor approves it, and the participant carries the new address with the
// date it was changed.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 9, 14, 9, 0, 0, 0, coaching.Helsinki)
	store := memory.New()
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock:     coaching.ClockFunc(func() time.Time { return now }),
		Documents: contactchange.Documents()})
	if err != nil {
		fmt.Println(err)
		return
	}
	changes, err := contactchange.New(eng, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	tutor := coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	guardian := coaching.Actor{ID: "guardian-1", Roles: []coaching.Role{coaching.RoleGuardian}}
	c, err := eng.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot,
		Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"}},
		Participant: coaching.Participant{GivenNames: "Aino", FamilyName: "Virtanen", BirthDate: coaching.NewDate(2010, 3, 1),
			Language: coaching.Finnish, Guardians: []coaching.Guardian{{ID: guardian.ID, Name: "Sari Virtanen",
				Contact: coaching.Contact{Email: "sari@example.fi"}}}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	pro, err := changes.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "sari.virtanen@example.fi"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("proposed:", pro.Status, "by the", pro.Whose)
	pro, err = changes.Decide(ctx, tutor, c.ID, pro.ID, contactchange.Decision{Approve: true, Version: pro.Version})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("decided:", pro.Status)
	_ = store.View(ctx, func(tx coaching.ReadTx) error {
		p, err := tx.Participant(ctx, c.Organisation, c.ParticipantID)
		if err == nil {
			fmt.Println("guardian's e-mail:", p.Guardians[0].Contact.Email, "changed on", p.Guardians[0].ContactChangedOn)
		}
		return err
	})
	// Output:
	// proposed: submitted by the guardian
	// decided: approved
	// guardian's e-mail: sari.virtanen@example.fi changed on 2026-09-14
}
