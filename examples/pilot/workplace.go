package main

import (
	"context"
	"fmt"
	"io"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/hoks/workplace"
)

// Workplace learning as a process: one student's HOKS has a training
// agreement period at a painting firm inside the term. The personal tutor
// drafts the agreement, records it signed (the workplace instructor joins
// the student's team), the instructor and the tutor are told a week before
// the period starts and a week before it ends, a week's sick leave
// interrupts it (offered for the HOKS's keskeytymisajanjaksot, not written
// into the plan), and when it ends the workplace-instructor feedback
// survey (TEP) is queued as eHOKS queues it. The survey's answer window
// opens on the first of the next month, after the term: the program runs
// the clock on to 1.1.2027 09:00 to deliver it.

// idxWorkplace is the student with the workplace period: pilot-05.
const idxWorkplace = 4

// The workplace period's story, by day.
var (
	WorkplacePlanDay   = coaching.NewDate(2026, 9, 14)
	WorkplaceDraftDay  = coaching.NewDate(2026, 9, 28)
	WorkplaceSignDay   = coaching.NewDate(2026, 10, 5)
	WorkplaceStart     = coaching.NewDate(2026, 10, 19)
	WorkplaceInterrupt = coaching.NewDate(2026, 11, 16)
	WorkplaceResume    = coaching.NewDate(2026, 11, 23)
	WorkplaceEnd       = coaching.NewDate(2026, 12, 11)
	// TEPOpens is when the survey's answer window opens: the clock is run
	// on to it after the term.
	TEPOpens = coaching.NewDate(2027, 1, 1)
)

// workplacePeriodID is the period's yksiloiva-tunniste in the HOKS.
const workplacePeriodID = "tpj-pilot-05-1"

// workplaceInstructor is the instructor's account (name and address come
// from the HOKS).
const workplaceInstructor = "tpo-maalaamo-1"

// workplaceFlow follows the period.
type workplaceFlow struct {
	plans   *hoks.Service
	periods *workplace.Service
	period  workplace.Period
}

// workplacePlan is the student's plan: one vocational unit of the surface
// treatment qualification, at school until the autumn break and then at a
// painting firm under a training agreement.
func workplacePlan() *hoks.Plan {
	return &hoks.Plan{
		LearnerOID:      hoks.Ref("1.2.246.562.24.73850286438"),
		StudyRightOID:   hoks.Ref("1.2.246.562.15.29474627717"),
		NeedsCompetence: hoks.Ref(true),
		VocationalUnits: []hoks.VocationalUnit{{
			UnitCodeURI: hoks.Ref("tutkinnonosat_106233"), UnitCodeVersion: hoks.Ref(2),
			Methods: []hoks.AcquisitionMethod{
				{MethodCodeURI: hoks.Ref(hoks.MethodSchool), MethodCodeVersion: hoks.Ref(1),
					Start: TermStart, End: coaching.NewDate(2026, 10, 9)},
				{MethodCodeURI: hoks.Ref(hoks.MethodTrainingAgreement), MethodCodeVersion: hoks.Ref(1), PeriodID: hoks.Ref(workplacePeriodID),
					Start: WorkplaceStart, End: WorkplaceEnd, PartTimePercent: hoks.Ref(100),
					Workplace: &hoks.WorkplaceTraining{WorkplaceName: hoks.Ref("Maalaamo Oy"), BusinessID: hoks.Ref("3213687-7"),
						Instructor: &hoks.WorkplaceInstructor{Name: hoks.Ref("Työpaikkaohjaaja"), Email: hoks.Ref("ohjaaja@maalaamo.example")},
						KeyTasks:   []string{"Rakennusmaalaus", "Pohjatyöt"}}},
			},
		}},
	}
}

// workplaceStep runs the day's part of the story, at 18:00 before the
// engine's timers are ticked.
func (s *simulation) workplaceStep(ctx context.Context) error {
	if s.work == nil {
		plans, err := hoks.NewService(s.eng)
		if err != nil {
			return err
		}
		periods, err := workplace.New(s.eng, nil)
		if err != nil {
			return err
		}
		s.work = &workplaceFlow{plans: plans, periods: periods}
	}
	w, id, by := s.work, s.class[idxWorkplace].CaseID, tutor.actor()
	var err error
	switch s.today {
	case WorkplacePlanDay:
		var draft hoks.Version
		if draft, err = w.plans.SaveDraft(ctx, by, id, 0, workplacePlan()); err == nil {
			_, err = w.plans.Approve(ctx, by, id, draft.Number, s.today)
		}
	case WorkplaceDraftDay:
		w.period, err = w.periods.Draft(ctx, by, id, workplacePeriodID)
	case WorkplaceSignDay:
		w.period, err = w.periods.Sign(ctx, by, id, workplacePeriodID, workplace.SignInput{On: s.today,
			Instructor: coaching.TeamMember{ActorID: workplaceInstructor, Language: coaching.Finnish}})
	case WorkplaceStart:
		w.period, err = w.periods.Start(ctx, by, id, workplacePeriodID, s.today)
	case WorkplaceInterrupt:
		w.period, err = w.periods.Interrupt(ctx, by, id, workplacePeriodID, s.today)
	case WorkplaceResume:
		w.period, err = w.periods.Resume(ctx, by, id, workplacePeriodID, s.today)
	case WorkplaceEnd:
		w.period, err = w.periods.End(ctx, by, id, workplacePeriodID, s.today)
	}
	if err != nil {
		return fmt.Errorf("the workplace period: %w", err)
	}
	return nil
}

// afterTerm runs the clock on to the TEP survey's answer window and
// delivers what is due then: the survey, and nothing else.
func (s *simulation) afterTerm(ctx context.Context) error {
	s.today = TEPOpens
	return s.at(ctx, 9, 0)
}

// reportWorkplace writes the workplace period's lines.
func (s *simulation) reportWorkplace(ctx context.Context, w io.Writer) error {
	if s.work == nil || s.work.period.Status != workplace.Ended || s.work.period.TEP == nil {
		return fmt.Errorf("the workplace period did not end")
	}
	p, st := s.work.period, s.class[idxWorkplace]
	notices, err := s.store.Notices(ctx, coaching.NoticeQuery{CaseID: st.CaseID})
	if err != nil {
		return err
	}
	count := map[string]int{}
	var tepSent coaching.Date
	for _, n := range notices {
		if n.Status != coaching.NoticeSent {
			continue
		}
		count[n.Kind]++
		if n.Kind == workplace.NoticeKindTEP {
			tepSent = coaching.DateOf(n.SentAt)
		}
	}
	tep := "queued, answer window " + p.TEP.Opens.String() + " – " + p.TEP.Closes.String() + ", sent to the workplace instructor " + tepSent.String()
	if p.TEP.Excluded != "" {
		tep = "not queued: " + p.TEP.Excluded
	}
	_, err = fmt.Fprintf(w, "\nWorkplace period %s of %s (training agreement %s – %s): drafted %s, signed %s (instructor joined the team),\n"+
		"  started %s, interrupted %d time(s) (%d offered for the HOKS), ended %s; notices %d before the start, %d before the end\n"+
		"  TEP survey (%s, heratepvm %s) %s\n",
		p.PeriodID, st.CaseID, p.Plan.Start, p.Plan.End, WorkplaceDraftDay, p.SignedOn, p.StartedOn, len(p.Interruptions),
		len(p.PlanProposals()), p.EndedOn, count[workplace.NoticeKindStarting], count[workplace.NoticeKindEnding],
		workplace.SurveyType, p.TEP.TriggerDate, tep)
	return err
}
