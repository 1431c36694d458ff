package webuidemo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/pathway"
)

// The workshop's history: besides the pilot cohort, the organisation runs
// a work-based coaching workshop on the VALO model, so that the head of
// studies' figures page (the VALO table, the ESF indicators, onward
// paths, retention against the cohorts of the two years before and the
// staff's hours against the allocation) has a real workshop's figures to
// show. Like the cohort, the history is built through the services' real
// commands at their dates: each participant enrolled by their workshop
// coach (the model's cases are opened by a coach), admitted on an entry
// assessment, moved through induction (with its findings), skill
// acquisition, the competence demonstration and onward guidance to an
// ending with the destination recorded (pathway.RecordDestination), the
// follow-up checkpoints recorded when they were due, and the coach's
// individual and group sessions with their hours.
//
// Every participant is made up, without an identity code. The open cases
// are all on the first workshop coach's team (not on the pilot staff's, so
// the pilot's caseloads keep their stories), each in a phase entered
// before today and within its deadline: none is overdue.

// KeyWorkshopCoach is the development identity of the workshop coach whose
// team holds the workshop's open cases.
const KeyWorkshopCoach = "workshop-coach"

// The workshop's coaches: the first holds the open cases, the second
// coached most of this year's earlier participants (and so has more
// hours this year than the allocation's maximum).
var (
	workshopCoach       = coaching.Actor{ID: "demo-workshop-coach", Name: "Jari Pajanen", Organisation: Organisation, Roles: []coaching.Role{coaching.RoleCoach}}
	secondWorkshopCoach = coaching.Actor{ID: "demo-workshop-coach-2", Name: "Sari Verstas", Organisation: Organisation, Roles: []coaching.Role{coaching.RoleCoach}}
)

// workshopYears is how many years before the current one the history
// reaches: the retention comparison's earlier cohorts.
const workshopYears = 2

// historyStart is where the demo's clock starts: before the earliest
// step of the workshop's history (and so of the pilot cohort's).
func historyStart(now time.Time) time.Time {
	return now.AddDate(-workshopYears-1, 0, 0)
}

// workshopModel is the VALO model as the workshop runs it: its exits
// (close, discontinue, redirect) record the participant's destination
// and schedule the follow-up checkpoints (pathway.Attach), which the
// figures count.
func workshopModel() (*coaching.Model, error) {
	spec := coaching.VALOSpec()
	if err := pathway.Attach(&spec, nil, coaching.ValoClose, coaching.ValoDiscontinue, coaching.ValoRedirect); err != nil {
		return nil, fmt.Errorf("webuidemo: the VALO model's destinations: %w", err)
	}
	m, err := coaching.BuildModel(spec)
	if err != nil {
		return nil, fmt.Errorf("webuidemo: the VALO model: %w", err)
	}
	return m, nil
}

// workshopParticipant is one synthetic participant of the workshop.
type workshopParticipant struct {
	given, family string
	gender        coaching.Gender
	// age is the age on entering.
	age       int
	education coaching.EducationLevel
	// unemployed is the months of unemployment on entering; 0: outside
	// the labour force (inactive), not unemployed.
	unemployed int
	foreign    bool
	// year is the cohort: 0 the current year's (the year up to today),
	// 1 and 2 the years before.
	year int
	// entered is the number of days before today (in the cohort's year)
	// the participant entered: recruitment began.
	entered int
	// coach is the workshop coach: 0 the first, 1 the second.
	coach int
	// ending is the event that ended the period (coaching.ValoClose,
	// ValoDiscontinue, ValoRedirect or ValoDecline); "" an open case.
	ending string
	// dest is where the participant went after the period.
	dest pathway.Kind
}

// workshop is the workshop's participants: eight in each earlier cohort,
// all gone on; this year's twelve admitted, five of them still in their
// period, and one applicant declined. All invented.
var workshop = []workshopParticipant{
	{"Marja", "Hiekkala", coaching.GenderFemale, 44, coaching.EducationVocational, 26, false, 2, 320, 0, coaching.ValoClose, pathway.WorkSubsidised},
	{"Tapani", "Kivelä", coaching.GenderMale, 52, coaching.EducationBasic, 40, false, 2, 300, 1, coaching.ValoClose, pathway.Unemployed},
	{"Riikka", "Lehtola", coaching.GenderFemale, 23, coaching.EducationBasic, 8, false, 2, 280, 0, coaching.ValoClose, pathway.StudiesQualification},
	{"Mikko", "Saarela", coaching.GenderMale, 35, coaching.EducationVocational, 14, false, 2, 250, 1, coaching.ValoClose, pathway.WorkOpen},
	{"Sirpa", "Nummela", coaching.GenderFemale, 58, coaching.EducationBasic, 60, false, 2, 230, 0, coaching.ValoClose, pathway.Unemployed},
	{"Heikki", "Rantala", coaching.GenderMale, 29, coaching.EducationBelowBasic, 18, false, 2, 200, 1, coaching.ValoDiscontinue, pathway.Unemployed},
	{"Leena", "Mäkelä", coaching.GenderFemale, 38, coaching.EducationVocational, 30, false, 2, 170, 0, coaching.ValoClose, pathway.JobSeeking},
	{"Anu", "Koivula", coaching.GenderFemale, 27, coaching.EducationGeneralUpperSecondary, 0, false, 2, 140, 1, coaching.ValoRedirect, pathway.Redirected},

	{"Pirjo", "Vainio", coaching.GenderFemale, 49, coaching.EducationBasic, 36, false, 1, 330, 1, coaching.ValoClose, pathway.WorkSubsidised},
	{"Janne", "Ahola", coaching.GenderMale, 31, coaching.EducationVocational, 13, false, 1, 310, 0, coaching.ValoClose, pathway.WorkOpen},
	{"Kaisa", "Laitila", coaching.GenderFemale, 21, coaching.EducationBasic, 5, false, 1, 290, 1, coaching.ValoClose, pathway.StudiesQualification},
	{"Tero", "Nieminen", coaching.GenderMale, 45, coaching.EducationBasic, 50, false, 1, 260, 0, coaching.ValoClose, pathway.Unemployed},
	{"Elina", "Salmela", coaching.GenderFemale, 33, coaching.EducationVocational, 20, true, 1, 240, 1, coaching.ValoClose, pathway.StudiesOther},
	{"Arto", "Hakala", coaching.GenderMale, 56, coaching.EducationVocational, 70, false, 1, 210, 0, coaching.ValoClose, pathway.Unemployed},
	{"Nina", "Pelkonen", coaching.GenderFemale, 25, coaching.EducationBasic, 0, false, 1, 180, 1, coaching.ValoRedirect, pathway.Redirected},
	{"Sami", "Kettunen", coaching.GenderMale, 40, coaching.EducationBasic, 24, false, 1, 150, 0, coaching.ValoDiscontinue, pathway.OutsideOther},

	{"Tuula", "Heinonen", coaching.GenderFemale, 47, coaching.EducationBasic, 28, false, 0, 335, 1, coaching.ValoClose, pathway.WorkSubsidised},
	{"Petri", "Lahtinen", coaching.GenderMale, 34, coaching.EducationVocational, 15, false, 0, 320, 1, coaching.ValoClose, pathway.WorkOpen},
	{"Jenni", "Rautio", coaching.GenderFemale, 22, coaching.EducationBasic, 9, false, 0, 300, 1, coaching.ValoClose, pathway.StudiesQualification},
	{"Hannu", "Kallio", coaching.GenderMale, 53, coaching.EducationBasic, 44, false, 0, 285, 1, coaching.ValoDiscontinue, pathway.Unemployed},
	{"Satu", "Ojanen", coaching.GenderFemale, 30, coaching.EducationGeneralUpperSecondary, 11, false, 0, 270, 1, coaching.ValoRedirect, pathway.Redirected},
	{"Marko", "Heikkinen", coaching.GenderMale, 39, coaching.EducationVocational, 17, false, 0, 250, 1, coaching.ValoClose, pathway.JobSeeking},
	{"Sanna", "Virta", coaching.GenderFemale, 28, coaching.EducationBasic, 7, false, 0, 230, 0, coaching.ValoClose, pathway.WorkOpen},
	{"Amina", "Hassan", coaching.GenderFemale, 36, coaching.EducationHigher, 19, true, 0, 115, 0, "", ""},
	{"Joonas", "Peltola", coaching.GenderMale, 26, coaching.EducationBasic, 12, false, 0, 95, 0, "", ""},
	{"Minna", "Korhonen", coaching.GenderFemale, 41, coaching.EducationVocational, 33, false, 0, 70, 0, "", ""},
	{"Aleksi", "Harju", coaching.GenderMale, 19, coaching.EducationBasic, 0, false, 0, 30, 0, "", ""},
	{"Pauliina", "Lampinen", coaching.GenderFemale, 50, coaching.EducationBasic, 22, false, 0, 10, 0, "", ""},
	{"Kalle", "Jussila", coaching.GenderMale, 37, coaching.EducationBasic, 16, false, 0, 60, 0, coaching.ValoDecline, ""},
}

// workshopPhases are the days from entering on which a full period's
// events fall (each moved to the next weekday): admitted after 15 days of
// recruitment, then 22 days of induction, 50 of skill acquisition, 21 of
// demonstration and 21 of onward guidance. Each phase ends within its
// deadline (a month; skill acquisition two) even when both of its ends
// move to a Monday.
var workshopPhases = []struct {
	event string
	day   int
}{
	{coaching.ValoAdmit, 15},
	{coaching.ValoStartAcquisition, 37},
	{coaching.ValoStartDemonstration, 87},
	{coaching.ValoStartOnwardGuidance, 108},
	{coaching.ValoClose, 129},
}

// The days from entering of the early endings: a decline after the entry
// assessment, a redirect during induction, a discontinuation in skill
// acquisition.
const (
	declineDay     = 10
	redirectDay    = 30
	discontinueDay = 60
)

// workshopStep is one dated event of a participant's period.
type workshopStep struct {
	day   coaching.Date
	event string
}

// entry is the day the participant entered, when today is today.
func (w workshopParticipant) entry(today coaching.Date) coaching.Date {
	return weekdayFrom(yearsBefore(today.AddDays(-w.entered), w.year))
}

// path is the participant's events from entering, up to the ending or,
// for an open case, up to the last one before today.
func (w workshopParticipant) path(today coaching.Date) []workshopStep {
	start := w.entry(today)
	at := func(days int) coaching.Date { return weekdayFrom(start.AddDays(days)) }
	var out []workshopStep
	for _, ph := range workshopPhases {
		switch {
		case w.ending == coaching.ValoDecline && ph.day > declineDay:
			return append(out, workshopStep{at(declineDay), coaching.ValoDecline})
		case w.ending == coaching.ValoRedirect && ph.day > redirectDay:
			return append(out, workshopStep{at(redirectDay), coaching.ValoRedirect})
		case w.ending == coaching.ValoDiscontinue && ph.day > discontinueDay:
			return append(out, workshopStep{at(discontinueDay), coaching.ValoDiscontinue})
		}
		if w.ending == "" && !at(ph.day).Before(today) {
			return out
		}
		out = append(out, workshopStep{at(ph.day), ph.event})
	}
	return out
}

// admitted reports whether the participant was admitted (the figures
// count only those).
func (w workshopParticipant) admitted() bool { return w.ending != coaching.ValoDecline }

// yearsBefore is d n years earlier (29 February becomes 1 March).
func yearsBefore(d coaching.Date, n int) coaching.Date {
	return coaching.DateOf(d.At(12, 0).AddDate(-n, 0, 0))
}

// The workshop's texts, as its coaches write them.
var (
	workshopReferrals = []string{"TE-toimiston ohjaama.", "Työllisyyspalveluiden ohjaama.", "Hakeutui itse infotilaisuuden jälkeen.",
		"Nuorten työpajan ohjaama."}
	workshopUnits = [][]string{
		{"Perussiivouspalvelut", "Kotityöpalvelut"},
		{"Kiinteistön yleishoito ja valvonta", "Ulkoalueiden hoito"},
		{"Ylläpitosiivouspalvelut"},
	}
	workshopReasons = map[string]string{
		coaching.ValoDecline:     "Sitoutuminen päivittäiseen läsnäoloon ei ole nyt mahdollista",
		coaching.ValoRedirect:    "Soveltuu paremmin lähihoitajan koulutukseen; haki opiskelemaan",
		coaching.ValoDiscontinue: "Pitkä sairausloma; työkyky arvioidaan",
	}
)

// addWorkshop adds the steps of the workshop's history: each
// participant's period, the follow-ups of those who left, and the
// coaches' sessions. It sets d.Workshop and d.WorkshopOpen.
func (d *Demo) addWorkshop(tl *timeline) error {
	sessions, err := session.New(d.Engine)
	if err != nil {
		return fmt.Errorf("webuidemo: the sessions service: %w", err)
	}
	cl, err := caseload.New(d.Engine, nil)
	if err != nil {
		return fmt.Errorf("webuidemo: the caseload service: %w", err)
	}
	today := tl.today
	ids := make([]coaching.CaseID, len(workshop))
	for i, w := range workshop {
		coach := []coaching.Actor{workshopCoach, secondWorkshopCoach}[w.coach]
		steps := w.path(today)
		tl.at(w.entry(today), 9, 30, "enrolling workshop participant "+fmt.Sprint(i), func(ctx context.Context) error {
			c, err := d.Engine.Enrol(ctx, coach, coaching.EnrolParams{Model: coaching.ModelVALO,
				Participant: workshopPerson(w, i, today), Team: []coaching.TeamMember{member(coach, coaching.RoleCoach)}})
			ids[i] = c.ID
			if err == nil && w.admitted() {
				d.Workshop = append(d.Workshop, c.ID)
				if w.ending == "" {
					d.WorkshopOpen = append(d.WorkshopOpen, c.ID)
				}
			}
			return err
		})
		for _, st := range steps {
			tl.at(st.day, 10, 0, "firing "+st.event+" on workshop participant "+fmt.Sprint(i), func(ctx context.Context) error {
				_, err := d.Engine.Fire(ctx, coach, ids[i], st.event, workshopFire(w, i, st))
				return err
			})
		}
		d.addWorkshopSessions(tl, sessions, cl, coach, w, steps, func() coaching.CaseID { return ids[i] })
		if w.ending != "" && w.ending != coaching.ValoDecline {
			d.addFollowUps(tl, coach, w, steps[len(steps)-1].day, func() coaching.CaseID { return ids[i] })
		}
	}
	d.addGroupSessions(tl, sessions, ids)
	return nil
}

// workshopFire is the options of step st of participant i's period: the
// entry assessment, the induction findings, the destination of an
// ending, the reason an early ending needs.
func workshopFire(w workshopParticipant, i int, st workshopStep) *coaching.FireOptions {
	met := coaching.CriterionMet
	o := &coaching.FireOptions{Reason: workshopReasons[st.event]}
	switch st.event {
	case coaching.ValoAdmit:
		o.Payload = coaching.EntryAssessment{Motivation: met, WorkingLifeSkills: met, AttendanceCommitment: met, WorkCommitment: met,
			GoalCommitment: met, Notes: workshopReferrals[i%len(workshopReferrals)]}
	case coaching.ValoDecline:
		o.Payload = coaching.EntryAssessment{Motivation: met, WorkingLifeSkills: met, AttendanceCommitment: coaching.CriterionNotMet,
			WorkCommitment: met, GoalCommitment: coaching.CriterionNotMet, Notes: workshopReferrals[i%len(workshopReferrals)]}
	case coaching.ValoStartAcquisition:
		o.Payload = coaching.InductionFindings{FieldSuitability: "Soveltuu alalle; selviää fyysisestä työstä hyvin.",
			WorkingLifeSkills: "Täsmällinen ja luotettava; tarvitsee tukea asiakastilanteissa.",
			CurrentCompetence: "Ei aiempia alan opintoja.", TargetUnits: workshopUnits[i%len(workshopUnits)]}
	case coaching.ValoClose, coaching.ValoDiscontinue, coaching.ValoRedirect:
		o.Payload = pathway.Destination{Kind: w.dest, Date: st.day}
	}
	return o
}

// workshopPerson is participant i as the workshop enrols them: a birth
// date that gives their age on entering, their background, no identity
// code, an e-mail address at example.fi.
func workshopPerson(w workshopParticipant, i int, today coaching.Date) coaching.Participant {
	entry := w.entry(today)
	born := yearsBefore(entry, w.age).AddDays(-(20 + i*37%300)) // under a year earlier: still w.age on entering
	foreign, disability := w.foreign, i == 1
	b := coaching.Background{Gender: w.gender, EducationLevel: w.education, LabourStatus: coaching.LabourInactive, ForeignBackground: &foreign,
		Disability: &disability}
	if w.unemployed > 0 {
		months := w.unemployed
		b.LabourStatus, b.UnemployedMonths = coaching.LabourUnemployed, &months
	}
	return coaching.Participant{Organisation: Organisation, GivenNames: w.given, FamilyName: w.family, BirthDate: born,
		Language: coaching.Finnish, Contact: coaching.Contact{Email: fmt.Sprintf("pajalainen%d@example.fi", i+1)}, Background: b}
}

// addWorkshopSessions adds the coach's individual sessions with an
// admitted participant: every second week from the week after admission
// up to the ending (or yesterday), an hour and a half each, each a
// meeting logged as the case's contact.
func (d *Demo) addWorkshopSessions(tl *timeline, sessions *session.Service, cl *caseload.Service, coach coaching.Actor, w workshopParticipant,
	steps []workshopStep, id func() coaching.CaseID) {
	if len(steps) == 0 || steps[0].event != coaching.ValoAdmit {
		return
	}
	end := tl.today
	if w.ending != "" {
		end = steps[len(steps)-1].day
	}
	staff := []session.Staff{{ActorID: coach.ID, Role: coaching.RoleCoach}}
	for day := weekdayFrom(steps[0].day.AddDays(7)); day.Before(end); day = weekdayFrom(day.AddDays(14)) {
		tl.at(day, 13, 0, "recording a workshop session", func(ctx context.Context) error {
			_, err := sessions.Record(ctx, coach, session.Session{Kind: session.Individual, Date: day, Cases: []coaching.CaseID{id()},
				Hours: decimal.RequireFromString("1.5"), Staff: staff, Elements: []session.ApproachElement{session.ElementTrust, session.ElementPresence},
				Topic: "Henkilökohtainen valmennus: tavoitteet ja työtehtävät"})
			if err != nil {
				return err
			}
			_, err = cl.LogContact(ctx, coach, caseload.Contact{CaseID: id(), Kind: caseload.ContactMeeting, On: day,
				Note: "Valmennuskeskustelu"})
			return err
		})
	}
}

// workshopGroups are the coaches' group sessions: the first coach's
// every other Wednesday, two hours; the second's every Wednesday, three
// hours.
var workshopGroups = []struct {
	every int
	hours string
}{{14, "2"}, {7, "3"}}

// addGroupSessions adds each coach's group sessions (workshopGroups)
// with their participants in work (admitted and not yet gone on), when
// there are two or more.
func (d *Demo) addGroupSessions(tl *timeline, sessions *session.Service, ids []coaching.CaseID) {
	first := coaching.DateOf(historyStart(tl.latest))
	for first.Weekday() != time.Wednesday {
		first = first.AddDays(1)
	}
	for ci, coach := range []coaching.Actor{workshopCoach, secondWorkshopCoach} {
		staff := []session.Staff{{ActorID: coach.ID, Role: coaching.RoleCoach}}
		hours := decimal.RequireFromString(workshopGroups[ci].hours)
		for day := first; day.Before(tl.today); day = day.AddDays(workshopGroups[ci].every) {
			var members []int
			for i, w := range workshop {
				steps := w.path(tl.today)
				if w.coach != ci || len(steps) == 0 || steps[0].event != coaching.ValoAdmit || !steps[0].day.Before(day) {
					continue
				}
				if w.ending != "" && !day.Before(steps[len(steps)-1].day) {
					continue
				}
				members = append(members, i)
			}
			if len(members) < 2 {
				continue
			}
			tl.at(day, 14, 0, "recording a workshop group session", func(ctx context.Context) error {
				var cases []coaching.CaseID
				for _, i := range members {
					cases = append(cases, ids[i])
				}
				_, err := sessions.Record(ctx, coach, session.Session{Kind: session.Group, Date: day, Cases: cases,
					Hours: hours, Staff: staff, PeerSupport: "Vertaisoppiminen työtehtävissä",
					Elements: []session.ApproachElement{session.ElementParticipation, session.ElementInteraction},
					Topic:    "Ryhmävalmennus: työelämätaidot"})
				return err
			})
		}
	}
}

// addFollowUps adds the follow-ups of a participant who left on left:
// the status found at each checkpoint due before today, recorded on its
// due day (before the morning's tick would send its notice). Upon leaving
// the status is the destination; six months on, one of those who left
// unemployed had found wage-subsidised work.
func (d *Demo) addFollowUps(tl *timeline, coach coaching.Actor, w workshopParticipant, left coaching.Date, id func() coaching.CaseID) {
	sched, err := pathway.NewSchedule(left)
	if err != nil {
		return // left is a calendar date: cannot happen
	}
	for _, cp := range sched.Checkpoints {
		if !cp.Due.Before(tl.today) {
			continue
		}
		status := w.dest
		if cp.Kind == pathway.SixMonths && w.dest == pathway.Unemployed && w.age < 50 {
			status = pathway.WorkSubsidised
		}
		tl.at(cp.Due, 8, 0, "recording a follow-up", func(ctx context.Context) error {
			_, err := pathway.RecordCheckpoint(ctx, d.Engine, coach, id(), pathway.CheckpointResult{Checkpoint: cp, Found: true,
				Status: status, ObservedOn: cp.Due})
			return err
		})
	}
}

// WorkshopOnward is how many of the workshop's admitted participants
// entered in the years given (0 the current year up to today, 1 and 2
// the years before) and went on to a destination of group g; with no
// years, of every year. Open cases count under pathway.GroupUnknown.
func (d *Demo) WorkshopOnward(g pathway.Group, years ...int) int {
	n := 0
	for _, w := range workshop {
		if !w.admitted() || (len(years) > 0 && !slices.Contains(years, w.year)) {
			continue
		}
		if w.dest.Group() == g {
			n++
		}
	}
	return n
}
