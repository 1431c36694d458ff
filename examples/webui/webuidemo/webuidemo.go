// Package webuidemo builds the demonstration of the web interface
// (adapters/webui): an engine on the embedded memory store with a
// synthetic pilot cohort, and the interface over it with the UNSAFE
// development sign-in. The command examples/webui serves it; the web
// interface's browser tests drive the same server.
//
// The cohort has a past: a group that started about six weeks ago, built
// through the services' real commands at their dates on a clock the demo
// owns (demoClock), which the builder moves through those weeks and then
// hands back to the system clock. So the students have moved on from the
// pilot model's first phase, or are past its deadline, or joined later;
// sessions, contacts, the HOKS, alerts and attendance are dated as they
// happened.
//
// The organisation also runs a work-based coaching workshop on the VALO
// model (valo.go): three years of participants, who went on to their
// onward paths or are still in their period, so that the head of
// studies' figures page has a workshop's figures to show.
//
// Everything in the cohort and the workshop is made up: the names are invented, there are
// no identity codes, and the e-mail addresses are at example.fi.
package webuidemo

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/adapters/webui"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/pathway"
	"github.com/valmennus/valmennus/sis"
)

// The organisations of the demo: the cohort is the first's; the second
// has one case and one personal tutor, so that the isolation between
// organisations can be seen (and is tested).
const (
	Organisation      coaching.OrganisationID = "demo-college"
	OtherOrganisation coaching.OrganisationID = "other-college"
)

// The keys of the development identities ([webui.DevIdentity].Key), for
// tests that sign in as one of them.
const (
	KeyTutor       = "tutor"
	KeySecondTutor = "tutor-2"
	KeyCoach       = "coach"
	KeyTeacher     = "teacher"
	KeyHead        = "head"
	KeyGuardian    = "guardian"
	KeyStudent     = "student"
	KeyOtherTutor  = "other-tutor"
)

// Group is the cohort's teaching group, as a student information system
// import records it (sis.EnrolmentRecord): the attendance grid lists a
// group.
const Group = "TVO26A"

// Options configure [New]. A nil *Options is valid: every field has the
// default written beside it.
type Options struct {
	// Prefix is the interface's [webui.Options].Prefix; default "" (the
	// root).
	Prefix string
	// SessionKey signs the session cookies; default 32 random bytes, so
	// that a restart signs everybody out.
	SessionKey []byte
	// Logger is the interface's request log; default discarded.
	Logger *slog.Logger
	// Now is the demo's present, which the cohort's six weeks lead up to;
	// default the system clock's now, and the demo then runs on the
	// system clock. It must not be after the system clock's now. When set,
	// the demo's clock stays at Now when the cohort is built and runs on
	// from there (see demoClock), so that what the demo shows — overdue
	// phases, flags — does not change as the real days pass.
	Now time.Time
}

// Demo is a built demonstration.
type Demo struct {
	// Handler is the web interface, mounted under Options.Prefix.
	Handler http.Handler
	// Engine is the engine behind it, on a memory store of its own and
	// on the demo's clock.
	Engine *coaching.Engine
	// Today is the demo's today: Options.Now's date in Helsinki.
	Today coaching.Date
	// Identities are the development sign-in's identities.
	Identities []webui.DevIdentity
	// Flagged is the case of the student whose unexplained absences raise
	// an early-warning flag: the top of the tutor's caseload. The student
	// joined the group about three weeks ago, and the case is still in
	// its first phase, before its deadline.
	Flagged coaching.CaseID
	// FlaggedName is that student's name as the caseload shows it.
	FlaggedName string
	// flaggedParticipant is that student's participant id, which the
	// sign-on's relations of the student and the guardian name.
	flaggedParticipant coaching.ParticipantID
	// Overdue are the cases past their phase deadline: the two students
	// of the second personal tutor whose initial situation is still not
	// mapped a month after the group started. They are not on the demo
	// tutor's team (an overdue case ranks above a flagged one); both are
	// on the coach's.
	Overdue []coaching.CaseID
	// Cases are the first organisation's cases in the order of the
	// cohort (the students of [Group]).
	Cases []coaching.CaseID
	// Workshop are the cases of the workshop's admitted participants (the
	// VALO model's, valo.go) of this year and the two before, in the order
	// they entered; WorkshopOpen those still in their period, all on the
	// workshop coach's team ([KeyWorkshopCoach]), none overdue. The
	// organisation's caseload lists the open ones with the cohort's.
	Workshop, WorkshopOpen []coaching.CaseID
}

// student is one synthetic student of the cohort.
type student struct {
	given, family string
	gender        coaching.Gender
	// tutor is the student's personal tutor, who enrols the student and
	// maps the initial situation.
	tutor coaching.Actor
	// joined is the number of days before today the student started
	// (moved to the next weekday): cohortDays for the group's start.
	joined int
	// mapped is the number of days after starting on which the tutor
	// recorded the initial situation (moved to the next weekday); 0:
	// not yet.
	mapped int
	// unexplained is the number of latest school days with the first
	// lesson missed without an explanation; sickDays the school days off
	// sick before those.
	unexplained, sickDays int
}

// start is the day the student started, when today is today.
func (s student) start(today coaching.Date) coaching.Date {
	return weekdayFrom(today.AddDays(-s.joined))
}

// cohortDays is how long ago the group started: about six weeks, so that
// the pilot model's first phase (a month) is behind most students.
const cohortDays = 42

// cohort is the demo's sixteen students, all invented: the demo tutor's
// twelve (two of whom joined later through continuous admission) and the
// second tutor's four.
var cohort = []student{
	{"Aino", "Esimerkki", coaching.GenderFemale, tutor, cohortDays, 16, 0, 0},
	{"Eetu", "Kuvitteellinen", coaching.GenderMale, tutor, 22, 0, 4, 0},
	{"Sanni", "Harjoitus", coaching.GenderFemale, tutor, cohortDays, 17, 0, 1},
	{"Onni", "Malli", coaching.GenderMale, tutor, cohortDays, 21, 0, 0},
	{"Lilja", "Testinen", coaching.GenderFemale, tutor, cohortDays, 15, 1, 0},
	{"Veeti", "Demonen", coaching.GenderMale, tutor, cohortDays, 22, 0, 0},
	{"Helmi", "Kokeilu", coaching.GenderFemale, tutor, cohortDays, 18, 0, 1},
	{"Niilo", "Luonnos", coaching.GenderMale, tutor, cohortDays, 23, 0, 0},
	{"Ella", "Otos", coaching.GenderFemale, tutor, cohortDays, 22, 0, 0},
	{"Leevi", "Sijainen", coaching.GenderMale, tutor, cohortDays, 24, 1, 1},
	{"Venla", "Kaava", coaching.GenderFemale, tutor, cohortDays, 25, 0, 0},
	{"Aaro", "Pohja", coaching.GenderMale, tutor, 7, 0, 0, 0},
	{"Oona", "Mallinen", coaching.GenderFemale, secondTutor, cohortDays, 20, 0, 0},
	{"Eemil", "Arvio", coaching.GenderMale, secondTutor, cohortDays, 0, 0, 0},
	{"Joel", "Kopio", coaching.GenderMale, secondTutor, cohortDays, 24, 0, 0},
	{"Siiri", "Näyte", coaching.GenderFemale, secondTutor, cohortDays, 0, 0, 1},
}

// flaggedIndex is the student whose unexplained absences reach the
// default rule of 3 in 10 school days.
const flaggedIndex = 1

// lessonsPerDay is the marked timetable: every student has lessonsPerDay
// 45-minute lessons (lessonStarts) on each weekday from starting up to
// today.
const lessonsPerDay = 4

// The demo's staff.
var (
	tutor       = coaching.Actor{ID: "demo-tutor", Name: "Tiina Omaohjaaja", Organisation: Organisation, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	secondTutor = coaching.Actor{ID: "demo-tutor-2", Name: "Kaisa Kouluttaja", Organisation: Organisation, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	coach       = coaching.Actor{ID: "demo-coach", Name: "Ville Valmentaja", Organisation: Organisation, Roles: []coaching.Role{coaching.RoleCoach}}
	teacher     = coaching.Actor{ID: "demo-teacher", Name: "Outi Opettaja", Organisation: Organisation, Roles: []coaching.Role{coaching.RoleTeacher}}
	head        = coaching.Actor{ID: "demo-head", Name: "Reija Rehtori", Organisation: Organisation, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	otherTutor  = coaching.Actor{ID: "other-tutor", Name: "Pekka Toinen", Organisation: OtherOrganisation, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	// guardian is the guardian of the flagged student.
	guardian = coaching.Actor{ID: "demo-guardian", Name: "Maija Kuvitteellinen", Organisation: Organisation, Roles: []coaching.Role{coaching.RoleGuardian}}
)

// New builds the demo: the engine on the demo's clock, the cohort's six
// weeks through the services' real commands at their dates (enrolments,
// the initial situations mapped, attendance day by day, sessions,
// contacts, the flagged student's HOKS, alerts and planned items; one
// student flagged, two past their phase deadline), and the interface
// with the development sign-in. ctx bounds the building only.
func New(ctx context.Context, opts *Options) (*Demo, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	release := o.Now.IsZero()
	if release {
		o.Now = time.Now()
	} else if o.Now.After(time.Now()) {
		return nil, fmt.Errorf("webuidemo: Options.Now %s is in the future", o.Now.Format(time.RFC3339))
	}
	if o.SessionKey == nil {
		o.SessionKey = make([]byte, webui.MinSessionKey)
		if _, err := rand.Read(o.SessionKey); err != nil {
			return nil, fmt.Errorf("webuidemo: a session key: %w", err)
		}
	}
	// The families' absence requests and the HOKS are case documents the
	// engine must know; accepted absence reports excuse later marks. The
	// VALO model is the workshop's (valo.go), whose exits record the
	// destinations and schedule the follow-ups the timer handlers send.
	// The demo's clock starts before the workshop's history.
	clock := newDemoClock(historyStart(o.Now))
	valo, err := workshopModel()
	if err != nil {
		return nil, err
	}
	eng, err := coaching.New(memory.New(), &coaching.Options{Clock: clock, Models: []*coaching.Model{coaching.Pilot(), valo},
		Documents: append(absence.Documents(), hoks.Documents()...), TimerHandlers: pathway.TimerHandlers(nil)})
	if err != nil {
		return nil, fmt.Errorf("webuidemo: the engine: %w", err)
	}
	att, err := attendance.New(eng, &attendance.Options{Excuses: absence.Excuses()})
	if err != nil {
		return nil, fmt.Errorf("webuidemo: attendance: %w", err)
	}
	d := &Demo{Engine: eng, Today: coaching.DateOf(o.Now), Cases: make([]coaching.CaseID, len(cohort))}
	tl := &timeline{today: d.Today, latest: o.Now}
	cl, err := caseload.New(eng, nil)
	if err != nil {
		return nil, fmt.Errorf("webuidemo: the caseload service: %w", err)
	}
	d.enrolCohort(tl, att, cl)
	d.addTicks(tl)
	if err := d.addHOKS(tl); err != nil {
		return nil, err
	}
	if err := d.addCaseData(tl, cl); err != nil {
		return nil, err
	}
	d.addWork(tl, cl)
	if err := d.addWorkshop(tl); err != nil {
		return nil, err
	}
	if err := tl.run(ctx, clock); err != nil {
		return nil, err
	}
	if release {
		clock.release()
	}
	for i, s := range cohort {
		if s.mapped == 0 && s.joined == cohortDays {
			d.Overdue = append(d.Overdue, d.Cases[i])
		}
	}
	// The guardian and the flagged student sign in with the relations a
	// sign-on asserts (the student information system's guardian link,
	// the student's own identity): the family page lists the cases of the
	// participants they name.
	g := guardian
	g.Relations = []coaching.Relation{{Kind: coaching.RelationGuardianOf, Participant: d.flaggedParticipant}}
	st := coaching.Actor{ID: "demo-student", Name: d.FlaggedName, Organisation: Organisation, Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: d.flaggedParticipant}}}
	d.Identities = []webui.DevIdentity{
		{Key: KeyTutor, Label: tutor.Name + " (omaohjaaja / personal tutor)", Actor: tutor},
		{Key: KeySecondTutor, Label: secondTutor.Name + " (omaohjaaja / personal tutor)", Actor: secondTutor},
		{Key: KeyCoach, Label: coach.Name + " (valmentaja / coach)", Actor: coach},
		{Key: KeyTeacher, Label: teacher.Name + " (opettaja / teacher)", Actor: teacher},
		{Key: KeyWorkshopCoach, Label: workshopCoach.Name + " (työpajavalmentaja / workshop coach)", Actor: workshopCoach},
		{Key: KeyHead, Label: head.Name + " (opintojohtaja / head of studies)", Actor: head},
		{Key: KeyGuardian, Label: guardian.Name + " (huoltaja / guardian)", Actor: g},
		{Key: KeyStudent, Label: st.Name + " (opiskelija / student)", Actor: st},
		{Key: KeyOtherTutor, Label: otherTutor.Name + " (toinen oppilaitos / another college)", Actor: otherTutor},
	}
	login, err := webui.NewDevLogin(d.Identities)
	if err != nil {
		return nil, err
	}
	if d.Handler, err = webui.New(eng, &webui.Options{Prefix: o.Prefix, SessionKey: o.SessionKey, Login: login, Logger: o.Logger,
		Attendance: att}); err != nil {
		return nil, err
	}
	return d, nil
}

// enrolCohort adds the cohort's steps: each student of [Group] enrolled
// on the day they started by their personal tutor (the pilot model's
// cases are opened by one), with the teacher and, for every other
// student, the coach on the team; the initial situation mapped by the
// tutor when the student's mapped says, with the initial interview
// logged as a contact; one student of the other organisation; and every
// school day's lessons marked by the teacher at the end of the day
// (today's that have begun by Options.Now, when it is earlier).
func (d *Demo) enrolCohort(tl *timeline, att *attendance.Service, cl *caseload.Service) {
	groupStart := weekdayFrom(tl.today.AddDays(-cohortDays))
	starts := make([]coaching.Date, len(cohort))
	for i, s := range cohort {
		starts[i] = s.start(tl.today)
		tl.at(starts[i], 9, i, "enrolling student "+fmt.Sprint(i), func(ctx context.Context) error {
			return d.enrol(ctx, i)
		})
		if s.mapped > 0 {
			on := weekdayFrom(starts[i].AddDays(s.mapped))
			tl.at(on, 14, i, "mapping the initial situation of student "+fmt.Sprint(i), func(ctx context.Context) error {
				is := initialSituation(i, on)
				if _, err := cl.LogContact(ctx, s.tutor, caseload.Contact{CaseID: d.Cases[i], Kind: caseload.ContactMeeting,
					On: is.InitialInterviewDate, Note: "Alkukeskustelu ja HOKSin laadinnan aloitus"}); err != nil {
					return err
				}
				_, err := d.Engine.Fire(ctx, s.tutor, d.Cases[i], coaching.PilotMapInitialSituation, &coaching.FireOptions{Payload: is})
				return err
			})
		}
	}
	tl.at(groupStart, 9, 30, "enrolling the other organisation's student", func(ctx context.Context) error {
		_, err := d.Engine.Enrol(ctx, otherTutor, coaching.EnrolParams{Model: coaching.ModelPilot,
			Participant: participant("Iida", "Muualta", coaching.GenderFemale, OtherOrganisation, len(cohort)),
			Team:        []coaching.TeamMember{member(otherTutor, coaching.RolePersonalTutor)}})
		return err
	})
	days := schoolDaysBetween(groupStart, tl.today)
	for n, day := range days {
		back := len(days) - 1 - n // 0: the latest school day
		tl.at(day, 15, 30, "recording the day's attendance", func(ctx context.Context) error {
			var marks []attendance.MarkInput
			for i, s := range cohort {
				if day.Before(starts[i]) {
					continue
				}
				for l := range lessonsPerDay {
					if day.At(lessonStarts[l][0], lessonStarts[l][1]).After(tl.latest) {
						break // today's lessons still to come
					}
					st := attendance.Present
					switch {
					case back < s.unexplained && l == 0:
						st = attendance.Unexplained
					case back >= s.unexplained && back < s.unexplained+s.sickDays:
						st = attendance.Sick
					}
					marks = append(marks, attendance.MarkInput{CaseID: d.Cases[i], Date: day, Lesson: fmt.Sprint(l + 1),
						Title: lessonTitles[l], Minutes: 45, Status: st})
				}
			}
			if len(marks) == 0 {
				return nil
			}
			_, err := att.Record(ctx, teacher, marks)
			return err
		})
	}
}

// addTicks adds a tick of the engine's timers every morning from the
// group's start, as a host's ticker runs them: a phase deadline that
// passed is noticed the morning after (the case marked overdue, the
// personal tutor notified).
func (d *Demo) addTicks(tl *timeline) {
	for day := tl.today.AddDays(-cohortDays); !day.After(tl.today); day = day.AddDays(1) {
		tl.at(day, 6, 0, "ticking the timers", func(ctx context.Context) error {
			_, err := d.Engine.Tick(ctx, d.Engine.Clock().Now())
			return err
		})
	}
}

// enrol enrols the cohort's student i.
func (d *Demo) enrol(ctx context.Context, i int) error {
	s := cohort[i]
	team := []coaching.TeamMember{member(s.tutor, coaching.RolePersonalTutor), member(teacher, coaching.RoleTeacher)}
	if i%2 == 1 {
		team = append(team, member(coach, coaching.RoleCoach))
	}
	p := participant(s.given, s.family, s.gender, Organisation, i)
	if i == flaggedIndex {
		p.Guardians[0].ID, p.Guardians[0].Name = guardian.ID, guardian.Name
	}
	c, err := d.Engine.Enrol(ctx, s.tutor, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p, Team: team,
		Records: []coaching.RecordInput{{Name: sis.RecordName, Payload: sis.EnrolmentRecord{Group: Group}}}})
	if err != nil {
		return err
	}
	d.Cases[i] = c.ID
	if i == flaggedIndex {
		d.Flagged, d.FlaggedName, d.flaggedParticipant = c.ID, s.given+" "+s.family, c.ParticipantID
	}
	return nil
}

// initialSituation is the mapping of student i's initial situation
// recorded on day on: the interview two days before (a weekday), when
// the HOKS drafting started too, and screening results that vary by
// student.
func initialSituation(i int, on coaching.Date) coaching.InitialSituation {
	interview := weekdayBefore(on.AddDays(-2))
	s := coaching.InitialSituation{LiteracyScreening: coaching.ScreeningNoNeed, MathsScreening: coaching.ScreeningNoNeed,
		InitialInterviewDate: interview, HOKSDraftingStarted: interview}
	if i%5 == 4 {
		s.LiteracyScreening = coaching.ScreeningSupportNeed
		s.SupportNeeds = append(s.SupportNeeds, "Lukemisen ja kirjoittamisen tuki")
	}
	if i%4 == 2 {
		s.MathsScreening = coaching.ScreeningSupportNeed
		s.SupportNeeds = append(s.SupportNeeds, "Matematiikan tukiopetus")
	}
	if i%7 == 3 {
		s.MathsScreening = coaching.ScreeningNotTaken
	}
	return s
}

// lessonTitles and lessonStarts (hour, minute) are the day's lessons.
var (
	lessonTitles = [lessonsPerDay]string{"Äidinkieli", "Matematiikka", "Ammattiaineet", "Liikunta"}
	lessonStarts = [lessonsPerDay][2]int{{8, 15}, {10, 0}, {12, 15}, {14, 0}}
)

// schoolDaysBetween returns the weekdays from first to last, both
// included, in order.
func schoolDaysBetween(first, last coaching.Date) []coaching.Date {
	var out []coaching.Date
	for d := first; !d.After(last); d = d.AddDays(1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			out = append(out, d)
		}
	}
	return out
}

// participant is a synthetic 17-year-old student with one guardian: no
// identity code, e-mail addresses at example.fi.
func participant(given, family string, g coaching.Gender, org coaching.OrganisationID, i int) coaching.Participant {
	months := 3 + i%6
	foreign := i%4 == 3
	return coaching.Participant{
		Organisation: org,
		GivenNames:   given,
		FamilyName:   family,
		BirthDate:    coaching.NewDate(2009, time.Month(1+i%12), 1+i),
		Language:     coaching.Finnish,
		Contact:      coaching.Contact{Email: fmt.Sprintf("opiskelija%d@example.fi", i+1)},
		Background: coaching.Background{Gender: g, EducationLevel: coaching.EducationBasic,
			LabourStatus: coaching.LabourUnemployed, UnemployedMonths: &months, ForeignBackground: &foreign},
		Guardians: []coaching.Guardian{{ID: fmt.Sprintf("demo-guardian-%d", i+1), Name: "Huoltaja " + family,
			Contact: coaching.Contact{Email: fmt.Sprintf("huoltaja%d@example.fi", i+1)}, Language: coaching.Finnish}},
	}
}

// member is a as a team member in role r, with an example.fi address.
func member(a coaching.Actor, r coaching.Role) coaching.TeamMember {
	return coaching.TeamMember{ActorID: a.ID, Role: r, Name: a.Name, Contact: coaching.Contact{Email: a.ID + "@example.fi"}, Language: coaching.Finnish}
}
