package message_test

import (
	"context"
	"fmt"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/message"
)

// A personal tutor writes to a minor student's guardian, who replies; the
// reply reaches the tutor, threaded to the tutor's message, and both read
// the thread.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 9, 14, 9, 0, 0, 0, coaching.Helsinki)
	store := memory.New()
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock:     coaching.ClockFunc(func() time.Time { return now }),
		Documents: message.Documents()})
	if err != nil {
		fmt.Println(err)
		return
	}
	msgs, err := message.New(eng, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	tutor := coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	guardian := coaching.Actor{ID: "guardian-1", Roles: []coaching.Role{coaching.RoleGuardian}}
	c, err := eng.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot,
		Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor",
			Contact: coaching.Contact{Email: "tiina@example.fi"}, Language: coaching.English}},
		Participant: coaching.Participant{GivenNames: "Aino", FamilyName: "Virtanen", BirthDate: coaching.NewDate(2010, 3, 1),
			Language: coaching.Finnish, Guardians: []coaching.Guardian{{ID: guardian.ID, Name: "Sari Virtanen",
				Contact: coaching.Contact{Email: "sari@example.fi"}, Language: coaching.Swedish}}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	sent, err := msgs.Send(ctx, tutor, c.ID, message.SendParams{To: message.ToGuardians, Subject: "Workplace period", Text: "Could we meet on Thursday?"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("to", sent.To[0].Name)
	var notices []coaching.Notice
	_ = store.View(ctx, func(tx coaching.ReadTx) error {
		notices, err = tx.Notices(ctx, coaching.NoticeQuery{CaseID: c.ID, Kind: message.NoticeKindMessage})
		return err
	})
	fmt.Println("guardian's notice:", notices[0].Subject)
	reply, err := msgs.Reply(ctx, guardian, c.ID, message.ReplyParams{NoticeID: notices[0].ID, Text: "Thursday at 14 suits us."})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("reply to", reply.To[0].Name, "in thread", reply.Thread == sent.Thread)
	thread, err := msgs.Thread(ctx, tutor, c.ID, sent.Thread)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range thread {
		fmt.Printf("%d. %s: %s\n", m.Seq, m.From.Name, m.Text)
	}
	// Output:
	// to Sari Virtanen
	// guardian's notice: Meddelande: Workplace period
	// reply to Tiina Tutor in thread true
	// 1. Tiina Tutor: Could we meet on Thursday?
	// 2. Sari Virtanen: Thursday at 14 suits us.
}
