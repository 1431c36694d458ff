package erasure_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/erasure"
)

// Erasure removes the personal data and keeps what the figures count; a
// retention run, the engine's own action, needs the key the host gave the
// engine.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 9, 7, 12, 0, 0, 0, coaching.Helsinki)
	key := coaching.NewSystemKey()
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.VALO()},
		Clock: coaching.ClockFunc(func() time.Time { return now }), SystemKey: key})
	if err != nil {
		fmt.Println(err)
		return
	}
	er, err := erasure.New(eng)
	if err != nil {
		fmt.Println(err)
		return
	}
	coach := coaching.Actor{ID: "coach-maija", Roles: []coaching.Role{coaching.RoleCoach}}
	head := coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	c, err := eng.Enrol(ctx, coach, coaching.EnrolParams{Model: coaching.ModelVALO,
		Participant: coaching.Participant{GivenNames: "Aino", FamilyName: "Virtanen", BirthDate: coaching.NewDate(1991, 4, 12),
			Language: coaching.Finnish, Contact: coaching.Contact{Email: "aino@example.fi"}},
		Team: []coaching.TeamMember{{ActorID: coach.ID, Role: coaching.RoleCoach, Name: "Maija Kares"}}})
	if err != nil {
		fmt.Println(err)
		return
	}

	_, err = er.Erase(ctx, coach, c.ParticipantID, nil)
	var fe *coaching.ForbiddenError
	if errors.As(err, &fe) {
		fmt.Println("the coach may not erase:", fe.Rule)
	}
	rep, err := er.Erase(ctx, head, c.ParticipantID, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = eng.Read(ctx, head, func(s *coaching.Scope) error {
		p, err := s.Participant(coaching.OpReadParticipant, c.ParticipantID)
		fmt.Printf("cases purged: %d, name: %q, age at entry: %d\n", len(rep.Cases), p.Name(), p.AgeOn(coaching.DateOf(c.OpenedAt)))
		return err
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// Years later the retention rule finds nobody left to erase; without
	// the engine's key it does not run at all.
	later := now.AddDate(6, 0, 0)
	_, err = er.ApplyRetention(ctx, coaching.NewSystemKey(), later, erasure.RetentionRule{After: coaching.Months(60)})
	fmt.Println("another key:", err != nil)
	ret, err := er.ApplyRetention(ctx, key, later, erasure.RetentionRule{After: coaching.Months(60)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("erased by retention:", len(ret.Erased))
	err = eng.Read(ctx, head, func(s *coaching.Scope) error {
		log, err := s.AccessLog(coaching.AccessQuery{})
		for _, e := range log {
			fmt.Println("access log:", e.Operation, e.ActorID, e.Allowed)
		}
		return err
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// the coach may not erase: erasure
	// cases purged: 1, name: "", age at entry: 35
	// another key: true
	// erased by retention: 0
	// access log: erase coach-maija false
	// access log: erase head-1 true
}
