package coaching

import (
	"fmt"
	"slices"
)

// AttendanceHistory is what an early-warning rule looks at: a case and its
// current attendance marks up to Today, ordered by date then lesson.
type AttendanceHistory struct {
	Case  Case
	Marks []Mark
	Today Date

	// absent memoises AbsentMinutes for the rules that share it.
	absent      int
	absentKnown bool
}

// AbsentMinutes returns the minutes of absence of every kind up to Today
// (computed once per history: several rules ask).
func (h *AttendanceHistory) AbsentMinutes() int {
	if !h.absentKnown {
		for _, m := range h.Marks {
			if m.Status.Absent() && !m.Date.After(h.Today) {
				h.absent += m.Minutes
			}
		}
		h.absentKnown = true
	}
	return h.absent
}

// schoolDays returns how many distinct dates with marks (up to Today) the
// last limit school days span, and the oldest of them: the school's
// calendar as this student's marks show it.
func (h *AttendanceHistory) schoolDays(limit int) (n int, oldest Date) {
	var last Date
	for i := len(h.Marks) - 1; i >= 0; i-- {
		d := h.Marks[i].Date
		if d.After(h.Today) || d == last {
			continue
		}
		if n == limit {
			break
		}
		n++
		last = d
	}
	return n, last
}

// since returns the marks dated on or after from (and not after Today).
func (h *AttendanceHistory) since(from Date) []Mark {
	i, _ := slices.BinarySearchFunc(h.Marks, from, func(m Mark, d Date) int { return m.Date.Compare(d) })
	out := h.Marks[i:]
	j := len(out)
	for j > 0 && out[j-1].Date.After(h.Today) {
		j--
	}
	return out[:j]
}

// WarningRule is an early-warning rule: a plain Go value the host can
// replace or add to ([Options.Attendance]). Check reports whether the
// condition holds for a case and why, in words for staff; the team members
// with the Notify roles are alerted once when it starts to hold, and the
// case's flag clears when it no longer holds.
type WarningRule interface {
	Name() string
	Notify() []Role
	Check(h *AttendanceHistory) (hit bool, reason string)
}

// AttendanceRateRule warns when attendance (present or late, weighted by
// minutes; by marks when no minutes are recorded) over the last SchoolDays
// completed school days is below MinPercent. Today is not judged until it is
// over: with attendance marked lesson by lesson, a half-marked day would
// flag a student in the morning and clear the flag in the afternoon. It
// needs at least MinDays school days of marks before it judges.
type AttendanceRateRule struct {
	RuleName    string
	MinPercent  int
	SchoolDays  int
	MinDays     int
	NotifyRoles []Role
}

// Name implements WarningRule.
func (r AttendanceRateRule) Name() string { return r.RuleName }

// Notify implements WarningRule.
func (r AttendanceRateRule) Notify() []Role { return r.NotifyRoles }

// Check implements WarningRule.
func (r AttendanceRateRule) Check(h *AttendanceHistory) (bool, string) {
	done := AttendanceHistory{Case: h.Case, Marks: h.Marks, Today: h.Today.AddDays(-1)}
	days, oldest := done.schoolDays(r.SchoolDays)
	if days < max(r.MinDays, 1) {
		return false, ""
	}
	var attended, scheduled, attendedMarks, marks int
	for _, m := range done.since(oldest) {
		marks++
		scheduled += m.Minutes
		if !m.Status.Absent() {
			attendedMarks++
			attended += m.Minutes
		}
	}
	if scheduled == 0 {
		attended, scheduled = attendedMarks, marks
	}
	// attended/scheduled < MinPercent/100, in integers.
	if attended*100 >= r.MinPercent*scheduled {
		return false, ""
	}
	return true, fmt.Sprintf("attendance %s %% over the last %d school days (below %d %%)", percentOneDecimal(attended, scheduled), days, r.MinPercent)
}

// UnexplainedRule warns when there are at least Count unexplained absences
// (marks) within the last SchoolDays school days.
type UnexplainedRule struct {
	RuleName    string
	Count       int
	SchoolDays  int
	NotifyRoles []Role
}

// Name implements WarningRule.
func (r UnexplainedRule) Name() string { return r.RuleName }

// Notify implements WarningRule.
func (r UnexplainedRule) Notify() []Role { return r.NotifyRoles }

// Check implements WarningRule.
func (r UnexplainedRule) Check(h *AttendanceHistory) (bool, string) {
	days, oldest := h.schoolDays(r.SchoolDays)
	if days == 0 {
		return false, ""
	}
	n := 0
	for _, m := range h.since(oldest) {
		if m.Status == AttendanceUnexplained {
			n++
		}
	}
	if n < r.Count {
		return false, ""
	}
	return true, fmt.Sprintf("%d unexplained absences within the last %d school days", n, days)
}

// AbsenceHoursRule warns when the absences of every kind since the case
// opened add up to at least Hours hours ("poissaolon portaat": each
// threshold alerts a wider circle).
type AbsenceHoursRule struct {
	RuleName    string
	Hours       int
	NotifyRoles []Role
}

// Name implements WarningRule.
func (r AbsenceHoursRule) Name() string { return r.RuleName }

// Notify implements WarningRule.
func (r AbsenceHoursRule) Notify() []Role { return r.NotifyRoles }

// Check implements WarningRule.
func (r AbsenceHoursRule) Check(h *AttendanceHistory) (bool, string) {
	minutes := h.AbsentMinutes()
	if minutes < r.Hours*60 {
		return false, ""
	}
	return true, fmt.Sprintf("%s hours of absence (threshold %d h)", fmtHours(minutes), r.Hours)
}

// DefaultWarningRules are the defaults of reference domain.md §2:
// attendance below 90 % over the last 20 completed school days; 3 unexplained
// absences within 10 school days (both to the personal tutor); and the
// absence-hour steps 25 h (personal tutor), 30 h (and the curator), 50 h
// (and the head of studies) and 70 h (and the study counsellor).
func DefaultWarningRules() []WarningRule {
	tutor := []Role{RolePersonalTutor}
	return []WarningRule{
		AttendanceRateRule{RuleName: "attendance_below_90", MinPercent: 90, SchoolDays: 20, MinDays: 5, NotifyRoles: tutor},
		UnexplainedRule{RuleName: "unexplained_3_in_10", Count: 3, SchoolDays: 10, NotifyRoles: tutor},
		AbsenceHoursRule{RuleName: "absence_25h", Hours: 25, NotifyRoles: tutor},
		AbsenceHoursRule{RuleName: "absence_30h", Hours: 30, NotifyRoles: []Role{RolePersonalTutor, RoleCurator}},
		AbsenceHoursRule{RuleName: "absence_50h", Hours: 50, NotifyRoles: []Role{RolePersonalTutor, RoleCurator, RoleHeadOfStudies}},
		AbsenceHoursRule{RuleName: "absence_70h", Hours: 70, NotifyRoles: []Role{RolePersonalTutor, RoleCurator, RoleHeadOfStudies, RoleStudyCounsellor}},
	}
}

// Warning is one rule whose condition holds.
type Warning struct {
	Rule   WarningRule
	Reason string
}

// EvaluateWarnings runs every rule over a case's attendance history and
// returns the warnings whose conditions hold, in rule order.
func EvaluateWarnings(rules []WarningRule, h *AttendanceHistory) []Warning {
	var out []Warning
	for _, r := range rules {
		if hit, reason := r.Check(h); hit {
			out = append(out, Warning{Rule: r, Reason: reason})
		}
	}
	return out
}

// percentOneDecimal returns 100·a/b rounded half up to one decimal, in
// integer arithmetic.
func percentOneDecimal(a, b int) string {
	if b <= 0 {
		return "-"
	}
	tenths := (2*1000*a + b) / (2 * b)
	return fmt.Sprintf("%d.%d", tenths/10, tenths%10)
}
