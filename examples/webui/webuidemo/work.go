package webuidemo

import (
	"context"
	"fmt"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
)

// The staff's work in the demo: alerts about the flagged student that the
// coach and the teacher raised for the personal tutor (and one the tutor
// raised for the coach), the
// tutor's goal discussion planned for today and the coach's sessions to
// come, so that the alerts page and the week's plan have something to act
// on (addCaseData plans the tutor's other items).
//
// No phase is overdue in the demo: a phase's deadline is counted from
// when the case entered it on the engine's clock, the system clock, and
// the pilot model's shortest deadline is a month. The web interface's
// unit tests show the overdue count on a test clock instead.

// plannedWork is a planned item of the demo: on today plus days, at hour
// (0: no time).
type plannedWork struct {
	by    coaching.Actor
	kind  caseload.PlannedKind
	title string
	cases []int // indexes into the cohort
	days  int
	hour  int
}

// planWork raises the demo's alerts and plans its items. Dates are the
// engine's (the system clock's): a planned item is dated today or later.
// The alerts are about the flagged student only: an active alert ranks a
// case with the flagged ones, and the flagged student must stay the only
// one at the top of the tutor's caseload.
func (d *Demo) planWork(ctx context.Context) error {
	cl, err := caseload.New(d.Engine, nil)
	if err != nil {
		return fmt.Errorf("webuidemo: caseload: %w", err)
	}
	today := coaching.DateOf(d.Engine.Clock().Now())
	for _, a := range []struct {
		by    coaching.Actor
		title string
		owner caseload.Owner
	}{
		{teacher, "Poissaoloja kertyy: yhteys kotiin", caseload.Owner{ActorID: tutor.ID, Role: coaching.RolePersonalTutor}},
		{coach, "Pohtii alan vaihtoa: ohjauskeskustelu", caseload.Owner{ActorID: tutor.ID, Role: coaching.RolePersonalTutor}},
		{tutor, "Sovi valmennustapaaminen", caseload.Owner{ActorID: coach.ID, Role: coaching.RoleCoach}},
	} {
		if _, _, err := cl.Raise(ctx, a.by, d.Flagged, caseload.AlertInput{Title: a.title, Owner: a.owner, Due: today.AddDays(3)}); err != nil {
			return fmt.Errorf("webuidemo: raising %q: %w", a.title, err)
		}
	}
	for _, p := range []plannedWork{
		{tutor, caseload.PlanIndividualSession, "Tavoitekeskustelu", []int{0}, 0, 14},
		{coach, caseload.PlanGroupSession, "Ryhmävalmennus: työnhakutaidot", []int{3, 5, 7}, 0, 10},
		{coach, caseload.PlanTask, "Kokoa työnhaun materiaalit", []int{3}, 2, 0},
		{coach, caseload.PlanIndividualSession, "Valmennustapaaminen", []int{9}, 1, 13},
	} {
		it := caseload.Planned{Kind: p.kind, Title: p.title, On: today.AddDays(p.days)}
		if p.hour > 0 {
			it.Start = it.On.At(p.hour, 0)
		}
		for _, i := range p.cases {
			it.Cases = append(it.Cases, d.Cases[i])
		}
		if _, err := cl.Plan(ctx, p.by, it); err != nil {
			return fmt.Errorf("webuidemo: planning %q: %w", p.title, err)
		}
	}
	return nil
}
