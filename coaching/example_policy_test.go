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

// Erasure removes the personal data and keeps what the figures count.
func ExampleEngine_Erase() {
	ctx := context.Background()
	now := time.Date(2026, 9, 7, 12, 0, 0, 0, coaching.Helsinki)
	eng := exampleEngine(&now)
	head := coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	c, err := eng.Enrol(ctx, exampleCoach, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: exampleParticipant(), Team: exampleTeam()})
	if err != nil {
		fmt.Println(err)
		return
	}

	_, err = eng.Erase(ctx, exampleCoach, c.ParticipantID, nil)
	var fe *coaching.ForbiddenError
	if errors.As(err, &fe) {
		fmt.Println("the coach may not erase:", fe.Rule)
	}
	rep, err := eng.Erase(ctx, head, c.ParticipantID, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = eng.Read(ctx, head, func(s *coaching.Scope) error {
		p, err := s.Participant(coaching.OpReadParticipant, c.ParticipantID)
		if err != nil {
			return err
		}
		fmt.Printf("cases purged: %d, name: %q, age at entry: %d\n", len(rep.Cases), p.Name(), p.AgeOn(coaching.DateOf(c.OpenedAt)))
		log, err := s.AccessLog(coaching.AccessQuery{})
		if err != nil {
			return err
		}
		for _, e := range log {
			fmt.Println("access log:", e.Operation, e.ActorID, e.Allowed)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// the coach may not erase: erasure
	// cases purged: 1, name: "", age at entry: 35
	// access log: erase coach-maija false
	// access log: erase head-1 true
}

// An adult student consents, in writing, to their guardians still being
// told about absences; the personal tutor records it, and the student
// later withdraws it themself.
func ExampleEngine_RecordGuardianConsent() {
	ctx := context.Background()
	now := time.Date(2026, 9, 14, 12, 0, 0, 0, coaching.Helsinki)
	eng := exampleEngine(&now)
	att, _ := attendance.New(eng, nil)
	tutor := coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	p := exampleParticipant()
	p.ID = "p-aino"
	p.BirthDate = coaching.NewDate(2008, 9, 9) // 18 last Wednesday
	p.Guardians = []coaching.Guardian{{ID: "parent-1", Name: "Maarit Virtanen"}}
	c, err := eng.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p,
		Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	parent := coaching.Actor{ID: "parent-1", Roles: []coaching.Role{coaching.RoleGuardian}}
	_, err = eng.RecordGuardianConsent(ctx, parent, p.ID, coaching.ConsentChange{})
	var fe *coaching.ForbiddenError
	if errors.As(err, &fe) {
		fmt.Println("the guardian may not consent for her:", fe.Rule)
	}
	got, err := eng.RecordGuardianConsent(ctx, tutor, p.ID, coaching.ConsentChange{Reason: "consent form signed 14.9."})
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
	got, err = eng.WithdrawGuardianConsent(ctx, aino, p.ID, coaching.ConsentChange{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("withdrawn", got.GuardianConsent.WithdrawnOn, "by", got.GuardianConsent.RecordedBy)
	_, err = att.Marks(ctx, parent, c.ID, coaching.Date{}, coaching.Date{})
	if errors.As(err, &fe) {
		fmt.Println("the guardian sees attendance:", fe.Rule)
	}
	// Output:
	// the guardian may not consent for her: guardian_scope
	// given 2026-09-14 via written recorded by tutor-1
	// the guardian sees attendance: true
	// withdrawn 2026-10-14 by aino
	// the guardian sees attendance: guardian_age
}
