// Command valo simulates the VALO workshop coaching project (Satakunta,
// 2015–2018) with a synthetic cohort that mirrors the project's reported
// figures, runs every case through the built-in VALO model on a simulated
// clock, and prints a report from the cases' audit trails.
//
//	go run ./examples/valo
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "valo:", err)
		os.Exit(1)
	}
}

// run simulates the project and writes the report to w.
func run(w io.Writer) error {
	sim, err := simulate(context.Background(), Seed)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sim.report(context.Background(), &buf); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// simCase is one simulated case: the member it belongs to and its id.
type simCase struct {
	id        coaching.CaseID
	member    *Member
	applicant bool
}

// rejection is an admission the rules rejected.
type rejection struct {
	day      coaching.Date
	failures []coaching.RuleFailure
}

// simulation is a finished run.
type simulation struct {
	eng        *coaching.Engine
	cohort     []Member
	applicants []Member
	cases      []simCase
	rejections []rejection
	first      coaching.Date // first simulated day
	last       coaching.Date // last simulated day
	overdue    int           // overdue deadlines the ticks reported
}

// action is one planned step on one case.
type action struct {
	c    int // index into simulation.cases
	step int // index into the member's path
}

// simulate runs every planned path on an engine over the memory store,
// advancing a controlled clock one civil day at a time: each day at 09:00
// Helsinki time it fires the day's commands and then ticks once.
func simulate(ctx context.Context, seed uint64) (*simulation, error) {
	valo, err := coaching.BuildModel(coaching.VALOSpec())
	if err != nil {
		return nil, fmt.Errorf("build the VALO model: %w", err)
	}
	var now time.Time
	ids := 0
	eng, err := coaching.New(memory.New(), &coaching.Options{
		Models: []*coaching.Model{valo},
		Clock:  coaching.ClockFunc(func() time.Time { return now }),
		NewID: func() string { // every id is given; deterministic all the same
			ids++
			return fmt.Sprintf("gen-%04d", ids)
		},
	})
	if err != nil {
		return nil, err
	}
	sim := &simulation{eng: eng, cohort: Cohort(seed), applicants: Applicants(seed)}
	for i := range sim.cohort {
		sim.cases = append(sim.cases, simCase{id: coaching.CaseID(fmt.Sprintf("valo-%03d", i+1)), member: &sim.cohort[i]})
	}
	for i := range sim.applicants {
		sim.cases = append(sim.cases, simCase{id: coaching.CaseID(fmt.Sprintf("valo-applicant-%d", i+1)), member: &sim.applicants[i], applicant: true})
	}

	schedule := map[coaching.Date][]action{}
	for ci, c := range sim.cases {
		if len(c.member.Path) == 0 || c.member.Path[0].Event != EventEnrol {
			return nil, fmt.Errorf("case %s: the path does not start with an enrolment", c.id)
		}
		for si, st := range c.member.Path {
			if sim.first.IsZero() || st.Date.Before(sim.first) {
				sim.first = st.Date
			}
			if st.Date.After(sim.last) {
				sim.last = st.Date
			}
			schedule[st.Date] = append(schedule[st.Date], action{ci, si})
		}
	}

	for day := sim.first; !day.After(sim.last); day = day.AddDays(1) {
		now = day.At(9, 0)
		for _, a := range schedule[day] {
			if err := sim.do(ctx, a, day); err != nil {
				return nil, err
			}
		}
		rep, err := eng.Tick(ctx, now)
		if err != nil {
			return nil, fmt.Errorf("tick %s: %w", day, err)
		}
		sim.overdue += rep.Overdue
	}

	for _, c := range sim.cases {
		got, err := eng.Case(ctx, c.id)
		if err != nil {
			return nil, err
		}
		if got.State != c.member.Outcome || !got.Closed() {
			return nil, fmt.Errorf("case %s ended in %q, planned %q", c.id, got.State, c.member.Outcome)
		}
	}
	return sim, nil
}

// do carries out one planned step.
func (s *simulation) do(ctx context.Context, a action, day coaching.Date) error {
	c := s.cases[a.c]
	m := c.member
	st := m.Path[a.step]
	actor := m.Coach.Actor()
	if st.Event == EventEnrol {
		_, err := s.eng.Enrol(ctx, actor, coaching.EnrolParams{
			Model:       coaching.ModelVALO,
			Participant: m.Participant,
			CaseID:      c.id,
			Team:        m.Coach.Team(),
		})
		if err != nil {
			return fmt.Errorf("%s: enrol case %s: %w", day, c.id, err)
		}
		return nil
	}
	_, err := s.eng.Fire(ctx, actor, c.id, st.Event, &coaching.FireOptions{Reason: st.Reason, Payload: st.Payload})
	if st.ExpectRejected {
		var rej *coaching.RulesRejectedError
		switch {
		case err == nil:
			return fmt.Errorf("%s: case %s: %s was expected to be rejected by the rules, but it was accepted", day, c.id, st.Event)
		case !errors.Is(err, coaching.ErrRulesRejected) || !errors.As(err, &rej):
			return fmt.Errorf("%s: case %s: %s: %w", day, c.id, st.Event, err)
		}
		s.rejections = append(s.rejections, rejection{day: day, failures: slices.Clone(rej.Failures)})
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: case %s: %s: %w", day, c.id, st.Event, err)
	}
	return nil
}

// phaseStats are the counts of one phase, from the audit trails.
type phaseStats struct {
	cases   int // distinct cases that were ever in the phase
	entered int // entries, including re-entries and resumes
	left    int
	overdue int // deadlines passed (AuditOverdue entries)
}

// reportPhases are the phases of the report's table, in order.
var reportPhases = []string{
	coaching.ValoRecruitment, coaching.ValoInduction, coaching.ValoSkillAcquisition,
	coaching.ValoDemonstration, coaching.ValoOnwardGuidance, coaching.ValoPaused,
}

// terminalStates are the exits of the report's table, in order.
var terminalStates = []string{coaching.ValoClosed, coaching.ValoDeclined, coaching.ValoDiscontinued, coaching.ValoRedirected}

// report writes the report. Every figure is read back from the engine
// (audit trails and cases), except the destinations, which the engine does
// not store yet.
func (s *simulation) report(ctx context.Context, w io.Writer) error {
	stats := map[string]*phaseStats{}
	for _, p := range reportPhases {
		stats[p] = &phaseStats{}
	}
	final := map[string]int{}
	var periods []int // days from opening to closing, closed cases
	auditOverdue := 0
	for _, c := range s.cases {
		trail, err := s.eng.AuditTrail(ctx, c.id)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		enter := func(state string) {
			if st, ok := stats[state]; ok {
				st.entered++
				if !seen[state] {
					seen[state] = true
					st.cases++
				}
			}
		}
		for _, e := range trail {
			switch e.Kind {
			case coaching.AuditOpened:
				enter(e.To)
			case coaching.AuditTransition:
				if st, ok := stats[e.From]; ok {
					st.left++
				}
				enter(e.To)
			case coaching.AuditOverdue:
				auditOverdue++
				if st, ok := stats[e.From]; ok {
					st.overdue++
				}
			}
		}
		cs, err := s.eng.Case(ctx, c.id)
		if err != nil {
			return err
		}
		final[cs.State]++
		if cs.State == coaching.ValoClosed {
			periods = append(periods, daysBetween(coaching.DateOf(cs.OpenedAt), coaching.DateOf(cs.ClosedAt)))
		}
	}
	if auditOverdue != s.overdue {
		return fmt.Errorf("the audit trails hold %d overdue entries, the ticks reported %d", auditOverdue, s.overdue)
	}

	r := &reportWriter{w: w}
	r.line("VALO workshop coaching: a simulated cohort")
	r.line("Synthetic data (seed %d), simulated day by day %s – %s", Seed, s.first, s.last)
	r.line("")
	r.cohort(s.cohort)
	r.line("Applicants declined at recruitment: %d", len(s.applicants))
	for _, rej := range s.rejections {
		r.line("  %s admission rejected by the rules, then declined:", rej.day)
		for _, f := range rej.failures {
			r.line("    %s: %s", f.Rule, f.Reason)
		}
	}
	r.line("")
	r.line("%-20s %6s %8s %6s %8s", "Phase", "cases", "entries", "exits", "overdue")
	for _, p := range reportPhases {
		st := stats[p]
		r.line("%-20s %6d %8d %6d %8d", p, st.cases, st.entered, st.left, st.overdue)
	}
	r.line("")
	r.line("%-20s %6s", "Final state", "cases")
	slices.Sort(periods)
	total := 0
	for _, t := range terminalStates {
		extra := ""
		if t == coaching.ValoClosed && len(periods) > 0 {
			extra = fmt.Sprintf("   period %d–%d days, median %d", periods[0], periods[len(periods)-1], periods[len(periods)/2])
		}
		r.line("%-20s %6d%s", t, final[t], extra)
		total += final[t]
	}
	r.line("%-20s %6d", "all cases", total)
	if total != len(s.cases) {
		return fmt.Errorf("%d of %d cases ended in a terminal state", total, len(s.cases))
	}
	r.line("")
	if err := r.destinations(s.cohort); err != nil {
		return err
	}
	return r.err
}

// reportWriter writes lines and keeps the first error.
type reportWriter struct {
	w   io.Writer
	err error
}

func (r *reportWriter) line(format string, args ...any) {
	if r.err != nil {
		return
	}
	_, r.err = fmt.Fprintf(r.w, format+"\n", args...)
}

// cohort summarises the participants' background at entry.
func (r *reportWriter) cohort(members []Member) {
	var women, young, longTerm, immigrant, swedish int
	edu := map[coaching.EducationLevel]int{}
	fields := map[Field]int{}
	for _, m := range members {
		b := m.Participant.Background
		if b.Gender == coaching.GenderFemale {
			women++
		}
		if m.Under30() {
			young++
		}
		if b.UnemployedMonths != nil && *b.UnemployedMonths > 12 {
			longTerm++
		}
		if b.ForeignBackground != nil && *b.ForeignBackground {
			immigrant++
		}
		if m.Participant.Language == coaching.Swedish {
			swedish++
		}
		edu[b.EducationLevel]++
		fields[m.Field]++
	}
	n := len(members)
	r.line("Cohort: %d participants, all unemployed job seekers at entry", n)
	r.line("  women %d (%s %%), under 30 %d (%s %%), unemployed over 12 months %d (%s %%)",
		women, percent(women, n), young, percent(young, n), longTerm, percent(longTerm, n))
	r.line("  education: basic %d (%s %%), vocational qualification %d (%s %%), higher %d (%s %%)",
		edu[coaching.EducationBasic], percent(edu[coaching.EducationBasic], n),
		edu[coaching.EducationVocational], percent(edu[coaching.EducationVocational], n),
		edu[coaching.EducationHigher], percent(edu[coaching.EducationHigher], n))
	r.line("  immigrant background %d (from 2017), Swedish-speaking %d", immigrant, swedish)
	r.line("  %s %d (2 coaches), %s %d (1 coach)", FieldHousehold, fields[FieldHousehold], FieldProperty, fields[FieldProperty])
}

// destinations prints where the participants went, next to the figures the
// project reported. The counts must equal the reported ones.
func (r *reportWriter) destinations(members []Member) error {
	count := map[Destination]int{}
	for _, m := range members {
		count[m.Destination]++
	}
	n := len(members)
	const format = "%-34s %5s %6s %9s"
	r.line(format, "After the period", "count", "%", "reported")
	positive, reportedPositive := 0, 0
	for _, d := range ReportedDestinations {
		if count[d.Dest] != d.Count {
			return fmt.Errorf("destination %q: %d participants, the project reported %d", d.Title, count[d.Dest], d.Count)
		}
		r.line(format, d.Title, fmt.Sprint(count[d.Dest]), percent(count[d.Dest], n), d.Reported)
		if d.Dest.Positive() {
			positive += count[d.Dest]
			reportedPositive += d.Count
		}
	}
	if positive != reportedPositive {
		return fmt.Errorf("positive onward paths: %d, the project reported %d", positive, reportedPositive)
	}
	r.line(format, "positive path (studies or work)", fmt.Sprint(positive), percent(positive, n), "45.5")
	r.line("%% rounded half up to one decimal; the source truncates 23/77 (%s…) to 29.8.", percent2(23, 77))
	return nil
}

// percent returns 100·count/total rounded half up to one decimal, in exact
// integer arithmetic.
func percent(count, total int) string {
	if total <= 0 {
		return "-"
	}
	tenths := (2*1000*count + total) / (2 * total)
	return fmt.Sprintf("%d.%d", tenths/10, tenths%10)
}

// percent2 returns 100·count/total truncated to two decimals.
func percent2(count, total int) string {
	if total <= 0 {
		return "-"
	}
	h := 10000 * count / total
	return fmt.Sprintf("%d.%02d", h/100, h%100)
}
