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
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

// logger receives the engine's operational logs: warnings and errors on
// standard error. Logs never carry personal data (the tests scan them at
// debug level).
var logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

func main() {
	db := flag.String("db", "", "keep the cases in this SQLite database file (a new or empty one) instead of the in-memory store")
	flag.Parse()
	if err := runWith(context.Background(), os.Stdout, *db); err != nil {
		fmt.Fprintln(os.Stderr, "valo:", err)
		os.Exit(1)
	}
}

// run simulates the project on the in-memory store and writes the report
// to w.
func run(w io.Writer) error { return runWith(context.Background(), w, "") }

// runWith is run on the SQLite file db, or the in-memory store when db is
// "". The report is the same either way.
func runWith(ctx context.Context, w io.Writer, db string) error {
	var store coaching.Store = memory.New()
	if db != "" {
		if fi, err := os.Stat(db); err == nil && fi.Size() > 0 {
			return fmt.Errorf("%s already exists: the simulation needs a new database file (remove it, or name another)", db)
		}
		s, err := sqlite.Open(ctx, db, &sqlite.Options{Migrate: true})
		if err != nil {
			return err
		}
		defer s.Close()
		store = s
	}
	sim, err := simulate(ctx, Seed, store)
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
	plans      *hoks.Service
	cl         *caseload.Service
	week       *weekPlan // a coach's week plan (week.go)
	cohort     []Member
	applicants []Member
	cases      []simCase
	rejections []rejection
	first      coaching.Date // first simulated day
	last       coaching.Date // last simulated day
	overdue    int           // overdue deadlines the ticks reported
	sess       *session.Service
	styles     []*coachingStyle // per case, by index (sessions.go)
	sessions   int              // coaching sessions recorded (sessions.go)
}

// action is one planned step on one case.
type action struct {
	c    int // index into simulation.cases
	step int // index into the member's path
}

// simulate runs every planned path on an engine over the memory store,
// advancing a controlled clock one civil day at a time: each day at 09:00
// Helsinki time it fires the day's commands and then ticks once.
func simulate(ctx context.Context, seed uint64, store coaching.Store) (*simulation, error) {
	return simulateWith(ctx, seed, store, nil)
}

// simulateWith is simulate on an engine given key (Options.SystemKey), for
// a caller that runs system actions on it (a retention run).
func simulateWith(ctx context.Context, seed uint64, store coaching.Store, key *coaching.SystemKey) (*simulation, error) {
	// The VALO model with pathway's destinations and follow-up checkpoints
	// on its exits: closing, discontinuing and redirecting each record
	// where the participant went.
	spec := coaching.VALOSpec()
	if err := pathway.Attach(&spec, nil, exitEvents...); err != nil {
		return nil, fmt.Errorf("attach destinations: %w", err)
	}
	// Skill acquisition needs an approved HOKS with units; a demonstration
	// needs one planned in it.
	if err := hoks.AttachRules(&spec, coaching.ValoStartAcquisition, coaching.ValoStartDemonstration); err != nil {
		return nil, fmt.Errorf("attach the HOKS rules: %w", err)
	}
	valo, err := coaching.BuildModel(spec)
	if err != nil {
		return nil, fmt.Errorf("build the VALO model: %w", err)
	}
	var now time.Time
	ids := 0
	eng, err := coaching.New(store, &coaching.Options{
		Models:        []*coaching.Model{valo},
		Clock:         coaching.ClockFunc(func() time.Time { return now }),
		TimerHandlers: pathway.TimerHandlers(nil),
		Documents:     hoks.Documents(), // the plan is written only through hoks.Service
		Logger:        logger,
		SystemKey:     key,
		NewID: func() string { // every id is given; deterministic all the same
			ids++
			return fmt.Sprintf("gen-%04d", ids)
		},
	})
	if err != nil {
		return nil, err
	}
	plans, err := hoks.NewService(eng)
	if err != nil {
		return nil, err
	}
	cl, err := caseload.New(eng, nil)
	if err != nil {
		return nil, err
	}
	sess, err := session.New(eng)
	if err != nil {
		return nil, err
	}
	sim := &simulation{eng: eng, plans: plans, cl: cl, sess: sess, cohort: Cohort(seed), applicants: Applicants(seed)}
	for i := range sim.cohort {
		sim.cases = append(sim.cases, simCase{id: coaching.OrganisationCaseID(Workshop, fmt.Sprintf("valo-%03d", i+1)), member: &sim.cohort[i]})
		sim.styles = append(sim.styles, styleOf(i))
	}
	for i := range sim.applicants {
		sim.cases = append(sim.cases, simCase{id: coaching.OrganisationCaseID(Workshop, fmt.Sprintf("valo-applicant-%d", i+1)), member: &sim.applicants[i], applicant: true})
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
		if err := sim.planWeek(ctx, day); err != nil {
			return nil, fmt.Errorf("%s: plan the week: %w", day, err)
		}
		for _, a := range schedule[day] {
			if err := sim.do(ctx, a, day); err != nil {
				return nil, err
			}
		}
		if err := sim.weekDay(ctx, day); err != nil {
			return nil, fmt.Errorf("%s: the week plan: %w", day, err)
		}
		if err := sim.coachingDay(ctx, day); err != nil {
			return nil, fmt.Errorf("%s: coaching sessions: %w", day, err)
		}
		rep, err := eng.Tick(ctx, now)
		if err != nil {
			return nil, fmt.Errorf("tick %s: %w", day, err)
		}
		sim.overdue += rep.Overdue
	}

	for _, c := range sim.cases {
		got, err := eng.Case(ctx, Coordinator, c.id)
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
	if err := s.hoksStep(ctx, a.c, st, day); err != nil {
		return fmt.Errorf("%s: case %s: HOKS: %w", day, c.id, err)
	}
	payload := st.Payload
	if slices.Contains(exitEvents, st.Event) {
		payload = pathway.Destination{Kind: m.Destination.Kind(a.c), Date: day}
	}
	_, err := s.eng.Fire(ctx, actor, c.id, st.Event, &coaching.FireOptions{Reason: st.Reason, Payload: payload})
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

// hoksStep keeps the participant's HOKS in step with the coaching: the
// plan is drawn up and approved when induction ends (with the units the
// induction chose), and demonstration results are recorded when a
// demonstration ends: a pass before onward guidance, a fail before more
// practice.
func (s *simulation) hoksStep(ctx context.Context, ci int, st Step, day coaching.Date) error {
	c := s.cases[ci]
	actor := c.member.Coach.Actor()
	switch st.Event {
	case coaching.ValoStartAcquisition:
		f, ok := st.Payload.(coaching.InductionFindings)
		if !ok {
			return fmt.Errorf("the induction findings are missing")
		}
		p, err := plan(ci+1, f.TargetUnits, day, day.AddDays(150))
		if err != nil {
			return err
		}
		v, err := s.plans.SaveDraft(ctx, actor, c.id, 0, p)
		if err != nil {
			return err
		}
		if _, err := s.plans.Approve(ctx, actor, c.id, v.Number, day); err != nil {
			return err
		}
	case coaching.ValoStartOnwardGuidance, coaching.ValoReturnToAcquisition:
		v, err := s.plans.InForce(ctx, actor, c.id)
		if err != nil {
			return err
		}
		grades := []hoks.Grade{"3", "4", "5", hoks.GradePass, "2"}
		for i, u := range v.Plan.VocationalUnits {
			grade := grades[(ci+i)%len(grades)]
			if st.Event == coaching.ValoReturnToAcquisition {
				grade = hoks.GradeFail
			}
			if _, err := s.plans.RecordResult(ctx, actor, c.id, hoks.DemonstrationResult{Unit: *u.UnitCodeURI, Grade: grade, Date: day,
				CompetencePoints: 30, Assessors: []string{"Arvioija, Opettaja", "Arvioija, Työpaja"}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// exitEvents end a period before or at its end; each records a destination.
var exitEvents = []string{coaching.ValoClose, coaching.ValoDiscontinue, coaching.ValoRedirect}

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
		var trail []coaching.AuditEntry
		err := s.eng.ReadCase(ctx, Coordinator, coaching.OpReadCase, c.id, func(v *coaching.CaseView) error {
			var err error
			trail, err = v.AuditTrail()
			return err
		})
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
		cs, err := s.eng.Case(ctx, Coordinator, c.id)
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
	r.cohortExtras(s.cohort)
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
	if err := s.hoksSummary(ctx, r); err != nil {
		return err
	}
	r.line("")
	s.printWeek(r)
	r.line("")
	if err := s.figures(ctx, r); err != nil {
		return err
	}
	r.line("")
	if err := s.coachingElements(ctx, r); err != nil {
		return err
	}
	r.line("")
	if err := s.esfCompleteness(ctx, r); err != nil {
		return err
	}
	return r.err
}

// esfForms reads the ESF+ participant forms of the admitted participants
// as the coordinator (the head of studies: the forms are personal data).
func (s *simulation) esfForms(ctx context.Context) (*outcomes.ESFForms, error) {
	return outcomes.ReadESFForms(ctx, s.eng, Coordinator, coaching.CaseQuery{Model: coaching.ModelVALO},
		&outcomes.FormOptions{Include: func(in *outcomes.Input) bool { return in.Case.State != coaching.ValoDeclined }})
}

// esfCompleteness prints which facts of the ESF+ participant forms the
// cohort leaves unknown, counted: what a project manager fills in before
// the funder's deadline.
func (s *simulation) esfCompleteness(ctx context.Context, r *reportWriter) error {
	forms, err := s.esfForms(ctx)
	if err != nil {
		return err
	}
	c := forms.Completeness()
	r.line("ESF+ participant forms: %d rows, %d leavers; facts unknown, to fill in before the funder's deadline:", c.Participants, c.Leavers)
	parts := make([]string, 0, len(c.ByFact))
	for _, n := range c.Lacking() {
		parts = append(parts, fmt.Sprintf("%s %d/%d", n.Fact, n.Missing, n.Needed))
	}
	r.line("  %s", strings.Join(parts, ", "))
	return nil
}

// hoksSummary prints what the participants' HOKS recorded: approved
// plans, and the units acquired in competence demonstrations.
func (s *simulation) hoksSummary(ctx context.Context, r *reportWriter) error {
	var approved, planned, acquired, points int
	for _, c := range s.cases {
		if c.applicant {
			continue
		}
		prog, err := s.plans.Progress(ctx, Coordinator, c.id)
		if errors.Is(err, coaching.ErrNotFound) {
			continue // left before a HOKS was approved
		}
		if err != nil {
			return err
		}
		approved++
		planned += prog.UnitsPlanned
		acquired += prog.UnitsAcquired
		points += prog.PointsAchieved
	}
	r.line("")
	r.line("HOKS approved for %d participants: %d qualification units planned, %d acquired in demonstrations (%d competence points)",
		approved, planned, acquired, points)
	return nil
}

// figures computes the VALO figures table from the engine's store with the
// outcomes package (participants' backgrounds and the destinations the exit
// events recorded), prints it, and checks it against the project's
// reported figures.
//
// aggregates computes the VALO table and the ESF indicators over the
// admitted participants, as the coordinator: figures are read under the
// access policy.
func (s *simulation) aggregates(ctx context.Context) (*outcomes.VALOAggregator, *outcomes.ESFAggregator, error) {
	valo, esf := outcomes.NewVALO(nil), outcomes.NewESF()
	if _, err := outcomes.FromEngine(ctx, s.eng, Coordinator, coaching.CaseQuery{Model: coaching.ModelVALO}, admitted{valo, esf}); err != nil {
		return nil, nil, err
	}
	return valo, esf, nil
}

// admitted passes on the participants, not the applicants the entry
// assessment declined.
type admitted []outcomes.Sink

func (a admitted) Add(in *outcomes.Input) {
	if in.Case.State == coaching.ValoDeclined {
		return
	}
	for _, s := range a {
		s.Add(in)
	}
}

func (s *simulation) figures(ctx context.Context, r *reportWriter) error {
	valo, _, err := s.aggregates(ctx)
	if err != nil {
		return err
	}
	table, err := valo.Table(outcomes.SeedOptions())
	if err != nil {
		return err
	}
	for _, d := range ReportedDestinations {
		if row, ok := table.Row("destination." + string(d.Dest.row())); !ok || row.Count != int64(d.Count) {
			return fmt.Errorf("destination %q: the table has %d participants, the project reported %d", d.Title, row.Count, d.Count)
		}
	}
	for _, want := range seedFigures {
		row, ok := table.Row(want.key)
		if !ok || row.Count != want.count || row.Percent.StringFixed(1) != want.percent {
			return fmt.Errorf("figure %s: got %d (%s %%), the project reported %d (%s %%)", want.key, row.Count, row.Percent.StringFixed(1), want.count, want.percent)
		}
	}
	r.line("%s", strings.TrimRight(table.Markdown(), "\n"))
	work, _ := table.Row("destination.work")
	halfUp, err := valo.Table(outcomes.Options{Rounding: outcomes.RoundHalfUp})
	if err != nil {
		return err
	}
	workHalfUp, _ := halfUp.Row("destination.work")
	r.line("")
	r.line("Every figure equals the project's report. Percentages are exact decimals rounded half up, except")
	r.line("\"to work\": the source truncated 23/77 to %s (half up it is %s).", work.Percent.StringFixed(1), workHalfUp.Percent.StringFixed(1))
	// What leaves the organisation: the funder's copy, small counts
	// suppressed with their complementary cells.
	funder, err := table.Suppress(outcomes.DefaultSuppressionThreshold)
	if err != nil {
		return err
	}
	var hidden []string
	for _, row := range funder.Rows {
		if row.Suppressed {
			hidden = append(hidden, row.Label)
		}
	}
	r.line("")
	r.line("The funder's copy shows %s for counts below %d and the cells that would give them away: %s.",
		outcomes.SuppressedMark, funder.SuppressionThreshold, strings.Join(hidden, "; "))
	return nil
}

// seedFigures are the project's reported figures (DOMAIN.md §1).
var seedFigures = []struct {
	key     string
	count   int64
	percent string
}{
	{"gender.women", 51, "66.2"}, {"age.under_30", 29, "37.7"}, {"unemployment.over_12_months", 49, "63.6"},
	{"education.basic", 35, "45.5"}, {"education.vocational", 40, "51.9"}, {"education.higher", 2, "2.6"},
	{"destination.studies", 12, "15.6"}, {"destination.work", 23, "29.8"}, {"destination.unemployed", 29, "37.7"},
	{"destination.job_seeking", 12, "15.6"}, {"destination.outside", 1, "1.3"}, {"positive.yes", 35, "45.5"},
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

// cohortExtras prints what the figures table does not show: immigrant
// background, language and field.
func (r *reportWriter) cohortExtras(members []Member) {
	var immigrant, swedish int
	fields := map[Field]int{}
	for _, m := range members {
		b := m.Participant.Background
		if b.ForeignBackground != nil && *b.ForeignBackground {
			immigrant++
		}
		if m.Participant.Language == coaching.Swedish {
			swedish++
		}
		fields[m.Field]++
	}
	r.line("Cohort: %d participants, all unemployed job seekers at entry", len(members))
	r.line("  immigrant background %d (from 2017), Swedish-speaking %d", immigrant, swedish)
	r.line("  %s %d (2 coaches), %s %d (1 coach)", FieldHousehold, fields[FieldHousehold], FieldProperty, fields[FieldProperty])
}
