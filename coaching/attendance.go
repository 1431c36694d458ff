package coaching

import (
	"fmt"
	"strings"
	"time"
)

// AttendanceStatus is what an attendance mark says.
type AttendanceStatus string

// Attendance statuses.
const (
	AttendancePresent AttendanceStatus = "present"
	// AttendanceLate: present, but late.
	AttendanceLate AttendanceStatus = "late"
	// AttendanceUnexplained: absent without an accepted explanation (yet).
	// Only these absences are told to guardians.
	AttendanceUnexplained AttendanceStatus = "absent_unexplained"
	// AttendanceExplained: absent with an accepted explanation (Reason).
	AttendanceExplained AttendanceStatus = "absent_explained"
	// AttendanceSick: absent because of illness.
	AttendanceSick AttendanceStatus = "sick"
)

// Valid reports whether s is a known status.
func (s AttendanceStatus) Valid() bool {
	switch s {
	case AttendancePresent, AttendanceLate, AttendanceUnexplained, AttendanceExplained, AttendanceSick:
		return true
	}
	return false
}

// Absent reports whether the status is an absence of any kind.
func (s AttendanceStatus) Absent() bool {
	return s == AttendanceUnexplained || s == AttendanceExplained || s == AttendanceSick
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
	CaseID CaseID `json:"case_id"`
	Date   Date   `json:"date"`
	// Lesson identifies the lesson or session within the day; "" is the
	// whole day.
	Lesson string `json:"lesson,omitempty"`
	// Title is what a guardian may see of the lesson, e.g.
	// "Matematiikka 8.15–9.45".
	Title string `json:"title,omitempty"`
	// Minutes is the scheduled length (absence hours add these up).
	Minutes int              `json:"minutes"`
	Status  AttendanceStatus `json:"status"`
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
	Date   Date
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

// MarkInput is one mark given to [Engine.RecordAttendance].
type MarkInput struct {
	CaseID  CaseID           `json:"case_id"`
	Date    Date             `json:"date"`
	Lesson  string           `json:"lesson,omitempty"`
	Title   string           `json:"title,omitempty"`
	Minutes int              `json:"minutes"`
	Status  AttendanceStatus `json:"status"`
	Reason  AbsenceReason    `json:"reason,omitempty"`
}

func (in MarkInput) validate(pr *problems, path string, today Date) {
	if in.CaseID == "" {
		pr.add(path+".case_id", "required")
	}
	switch {
	case in.Date.IsZero():
		pr.add(path+".date", "required")
	case !in.Date.Valid():
		pr.add(path+".date", "not a calendar date")
	case in.Date.After(today):
		pr.add(path+".date", "is in the future")
	}
	checkText(pr, path+".lesson", in.Lesson, 100)
	checkText(pr, path+".title", in.Title, 200)
	if in.Minutes < 0 || in.Minutes > 24*60 {
		pr.add(path+".minutes", "must be 0–1440")
	}
	if !in.Status.Valid() {
		pr.add(path+".status", "must be present, late, absent_unexplained, absent_explained or sick, got %q", in.Status)
	}
	switch {
	case in.Status == AttendanceExplained && !in.Reason.Valid():
		pr.add(path+".reason", "an explained absence needs a reason category (appointment, family, official, leave, school, other)")
	case in.Status != AttendanceExplained && in.Reason != "":
		pr.add(path+".reason", "only an explained absence has a reason")
	}
}

// ConsentRecord is an adult student's consent to let their guardians keep
// seeing their studies after they turn 18 (given and possibly withdrawn,
// both as civil dates).
type ConsentRecord struct {
	GivenOn     Date `json:"given_on,omitzero"`
	WithdrawnOn Date `json:"withdrawn_on,omitzero"`
	// GivenVia says how the consent was given: by the student signed in
	// (ConsentBySelf) or in writing, recorded by staff (ConsentInWriting).
	GivenVia ConsentVia `json:"given_via,omitempty"`
	// RecordedBy is the actor who recorded the consent's latest change, at
	// RecordedAt ([Engine.RecordGuardianConsent],
	// [Engine.WithdrawGuardianConsent]).
	RecordedBy string    `json:"recorded_by,omitempty"`
	RecordedAt time.Time `json:"recorded_at,omitzero"`
}

// ConsentVia is how a consent was given.
type ConsentVia string

// Ways of giving consent.
const (
	// ConsentBySelf: the student recorded it themself, signed in.
	ConsentBySelf ConsentVia = "self"
	// ConsentInWriting: staff recorded the student's written consent.
	ConsentInWriting ConsentVia = "written"
)

// ActiveOn reports whether the consent holds on d: given on or before d and
// not withdrawn on or before d.
func (c ConsentRecord) ActiveOn(d Date) bool {
	return !c.GivenOn.IsZero() && !c.GivenOn.After(d) && (c.WithdrawnOn.IsZero() || c.WithdrawnOn.After(d))
}

// GuardiansInformedOn reports whether the participant's guardians may be
// told about the participant on civil date d: while the participant is
// under 18, and afterwards only with the adult's consent in force.
func (p Participant) GuardiansInformedOn(d Date) bool {
	return p.MinorOn(d) || p.GuardianConsent.ActiveOn(d)
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

// Flag returns the case's flag of a rule.
func (c Case) Flag(rule string) (RiskFlag, bool) {
	for _, f := range c.Flags {
		if f.Rule == rule {
			return f, true
		}
	}
	return RiskFlag{}, false
}

// AuditRisk is the audit kind of a change of a case's risk flags.
const AuditRisk AuditKind = "risk"

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
