// Package attendance keeps students' attendance — lesson and day marks
// with every correction kept, the guardians' daily absence digests, and
// early warning (risk flags raised and cleared by rules over the marks,
// with alerts to the support team). It is a feature built on the coaching
// kernel's extension points: its commands and reads run in policy-scoped
// transactions ([coaching.Engine.Write], [coaching.Engine.Read]; the
// nightly review as the engine's own actor, [coaching.Engine.System]), a
// flag change is one entry in the case's
// audit trail ([coaching.Scope.ChangeCase]), and its data — the marks and
// a small per-case state of flags and running totals — lives behind its
// own store port ([Store], [Reader]), which the store adapters implement.
//
// Recording costs the same however many marks a student already has: the
// early-warning rules declare the window of school days they read
// ([WarningRule.Window]), and what spans the whole case (absence hours)
// comes from running totals the store keeps beside the marks ([Totals]),
// updated by every [Store.PutMarks] in the same transaction.
//
// Absences families report or explain reach attendance through a small
// port, [Excuses] (coaching/absence implements it; [Options.Excuses]): an
// absence marked on a day an accepted report covers is recorded excused,
// and a report or explanation still pending keeps its absences out of
// the guardians' digest and the unexplained rule's count (for
// [ExcuseKeep] days after each day). A feature corrects marks and re-runs early
// warning inside its own scope with [Service.CorrectIn],
// [Service.RefreshIn] (the guardians' digests of a request's days) and
// [Service.ReviewIn]; staff keep their own status against a family's
// report with [MarkInput.Override].
package attendance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// Status is what an attendance mark says.
type Status string

// Attendance statuses.
const (
	Present Status = "present"
	// Late: present, but late.
	Late Status = "late"
	// Unexplained: absent without an accepted explanation (yet). Only these
	// absences are told to guardians.
	Unexplained Status = "absent_unexplained"
	// Explained: absent with an accepted explanation (Reason).
	Explained Status = "absent_explained"
	// Sick: absent because of illness.
	Sick Status = "sick"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case Present, Late, Unexplained, Explained, Sick:
		return true
	}
	return false
}

// Absent reports whether the status is an absence of any kind.
func (s Status) Absent() bool {
	return s == Unexplained || s == Explained || s == Sick
}

// AbsenceReason is the category of an explained absence. It is internal to
// the school: guardians' notices never carry it.
type AbsenceReason string

// Absence reason categories.
const (
	ReasonAppointment AbsenceReason = "appointment" // a doctor's or other appointment
	ReasonFamily      AbsenceReason = "family"      // family reasons
	ReasonOfficial    AbsenceReason = "official"    // an authority's summons
	ReasonLeave       AbsenceReason = "leave"       // leave granted in advance
	ReasonSchool      AbsenceReason = "school"      // school business (a competition, a trip)
	ReasonOther       AbsenceReason = "other"
)

// Valid reports whether r is a known reason category.
func (r AbsenceReason) Valid() bool {
	switch r {
	case ReasonAppointment, ReasonFamily, ReasonOfficial, ReasonLeave, ReasonSchool, ReasonOther:
		return true
	}
	return false
}

// Mark is one attendance mark: a case's attendance on a civil date
// (Helsinki), for one lesson or coaching session, or for the whole day
// (Lesson ""). Marks are corrected by writing a new revision; every revision
// is kept, so the history shows who changed what and when.
type Mark struct {
	CaseID coaching.CaseID `json:"case_id"`
	Date   coaching.Date   `json:"date"`
	// Lesson identifies the lesson or session within the day; "" is the
	// whole day.
	Lesson string `json:"lesson,omitempty"`
	// Title is what a guardian may see of the lesson, e.g.
	// "Matematiikka 8.15–9.45".
	Title string `json:"title,omitempty"`
	// Minutes is the scheduled length (absence hours add these up).
	Minutes int    `json:"minutes"`
	Status  Status `json:"status"`
	// Reason is the category of an explained absence.
	Reason AbsenceReason `json:"reason,omitempty"`
	// Revision counts the mark's versions from 1.
	Revision int       `json:"revision"`
	At       time.Time `json:"at"`
	By       string    `json:"by"`
}

// Key returns the mark's identity within its case: date and lesson.
func (m Mark) Key() MarkKey { return MarkKey{Date: m.Date, Lesson: m.Lesson} }

// MarkKey identifies a mark within a case.
type MarkKey struct {
	Date   coaching.Date
	Lesson string
}

// Less orders keys by date, then lesson.
func (k MarkKey) Less(o MarkKey) bool {
	if c := k.Date.Compare(o.Date); c != 0 {
		return c < 0
	}
	return k.Lesson < o.Lesson
}

// sameContent reports whether two marks say the same thing (a re-save of an
// identical mark is not a correction).
func (m Mark) sameContent(o Mark) bool {
	return m.Status == o.Status && m.Reason == o.Reason && m.Title == o.Title && m.Minutes == o.Minutes
}

// MarkInput is one mark given to [Service.Record].
type MarkInput struct {
	CaseID  coaching.CaseID `json:"case_id"`
	Date    coaching.Date   `json:"date"`
	Lesson  string          `json:"lesson,omitempty"`
	Title   string          `json:"title,omitempty"`
	Minutes int             `json:"minutes"`
	Status  Status          `json:"status"`
	Reason  AbsenceReason   `json:"reason,omitempty"`
	// Override: the status stands as given — a family's accepted report
	// or leave covering the lesson does not turn an unexplained absence
	// into an excused one ([Options.Excuses]). Staff set it when they
	// know better than the report (the student was seen elsewhere).
	Override bool `json:"override,omitempty"`
}

func (in MarkInput) validate(path string, today coaching.Date) []coaching.FieldProblem {
	var pr []coaching.FieldProblem
	add := func(field, format string, args ...any) {
		pr = append(pr, coaching.FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if in.CaseID == "" {
		add(path+".case_id", "required")
	}
	switch {
	case in.Date.IsZero():
		add(path+".date", "required")
	case !in.Date.Valid():
		add(path+".date", "not a calendar date")
	case in.Date.After(today):
		add(path+".date", "is in the future")
	}
	pr = append(pr, coaching.TextProblems(path+".lesson", in.Lesson, 100, false)...)
	pr = append(pr, coaching.TextProblems(path+".title", in.Title, 200, false)...)
	if in.Minutes < 0 || in.Minutes > 24*60 {
		add(path+".minutes", "must be 0–1440")
	}
	if !in.Status.Valid() {
		add(path+".status", "must be present, late, absent_unexplained, absent_explained or sick, got %q", in.Status)
	}
	switch {
	case in.Status == Explained && !in.Reason.Valid():
		add(path+".reason", "an explained absence needs a reason category (appointment, family, official, leave, school, other)")
	case in.Status != Explained && in.Reason != "":
		add(path+".reason", "only an explained absence has a reason")
	}
	return pr
}

// RiskFlag is an early-warning flag on a case: a warning rule's condition
// holds. It is cleared when the condition no longer holds.
type RiskFlag struct {
	Rule   string    `json:"rule"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
	// Seq is the audit entry that raised the flag.
	Seq int64 `json:"seq"`
}

// AuditAbsences is the audit kind of a recording checked against the
// families' requests ([Options.Excuses]): unexplained absences marked on
// a case whose requests may excuse them are one new case version per
// recording, so that a request decided at the same time conflicts with it
// instead of both missing the other.
const AuditAbsences coaching.AuditKind = "absences"

// AuditRisk is the audit kind of a change of a case's risk flags, written
// through [coaching.Scope.ChangeCase].
const AuditRisk coaching.AuditKind = "risk"

// Totals are running totals of a case's current marks (the latest
// revision of each): the store keeps them beside the marks and adjusts
// them on every [Store.PutMarks] — a new mark adds itself, a correction
// the difference between the revision it replaces and itself — so that
// what spans the whole case is read without reading the marks.
type Totals struct {
	// Marks counts the current marks; Minutes adds up their scheduled
	// minutes.
	Marks   int `json:"marks"`
	Minutes int `json:"minutes"`
	// AbsentMarks and AbsentMinutes count the absences of every kind
	// (unexplained, explained, sick).
	AbsentMarks   int `json:"absent_marks"`
	AbsentMinutes int `json:"absent_minutes"`
	// Unexplained counts the unexplained absences.
	Unexplained int `json:"unexplained"`
}

// Apply adjusts the totals for next replacing prev, the mark's revision
// before it (nil for a new mark). Stores call it in PutMarks, so every
// adapter counts alike.
func (t *Totals) Apply(prev *Mark, next Mark) {
	if prev != nil {
		t.add(*prev, -1)
	}
	t.add(next, 1)
}

func (t *Totals) add(m Mark, sign int) {
	t.Marks += sign
	t.Minutes += sign * m.Minutes
	if m.Status.Absent() {
		t.AbsentMarks += sign
		t.AbsentMinutes += sign * m.Minutes
	}
	if m.Status == Unexplained {
		t.Unexplained += sign
	}
}

// Recount returns the totals of marks, the current marks of one case.
func Recount(marks []Mark) Totals {
	var t Totals
	for _, m := range marks {
		t.add(m, 1)
	}
	return t
}

// Day is the running totals of a case's current marks on one date: the
// store keeps them beside the marks as it keeps the case's [Totals], so
// that the early-warning rules read a day as one small row however many
// lessons it had.
type Day struct {
	Date coaching.Date `json:"date"`
	Totals
}

// DaysOf returns the days of marks (the current marks of one case,
// ordered by date), oldest first: what [Reader.RecentDays] returns for
// them. Stores and tests use it to count days alike.
func DaysOf(marks []Mark) []Day {
	n := 0
	for i := range marks {
		if i == 0 || marks[i].Date != marks[i-1].Date {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]Day, 0, n)
	for _, m := range marks {
		if n := len(out); n == 0 || out[n-1].Date != m.Date {
			out = append(out, Day{Date: m.Date})
		}
		out[len(out)-1].add(m, 1)
	}
	return out
}

// State is what the feature keeps per case beside the marks: the flags
// raised and not cleared, and the running totals.
type State struct {
	Flags  []RiskFlag `json:"flags,omitempty"`
	Totals Totals     `json:"totals"`
}

// Flag returns the state's flag of a rule.
func (s State) Flag(rule string) (RiskFlag, bool) {
	for _, f := range s.Flags {
		if f.Rule == rule {
			return f, true
		}
	}
	return RiskFlag{}, false
}

// Reader is the read side of attendance's store port: the transactions of
// a store adapter that keeps attendance implement it (the memory, SQLite
// and PostgreSQL stores do; adapters/storetest.RunAttendance proves one).
// Returned slices may share memory with the store: do not modify them.
type Reader interface {
	// Marks returns the case's current attendance marks (the latest
	// revision of each) dated from..to inclusive, ordered by date then
	// lesson. A zero from or to leaves that end open.
	Marks(ctx context.Context, id coaching.CaseID, from, to coaching.Date) ([]Mark, error)
	// MarkHistory returns every revision of one mark, oldest first (empty
	// when there is none).
	MarkHistory(ctx context.Context, id coaching.CaseID, key MarkKey) ([]Mark, error)
	// RecentMarks returns the case's current marks on the last days
	// distinct dates that have marks, dated on or before to, ordered by
	// date then lesson (empty when days <= 0). It reads only those days,
	// however many marks the case has: the window of a rule that asks for
	// marks (Window.Marks).
	RecentMarks(ctx context.Context, id coaching.CaseID, to coaching.Date, days int) ([]Mark, error)
	// RecentDays returns the totals of the case's current marks on each of
	// the last days distinct dates that have marks, dated on or before
	// to, oldest first (empty when days <= 0): the early-warning rules'
	// windows, one row a day, however many marks the case has.
	RecentDays(ctx context.Context, id coaching.CaseID, to coaching.Date, days int) ([]Day, error)
	// State returns the case's flags and running totals; the zero State
	// for a case with neither.
	State(ctx context.Context, id coaching.CaseID) (State, error)
}

// Store is attendance's store port: a write transaction of an adapter
// that keeps attendance.
type Store interface {
	Reader
	// PutMarks stores attendance marks and adjusts the running totals —
	// the case's (State.Totals) and the mark's date's (RecentDays) — with
	// [Totals.Apply], in the same transaction.
	// Each mark's Revision must be exactly one more than the latest
	// revision of that (case, date, lesson) — 1 for a new mark — or a
	// *coaching.ConflictError is returned; revisions are never replaced.
	PutMarks(ctx context.Context, marks []Mark) error
	// PutFlags replaces the case's flags (the totals stay).
	PutFlags(ctx context.Context, id coaching.CaseID, flags []RiskFlag) error
}

// lessonList writes lessons for a guardian: titles, or the lesson ids when
// a mark has no title.
func lessonList(ms []Mark) string {
	names := make([]string, 0, len(ms))
	for _, m := range ms {
		switch {
		case m.Title != "":
			names = append(names, m.Title)
		case m.Lesson != "":
			names = append(names, m.Lesson)
		default:
			names = append(names, "—")
		}
	}
	return strings.Join(names, ", ")
}

// fmtHours writes minutes as hours with one decimal.
func fmtHours(minutes int) string {
	return fmt.Sprintf("%d.%d", minutes/60, (minutes%60)*10/60)
}
