package absence_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// A guardian reports in the morning that their child is ill today: the
// school accepts a short illness on the guardian's word, so the lessons
// the teacher marks absent are recorded sick and no absence notice goes
// out. A week's leave waits for the head of studies, whom the personal
// tutor may not stand in for.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 9, 7, 7, 45, 0, 0, coaching.Helsinki) // a Monday morning
	store := memory.New()
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock:     coaching.ClockFunc(func() time.Time { return now }),
		Documents: absence.Documents()})
	if err != nil {
		fmt.Println(err)
		return
	}
	att, err := attendance.New(eng, &attendance.Options{Excuses: absence.Excuses()})
	if err != nil {
		fmt.Println(err)
		return
	}
	abs, err := absence.New(eng, att, &absence.Options{Rules: absence.Rules{AutoAcceptIllnessDays: 3}})
	if err != nil {
		fmt.Println(err)
		return
	}
	tutor := coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	teacher := coaching.Actor{ID: "teacher-1", Roles: []coaching.Role{coaching.RoleTeacher}}
	head := coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	guardian := coaching.Actor{ID: "guardian-1", Roles: []coaching.Role{coaching.RoleGuardian}}
	c, err := eng.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot, Team: []coaching.TeamMember{
		{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tutor", Contact: coaching.Contact{Email: "tutor@example.fi"}},
		{ActorID: head.ID, Role: coaching.RoleHeadOfStudies, Name: "Head", Contact: coaching.Contact{Email: "head@example.fi"}}},
		Participant: coaching.Participant{GivenNames: "Aino", FamilyName: "Virtanen", BirthDate: coaching.NewDate(2010, 3, 1),
			Language: coaching.Finnish, Contact: coaching.Contact{Email: "aino@example.fi"},
			Guardians: []coaching.Guardian{{ID: guardian.ID, Name: "Huoltaja", Language: coaching.English,
				Contact: coaching.Contact{Email: "huoltaja@example.fi"}}}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	today := coaching.DateOf(now)
	r, err := abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Report, From: today, Reason: absence.ReasonIllness, Text: "fever"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("report:", r.Status, "by", r.Decider)

	now = now.Add(3 * time.Hour)
	res, err := att.Record(ctx, teacher, []attendance.MarkInput{{CaseID: c.ID, Date: today, Lesson: "1", Minutes: 90, Status: attendance.Unexplained}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("marked:", res.Written[0].Status, "- absence notices:", len(res.Notices))

	leave, err := abs.Submit(ctx, guardian, c.ID, absence.Input{Kind: absence.Leave, From: coaching.NewDate(2026, 10, 5),
		To: coaching.NewDate(2026, 10, 9), Text: "a family trip"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("leave:", leave.Status, leave.SchoolDays, "school days, decided by", leave.Decider)
	if _, err := abs.Decide(ctx, tutor, c.ID, leave.ID, absence.Decision{Version: leave.Version, Accept: true}); err != nil {
		fmt.Println("tutor:", err.(*coaching.ForbiddenError).Rule)
	}
	if leave, err = abs.Decide(ctx, head, c.ID, leave.ID, absence.Decision{Version: leave.Version, Accept: true}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("head:", leave.Status)
	ns, err := store.Notices(ctx, coaching.NoticeQuery{CaseID: c.ID})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, n := range ns {
		fmt.Printf("to %s: %s\n", n.Recipient.ID, strings.ReplaceAll(n.Subject, string(c.ID), "…"))
	}
	// Output:
	// report: accepted by automatic
	// marked: sick - absence notices: 0
	// leave: submitted 5 school days, decided by head_of_studies
	// tutor: request_decider
	// head: granted
	// to guardian-1: Absence report 2026-09-07: accepted (Aino)
	// to head-1: Lomahakemus odottaa päätöstä (asia …)
	// to guardian-1: Leave request 2026-10-05–2026-10-09: granted (Aino)
}
