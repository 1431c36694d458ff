// Package webuidemo builds the demonstration of the web interface
// (adapters/webui): an engine on the embedded memory store with a
// synthetic pilot cohort, and the interface over it with the UNSAFE
// development sign-in. The command examples/webui serves it; the web
// interface's browser tests drive the same server.
//
// Everything in the cohort is made up: the names are invented, there are
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
	"github.com/valmennus/valmennus/hoks"
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
	KeyTutor      = "tutor"
	KeyCoach      = "coach"
	KeyTeacher    = "teacher"
	KeyHead       = "head"
	KeyGuardian   = "guardian"
	KeyStudent    = "student"
	KeyOtherTutor = "other-tutor"
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
	// Now is the day the week of attendance leads up to; default the
	// system clock's today. It must not be after the system clock's today
	// (a mark of a future day is refused): the engine runs on the system
	// clock either way.
	Now time.Time
}

// Demo is a built demonstration.
type Demo struct {
	// Handler is the web interface, mounted under Options.Prefix.
	Handler http.Handler
	// Engine is the engine behind it, on a memory store of its own.
	Engine *coaching.Engine
	// Identities are the development sign-in's identities.
	Identities []webui.DevIdentity
	// Flagged is the case of the student whose unexplained absences raise
	// an early-warning flag: the top of the tutor's caseload.
	Flagged coaching.CaseID
	// FlaggedName is that student's name as the caseload shows it.
	FlaggedName string
	// flaggedParticipant is that student's participant id, which the
	// sign-on's relations of the student and the guardian name.
	flaggedParticipant coaching.ParticipantID
	// Cases are the cohort's cases in enrolment order (the first
	// organisation's only).
	Cases []coaching.CaseID
}

// student is one synthetic student of the cohort.
type student struct {
	given, family string
	gender        coaching.Gender
	// unexplained and sick are absent lessons over the last school days.
	unexplained, sick int
}

// cohort is the demo's twelve students, all invented.
var cohort = []student{
	{"Aino", "Esimerkki", coaching.GenderFemale, 0, 0},
	{"Eetu", "Kuvitteellinen", coaching.GenderMale, 4, 0},
	{"Sanni", "Harjoitus", coaching.GenderFemale, 0, 1},
	{"Onni", "Malli", coaching.GenderMale, 0, 0},
	{"Lilja", "Testinen", coaching.GenderFemale, 1, 0},
	{"Veeti", "Demonen", coaching.GenderMale, 0, 0},
	{"Helmi", "Kokeilu", coaching.GenderFemale, 0, 2},
	{"Niilo", "Luonnos", coaching.GenderMale, 0, 0},
	{"Ella", "Otos", coaching.GenderFemale, 0, 0},
	{"Leevi", "Sijainen", coaching.GenderMale, 1, 1},
	{"Venla", "Kaava", coaching.GenderFemale, 0, 0},
	{"Aaro", "Pohja", coaching.GenderMale, 0, 0},
}

// flaggedIndex is the student whose unexplained absences reach the
// default rule of 3 in 10 school days.
const flaggedIndex = 1

// lessonsPerDay and schoolDays are the marked timetable: every student
// has lessonsPerDay 45-minute lessons on each of the last schoolDays
// weekdays up to today.
const (
	lessonsPerDay = 4
	schoolDays    = 5
)

// The demo's staff.
var (
	tutor      = coaching.Actor{ID: "demo-tutor", Name: "Tiina Omaohjaaja", Organisation: Organisation, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	coach      = coaching.Actor{ID: "demo-coach", Name: "Ville Valmentaja", Organisation: Organisation, Roles: []coaching.Role{coaching.RoleCoach}}
	teacher    = coaching.Actor{ID: "demo-teacher", Name: "Outi Opettaja", Organisation: Organisation, Roles: []coaching.Role{coaching.RoleTeacher}}
	head       = coaching.Actor{ID: "demo-head", Name: "Reija Rehtori", Organisation: Organisation, Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	otherTutor = coaching.Actor{ID: "other-tutor", Name: "Pekka Toinen", Organisation: OtherOrganisation, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	// guardian is the guardian of the flagged student.
	guardian = coaching.Actor{ID: "demo-guardian", Name: "Maija Kuvitteellinen", Organisation: Organisation, Roles: []coaching.Role{coaching.RoleGuardian}}
)

// New builds the demo: the engine, the cohort with a week of attendance
// (a few absences, one student flagged), and the interface with the
// development sign-in. ctx bounds the building only.
func New(ctx context.Context, opts *Options) (*Demo, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.SessionKey == nil {
		o.SessionKey = make([]byte, webui.MinSessionKey)
		if _, err := rand.Read(o.SessionKey); err != nil {
			return nil, fmt.Errorf("webuidemo: a session key: %w", err)
		}
	}
	// The families' absence requests and the HOKS are case documents the
	// engine must know; accepted absence reports excuse later marks. The
	// VALO model is known so that the figures page (its VALO table and
	// CSV) works; the cohort is the pilot's, so the table counts none.
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot(), coaching.VALO()},
		Documents: append(absence.Documents(), hoks.Documents()...)})
	if err != nil {
		return nil, fmt.Errorf("webuidemo: the engine: %w", err)
	}
	att, err := attendance.New(eng, &attendance.Options{Excuses: absence.Excuses()})
	if err != nil {
		return nil, fmt.Errorf("webuidemo: attendance: %w", err)
	}
	d := &Demo{Engine: eng}
	if err := d.enrolCohort(ctx, att, coaching.DateOf(o.Now)); err != nil {
		return nil, err
	}
	if err := d.addHOKS(ctx, coaching.DateOf(o.Now)); err != nil {
		return nil, err
	}
	if err := d.addCaseData(ctx, coaching.DateOf(o.Now)); err != nil {
		return nil, err
	}
	if err := d.planWork(ctx); err != nil {
		return nil, err
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
		{Key: KeyCoach, Label: coach.Name + " (valmentaja / coach)", Actor: coach},
		{Key: KeyTeacher, Label: teacher.Name + " (opettaja / teacher)", Actor: teacher},
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

// enrolCohort enrols the students of [Group] (as the personal tutor: the pilot
// model's cases are opened by one) with the tutor, the coach (every other
// student) and the teacher on their teams, one student of the other
// organisation, and records the last school days' lessons.
func (d *Demo) enrolCohort(ctx context.Context, att *attendance.Service, today coaching.Date) error {
	for i, s := range cohort {
		team := []coaching.TeamMember{member(tutor, coaching.RolePersonalTutor), member(teacher, coaching.RoleTeacher)}
		if i%2 == 1 {
			team = append(team, member(coach, coaching.RoleCoach))
		}
		p := participant(s.given, s.family, s.gender, Organisation, i)
		if i == flaggedIndex {
			p.Guardians[0].ID, p.Guardians[0].Name = guardian.ID, guardian.Name
		}
		c, err := d.Engine.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: p, Team: team,
			Records: []coaching.RecordInput{{Name: sis.RecordName, Payload: sis.EnrolmentRecord{Group: Group}}}})
		if err != nil {
			return fmt.Errorf("webuidemo: enrolling student %d: %w", i, err)
		}
		d.Cases = append(d.Cases, c.ID)
		if i == flaggedIndex {
			d.Flagged, d.FlaggedName, d.flaggedParticipant = c.ID, s.given+" "+s.family, c.ParticipantID
		}
	}
	if _, err := d.Engine.Enrol(ctx, otherTutor, coaching.EnrolParams{Model: coaching.ModelPilot,
		Participant: participant("Iida", "Muualta", coaching.GenderFemale, OtherOrganisation, len(cohort)),
		Team:        []coaching.TeamMember{member(otherTutor, coaching.RolePersonalTutor)}}); err != nil {
		return fmt.Errorf("webuidemo: enrolling the other organisation's student: %w", err)
	}
	var marks []attendance.MarkInput
	for n, day := range lastWeekdays(today, schoolDays) {
		for i, s := range cohort {
			for l := range lessonsPerDay {
				st := attendance.Present
				// Absences fall on the latest days first, a lesson
				// at a time, so that they are recent.
				k := n*lessonsPerDay + l
				switch {
				case k < s.unexplained:
					st = attendance.Unexplained
				case k < s.unexplained+s.sick:
					st = attendance.Sick
				}
				marks = append(marks, attendance.MarkInput{CaseID: d.Cases[i], Date: day, Lesson: fmt.Sprint(l + 1),
					Title: lessonTitles[l], Minutes: 45, Status: st})
			}
		}
	}
	if _, err := att.Record(ctx, teacher, marks); err != nil {
		return fmt.Errorf("webuidemo: recording attendance: %w", err)
	}
	return nil
}

var lessonTitles = [lessonsPerDay]string{"Äidinkieli", "Matematiikka", "Ammattiaineet", "Liikunta"}

// lastWeekdays returns the n weekdays up to and including today, latest
// first.
func lastWeekdays(today coaching.Date, n int) []coaching.Date {
	var out []coaching.Date
	for d := today; len(out) < n; d = d.AddDays(-1) {
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
