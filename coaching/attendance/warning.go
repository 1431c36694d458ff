package attendance

import (
	"fmt"

	"github.com/valmennus/valmennus/coaching"
)

// History is what an early-warning rule looks at: a case, the totals of
// its marks on each school day the rules' windows cover ([Window]) up to
// Today, and the running totals of all its marks. The days and marks
// before the windows are not read: a rule costs the same however long the
// case has run.
type History struct {
	Case coaching.Case
	// Days are the totals of the last school days (dates with marks) the
	// rules asked for — the largest Window.SchoolDays among them — dated
	// on or before Today, oldest first.
	Days []Day
	// Marks are the current marks of the same days, ordered by date then
	// lesson, when a rule asked for them (Window.Marks); nil otherwise.
	Marks []Mark
	// Totals are the running totals of every current mark of the case.
	Totals Totals
	Today  coaching.Date
	// Pending counts, for a date of Days, the unexplained marks whose
	// explanation a family submitted and nobody has decided yet
	// ([Options.Excuses]); [UnexplainedRule] does not count them. Nil
	// when there are none.
	Pending map[coaching.Date]int
}

// pendingIn adds up Pending over the last limit days of h.Days dated on
// or before end: the days lastDays counts.
func (h *History) pendingIn(limit int, end coaching.Date) int {
	if len(h.Pending) == 0 {
		return 0
	}
	n, sum := 0, 0
	for i := len(h.Days) - 1; i >= 0 && n < limit; i-- {
		d := h.Days[i]
		if d.Date.After(end) {
			continue
		}
		n++
		sum += min(h.Pending[d.Date], d.Unexplained)
	}
	return sum
}

// AbsentMinutes returns the minutes of absence of every kind since the
// case opened (the running totals).
func (h *History) AbsentMinutes() int { return h.Totals.AbsentMinutes }

// lastDays adds up the last limit days of h.Days dated on or before end
// and returns how many there were.
func (h *History) lastDays(limit int, end coaching.Date) (n int, sum Totals) {
	for i := len(h.Days) - 1; i >= 0 && n < limit; i-- {
		d := h.Days[i]
		if d.Date.After(end) {
			continue
		}
		n++
		sum.Marks += d.Marks
		sum.Minutes += d.Minutes
		sum.AbsentMarks += d.AbsentMarks
		sum.AbsentMinutes += d.AbsentMinutes
		sum.Unexplained += d.Unexplained
	}
	return n, sum
}

// Window is what a rule reads of a case's marks: the totals of each of the
// last SchoolDays school days (distinct dates with marks) up to and
// including today, and with Marks, the marks of those days themselves.
// Zero reads nothing (the rule judges by the running totals). Recording
// and reviewing read the largest window of the rules, so a rule costs the
// same however long the case has run.
type Window struct {
	SchoolDays int
	Marks      bool
}

// WarningRule is an early-warning rule: a plain Go value the host can
// replace or add to ([Options.WarningRules]). Window says which marks it
// reads; Check reports whether the condition holds for a case and why, in
// words for staff; the team members with the Notify roles are alerted once
// when it starts to hold, and the case's flag clears when it no longer
// holds.
type WarningRule interface {
	Name() string
	Notify() []coaching.Role
	Window() Window
	Check(h *History) (hit bool, reason string)
}

// RateRule warns when attendance (present or late, weighted by minutes;
// by marks when no minutes are recorded) over the last SchoolDays
// completed school days is below MinPercent. Today is not judged until it
// is over: with attendance marked lesson by lesson, a half-marked day
// would flag a student in the morning and clear the flag in the afternoon.
// It needs at least MinDays school days of marks before it judges.
type RateRule struct {
	RuleName    string
	MinPercent  int
	SchoolDays  int
	MinDays     int
	NotifyRoles []coaching.Role
}

// Name implements WarningRule.
func (r RateRule) Name() string { return r.RuleName }

// Notify implements WarningRule.
func (r RateRule) Notify() []coaching.Role { return r.NotifyRoles }

// Window implements WarningRule: the last SchoolDays completed days, and
// today, which may have marks already.
func (r RateRule) Window() Window { return Window{SchoolDays: max(r.SchoolDays, r.MinDays, 1) + 1} }

// Check implements WarningRule.
func (r RateRule) Check(h *History) (bool, string) {
	days, done := h.lastDays(r.SchoolDays, h.Today.AddDays(-1))
	if days < max(r.MinDays, 1) {
		return false, ""
	}
	attended, scheduled := done.Minutes-done.AbsentMinutes, done.Minutes
	if scheduled == 0 {
		attended, scheduled = done.Marks-done.AbsentMarks, done.Marks
	}
	// attended/scheduled < MinPercent/100, in integers.
	if attended*100 >= r.MinPercent*scheduled {
		return false, ""
	}
	return true, fmt.Sprintf("attendance %s %% over the last %d school days (below %d %%)", percentOneDecimal(attended, scheduled), days, r.MinPercent)
}

// UnexplainedRule warns when there are at least Count unexplained absences
// (marks) within the last SchoolDays school days. An absence whose
// explanation is pending ([History.Pending]) is not counted.
type UnexplainedRule struct {
	RuleName    string
	Count       int
	SchoolDays  int
	NotifyRoles []coaching.Role
}

// Name implements WarningRule.
func (r UnexplainedRule) Name() string { return r.RuleName }

// Notify implements WarningRule.
func (r UnexplainedRule) Notify() []coaching.Role { return r.NotifyRoles }

// Window implements WarningRule: the last SchoolDays school days.
func (r UnexplainedRule) Window() Window { return Window{SchoolDays: r.SchoolDays} }

// Check implements WarningRule.
func (r UnexplainedRule) Check(h *History) (bool, string) {
	days, sum := h.lastDays(r.SchoolDays, h.Today)
	unexplained := sum.Unexplained - h.pendingIn(r.SchoolDays, h.Today)
	if days == 0 || unexplained < r.Count {
		return false, ""
	}
	return true, fmt.Sprintf("%d unexplained absences within the last %d school days", unexplained, days)
}

// AbsenceHoursRule warns when the absences of every kind since the case
// opened add up to at least Hours hours ("poissaolon portaat": each
// threshold alerts a wider circle). It reads the running totals, no marks.
type AbsenceHoursRule struct {
	RuleName    string
	Hours       int
	NotifyRoles []coaching.Role
}

// Name implements WarningRule.
func (r AbsenceHoursRule) Name() string { return r.RuleName }

// Notify implements WarningRule.
func (r AbsenceHoursRule) Notify() []coaching.Role { return r.NotifyRoles }

// Window implements WarningRule: none (the totals).
func (r AbsenceHoursRule) Window() Window { return Window{} }

// Check implements WarningRule.
func (r AbsenceHoursRule) Check(h *History) (bool, string) {
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
	tutor := []coaching.Role{coaching.RolePersonalTutor}
	return []WarningRule{
		RateRule{RuleName: "attendance_below_90", MinPercent: 90, SchoolDays: 20, MinDays: 5, NotifyRoles: tutor},
		UnexplainedRule{RuleName: "unexplained_3_in_10", Count: 3, SchoolDays: 10, NotifyRoles: tutor},
		AbsenceHoursRule{RuleName: "absence_25h", Hours: 25, NotifyRoles: tutor},
		AbsenceHoursRule{RuleName: "absence_30h", Hours: 30, NotifyRoles: []coaching.Role{coaching.RolePersonalTutor, coaching.RoleCurator}},
		AbsenceHoursRule{RuleName: "absence_50h", Hours: 50, NotifyRoles: []coaching.Role{coaching.RolePersonalTutor, coaching.RoleCurator, coaching.RoleHeadOfStudies}},
		AbsenceHoursRule{RuleName: "absence_70h", Hours: 70, NotifyRoles: []coaching.Role{coaching.RolePersonalTutor, coaching.RoleCurator, coaching.RoleHeadOfStudies, coaching.RoleStudyCounsellor}},
	}
}

// Warning is one rule whose condition holds.
type Warning struct {
	Rule   WarningRule
	Reason string
}

// EvaluateWarnings runs every rule over a case's attendance history and
// returns the warnings whose conditions hold, in rule order.
func EvaluateWarnings(rules []WarningRule, h *History) []Warning {
	var out []Warning
	for _, r := range rules {
		if hit, reason := r.Check(h); hit {
			out = append(out, Warning{Rule: r, Reason: reason})
		}
	}
	return out
}

// windowOf is the rules' largest window, in school days, and whether any
// of them reads marks.
func windowOf(rules []WarningRule) Window {
	var w Window
	for _, r := range rules {
		rw := r.Window()
		w.SchoolDays = max(w.SchoolDays, rw.SchoolDays)
		w.Marks = w.Marks || rw.Marks
	}
	return w
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
