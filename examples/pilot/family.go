package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// The families' part of the term (coaching/absence): a guardian reports
// illness in the morning, a guardian explains absences after the day's
// digest has gone, and a guardian applies for a week's leave that the head
// of studies grants.
var (
	// SickDay: the Swedish-speaking family's child is ill; the guardian
	// reports it before the first lesson.
	SickDay = coaching.NewDate(2026, 10, 1)
	// ExplainFrom–ExplainTo: the English-speaking family's child misses
	// the morning lessons two days running (the early-warning flag goes
	// up); the guardian explains both days after the second day's digest.
	ExplainFrom = coaching.NewDate(2026, 11, 10)
	ExplainTo   = coaching.NewDate(2026, 11, 11)
	// LeaveAppliedOn the guardian of idxLeave applies for leave
	// LeaveFrom–LeaveTo; the head of studies decides the next day.
	LeaveAppliedOn = coaching.NewDate(2026, 11, 2)
	LeaveFrom      = coaching.NewDate(2026, 11, 23)
	LeaveTo        = coaching.NewDate(2026, 11, 27)
)

// idxLeave is the student whose family travels for a week in November.
const idxLeave = 12

// familyRules are the school's rules for families' requests: the
// guardian's word suffices for an illness of up to three school days; the
// personal tutor grants a leave of up to three, the head of studies a
// longer one.
var familyRules = &absence.Options{Rules: absence.Rules{AutoAcceptIllnessDays: 3, LeaveTutorDays: 3}}

// familyFlow is what the families asked and what came of it.
type familyFlow struct {
	svc *absence.Service

	sick           absence.Request
	sickReportedAt string

	explained   absence.Request
	digestSent  bool // the day's digest had gone when the explanation came
	flagsBefore []string
	flagsAfter  []string
	explainedAt string
	leave       absence.Request
}

// familyAttendance are attendance's options: the families' requests excuse
// and explain absences (absence.Excuses).
func familyAttendance() *attendance.Options {
	return &attendance.Options{Excuses: absence.Excuses()}
}

// guardianOf is the first guardian of a student, signed in.
func (s *simulation) guardianOf(idx int) coaching.Actor {
	g := s.class[idx].Participant.Guardians[0]
	return coaching.Actor{ID: g.ID, Organisation: "oppilaitos-1", Roles: []coaching.Role{coaching.RoleGuardian}}
}

// familyMorning runs before the first lesson: on SickDay the guardian
// reports the illness (the teachers, who do not know, mark the child
// absent: the marks are recorded sick); on the explained days and the
// leave days the child is away from the lessons the plan says.
func (s *simulation) familyMorning(ctx context.Context, plan dayPlan) error {
	d := s.today
	away := func(idx int, lessons ...int) {
		p, ok := plan[idx]
		if !ok {
			return
		}
		for _, li := range lessons {
			p[li].Status, p[li].Reason = attendance.Unexplained, ""
		}
	}
	switch {
	case d == SickDay:
		away(idxSwedish, 0, 1, 2, 3)
		r, err := s.fam.svc.Submit(ctx, s.guardianOf(idxSwedish), s.class[idxSwedish].CaseID,
			absence.Input{Kind: absence.Report, From: d, Reason: absence.ReasonIllness, Text: "Kuumetta ja kurkkukipua."})
		if err != nil {
			return fmt.Errorf("report the illness: %w", err)
		}
		s.fam.sick, s.fam.sickReportedAt = r, s.now.Format("15:04")
	case d == ExplainFrom || d == ExplainTo:
		away(idxEnglish, 0, 1)
	case !d.Before(LeaveFrom) && !d.After(LeaveTo):
		away(idxLeave, 0, 1, 2, 3)
	}
	return nil
}

// familyAfternoon runs at 16:00, after the day's digests: the guardian
// explains the two days' absences and the personal tutor accepts the
// explanation; the leave is applied for, and granted the next day by the
// head of studies.
func (s *simulation) familyAfternoon(ctx context.Context) error {
	switch s.today {
	case ExplainTo:
		st := s.class[idxEnglish]
		var err error
		if s.fam.flagsBefore, err = s.flagNames(ctx, st.CaseID); err != nil {
			return err
		}
		n, err := s.store.Notice(ctx, "absence:"+string(st.CaseID)+":"+ExplainTo.String()+":"+st.Participant.Guardians[0].ID)
		if err != nil {
			return fmt.Errorf("the day's digest: %w", err)
		}
		s.fam.digestSent = n.Status == coaching.NoticeSent
		r, err := s.fam.svc.Submit(ctx, s.guardianOf(idxEnglish), st.CaseID, absence.Input{Kind: absence.Explanation,
			From: ExplainFrom, To: ExplainTo, Reason: absence.ReasonFamily, Text: "A funeral in the family, and the travel."})
		if err != nil {
			return fmt.Errorf("explain the absences: %w", err)
		}
		if r, err = s.fam.svc.Decide(ctx, tutor.actor(), st.CaseID, r.ID, absence.Decision{Version: r.Version, Accept: true}); err != nil {
			return fmt.Errorf("accept the explanation: %w", err)
		}
		s.fam.explained, s.fam.explainedAt = r, s.now.Format("15:04")
		if s.fam.flagsAfter, err = s.flagNames(ctx, st.CaseID); err != nil {
			return err
		}
		for _, f := range s.fam.flagsBefore {
			if !slices.Contains(s.fam.flagsAfter, f) {
				s.cleared[f]++
			}
		}
	case LeaveAppliedOn:
		r, err := s.fam.svc.Submit(ctx, s.guardianOf(idxLeave), s.class[idxLeave].CaseID, absence.Input{Kind: absence.Leave,
			From: LeaveFrom, To: LeaveTo, Text: "Perheen matka isovanhempien luo Ouluun."})
		if err != nil {
			return fmt.Errorf("apply for leave: %w", err)
		}
		s.fam.leave = r
	case nextSchoolDay(LeaveAppliedOn):
		r, err := s.fam.svc.Decide(ctx, head.actor(), s.class[idxLeave].CaseID, s.fam.leave.ID,
			absence.Decision{Version: s.fam.leave.Version, Accept: true})
		if err != nil {
			return fmt.Errorf("grant the leave: %w", err)
		}
		s.fam.leave = r
	}
	return nil
}

// flagNames are a case's early-warning flags, by rule.
func (s *simulation) flagNames(ctx context.Context, id coaching.CaseID) ([]string, error) {
	flags, err := s.att.Flags(ctx, head.actor(), id)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range flags {
		out = append(out, f.Rule)
	}
	return out, nil
}

// familyFacts are what the summary says of the families' requests, read
// back from the store.
type familyFacts struct {
	sickMarks, sickNotices   int
	explainedMarks           int
	leaveMarks, leaveNotices int
}

// familyFacts counts the marks and absence notices of the families' days.
func (s *simulation) familyFacts(notices []coaching.Notice, marks [][]attendance.Mark) familyFacts {
	var f familyFacts
	for _, m := range marks[idxSwedish] {
		if m.Date == SickDay && m.Status == attendance.Sick {
			f.sickMarks++
		}
	}
	for _, m := range marks[idxEnglish] {
		if !m.Date.Before(ExplainFrom) && !m.Date.After(ExplainTo) && m.Status == attendance.Explained && m.Revision > 1 {
			f.explainedMarks++
		}
	}
	for _, m := range marks[idxLeave] {
		if !m.Date.Before(LeaveFrom) && !m.Date.After(LeaveTo) && m.Reason == attendance.ReasonLeave {
			f.leaveMarks++
		}
	}
	for _, n := range notices {
		if n.Kind != coaching.NoticeKindAbsence {
			continue
		}
		d, err := coaching.ParseDate(n.Data["date"])
		if err != nil {
			continue
		}
		switch {
		case n.CaseID == s.class[idxSwedish].CaseID && d == SickDay:
			f.sickNotices++
		case n.CaseID == s.class[idxLeave].CaseID && !d.Before(LeaveFrom) && !d.After(LeaveTo):
			f.leaveNotices++
		}
	}
	return f
}

// familyReport prints the families' requests: three lines.
func (s *simulation) familyReport(pr *printer, notices []coaching.Notice, marks [][]attendance.Mark) {
	f := s.familyFacts(notices, marks)
	pr.blank()
	pr.f("Families' requests (coaching/absence; illness of up to %d school days accepted on the guardian's word)", familyRules.Rules.AutoAcceptIllnessDays)
	// The report's line names no case: a case beside a reason of health
	// would be a health detail in the report.
	pr.f("  %s: a guardian reported an absence at %s, %s (%s, under the illness rule): %d lessons marked absent recorded excused, %d absence notices that day",
		SickDay, s.fam.sickReportedAt, s.fam.sick.Status, s.fam.sick.Decider, f.sickMarks, f.sickNotices)
	pr.f("  %s: %s's guardian explained %s–%s at %s (digest sent: %t), %s by the tutor: %d marks explained; flags %s → %s",
		ExplainTo, s.class[idxEnglish].CaseID, ExplainFrom, ExplainTo, s.fam.explainedAt, s.fam.digestSent, s.fam.explained.Status,
		f.explainedMarks, orNone(s.fam.flagsBefore), orNone(s.fam.flagsAfter))
	pr.f("  %s: %s's guardian applied for leave %s–%s (%d school days), %s the next day by %s (%s): %d lessons recorded as leave, %d absence notices",
		LeaveAppliedOn, s.class[idxLeave].CaseID, LeaveFrom, LeaveTo, s.fam.leave.SchoolDays, s.fam.leave.Status, s.fam.leave.DecidedBy,
		s.fam.leave.Decider, f.leaveMarks, f.leaveNotices)
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ",")
}
