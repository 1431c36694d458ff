package webuidemo

import (
	"context"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
)

// The staff's work in the demo: alerts about the flagged student that the
// coach and the teacher raised for the personal tutor (and one the tutor
// raised for the coach), the tutor's goal discussion planned for today
// and the coach's sessions to come, so that the alerts page and the
// week's plan have something to act on (addCaseData plans the tutor's
// other items).

// plannedWork is a planned item of the demo, planned days before today
// (a negative number) for today plus on, at hour (0: no time).
type plannedWork struct {
	by     coaching.Actor
	kind   caseload.PlannedKind
	title  string
	cases  []int // indexes into the cohort
	before int
	on     int
	hour   int
}

// addWork adds the steps of the demo's alerts and planned items, each on
// the day it was raised or planned, after what prompted it: the coach's
// alert after the group session, the teacher's after the day's marks
// that raised the flag, the tutor's to the coach after the call to the
// guardian. The alerts are about the flagged student only: an active
// alert ranks a case with the flagged ones, and the flagged student must
// stay the only one at the top of the tutor's caseload.
func (d *Demo) addWork(tl *timeline, cl *caseload.Service) {
	today := tl.today
	call := weekdayBefore(today.AddDays(-1))
	for _, a := range []struct {
		by     coaching.Actor
		day    coaching.Date
		hour   int
		minute int
		title  string
		owner  caseload.Owner
	}{
		{coach, weekdayBefore(today.AddDays(-9)), 14, 0, "Pohtii alan vaihtoa: ohjauskeskustelu", caseload.Owner{ActorID: tutor.ID, Role: coaching.RolePersonalTutor}},
		{teacher, call, 15, 45, "Poissaoloja kertyy: yhteys kotiin", caseload.Owner{ActorID: tutor.ID, Role: coaching.RolePersonalTutor}},
		{tutor, call, 16, 15, "Sovi valmennustapaaminen", caseload.Owner{ActorID: coach.ID, Role: coaching.RoleCoach}},
	} {
		tl.at(a.day, a.hour, a.minute, "raising "+a.title, func(ctx context.Context) error {
			_, _, err := cl.Raise(ctx, a.by, d.Flagged, caseload.AlertInput{Title: a.title, Owner: a.owner, Due: today.AddDays(3)})
			return err
		})
	}
	for _, p := range []plannedWork{
		{tutor, caseload.PlanIndividualSession, "Tavoitekeskustelu", []int{0}, -3, 0, 14},
		{coach, caseload.PlanGroupSession, "Ryhmävalmennus: työnhakutaidot", []int{3, 5, 7}, -7, 0, 10},
		{coach, caseload.PlanTask, "Kokoa työnhaun materiaalit", []int{3}, -2, 2, 0},
		{coach, caseload.PlanIndividualSession, "Valmennustapaaminen", []int{9}, -1, 1, 13},
	} {
		it := caseload.Planned{Kind: p.kind, Title: p.title, On: today.AddDays(p.on)}
		if p.hour > 0 {
			it.Start = it.On.At(p.hour, 0)
		}
		tl.at(weekdayBefore(today.AddDays(p.before)), 10, 30, "planning "+p.title, func(ctx context.Context) error {
			for _, i := range p.cases {
				it.Cases = append(it.Cases, d.Cases[i])
			}
			_, err := cl.Plan(ctx, p.by, it)
			return err
		})
	}
}
