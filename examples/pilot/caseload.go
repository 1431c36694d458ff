package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
)

// caseloadMoments are the school days at whose evening the personal tutor's
// caseload is taken for the summary: a Wednesday early in the term and one
// before the autumn holiday (between her Monday round, which takes new
// alerts on, and Friday's, which resolves those the coach's Thursday
// meetings answered), and the term's last day.
var caseloadMoments = []coaching.Date{coaching.NewDate(2026, 9, 16), coaching.NewDate(2026, 10, 7), TermEnd}

// caseloadMoment is the personal tutor's caseload at one of the moments.
type caseloadMoment struct {
	on   coaching.Date
	rows []caseload.Row
	// Her alerts by status, from the start of the term to the moment.
	open, acknowledged, resolved int
}

// tutorsAlerts is the personal tutor's round of her alerts each school-day
// morning: she takes on every new alert (acknowledges it), and resolves an
// acknowledged early-warning alert once the coach has met the student
// since it was raised, naming the meeting as the action taken. The
// nightly review resolves an early-warning alert by itself when the
// student's flag clears.
func (s *simulation) tutorsAlerts(ctx context.Context) error {
	mine, err := s.tutorsAlertList(ctx, caseload.AlertQuery{})
	if err != nil {
		return err
	}
	for _, a := range mine {
		switch a.Status {
		case caseload.AlertOpen:
			if _, err := s.cl.Acknowledge(ctx, tutor.actor(), a.ID, a.Version); err != nil {
				return fmt.Errorf("acknowledge alert %s: %w", a.ID, err)
			}
		case caseload.AlertAcknowledged:
			if a.Cause.Kind != caseload.CauseEarlyWarning {
				continue
			}
			last, err := s.cl.Contacts(ctx, tutor.actor(), a.CaseID, 1)
			if err != nil {
				return err
			}
			if len(last) == 0 || last[0].On.Before(coaching.DateOf(a.RaisedAt)) {
				continue
			}
			if _, err := s.cl.Resolve(ctx, tutor.actor(), a.ID, a.Version, caseload.Action{Kind: caseload.ActionSession, Ref: last[0].ID,
				Note: "valmentaja tapasi opiskelijan"}); err != nil {
				return fmt.Errorf("resolve alert %s: %w", a.ID, err)
			}
			s.tutorResolved++
		}
	}
	return nil
}

// tutorsAlertList reads every page of the personal tutor's alerts
// matching q.
func (s *simulation) tutorsAlertList(ctx context.Context, q caseload.AlertQuery) ([]caseload.Alert, error) {
	var out []caseload.Alert
	for {
		page, err := s.cl.MyAlerts(ctx, tutor.actor(), q)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Alerts...)
		if page.Next == "" {
			return out, nil
		}
		q.After = page.Next
	}
}

// takeCaseload keeps the personal tutor's caseload when today is one of the
// moments.
func (s *simulation) takeCaseload(ctx context.Context) error {
	if !slices.Contains(caseloadMoments, s.today) {
		return nil
	}
	m := caseloadMoment{on: s.today}
	q := caseload.Query{}
	for {
		page, err := s.cl.Mine(ctx, tutor.actor(), q)
		if err != nil {
			return err
		}
		m.rows = append(m.rows, page.Rows...)
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	all, err := s.tutorsAlertList(ctx, caseload.AlertQuery{
		Statuses: []caseload.AlertStatus{caseload.AlertOpen, caseload.AlertAcknowledged, caseload.AlertResolved, caseload.AlertDismissed}})
	if err != nil {
		return err
	}
	for _, a := range all {
		switch a.Status {
		case caseload.AlertOpen:
			m.open++
		case caseload.AlertAcknowledged:
			m.acknowledged++
		default:
			m.resolved++
		}
	}
	s.moments = append(s.moments, m)
	return nil
}

// printCaseload writes the three moments: counts, then the three most urgent
// cases by case id (the summary prints no names).
func (s *simulation) printCaseload(pr *printer) {
	pr.f("Personal tutor's caseload (caseload.Service.Mine, most urgent first) and her alerts:")
	for _, m := range s.moments {
		var overdue, flagged, contacted int
		for _, r := range m.rows {
			if r.Overdue {
				overdue++
			}
			if len(r.Flags) > 0 {
				flagged++
			}
			if !r.LastContact.IsZero() {
				contacted++
			}
		}
		pr.f("  %s: %d cases, %d with the phase overdue, %d flagged, %d contacted; alerts %d open, %d acknowledged, %d resolved",
			m.on, len(m.rows), overdue, flagged, contacted, m.open, m.acknowledged, m.resolved)
		for _, r := range m.rows[:min(3, len(m.rows))] {
			last, next := "never", "-"
			if !r.LastContact.IsZero() {
				last = r.LastContact.String()
			}
			if r.Next != nil {
				next = fmt.Sprintf("%s %s", r.Next.On, r.Next.Title)
			}
			flags := "-"
			if len(r.Flags) > 0 {
				flags = strings.Join(r.Flags[:min(2, len(r.Flags))], ",")
				if len(r.Flags) > 2 {
					flags += fmt.Sprintf(" +%d", len(r.Flags)-2)
				}
			}
			pr.f("    %-10s %-10s overdue %-5t flags %-34s alerts %d  last contact %-10s next %s",
				r.CaseID, r.State, r.Overdue, flags, r.OpenAlerts, last, next)
		}
	}
}
