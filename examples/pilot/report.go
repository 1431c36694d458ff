package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/outcomes"
)

// termShare is the autumn term's share of the school year, for the
// support-team allocation (the seed gives hours a year).
var termShare = decimal.New(5, -1)

// report writes the term summary: no names, identity codes or welfare
// information, only case ids where a student has a part in the story.
func (s *simulation) report(ctx context.Context, w io.Writer) error {
	pr := &printer{w: w}
	cases := make([]coaching.Case, len(s.class))
	parts := make([]coaching.Participant, len(s.class))
	marks := make([][]attendance.Mark, len(s.class))
	attState := make([]attendance.State, len(s.class))
	err := s.store.View(ctx, func(tx coaching.ReadTx) error {
		for i, st := range s.class {
			var err error
			if cases[i], err = tx.Case(ctx, st.CaseID); err != nil {
				return err
			}
			// The records are not the case row's: read the ones the
			// report counts.
			if cases[i].Records, err = tx.Records(ctx, st.CaseID, coaching.RecordQuery{Names: []string{coaching.RecordInitialSituation}}); err != nil {
				return err
			}
			if parts[i], err = tx.Participant(ctx, cases[i].Organisation, cases[i].ParticipantID); err != nil {
				return err
			}
			rd := tx.(attendance.Reader) // the memory store keeps attendance
			if marks[i], err = rd.Marks(ctx, st.CaseID, TermStart, TermEnd); err != nil {
				return err
			}
			if attState[i], err = rd.State(ctx, st.CaseID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	notices, err := s.store.Notices(ctx, coaching.NoticeQuery{})
	if err != nil {
		return err
	}

	// The class.
	schoolDays := 0
	for d := TermStart; !d.After(TermEnd); d = d.AddDays(1) {
		if SchoolDay(d) {
			schoolDays++
		}
	}
	var construction, minorsStart, minorsEnd, guardians, noContact int
	for i, p := range parts {
		if s.class[i].Field == FieldConstruction {
			construction++
		}
		if p.MinorOn(TermStart) {
			minorsStart++
		}
		if p.MinorOn(TermEnd) {
			minorsEnd++
		}
		for _, g := range p.Guardians {
			guardians++
			if !g.Contact.Reachable() {
				noContact++
			}
		}
	}
	pr.f("#Valmennus-pilotti: autumn term %s – %s, first-year pilot model (%s)", TermStart, TermEnd, coaching.ModelPilot)
	pr.f("Class: %d students (construction %d, surface treatment %d); minors %d at the start, %d at the end;",
		len(s.class), construction, len(s.class)-construction, minorsStart, minorsEnd)
	pr.f("  adults %d (1 consents to informing the guardians); %d guardians, %d without contact details",
		len(s.class)-minorsStart, guardians, noContact)
	pr.f("Term: %d school days, 4 lessons of %d min a day; autumn holiday %s – %s", schoolDays, lessonMinutes, HolidayStart, HolidayEnd)

	// The initial situation.
	var mapped, needs, literacy, maths, notTaken, hoks int
	for _, c := range cases {
		for _, r := range c.Records {
			if r.Name != coaching.RecordInitialSituation {
				continue
			}
			var is coaching.InitialSituation
			if err := json.Unmarshal(r.Data, &is); err != nil {
				return fmt.Errorf("case %s: initial situation: %w", c.ID, err)
			}
			mapped++
			if len(is.SupportNeeds) > 0 {
				needs++
			}
			if is.LiteracyScreening == coaching.ScreeningSupportNeed {
				literacy++
			}
			if is.MathsScreening == coaching.ScreeningSupportNeed {
				maths++
			}
			if is.MathsScreening == coaching.ScreeningNotTaken || is.LiteracyScreening == coaching.ScreeningNotTaken {
				notTaken++
			}
			if !is.HOKSDraftingStarted.IsZero() {
				hoks++
			}
		}
	}
	pr.blank()
	pr.f("Initial situation (personal tutor): %d/%d mapped by %s, HOKS drafting started for %d", mapped, len(cases), s.mappedLast, hoks)
	pr.f("  support needs %d; screening shows a need: literacy %d, maths %d; a screening not taken %d", needs, literacy, maths, notTaken)

	// Attendance.
	var agg outcomes.AttendanceAggregator
	byStatus := map[attendance.Status]int{}
	var total, corrected, below int
	hour := decimal.NewFromInt(60)
	for _, ms := range marks {
		var a outcomes.Attendance
		for _, m := range ms {
			total++
			byStatus[m.Status]++
			if m.Revision > 1 {
				corrected++
			}
			h := decimal.NewFromInt(int64(m.Minutes)).Div(hour)
			switch m.Status {
			case attendance.Present:
				a.Present = a.Present.Add(h)
			case attendance.Late:
				a.Late = a.Late.Add(h)
			default:
				a.Absent = a.Absent.Add(h)
			}
		}
		agg.Add(a)
		// Below 90 %, exactly: attended × 100 < 90 × scheduled.
		if a.Present.Add(a.Late).Mul(decimal.NewFromInt(100)).LessThan(a.Scheduled().Mul(decimal.NewFromInt(90))) {
			below++
		}
	}
	att, err := agg.Report(outcomes.Options{})
	if err != nil {
		return err
	}
	rate := "–"
	if att.Rate.Valid {
		rate = att.Rate.Decimal.StringFixed(1) + " %"
	}
	pr.blank()
	pr.f("Attendance: %d lesson marks in %d bulk calls, %d corrected afterwards (history kept)", total, s.calls, corrected)
	pr.f("  present %d, late %d, absent: unexplained %d, explained %d, sick %d",
		byStatus[attendance.Present], byStatus[attendance.Late], byStatus[attendance.Unexplained],
		byStatus[attendance.Explained], byStatus[attendance.Sick])
	pr.f("  class attendance %s of %s scheduled hours (late counts as present); students below 90 %%: %d",
		rate, att.Total.Scheduled().String(), below)

	// Guardian notices.
	var digests, followUps, corrections, withdrawn, sameDay, staffSent int
	lang := map[coaching.Language]int{}
	perCase := map[coaching.CaseID][2]int{} // sent absence notices before / on or after the 18th birthday
	unreachableTold := 0
	for _, n := range notices {
		switch n.Kind {
		case coaching.NoticeKindAbsence:
			if n.Status == coaching.NoticeCancelled {
				withdrawn++
				continue
			}
			if strings.Count(n.ID, ":") > 3 {
				followUps++
			} else {
				digests++
			}
			if coaching.DateOf(n.SentAt).String() == n.Data["date"] {
				sameDay++
			}
			k := perCase[n.CaseID]
			if n.Data["date"] >= Birthday18.String() {
				k[1]++
			} else {
				k[0]++
			}
			perCase[n.CaseID] = k
			lang[n.Recipient.Language]++
		case coaching.NoticeKindAbsenceCorrection:
			corrections++
			lang[n.Recipient.Language]++
		default:
			if n.Kind == coaching.NoticeKindGuardianUnreachable {
				unreachableTold++
			}
			if n.Status == coaching.NoticeSent {
				staffSent++
			}
		}
	}
	unexplainedFrom := func(i int, from coaching.Date) int {
		n := 0
		for _, m := range marks[i] {
			if m.Status == attendance.Unexplained && !m.Date.Before(from) {
				n++
			}
		}
		return n
	}
	t18, ad, no := s.class[idxTurns18], s.class[idxConsent], s.class[idxNoConsent]
	pr.blank()
	pr.f("Absence notices to guardians (one digest per student a day at 15:00 Helsinki, by e-mail)")
	pr.f("  sent: %d digests, %d follow-ups (marks after 15:00), %d corrections; %d digests withdrawn before sending",
		digests, followUps, corrections, withdrawn)
	pr.f("  delivered on the civil date of the absence: %d of %d; in Finnish %d, Swedish %d, English %d",
		sameDay, digests+followUps, lang[coaching.Finnish], lang[coaching.Swedish], lang[coaching.English])
	pr.f("  guardians unreachable (no contact details): %d, the personal tutor told %d time(s)", len(s.unreachable), unreachableTold)
	pr.f("  %s turns 18 on %s: %d notices before, %d on or after (%d unexplained lessons from the birthday on)",
		t18.CaseID, Birthday18, perCase[t18.CaseID][0], perCase[t18.CaseID][1], unexplainedFrom(idxTurns18, Birthday18))
	pr.f("  %s, adult with consent: %d notices; %s, adult without consent: %d notices (%d unexplained lessons)",
		ad.CaseID, perCase[ad.CaseID][0]+perCase[ad.CaseID][1], no.CaseID, perCase[no.CaseID][0]+perCase[no.CaseID][1],
		unexplainedFrom(idxNoConsent, TermStart))

	// Delivery.
	sent := 0
	for _, n := range notices {
		if n.Status == coaching.NoticeSent {
			sent++
		}
	}
	pr.f("SMTP: %d notices marked sent (guardians %d, staff %d) = %d messages received by the server; %d retries, %d dead",
		sent, sent-staffSent, staffSent, len(s.received), s.dispatched.Retried, s.dispatched.Dead)

	// Early warning.
	pr.blank()
	pr.f("Early warning (default rules; the attendance rate over completed days): %d students flagged", len(s.flagged))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  rule\traised\tcleared\tflagged at the end")
	for _, r := range attendance.DefaultWarningRules() {
		still := 0
		for _, st := range attState {
			if _, ok := st.Flag(r.Name()); ok {
				still++
			}
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\n", r.Name(), s.raised[r.Name()], s.cleared[r.Name()], still)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, f := range s.byCorrection {
		pr.f("  cleared by a correction: %s on %s (the absences of %s were explained afterwards)", f.Flag.Rule, f.CaseID, CorrectionDay)
	}

	// Coaching.
	pr.blank()
	avg := "–"
	if s.groupSessions > 0 {
		avg = decimal.NewFromInt(int64(s.groupPresent)).DivRound(decimal.NewFromInt(int64(s.groupSessions)), 1).StringFixed(1)
	}
	var els []string
	for _, el := range session.ApproachElements {
		els = append(els, fmt.Sprintf("%s %d", el, s.elements[el]))
	}
	pr.f("Coaching: %d group sessions (1.5 h, tutor + coach, %s students on average, peer support in %d)",
		s.groupSessions, avg, s.peerSessions)
	pr.f("  approach elements worked on: %s", strings.Join(els, ", "))
	pr.f("  %d individual sessions (initial interviews, flagged students, special-needs support, curator)", s.individual)
	pr.f("  %d welfare outreach visits by the curator and the nurse, %d students met", s.outreach, s.outreachContact)

	// The referral.
	if s.ref.id != "" {
		st := s.class[idxReferral]
		ref, err := s.refs.Get(ctx, tutor.actor(), st.CaseID, s.ref.id)
		if err != nil {
			return err
		}
		pr.f("Referral of %s to the %s (the reason is confidential: welfare staff only)", st.CaseID, ref.Service)
		pr.f("  %s", strings.Join(ref.History, " → "))
	}
	s.familyReport(pr, notices, marks)

	// Support-team hours.
	hours, err := s.sessions.TeamHours(ctx, head.actor(), TermStart, TermEnd)
	if err != nil {
		return err
	}
	def := outcomes.DefaultAllocation()
	alloc := outcomes.Allocation{Min: def.Min.Mul(termShare), Max: def.Max.Mul(termShare)}
	var members []outcomes.MemberHours
	sessions := map[string]int{}
	for _, h := range hours {
		members = append(members, outcomes.MemberHours{Member: h.ActorID, Role: string(h.Role), Hours: h.Hours, Allocation: alloc})
		sessions[h.ActorID+"/"+string(h.Role)] = h.Sessions
	}
	hr, err := outcomes.TeamHours(members, nil, outcomes.Options{})
	if err != nil {
		return err
	}
	pr.blank()
	pr.f("Support-team hours vs allocation (%s–%s h a year, the term is %s of it: %s–%s h)",
		def.Min, def.Max, termShare, alloc.Min.StringFixed(0), alloc.Max.StringFixed(0))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  member\trole\tsessions\thours\tof max\tstatus")
	for _, r := range hr.Rows {
		ofMax := "–"
		if r.OfMax.Valid {
			ofMax = r.OfMax.Decimal.StringFixed(1) + " %"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\t%s\n", r.Member, r.Role, sessions[r.Member+"/"+r.Role], r.Hours.StringFixed(2), ofMax, r.Status)
	}
	fmt.Fprintf(tw, "  total\t\t\t%s\n", hr.TotalHours.StringFixed(2))
	if err := tw.Flush(); err != nil {
		return err
	}

	// Where the cases are.
	states := map[string]int{}
	for _, c := range cases {
		states[c.State]++
	}
	var st []string
	for _, name := range []string{coaching.PilotStartOfStudies, coaching.PilotCoaching, coaching.PilotYearEnd,
		coaching.PilotContinuing, coaching.PilotRedirected, coaching.PilotDiscontinued} {
		if states[name] > 0 {
			st = append(st, fmt.Sprintf("%s %d", name, states[name]))
		}
	}
	pr.blank()
	pr.f("Cases at the end of the term: %d (%s)", len(cases), strings.Join(st, ", "))

	// The personal tutor's caseload.
	pr.blank()
	pr.f("Caseload alerts: %d raised by the nightly review, %d resolved by it when the condition cleared, %d resolved by the tutor after a coaching meeting",
		s.clRaised, s.clCleared, s.tutorResolved)
	s.printCaseload(pr)
	return pr.err
}

// printer writes lines and keeps the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *printer) blank() { p.f("") }
