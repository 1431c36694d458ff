package attendance_test

import (
	"context"
	"fmt"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// A teacher marks a lesson for two students; the minor's guardian gets the
// day's digest at 15:00. A third unexplained absence within ten school
// days flags the case and alerts the personal tutor; explaining one clears
// the flag.
func Example() {
	ctx := context.Background()
	now := time.Date(2026, 9, 7, 9, 0, 0, 0, coaching.Helsinki) // a Monday
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock: coaching.ClockFunc(func() time.Time { return now })})
	if err != nil {
		fmt.Println(err)
		return
	}
	att, err := attendance.New(eng, nil) // the defaults: digests at 15:00, DefaultWarningRules
	if err != nil {
		fmt.Println(err)
		return
	}
	tutor := coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	teacher := coaching.Actor{ID: "teacher-1", Roles: []coaching.Role{coaching.RoleTeacher}}
	team := []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor",
		Contact: coaching.Contact{Email: "tiina@example.fi"}}}
	var ids []coaching.CaseID
	for _, born := range []coaching.Date{coaching.NewDate(2010, 3, 1), coaching.NewDate(2007, 3, 1)} {
		c, err := eng.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot, Team: team, Participant: coaching.Participant{
			GivenNames: "Aino", FamilyName: "Virtanen", BirthDate: born, Language: coaching.Finnish,
			Guardians: []coaching.Guardian{{ID: "g-1", Name: "Maarit Virtanen", Contact: coaching.Contact{Email: "maarit@example.fi"}}}}})
		if err != nil {
			fmt.Println(err)
			return
		}
		ids = append(ids, c.ID)
	}
	minor, adult := ids[0], ids[1]
	today := coaching.DateOf(now)
	mark := func(id coaching.CaseID, d coaching.Date, lesson string, s attendance.Status) attendance.MarkInput {
		in := attendance.MarkInput{CaseID: id, Date: d, Lesson: lesson, Title: "Matematiikka " + lesson, Minutes: 45, Status: s}
		if s == attendance.Explained {
			in.Reason = attendance.ReasonAppointment
		}
		return in
	}
	res, err := att.Record(ctx, teacher, []attendance.MarkInput{
		mark(minor, today, "1", attendance.Unexplained), mark(adult, today, "1", attendance.Unexplained)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, n := range res.Notices {
		fmt.Println(n.Kind, "to", n.Recipient.ID, "at", n.NotBefore.In(coaching.Helsinki).Format("15:04"), "about", n.CaseID == minor)
	}

	now = now.Add(24 * time.Hour)
	tomorrow := coaching.DateOf(now)
	res, err = att.Record(ctx, teacher, []attendance.MarkInput{mark(minor, tomorrow, "1", attendance.Unexplained), mark(minor, tomorrow, "2", attendance.Unexplained)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range res.Raised {
		fmt.Println("raised:", f.Flag.Rule, "-", f.Flag.Reason)
	}
	res, err = att.Record(ctx, tutor, []attendance.MarkInput{mark(minor, today, "1", attendance.Explained)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range res.Cleared {
		fmt.Println("cleared:", f.Flag.Rule)
	}
	hist, err := att.MarkHistory(ctx, tutor, minor, attendance.MarkKey{Date: today, Lesson: "1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range hist {
		fmt.Println("revision", m.Revision, m.Status, "by", m.By)
	}
	// Output:
	// guardian_absence to g-1 at 15:00 about true
	// raised: unexplained_3_in_10 - 3 unexplained absences within the last 2 school days
	// cleared: unexplained_3_in_10
	// revision 1 absent_unexplained by teacher-1
	// revision 2 absent_explained by tutor-1
}
