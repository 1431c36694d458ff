package main

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/coaching/session"
)

// weekCoach is the coach whose week plan the summary shows, planned on the
// first Monday at least weekAfter days into the simulation on which she has
// weekMinCases open cases or more.
var weekCoach = Coaches[0]

const (
	weekAfter    = 60
	weekMinCases = 4
)

// weekPlan is the coach's week: her caseload on Monday morning, the items
// she planned from it and how each ended.
type weekPlan struct {
	monday  coaching.Date
	cases   int
	items   []caseload.Planned
	outcome map[string]string // item id → held / cancelled: why
}

// planWeek plans weekCoach's week on a Monday, from her caseload in
// urgency order: a HOKS discussion for a case in induction, a workplace
// visit in skill acquisition, a competence demonstration's date in the
// demonstration phase, an individual session otherwise, one a day in turn
// from Monday to Friday; and on Wednesday a group session with all of them.
func (s *simulation) planWeek(ctx context.Context, day coaching.Date) error {
	if s.week != nil || day.Weekday() != 1 || day.Before(s.first.AddDays(weekAfter)) {
		return nil
	}
	actor := weekCoach.Actor()
	page, err := s.cl.Mine(ctx, actor, caseload.Query{})
	if err != nil {
		return err
	}
	if len(page.Rows) < weekMinCases {
		return nil
	}
	w := &weekPlan{monday: day, cases: len(page.Rows), outcome: map[string]string{}}
	var all []coaching.CaseID
	for i, r := range page.Rows {
		kind, title := caseload.PlanIndividualSession, "Yksilövalmennus"
		switch r.State {
		case coaching.ValoInduction:
			kind, title = caseload.PlanHOKSDiscussion, "HOKS-keskustelu: tutkinnon osat"
		case coaching.ValoSkillAcquisition:
			kind, title = caseload.PlanWorkplaceVisit, "Työpaikkakäynti"
		case coaching.ValoDemonstration:
			kind, title = caseload.PlanDemonstration, "Näytön päivä"
		}
		p, err := s.cl.Plan(ctx, actor, caseload.Planned{Kind: kind, Title: title, Cases: []coaching.CaseID{r.CaseID}, On: day.AddDays(i % 5)})
		if err != nil {
			return fmt.Errorf("plan for %s: %w", r.CaseID, err)
		}
		w.items = append(w.items, p)
		all = append(all, r.CaseID)
	}
	g, err := s.cl.Plan(ctx, actor, caseload.Planned{Kind: caseload.PlanGroupSession, Title: "Ryhmävalmennus: työelämätaidot", Cases: all, On: day.AddDays(2)})
	if err != nil {
		return fmt.Errorf("plan the group session: %w", err)
	}
	w.items = append(w.items, g)
	agenda, err := s.cl.Agenda(ctx, actor, day, day.AddDays(4))
	if err != nil {
		return err
	}
	if len(agenda) != len(w.items) {
		return fmt.Errorf("the agenda of %s lists %d items, %d were planned", day, len(agenda), len(w.items))
	}
	w.items = agenda // by date, as the coach reads it
	s.week = w
	return nil
}

// weekDay carries out the planned week's items of the day, after the day's
// commands: each is held, or cancelled when one of its cases has closed.
func (s *simulation) weekDay(ctx context.Context, day coaching.Date) error {
	w := s.week
	if w == nil || day.Before(w.monday) || day.After(w.monday.AddDays(4)) {
		return nil
	}
	actor := weekCoach.Actor()
	for _, p := range w.items {
		if p.On != day {
			continue
		}
		closed := false
		for _, id := range p.Cases {
			c, err := s.eng.Case(ctx, actor, id)
			if err != nil {
				return err
			}
			closed = closed || c.Closed()
		}
		if closed && len(p.Cases) == 1 {
			if _, err := s.cl.Cancel(ctx, actor, p.ID, p.Version, "the case closed before the day"); err != nil {
				return fmt.Errorf("cancel %s: %w", p.ID, err)
			}
			w.outcome[p.ID] = "cancelled: the case closed"
			continue
		}
		h := caseload.HeldSession{Note: p.Title}
		switch p.Kind {
		case caseload.PlanIndividualSession:
			h.Hours, h.Elements = decimal.NewFromInt(1), []session.ApproachElement{session.ElementTrust, session.ElementPresence}
		case caseload.PlanGroupSession:
			h.Hours, h.Elements = decimal.New(15, -1), []session.ApproachElement{session.ElementParticipation, session.ElementInteraction}
			h.Topic = "ryhmävalmennus"
		}
		if _, err := s.cl.Held(ctx, actor, p.ID, p.Version, h); err != nil {
			return fmt.Errorf("hold %s: %w", p.ID, err)
		}
		w.outcome[p.ID] = "held"
	}
	return nil
}

// printWeek writes the coach's week plan.
func (s *simulation) printWeek(r *reportWriter) {
	w := s.week
	if w == nil {
		r.line("Week plan: the coach never had %d open cases on a Monday", weekMinCases)
		return
	}
	_, week := w.monday.Start().ISOWeek()
	r.line("%s's week plan, week %d (%s – %s), from her caseload of %d open cases (caseload.Service.Agenda):",
		weekCoach.Name, week, w.monday, w.monday.AddDays(4), w.cases)
	days := []string{"Mon", "Tue", "Wed", "Thu", "Fri"}
	for _, p := range w.items {
		d := int(p.On.Start().Sub(w.monday.Start()).Hours() / 24)
		// The report names no case or participant: the count only.
		who := "1 participant"
		if len(p.Cases) > 1 {
			who = fmt.Sprintf("%d participants", len(p.Cases))
		}
		r.line("  %s %s  %-18s  %-16s  %-32s  %s", days[d], p.On, p.Kind, who, p.Title, w.outcome[p.ID])
	}
}
