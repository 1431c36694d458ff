package attendance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// benchGroup opens a 30-student pilot group (minors with a guardian each)
// and returns the engine, the case ids and the clock variable.
func benchGroup(b *testing.B, now *time.Time) (*attendance.Service, []coaching.CaseID) {
	b.Helper()
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock: coaching.ClockFunc(func() time.Time { return *now })})
	if err != nil {
		b.Fatal(err)
	}
	tutor := coaching.Actor{ID: "tutor-1", Roles: []coaching.Role{coaching.RolePersonalTutor}}
	var ids []coaching.CaseID
	for i := 0; i < 30; i++ {
		c, err := eng.Enrol(context.Background(), tutor, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: coaching.Participant{
			GivenNames: "Oppilas", FamilyName: fmt.Sprintf("Numero %d", i), BirthDate: coaching.NewDate(2010, 3, 1), Language: coaching.Finnish,
			Guardians: []coaching.Guardian{{ID: "g", Name: "Huoltaja", Contact: coaching.Contact{Email: "huoltaja@example.fi"}}}},
			Team: []coaching.TeamMember{{ActorID: "tutor-1", Role: coaching.RolePersonalTutor, Name: "Tutor"}}})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	svc, err := attendance.New(eng, nil)
	if err != nil {
		b.Fatal(err)
	}
	return svc, ids
}

// BenchmarkBulkMarkGroup30 records one lesson for a 30-student group per
// op through attendance.Service.Record (validation, one transaction, revisions,
// guardian digests, early warning), a school day of 4 lessons per date.
func BenchmarkBulkMarkGroup30(b *testing.B) {
	start := time.Date(2026, 9, 7, 9, 0, 0, 0, coaching.Helsinki)
	now := start
	svc, ids := benchGroup(b, &now)
	teacher := coaching.Actor{ID: "teacher-1", Roles: []coaching.Role{coaching.RoleTeacher}}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d := coaching.DateOf(start).AddDays(i / 4)
		now = d.At(9, 0)
		if _, err := svc.Record(ctx, teacher, storetest.LessonMarks(ids, d, i%4)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkBaselineBulkMarkLoop stores the same 30 marks per op in a plain
// map of per-case slices: the floor of recording attendance.
func BenchmarkBaselineBulkMarkLoop(b *testing.B) {
	now := time.Date(2026, 9, 7, 9, 0, 0, 0, coaching.Helsinki)
	_, ids := benchGroup(b, &now)
	store := map[coaching.CaseID][]attendance.Mark{}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d := coaching.DateOf(now).AddDays(i / 4)
		for _, in := range storetest.LessonMarks(ids, d, i%4) {
			store[in.CaseID] = append(store[in.CaseID], attendance.Mark{CaseID: in.CaseID, Date: in.Date, Lesson: in.Lesson, Title: in.Title,
				Minutes: in.Minutes, Status: in.Status, Revision: 1, At: now, By: "teacher-1"})
		}
		i++
	}
}

// school is 10 000 students with 20 school days of 4 lessons each.
func school() []*attendance.History {
	today := coaching.NewDate(2026, 10, 30)
	out := make([]*attendance.History, 10000)
	for s := range out {
		h := &attendance.History{Today: today, Marks: make([]attendance.Mark, 0, 80)}
		for d := 19; d >= 0; d-- {
			for l := 0; l < 4; l++ {
				st := attendance.Present
				switch (s*7 + d*3 + l) % 23 {
				case 0:
					st = attendance.Unexplained
				case 1:
					st = attendance.Sick
				}
				h.Marks = append(h.Marks, attendance.Mark{Date: today.AddDays(-d), Lesson: fmt.Sprint(l), Minutes: 90, Status: st})
			}
		}
		h.Totals, h.Days = attendance.Recount(h.Marks), attendance.DaysOf(h.Marks)
		out[s] = h
	}
	return out
}

var sinkWarnings int

// BenchmarkEarlyWarningSchool10k evaluates the default early-warning rules
// for a 10 000-student school per op.
func BenchmarkEarlyWarningSchool10k(b *testing.B) {
	hs := school()
	rules := attendance.DefaultWarningRules()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, h := range hs {
			n += len(attendance.EvaluateWarnings(rules, h))
		}
		sinkWarnings = n
	}
}

// BenchmarkBaselineEarlyWarningLoop computes the same three measures
// (attendance over the last 20 school days, unexplained absences in the
// last 10, absence hours) in one plain loop over the same marks.
func BenchmarkBaselineEarlyWarningLoop(b *testing.B) {
	hs := school()
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, h := range hs {
			n += plainWarnings(h)
		}
		sinkWarnings = n
	}
}

// plainWarnings counts the default rules' warnings for one student in one
// loop over the marks: the baseline of the early-warning benchmark.
func plainWarnings(h *attendance.History) int {
	var attended, scheduled, unexplained10, absentMin, days, doneDays, n int
	var last, lastDone coaching.Date
	for i := len(h.Marks) - 1; i >= 0; i-- {
		m := h.Marks[i]
		if m.Date != last {
			days++
			last = m.Date
		}
		// The rate judges completed days: today is left out.
		if m.Date.Before(h.Today) {
			if m.Date != lastDone {
				doneDays++
				lastDone = m.Date
			}
			if doneDays <= 20 {
				scheduled += m.Minutes
				if !m.Status.Absent() {
					attended += m.Minutes
				}
			}
		}
		if days <= 10 && m.Status == attendance.Unexplained {
			unexplained10++
		}
		if m.Status.Absent() {
			absentMin += m.Minutes
		}
	}
	if attended*100 < 90*scheduled {
		n++
	}
	if unexplained10 >= 3 {
		n++
	}
	for _, hrs := range []int{25, 30, 50, 70} {
		if absentMin >= hrs*60 {
			n++
		}
	}
	return n
}

// The rules and the plain loop agree on the synthetic school.
func TestEarlyWarningMatchesPlainLoop(t *testing.T) {
	hs := school()
	rules := attendance.DefaultWarningRules()
	byRules := 0
	for _, h := range hs {
		byRules += len(attendance.EvaluateWarnings(rules, h))
	}
	if byRules == 0 {
		t.Fatal("the synthetic school raises no warning: the comparison would prove nothing")
	}
	loop := 0
	for _, h := range hs {
		loop += plainWarnings(h)
	}
	if byRules != loop {
		t.Fatalf("the rules raise %d warnings, the plain loop %d", byRules, loop)
	}
}
