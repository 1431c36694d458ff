package consent_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/consent"
)

// An adult student consents, in writing, to their guardians still being
// told about absences; the personal tutor records it, and the student
// later withdraws it themself.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 9, 14, 12, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock: coaching.ClockFunc(func() time.Time { return now })})
	if err != nil {
		fmt.Println(err)
		return
	}
	consents, err := consent.New(eng)
	if err != nil {
		fmt.Println(err)
		return
	}
	att, err := attendance.New(eng, nil) // what the guardian sees
	if err != nil {
		fmt.Println(err)
		return
	}
	tutor := coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	p := coaching.Participant{ID: "p-aino", GivenNames: "Aino", FamilyName: "Virtanen",
		BirthDate: coaching.NewDate(2008, 9, 9), // 18 last Wednesday
		Language:  coaching.Finnish, Contact: coaching.Contact{Email: "aino@example.fi"},
		Guardians: []coaching.Guardian{{ID: "parent-1", Name: "Maarit Virtanen"}}}
	c, err := eng.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p,
		Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	parent := coaching.Actor{ID: "parent-1", Roles: []coaching.Role{coaching.RoleGuardian}}
	_, err = consents.Record(ctx, parent, p.ID, consent.Change{})
	var fe *coaching.ForbiddenError
	if errors.As(err, &fe) {
		fmt.Println("the guardian may not consent for her:", fe.Rule)
	}
	got, err := consents.Record(ctx, tutor, p.ID, consent.Change{Reason: "consent form signed 14.9."})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("given", got.GuardianConsent.GivenOn, "via", got.GuardianConsent.GivenVia, "recorded by", got.GuardianConsent.RecordedBy)
	_, err = att.Marks(ctx, parent, c.ID, coaching.Date{}, coaching.Date{})
	fmt.Println("the guardian sees attendance:", err == nil)

	aino := coaching.Actor{ID: "aino", Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: p.ID}}}
	now = now.AddDate(0, 1, 0)
	got, err = consents.Withdraw(ctx, aino, p.ID, consent.Change{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("withdrawn", got.GuardianConsent.WithdrawnOn, "by", got.GuardianConsent.RecordedBy)
	_, err = att.Marks(ctx, parent, c.ID, coaching.Date{}, coaching.Date{})
	if errors.As(err, &fe) {
		fmt.Println("the guardian sees attendance:", fe.Rule)
	}
	err = eng.ReadCase(ctx, tutor, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
		trail, err := v.AuditTrail()
		for _, e := range trail[1:] {
			fmt.Println("audit:", e.Kind, e.Event, e.ActorID)
		}
		return err
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// the guardian may not consent for her: guardian_scope
	// given 2026-09-14 via written recorded by tutor-1
	// the guardian sees attendance: true
	// withdrawn 2026-10-14 by aino
	// the guardian sees attendance: guardian_age
	// audit: consent guardian_consent_given tutor-1
	// audit: consent guardian_consent_withdrawn aino
}
