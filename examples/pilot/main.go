// Command pilot simulates one autumn term of the #Valmennus-pilotti
// (../shared/DOMAIN.md §2): a first-year vocational class of 25 students in
// the surface-treatment and construction fields, coached through the
// built-in first-year pilot model on the memory store.
//
// Every school day the teachers mark attendance lesson by lesson for the
// whole class; at 15:00 Helsinki time the dispatcher mails each guardian of
// a minor one digest of the day's unexplained absences through the SMTP
// sender to an SMTP server running in this process. The early-warning rules
// flag students whose absences grow, the support team coaches them, and one
// student is referred to the curator. One student's training-agreement
// period is followed from the agreement to the workplace-instructor
// feedback survey (hoks/workplace), whose answer window opens after the
// term: the clock runs on to 1.1.2027 to deliver it. At the end the program
// checks that every absence notice reached the SMTP server on the day of
// the absence, and prints a summary; the same seed always gives the same
// summary.
//
//	go run ./examples/pilot
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/adapters/smtp"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/coaching/referral"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/hoks/workplace"
	"github.com/valmennus/valmennus/internal/mailtest"
)

// logger receives the engine's, the dispatcher's and the SMTP sender's
// operational logs: warnings and errors on standard error. Logs never carry
// personal data (the tests scan them at debug level).
var logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

func main() {
	os.Exit(cli(os.Args[1:], os.Stdout, os.Stderr))
}

// usage is what -h prints.
const usage = `Usage: go run ./examples/pilot

Simulates one autumn term of the first-year pilot coaching (#Valmennus-pilotti)
for a class of 25 on the in-memory store: attendance marked lesson by lesson,
guardians' same-day absence digests e-mailed through an SMTP server started in
the process, early-warning flags, coaching sessions and a referral. Prints a
summary of the term on standard output; the same seed always gives the same
summary. It fails (exit status 1) if an absence notice did not reach the SMTP
server on the day of the absence.

The program takes no arguments or flags other than -h.
`

// cli runs the program with its command-line arguments and returns the exit
// status: 0 after -h (usage only, no simulation), 2 for a bad argument, 1
// when the simulation fails.
func cli(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("pilot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), usage) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2 // the flag package printed the error and the usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pilot: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return 2
	}
	if err := run(stdout); err != nil {
		fmt.Fprintln(stderr, "pilot:", err)
		return 1
	}
	return 0
}

// run simulates the term and writes the summary to w.
func run(w io.Writer) error {
	ctx := context.Background()
	sim, err := simulate(ctx, Seed)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := sim.report(ctx, &buf); err != nil {
		return err
	}
	if err := sim.reportVoice(&buf); err != nil {
		return err
	}
	if err := sim.reportWorkplace(ctx, &buf); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// simulation is a term in progress, and when simulate returns, a finished
// one.
type simulation struct {
	eng      *coaching.Engine
	sessions *session.Service
	refs     *referral.Service
	att      *attendance.Service
	// cl is the caseload: the personal tutor's list and alerts.
	cl *caseload.Service
	// sysKey lets the nightly early-warning review run as the engine's
	// own actor (coaching.Options.SystemKey).
	sysKey *coaching.SystemKey
	store  *memory.Store
	disp   *coaching.Dispatcher
	mail   *mailtest.Server
	rng    *rand.Rand
	now    time.Time
	class  []*Student

	today      coaching.Date
	schoolDay  int // index of today among the school days
	closed     map[int]bool
	mappedLast coaching.Date

	// What happened.
	calls        int // attendance.Service.Record calls
	raised       map[string]int
	cleared      map[string]int
	byCorrection []attendance.FlagChange
	flagged      map[coaching.CaseID]bool
	unreachable  map[string]attendance.UnreachableGuardian // by guardian id
	dispatched   coaching.DispatchReport
	received     []mailtest.Message

	lateFix map[int]bool // today's students whose first-lesson absence becomes late

	groupSessions   int
	groupPresent    int
	elements        map[session.ApproachElement]int
	peerSessions    int
	individual      int
	outreach        int
	outreachContact int

	ref referralFlow
	fam familyFlow // the families' requests (family.go)

	// The caseload: the nightly review's alerts, the tutor's resolutions
	// and her caseload at the three moments.
	clRaised, clCleared int
	tutorResolved       int
	moments             []caseloadMoment

	voice *voiceFlow     // the student's HOKS proposal (voice.go)
	work  *workplaceFlow // the workplace period (workplace.go)
}

// referralFlow follows the one referral of the term.
type referralFlow struct {
	trigger  coaching.Date // the referral student was first flagged
	id       string
	stage    int // 0 waiting, 1 proposed and made, 2 accepted, 3 completed
	stagedOn coaching.Date
	sessions int
}

// simulate runs the term on an engine over the memory store and a
// controlled clock, delivering notices to an SMTP server in the process.
func simulate(ctx context.Context, seed uint64) (*simulation, error) {
	return simulateWith(ctx, seed, nil)
}

// simHooks let a test watch the term: observe the engine and the
// dispatcher, and stand between the dispatcher and the SMTP sender.
type simHooks struct {
	// observer, when set, returns the observer of the engine and the
	// dispatcher, given the store and the simulation's clock.
	observer func(store *memory.Store, clock coaching.Clock) (coaching.Observer, error)
	// sender, when set, wraps the SMTP sender.
	sender func(coaching.Sender) coaching.Sender
}

// simulateWith is simulate with the hooks of h (nil: none). When the
// term ran but its final check failed, it returns the simulation with the
// check's error, so that a test can look at both.
func simulateWith(ctx context.Context, seed uint64, h *simHooks) (sim *simulation, err error) {
	if h == nil {
		h = &simHooks{}
	}
	mail, err := mailtest.Start()
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := mail.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("stop the SMTP server: %w", cerr)
		}
	}()
	sim = &simulation{
		mail:        mail,
		rng:         rand.New(rand.NewPCG(seed, seed+1)),
		class:       Cohort(seed),
		closed:      map[int]bool{},
		raised:      map[string]int{},
		cleared:     map[string]int{},
		flagged:     map[coaching.CaseID]bool{},
		unreachable: map[string]attendance.UnreachableGuardian{},
		elements:    map[session.ApproachElement]int{},
		now:         TermStart.At(7, 0),
	}
	clock := coaching.ClockFunc(func() time.Time { return sim.now })
	ids := 0
	sim.store = memory.New()
	sim.sysKey = coaching.NewSystemKey()
	var obs coaching.Observer
	if h.observer != nil {
		if obs, err = h.observer(sim.store, clock); err != nil {
			return nil, err
		}
	}
	// Workplace periods send their notices before the start and the end
	// from timers, beside the referrals' follow-ups.
	timers, err := workplace.TimerHandlers(nil)
	if err != nil {
		return nil, err
	}
	maps.Copy(timers, referral.TimerHandlers(nil))
	sim.eng, err = coaching.New(sim.store, &coaching.Options{
		Models:    []*coaching.Model{coaching.Pilot()},
		SystemKey: sim.sysKey,
		Clock:     clock,
		Logger:    logger,
		Observer:  obs,
		// Referrals are a feature: the engine guards their documents and
		// sends their follow-ups.
		Documents:     slices.Concat(referral.Documents(), hoks.Documents(), absence.Documents(), workplace.Documents()),
		TimerHandlers: timers,

		NewID: func() string { // deterministic ids (letters and digits: referral ids need them)
			ids++
			return fmt.Sprintf("gen%04d", ids)
		},
	})
	if err != nil {
		return nil, err
	}
	if sim.sessions, err = session.New(sim.eng); err != nil {
		return nil, err
	}
	if sim.refs, err = referral.New(sim.eng); err != nil {
		return nil, err
	}
	if sim.att, err = attendance.New(sim.eng, familyAttendance()); err != nil {
		return nil, err
	}
	if sim.fam.svc, err = absence.New(sim.eng, sim.att, familyRules); err != nil {
		return nil, err
	}
	if sim.cl, err = caseload.New(sim.eng, nil); err != nil {
		return nil, err
	}
	sender, err := smtp.New(smtp.Options{
		Addr:          mail.Addr,
		From:          "Valmennus <valmennus@oppilaitos.example>",
		AllowInsecure: true, // the in-process server offers no STARTTLS
		Timeout:       10 * time.Second,
		Clock:         clock,
	})
	if err != nil {
		return nil, err
	}
	var send coaching.Sender = sender
	if h.sender != nil {
		send = h.sender(sender)
	}
	sim.disp, err = coaching.NewDispatcher(sim.store, send, &coaching.DispatcherOptions{Clock: clock, Logger: logger, Observer: obs, Channel: "email"})
	if err != nil {
		return nil, err
	}

	for d := TermStart; !d.After(TermEnd); d = d.AddDays(1) {
		sim.today = d
		if SchoolDay(d) {
			if err := sim.schoolDayRun(ctx); err != nil {
				return nil, fmt.Errorf("%s: %w", d, err)
			}
			sim.schoolDay++
		}
		if err := sim.evening(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", d, err)
		}
	}
	if err := sim.afterTerm(ctx); err != nil {
		return nil, fmt.Errorf("after the term: %w", err)
	}
	sim.received = mail.Received()
	if err := sim.check(ctx); err != nil {
		return sim, err
	}
	return sim, nil
}

// at moves the clock to hh:mm today and lets the dispatcher deliver
// whatever is due by then.
func (s *simulation) at(ctx context.Context, hour, minute int) error {
	t := s.today.At(hour, minute)
	if t.Before(s.now) {
		return fmt.Errorf("the clock would go back from %s to %s", s.now.Format(time.DateTime), t.Format(time.DateTime))
	}
	s.now = t
	rep, err := s.disp.RunOnce(ctx)
	s.dispatched.Add(rep)
	return err
}

// schoolDayRun is one school day: lessons and their marks, coaching, the
// digest, the interviews of the first weeks and the referral's steps.
func (s *simulation) schoolDayRun(ctx context.Context) error {
	d := s.today
	wd := d.Weekday()
	if err := s.at(ctx, 8, 0); err != nil {
		return err
	}
	if s.schoolDay == 0 {
		if err := s.enrolClass(ctx); err != nil {
			return err
		}
	}
	if d == RedirectDay {
		if err := s.redirect(ctx); err != nil {
			return err
		}
	}
	if err := s.tutorsAlerts(ctx); err != nil {
		return err
	}
	plan := s.drawDay()
	if err := s.familyMorning(ctx, plan); err != nil {
		return err
	}
	lessons := Timetable(d)
	for li, l := range lessons {
		h, m := l.Hour, l.Minute+15
		if li == 3 && wd == time.Friday {
			// On Fridays the workshop teacher takes the last lesson's
			// attendance only after the digest has gone: the marks reach
			// the guardians as follow-ups within minutes.
			if err := s.at(ctx, 15, 0); err != nil {
				return err
			}
			h, m = 15, 20
		}
		if err := s.at(ctx, h, m); err != nil {
			return err
		}
		if err := s.markLesson(ctx, l, li, plan); err != nil {
			return err
		}
		switch li {
		case 0:
			if err := s.at(ctx, 9, 0); err != nil {
				return err
			}
			if err := s.morningCorrections(ctx, l); err != nil {
				return err
			}
		case 1:
			if err := s.at(ctx, 11, 30); err != nil {
				return err
			}
			if err := s.midday(ctx); err != nil {
				return err
			}
		case 2:
			if wd == time.Wednesday {
				if err := s.at(ctx, 13, 45); err != nil {
					return err
				}
				if err := s.groupCoaching(ctx, plan); err != nil {
					return err
				}
			}
		}
	}
	if wd != time.Friday {
		if err := s.at(ctx, 15, 0); err != nil { // the day's digests go out
			return err
		}
	}
	if err := s.at(ctx, 15, 30); err != nil {
		return err
	}
	if err := s.at(ctx, 16, 0); err != nil {
		return err
	}
	if err := s.familyAfternoon(ctx); err != nil {
		return err
	}
	if err := s.interviews(ctx); err != nil {
		return err
	}
	if err := s.voiceStep(ctx); err != nil {
		return err
	}
	return s.referralStep(ctx)
}

// evening ticks the engine's timers, sweeps the early-warning rules and
// delivers what is due, every calendar day.
func (s *simulation) evening(ctx context.Context) error {
	if err := s.at(ctx, 18, 0); err != nil {
		return err
	}
	if err := s.workplaceStep(ctx); err != nil {
		return err
	}
	if _, err := s.eng.Tick(ctx, s.now); err != nil {
		return err
	}
	raised, cleared, err := s.att.ReviewRisks(ctx, s.sysKey)
	if err != nil {
		return err
	}
	s.absorb(&attendance.Result{Raised: raised, Cleared: cleared}, false)
	rev, err := s.cl.Review(ctx, s.sysKey)
	if err != nil {
		return err
	}
	s.clRaised += len(rev.Raised)
	s.clCleared += len(rev.Resolved)
	if err := s.takeCaseload(ctx); err != nil {
		return err
	}
	return s.at(ctx, 18, 5)
}

// enrolClass opens every student's case with the support team.
func (s *simulation) enrolClass(ctx context.Context) error {
	for _, st := range s.class {
		team := []coaching.TeamMember{tutor.member(), coach.member(), cur.member(), nurse.member()}
		if len(st.SupportNeeds) > 0 {
			team = append(team, snt.member())
		}
		if _, err := s.eng.Enrol(ctx, tutor.actor(), coaching.EnrolParams{
			Model: coaching.ModelPilot, Participant: st.Participant, CaseID: st.CaseID, Team: team,
		}); err != nil {
			return fmt.Errorf("enrol %s: %w", st.CaseID, err)
		}
	}
	return nil
}

// redirect moves one student to a better-suited field (a positive exit).
func (s *simulation) redirect(ctx context.Context) error {
	st := s.class[idxRedirected]
	if _, err := s.eng.Fire(ctx, tutor.actor(), st.CaseID, coaching.PilotRedirect,
		&coaching.FireOptions{Reason: "Siirtyy logistiikan perustutkintoon."}); err != nil {
		return fmt.Errorf("redirect %s: %w", st.CaseID, err)
	}
	s.closed[idxRedirected] = true
	return nil
}

// dayPlan is how each student attends today's four lessons.
type dayPlan map[int]*[4]attendance.MarkInput

// drawDay decides today's attendance of every student in the class.
func (s *simulation) drawDay() dayPlan {
	d := s.today
	week := int(d.Start().Sub(TermStart.Start()).Hours()/24) / 7
	plan := dayPlan{}
	s.lateFix = map[int]bool{}
	for _, st := range s.class {
		if s.closed[st.Index] {
			continue
		}
		var marks [4]attendance.MarkInput
		status := [4]attendance.Status{}
		reason := [4]attendance.AbsenceReason{}
		for i := range status {
			status[i] = attendance.Present
		}
		scriptedDay := false
		for _, sc := range script {
			if sc.student == st.Index && sc.date == d {
				scriptedDay = true
				for _, li := range sc.lessons {
					status[li] = attendance.Unexplained
				}
			}
		}
		switch {
		case st.Index == idxCorrectedBefore && d == CorrectedBeforeDay:
			status[0] = attendance.Unexplained
			s.lateFix[st.Index] = true
		case scriptedDay:
		default:
			p := st.profile
			skip := 0.0
			if p.drift > 0 && week > p.driftFrom {
				skip = min(p.driftMax, p.drift*float64(week-p.driftFrom))
				if st.individualCoached >= 2 {
					skip *= 0.35 // individual coaching helps
				}
			}
			r := s.rng.Float64()
			switch {
			case r < p.sickDay:
				status = [4]attendance.Status{attendance.Sick, attendance.Sick, attendance.Sick, attendance.Sick}
			case r < p.sickDay+p.appointment:
				status[0], status[1] = attendance.Explained, attendance.Explained
				reason[0], reason[1] = attendance.ReasonAppointment, attendance.ReasonAppointment
			case r < p.sickDay+p.appointment+skip:
				status = [4]attendance.Status{attendance.Unexplained, attendance.Unexplained, attendance.Unexplained, attendance.Unexplained}
			default:
				for i := range status {
					u := s.rng.Float64()
					switch {
					case u < p.unexplained+skip/3:
						status[i] = attendance.Unexplained
					case u < p.unexplained+skip/3+p.late:
						status[i] = attendance.Late
					}
				}
				// Some who miss the first lesson turn up during it: the
				// teacher corrects the mark to late before the digest.
				if status[0] == attendance.Unexplained && s.rng.IntN(4) == 0 {
					s.lateFix[st.Index] = true
				}
			}
		}
		for i := range marks {
			marks[i] = attendance.MarkInput{CaseID: st.CaseID, Date: d, Status: status[i], Reason: reason[i], Minutes: lessonMinutes}
		}
		plan[st.Index] = &marks
	}
	return plan
}

// markLesson records one lesson's attendance for the whole class in one
// call.
func (s *simulation) markLesson(ctx context.Context, l lesson, li int, plan dayPlan) error {
	var marks []attendance.MarkInput
	for _, st := range s.class {
		p, ok := plan[st.Index]
		if !ok {
			continue
		}
		m := p[li]
		m.Lesson, m.Title = l.ID, l.Title()
		marks = append(marks, m)
	}
	return s.record(ctx, l.Teacher, marks, false)
}

// morningCorrections corrects the first lesson's marks of students who
// turned up late, and, the day after CorrectionDay, explains that day's
// absences after the guardian called (the digest has already gone).
func (s *simulation) morningCorrections(ctx context.Context, first lesson) error {
	var late []attendance.MarkInput
	for _, st := range s.class {
		if s.lateFix[st.Index] {
			late = append(late, attendance.MarkInput{CaseID: st.CaseID, Date: s.today, Lesson: first.ID, Title: first.Title(),
				Minutes: lessonMinutes, Status: attendance.Late})
		}
	}
	if len(late) > 0 {
		if err := s.record(ctx, first.Teacher, late, false); err != nil {
			return err
		}
	}
	if s.today != nextSchoolDay(CorrectionDay) {
		return nil
	}
	st := s.class[idxCorrection]
	var fix []attendance.MarkInput
	for _, l := range Timetable(CorrectionDay) {
		fix = append(fix, attendance.MarkInput{CaseID: st.CaseID, Date: CorrectionDay, Lesson: l.ID, Title: l.Title(),
			Minutes: lessonMinutes, Status: attendance.Explained, Reason: attendance.ReasonFamily})
	}
	return s.record(ctx, tutor, fix, true)
}

// record stores marks and keeps count of what followed.
func (s *simulation) record(ctx context.Context, by staff, marks []attendance.MarkInput, correction bool) error {
	res, err := s.att.Record(ctx, by.actor(), marks)
	if err != nil {
		return err
	}
	s.calls++
	s.absorb(res, correction)
	return nil
}

// absorb counts flags raised and cleared and unreachable guardians.
func (s *simulation) absorb(res *attendance.Result, correction bool) {
	for _, f := range res.Raised {
		s.raised[f.Flag.Rule]++
		s.flagged[f.CaseID] = true
		if f.CaseID == s.class[idxReferral].CaseID && f.Flag.Rule == "absence_30h" && s.ref.trigger.IsZero() {
			s.ref.trigger = s.today
		}
	}
	for _, f := range res.Cleared {
		s.cleared[f.Flag.Rule]++
		if correction {
			s.byCorrection = append(s.byCorrection, f)
		}
	}
	for _, u := range res.Unreachable {
		if _, seen := s.unreachable[u.GuardianID]; !seen {
			s.unreachable[u.GuardianID] = u
		}
	}
}

// midday is the lunch-hour work of the support team: the welfare staff's
// outreach on Tuesdays, individual coaching of flagged students on
// Thursdays, the special-needs teacher's support every other Monday and the
// curator's meetings with the referred student on Fridays.
func (s *simulation) midday(ctx context.Context) error {
	d := s.today
	switch d.Weekday() {
	case time.Tuesday:
		contacts := 4 + s.rng.IntN(12)
		_, err := s.sessions.Record(ctx, cur.actor(), session.Session{Kind: session.Outreach, Date: d,
			Hours: decimal.New(15, -1), Staff: []session.Staff{cur.session(), nurse.session()}, Contacts: contacts,
			Topic: "jalkautuminen: ruokala ja työpajat"})
		if err != nil {
			return fmt.Errorf("outreach: %w", err)
		}
		s.outreach++
		s.outreachContact += contacts
	case time.Thursday:
		for _, st := range s.class {
			if s.closed[st.Index] {
				continue
			}
			flags, err := s.att.Flags(ctx, head.actor(), st.CaseID)
			if err != nil {
				return err
			}
			if len(flags) == 0 {
				continue
			}
			// The first meeting takes an hour, then a half-hour check-in a week.
			hours := decimal.New(5, -1)
			if st.individualCoached == 0 {
				hours = decimal.NewFromInt(1)
			}
			if _, err := s.sessions.Record(ctx, coach.actor(), session.Session{Kind: session.Individual, Date: d,
				Hours: hours, Staff: []session.Staff{coach.session()}, Cases: []coaching.CaseID{st.CaseID},
				Elements: []session.ApproachElement{session.ElementTrust, session.ElementPresence, session.ElementEmotionalConnection},
				Topic:    "yksilövalmennus: opiskelurytmi ja läsnäolo"}); err != nil {
				return fmt.Errorf("individual coaching: %w", err)
			}
			if _, err := s.cl.LogContact(ctx, coach.actor(), caseload.Contact{CaseID: st.CaseID, Kind: caseload.ContactSession, On: d,
				Note: "yksilövalmennus"}); err != nil {
				return fmt.Errorf("log the contact: %w", err)
			}
			st.individualCoached++
			s.individual++
		}
	case time.Monday:
		_, week := d.Start().ISOWeek()
		if week%2 != 0 {
			return nil
		}
		for _, st := range s.class {
			if s.closed[st.Index] || len(st.SupportNeeds) == 0 {
				continue
			}
			if _, err := s.sessions.Record(ctx, snt.actor(), session.Session{Kind: session.Individual, Date: d,
				Hours: decimal.New(75, -2), Staff: []session.Staff{snt.session()}, Cases: []coaching.CaseID{st.CaseID},
				Elements: []session.ApproachElement{session.ElementParticipation, session.ElementAppreciation},
				Topic:    "erityisopettajan tuki: opiskelutaidot"}); err != nil {
				return fmt.Errorf("special-needs support: %w", err)
			}
			s.individual++
		}
	case time.Friday:
		if s.ref.stage != 2 {
			return nil
		}
		st := s.class[idxReferral]
		if _, err := s.sessions.Record(ctx, cur.actor(), session.Session{Kind: session.Individual, Date: d,
			Hours: decimal.NewFromInt(1), Staff: []session.Staff{cur.session()}, Cases: []coaching.CaseID{st.CaseID},
			Elements: []session.ApproachElement{session.ElementTrust, session.ElementEmotionalConnection},
			Topic:    "kuraattorin tapaaminen"}); err != nil {
			return fmt.Errorf("curator meeting: %w", err)
		}
		s.ref.sessions++
		s.individual++
	}
	return nil
}

// groupCoaching records Wednesday's group coaching: the tutor and the
// coach with the students who were there.
func (s *simulation) groupCoaching(ctx context.Context, plan dayPlan) error {
	theme := groupThemes[s.groupSessions%len(groupThemes)]
	var present []coaching.CaseID
	for _, st := range s.class {
		if p, ok := plan[st.Index]; ok && !p[groupCoachingLesson].Status.Absent() {
			present = append(present, st.CaseID)
		}
	}
	if _, err := s.sessions.Record(ctx, coach.actor(), session.Session{Kind: session.Group, Date: s.today,
		Hours: decimal.New(15, -1), Staff: []session.Staff{tutor.session(), coach.session()}, Cases: present,
		Elements: theme.elements, PeerSupport: theme.peer, Topic: "ryhmävalmennus: " + theme.topic}); err != nil {
		return fmt.Errorf("group coaching: %w", err)
	}
	s.groupSessions++
	s.groupPresent += len(present)
	for _, el := range theme.elements {
		s.elements[el]++
	}
	if theme.peer != "" {
		s.peerSessions++
	}
	return nil
}

// interviews holds the day's initial interviews: the personal tutor meets
// the student, goes through the screening results and maps the initial
// situation; HOKS drafting started on the second day of studies.
func (s *simulation) interviews(ctx context.Context) error {
	for _, st := range s.class {
		if st.InterviewDay != s.schoolDay {
			continue
		}
		if _, err := s.sessions.Record(ctx, tutor.actor(), session.Session{Kind: session.Individual, Date: s.today,
			Hours: decimal.New(75, -2), Staff: []session.Staff{tutor.session()}, Cases: []coaching.CaseID{st.CaseID},
			Elements: []session.ApproachElement{session.ElementTrust, session.ElementParticipation},
			Topic:    "alkuhaastattelu ja HOKSin laadinta"}); err != nil {
			return fmt.Errorf("initial interview: %w", err)
		}
		s.individual++
		needs := append([]string{}, st.SupportNeeds...)
		if _, err := s.eng.Fire(ctx, tutor.actor(), st.CaseID, coaching.PilotMapInitialSituation, &coaching.FireOptions{
			Payload: coaching.InitialSituation{SupportNeeds: needs, LiteracyScreening: st.Literacy, MathsScreening: st.Maths,
				InitialInterviewDate: s.today, HOKSDraftingStarted: TermStart.AddDays(1)},
		}); err != nil {
			return fmt.Errorf("map the initial situation of %s: %w", st.CaseID, err)
		}
		s.mappedLast = s.today
	}
	return nil
}

// referralStep moves the referral on: the school day after the referral
// student's absences reach 30 hours (the rule that alerts the curator), the tutor proposes a referral to the curator
// and makes it with the student's agreement; the curator accepts it the
// next school day, meets the student on Fridays, and completes it after
// three meetings.
func (s *simulation) referralStep(ctx context.Context) error {
	st := s.class[idxReferral]
	r := &s.ref
	switch {
	case r.stage == 0 && !r.trigger.IsZero() && s.today.After(r.trigger):
		ref, err := s.refs.Propose(ctx, tutor.actor(), st.CaseID, referral.Input{Service: referral.ServiceCurator,
			Reason: referralReason})
		if err != nil {
			return fmt.Errorf("propose the referral: %w", err)
		}
		r.id = ref.ID
		if _, err := s.refs.Advance(ctx, tutor.actor(), st.CaseID, r.id, referral.Make); err != nil {
			return fmt.Errorf("make the referral: %w", err)
		}
		r.stage, r.stagedOn = 1, s.today
	case r.stage == 1 && s.today.After(r.stagedOn):
		if _, err := s.refs.Advance(ctx, cur.actor(), st.CaseID, r.id, referral.Accept); err != nil {
			return fmt.Errorf("accept the referral: %w", err)
		}
		r.stage, r.stagedOn = 2, s.today
	case r.stage == 2 && r.sessions >= 3:
		if _, err := s.refs.Advance(ctx, cur.actor(), st.CaseID, r.id, referral.Complete); err != nil {
			return fmt.Errorf("complete the referral: %w", err)
		}
		r.stage, r.stagedOn = 3, s.today
	}
	return nil
}

// referralReason is confidential: only welfare staff on the team see it,
// and the summary never prints it.
const referralReason = "Toistuvia selvittämättömiä poissaoloja; opiskelija kertoo univaikeuksista ja kuormittavasta kotitilanteesta."

// nextSchoolDay returns the first school day after d.
func nextSchoolDay(d coaching.Date) coaching.Date {
	for d = d.AddDays(1); !SchoolDay(d); d = d.AddDays(1) {
	}
	return d
}

// check asserts what the pilot promises, and fails the run otherwise:
// every absence notice to a guardian was delivered on the civil date of the
// absence; the SMTP server received exactly the notices marked sent; no
// guardian was told about the student who came of age from the birthday on.
func (s *simulation) check(ctx context.Context) error {
	all, err := s.store.Notices(ctx, coaching.NoticeQuery{})
	if err != nil {
		return err
	}
	sent := map[string]bool{}
	var problems []error
	for _, n := range all {
		if n.Status == coaching.NoticeSent {
			sent[n.ID] = true
		}
		switch {
		case n.Status == coaching.NoticePending || n.Status == coaching.NoticeClaimed || n.Status == coaching.NoticeDead:
			problems = append(problems, fmt.Errorf("notice %s was not delivered (%s, %s)", n.ID, n.Status, n.LastError))
		case n.Kind == coaching.NoticeKindAbsence && n.Status == coaching.NoticeSent:
			if got := coaching.DateOf(n.SentAt).String(); got != n.Data["date"] {
				problems = append(problems, fmt.Errorf("absence notice %s for %s was delivered on %s", n.ID, n.Data["date"], got))
			}
		}
		if n.CaseID == s.class[idxTurns18].CaseID && n.Recipient.Role == coaching.RoleGuardian && n.Data["date"] >= Birthday18.String() {
			problems = append(problems, fmt.Errorf("notice %s told a guardian about an adult without consent", n.ID))
		}
	}
	got := map[string]bool{}
	for _, m := range s.received {
		id, _, err := smtp.ParseMessageID(m.MessageID)
		if err != nil {
			problems = append(problems, fmt.Errorf("the SMTP server received a message with a foreign Message-ID: %w", err))
			continue
		}
		if got[id] {
			problems = append(problems, fmt.Errorf("the SMTP server received notice %s twice", id))
		}
		got[id] = true
	}
	if len(s.received) != len(sent) {
		problems = append(problems, fmt.Errorf("the SMTP server received %d messages, %d notices are marked sent", len(s.received), len(sent)))
	}
	for id := range sent {
		if !got[id] {
			problems = append(problems, fmt.Errorf("notice %s is marked sent but never reached the SMTP server", id))
		}
	}
	if len(problems) > 0 {
		slices.SortFunc(problems, func(a, b error) int {
			switch {
			case a.Error() < b.Error():
				return -1
			case a.Error() > b.Error():
				return 1
			}
			return 0
		})
		return errors.Join(problems...)
	}
	return nil
}
