package main

import (
	"fmt"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/session"
)

// The autumn term of 2026 and its holiday (week 42).
var (
	TermStart    = coaching.NewDate(2026, 8, 10)
	TermEnd      = coaching.NewDate(2026, 12, 18)
	HolidayStart = coaching.NewDate(2026, 10, 12)
	HolidayEnd   = coaching.NewDate(2026, 10, 16)
)

// SchoolDay reports whether d has lessons: Monday–Friday in the term,
// outside the autumn holiday.
func SchoolDay(d coaching.Date) bool {
	if d.Before(TermStart) || d.After(TermEnd) {
		return false
	}
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return d.Before(HolidayStart) || d.After(HolidayEnd)
}

// The support team of the class, and the teachers who take attendance.
var (
	tutor = staff{ID: "tutor-1", Name: "Henna Laaksonen", Role: coaching.RolePersonalTutor}
	coach = staff{ID: "coach-1", Name: "Mikko Salmi", Role: coaching.RoleCoach}
	snt   = staff{ID: "snt-1", Name: "Riikka Aalto", Role: coaching.RoleSpecialNeedsTeacher}
	cur   = staff{ID: "curator-1", Name: "Sanna Heino", Role: coaching.RoleCurator}
	nurse = staff{ID: "nurse-1", Name: "Päivi Koskinen", Role: coaching.RoleNurse}

	teacherConstruction = staff{ID: "teacher-rak", Name: "Kari Lahtinen", Role: coaching.RoleTeacher}
	teacherSurface      = staff{ID: "teacher-pin", Name: "Outi Hakala", Role: coaching.RoleTeacher}
	teacherCommon       = staff{ID: "teacher-yto", Name: "Laura Mustonen", Role: coaching.RoleTeacher}

	// head is the head of studies: the organisation's figures are theirs.
	head = staff{ID: "head-1", Name: "Jari Niemi", Role: coaching.RoleHeadOfStudies}
)

// staff is a member of staff.
type staff struct {
	ID   string
	Name string
	Role coaching.Role
}

func (s staff) actor() coaching.Actor {
	return coaching.Actor{ID: s.ID, Name: s.Name, Organisation: "oppilaitos-1", Roles: []coaching.Role{s.Role}}
}

func (s staff) member() coaching.TeamMember {
	return coaching.TeamMember{ActorID: s.ID, Role: s.Role, Name: s.Name, Language: coaching.Finnish,
		Contact: coaching.Contact{Email: s.ID + "@oppilaitos.example"}}
}

func (s staff) session() session.Staff {
	return session.Staff{ActorID: s.ID, Role: s.Role}
}

// lesson is one slot of the timetable.
type lesson struct {
	ID      string // L1…L4
	Hour    int    // start, Helsinki wall clock
	Minute  int
	Subject string
	Teacher staff
}

// Minutes is the length of every lesson.
const lessonMinutes = 90

// slots are the start times of the four daily lessons.
var slots = [4][2]int{{8, 15}, {10, 0}, {12, 15}, {14, 0}}

// GroupCoachingLesson is the Wednesday slot of group coaching.
const groupCoachingLesson = 2

var subjects = map[time.Weekday][4]string{
	time.Monday:    {"Rakentamisen perusteet", "Rakentamisen perusteet", "Matematiikka", "Viestintä ja vuorovaikutus"},
	time.Tuesday:   {"Pintakäsittelyn perusteet", "Pintakäsittelyn perusteet", "Työturvallisuus", "Liikunta"},
	time.Wednesday: {"Matematiikka", "Äidinkieli", "Ryhmävalmennus", "Työpaja"},
	time.Thursday:  {"Työpaja", "Työpaja", "Englanti", "Opiskeluvalmiudet"},
	time.Friday:    {"Materiaalit ja työvälineet", "Materiaalit ja työvälineet", "Yhteiskunta ja työelämä", "Työpaja"},
}

// Timetable returns the day's four lessons.
func Timetable(d coaching.Date) [4]lesson {
	var out [4]lesson
	names := subjects[d.Weekday()]
	for i := range out {
		t := teacherCommon
		switch names[i] {
		case "Rakentamisen perusteet", "Työpaja", "Materiaalit ja työvälineet":
			t = teacherConstruction
		case "Pintakäsittelyn perusteet", "Työturvallisuus":
			t = teacherSurface
		case "Ryhmävalmennus":
			t = coach
		}
		out[i] = lesson{ID: fmt.Sprintf("L%d", i+1), Hour: slots[i][0], Minute: slots[i][1], Subject: names[i], Teacher: t}
	}
	return out
}

// Title is what a guardian sees of the lesson: "Matematiikka 12.15–13.45".
func (l lesson) Title() string {
	end := l.Hour*60 + l.Minute + lessonMinutes
	return fmt.Sprintf("%s %d.%02d–%d.%02d", l.Subject, l.Hour, l.Minute, end/60, end%60)
}

// scripted are absences the story of the term needs on top of the random
// ones: the student who comes of age, the adults, the guardian without
// contact details, the guardians in Swedish and English, and the day that
// is explained afterwards.
type scripted struct {
	student int
	date    coaching.Date
	lessons []int // 0-based
}

var script = []scripted{
	{idxTurns18, coaching.NewDate(2026, 9, 8), []int{0, 1}},
	{idxTurns18, coaching.NewDate(2026, 10, 20), []int{3}},
	{idxTurns18, coaching.NewDate(2026, 11, 4), []int{2, 3}}, // the birthday itself: an adult
	{idxTurns18, coaching.NewDate(2026, 11, 26), []int{0}},
	{idxConsent, coaching.NewDate(2026, 9, 24), []int{2, 3}},
	{idxConsent, coaching.NewDate(2026, 11, 19), []int{0}},
	{idxNoConsent, coaching.NewDate(2026, 9, 3), []int{0, 1}},
	{idxNoConsent, coaching.NewDate(2026, 10, 28), []int{3}},
	{idxUnreachable, coaching.NewDate(2026, 8, 27), []int{1}},
	{idxSwedish, coaching.NewDate(2026, 9, 17), []int{3}},
	{idxEnglish, coaching.NewDate(2026, 10, 6), []int{0, 1}},
	{idxCorrection, CorrectionDay, []int{0, 1, 2, 3}},
	// The Monday after the clocks went back (a 25-hour Sunday before it).
	{idxSwedish, coaching.NewDate(2026, 10, 26), []int{0}},
}

// CorrectionDay is the day whose absences are explained the day after the
// digest went out.
var CorrectionDay = coaching.NewDate(2026, 9, 22)

// CorrectedBeforeDay is a day a student is marked absent from the first
// lesson, arrives late and the mark is corrected before the digest.
var CorrectedBeforeDay = coaching.NewDate(2026, 9, 1)

// RedirectDay is when a student moves to a better-suited field.
var RedirectDay = coaching.NewDate(2026, 11, 16)

// approach themes of the weekly group coaching, in turn.
var groupThemes = []struct {
	topic    string
	elements []session.ApproachElement
	peer     string
}{
	{"ryhmäytyminen ja tutustuminen", []session.ApproachElement{session.ElementTrust, session.ElementInteraction}, "parihaastattelut"},
	{"opiskelutaidot ja Wilma", []session.ApproachElement{session.ElementParticipation, session.ElementPresence}, ""},
	{"ajanhallinta ja uni", []session.ApproachElement{session.ElementPresence, session.ElementAppreciation}, ""},
	{"ryhmän pelisäännöt", []session.ApproachElement{session.ElementParticipation, session.ElementInteraction}, "pienryhmät sopivat säännöt yhdessä"},
	{"onnistumiset työpajassa", []session.ApproachElement{session.ElementAppreciation, session.ElementEmotionalConnection}, "opiskelijat esittelivät työnsä toisilleen"},
	{"tunteet ja stressi", []session.ApproachElement{session.ElementEmotionalConnection, session.ElementTrust}, ""},
}
