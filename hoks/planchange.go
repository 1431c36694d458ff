package hoks

import (
	"fmt"
	"regexp"

	"github.com/valmennus/valmennus/coaching"
)

// PlanChangeKind says what a [PlanChange] changes.
type PlanChangeKind string

// The kinds of concrete change a student can propose to their plan.
const (
	// ChangeSchedule moves one period of acquiring competence (osaamisen
	// hankkimistapa) of a unit to new dates.
	ChangeSchedule PlanChangeKind = "schedule"
	// ChangeGoal sets a new career-plan goal (urasuunnitelma:
	// urasuunnitelma_0001 further studies, _0002 working life, _0003
	// career advancement).
	ChangeGoal PlanChangeKind = "goal"
)

// Span is a period's first and last day.
type Span struct {
	Start coaching.Date `json:"start,omitzero"`
	End   coaching.Date `json:"end,omitzero"`
}

// String is "2026-10-05–2026-12-18".
func (s Span) String() string { return s.Start.String() + "–" + s.End.String() }

// PlanChange is a concrete change to a plan that a personal tutor can
// apply as it is: it names what it changes by what the student saw in the
// plan (a unit and the period's dates, the goal the plan had), so that it
// can be applied to a later version of the plan as long as that part of
// the plan is still as the student saw it ([Service.AcceptProposal]): the
// same period — by its identifier (yksilöivä tunniste) when it has one, as
// eHOKS identifies periods — with the same dates, kind and workplace, or
// the same goal.
type PlanChange struct {
	Kind PlanChangeKind `json:"kind"`
	// Unit names the unit whose period moves (schedule): a vocational or
	// common unit's code URI ("tutkinnonosat_106233") or a local unit's
	// name.
	Unit string `json:"unit,omitempty"`
	// SubArea names the sub-area (osa-alue) of a common unit whose period
	// moves ("ammatillisenoppiaineet_vvai"); empty for other units.
	SubArea string `json:"sub_area,omitempty"`
	// From is the period as the plan has it; its dates identify it
	// (schedule).
	From Span `json:"from,omitzero"`
	// To is the proposed start and end of the period (schedule).
	To Span `json:"to,omitzero"`
	// Goal is the proposed career-plan goal's code URI (goal).
	Goal string `json:"goal,omitempty"`
	// GoalBefore is the goal the plan had when the change was proposed
	// (empty when it had none). Output only: [Service.Propose] and
	// [Service.AcceptProposal] fill it in, whatever the caller gave.
	GoalBefore string `json:"goal_before,omitempty"`
	// Period is the period as the student saw it (schedule). Output only:
	// [Service.Propose] fills it in from the plan.
	Period *PeriodSeen `json:"period,omitempty"`
}

// PeriodSeen is what identifies the period a schedule change moves beyond
// its dates: its kind (osaamisen hankkimistapa), its identifier and its
// workplace, as the plan had them when the change was proposed.
type PeriodSeen struct {
	Method     string `json:"method,omitempty"`
	PeriodID   string `json:"period_id,omitempty"`
	Workplace  string `json:"workplace,omitempty"`
	BusinessID string `json:"business_id,omitempty"`
}

// seenIn is what identifies period m.
func seenIn(m *AcquisitionMethod) *PeriodSeen {
	ps := &PeriodSeen{Method: deref(m.MethodCodeURI), PeriodID: deref(m.PeriodID)}
	if m.Workplace != nil {
		ps.Workplace, ps.BusinessID = deref(m.Workplace.WorkplaceName), deref(m.Workplace.BusinessID)
	}
	return ps
}

// Describe says the change in plain English, e.g. "move the period
// 2026-10-05–2026-12-18 of unit tutkinnonosat_106233 to
// 2026-11-02–2027-01-15".
func (c *PlanChange) Describe() string {
	if c == nil {
		return ""
	}
	switch c.Kind {
	case ChangeSchedule:
		unit := c.Unit
		if c.SubArea != "" {
			unit += " (" + c.SubArea + ")"
		}
		return fmt.Sprintf("move the period %s of unit %s to %s", c.From, unit, c.To)
	case ChangeGoal:
		return fmt.Sprintf("set the career-plan goal to %s (was %s)", c.Goal, orNone(c.GoalBefore))
	}
	return string(c.Kind)
}

var goalPattern = regexp.MustCompile(`^urasuunnitelma_\d{4}$`)

// check reports the change's own problems, under prefix ("change").
func (c *PlanChange) check(prefix string) []coaching.FieldProblem {
	var pr []coaching.FieldProblem
	add := func(field, format string, args ...any) {
		pr = append(pr, coaching.FieldProblem{Field: prefix + "." + field, Message: fmt.Sprintf(format, args...)})
	}
	switch c.Kind {
	case ChangeSchedule:
		if c.Unit == "" {
			add("unit", "required")
		}
		pr = append(pr, coaching.TextProblems(prefix+".unit", c.Unit, 200, false)...)
		pr = append(pr, coaching.TextProblems(prefix+".sub_area", c.SubArea, 200, false)...)
		for _, d := range []struct {
			field string
			date  coaching.Date
		}{{"from.start", c.From.Start}, {"from.end", c.From.End}, {"to.start", c.To.Start}, {"to.end", c.To.End}} {
			if !d.date.Valid() {
				add(d.field, "required: a valid date")
			}
		}
		if c.To.Start.Valid() && c.To.End.Valid() && c.To.End.Before(c.To.Start) {
			add("to.end", "before the start %s", c.To.Start)
		}
		if c.To == c.From && c.To.Start.Valid() {
			add("to", "the same dates as the period has")
		}
		if c.Goal != "" {
			add("goal", "not part of a schedule change")
		}
	case ChangeGoal:
		if !goalPattern.MatchString(c.Goal) {
			add("goal", "must be a career-plan code such as urasuunnitelma_0001, got %q", c.Goal)
		}
		if c.Unit != "" || c.SubArea != "" || c.From != (Span{}) || c.To != (Span{}) {
			add("unit", "a goal change names no unit or period")
		}
	default:
		add("kind", "must be %q or %q, got %q", ChangeSchedule, ChangeGoal, c.Kind)
	}
	return pr
}

// period finds the period the change names in p: the unit's (or its
// sub-area's) period whose dates are From. It returns nil and the reason
// when there is none, or more than one.
func (c *PlanChange) period(p *Plan) (*AcquisitionMethod, string) {
	var lists [][]AcquisitionMethod
	unitFound := false
	for i := range p.VocationalUnits {
		if c.SubArea == "" && deref(p.VocationalUnits[i].UnitCodeURI) == c.Unit {
			unitFound = true
			lists = append(lists, p.VocationalUnits[i].Methods)
		}
	}
	for i := range p.LocalUnits {
		u := &p.LocalUnits[i]
		if c.SubArea == "" && (deref(u.Name) == c.Unit || deref(u.AMOSAAID) == c.Unit) {
			unitFound = true
			lists = append(lists, u.Methods)
		}
	}
	for i := range p.CommonUnits {
		u := &p.CommonUnits[i]
		if deref(u.UnitCodeURI) != c.Unit {
			continue
		}
		for j := range u.SubAreas {
			if deref(u.SubAreas[j].SubAreaCodeURI) == c.SubArea {
				unitFound = true
				lists = append(lists, u.SubAreas[j].Methods)
			}
		}
	}
	if !unitFound {
		if c.SubArea != "" {
			return nil, fmt.Sprintf("the plan has no common unit %s with the sub-area %s", c.Unit, c.SubArea)
		}
		return nil, fmt.Sprintf("the plan has no unit %s to acquire", c.Unit)
	}
	var found *AcquisitionMethod
	n := 0
	byID := c.Period != nil && c.Period.PeriodID != ""
	for _, ms := range lists {
		for i := range ms {
			if byID && deref(ms[i].PeriodID) == c.Period.PeriodID || !byID && ms[i].Start == c.From.Start && ms[i].End == c.From.End {
				found = &ms[i]
				n++
			}
		}
	}
	switch {
	case n == 0 && byID:
		return nil, fmt.Sprintf("unit %s has no period %s", c.Unit, c.Period.PeriodID)
	case n == 0:
		return nil, fmt.Sprintf("unit %s has no period %s", c.Unit, c.From)
	case n > 1 && byID:
		return nil, fmt.Sprintf("unit %s has %d periods %s", c.Unit, n, c.Period.PeriodID)
	case n > 1:
		return nil, fmt.Sprintf("unit %s has %d periods %s: the change does not say which", c.Unit, n, c.From)
	}
	if found.Start != c.From.Start || found.End != c.From.End {
		return nil, fmt.Sprintf("unit %s has no period %s: period %s is now %s", c.Unit, c.From, c.Period.PeriodID, Span{Start: found.Start, End: found.End})
	}
	if c.Period != nil {
		now := seenIn(found)
		switch {
		case now.Method != c.Period.Method:
			return nil, fmt.Sprintf("the period %s of unit %s is now of kind %s, not %s", c.From, c.Unit, orNone(now.Method), orNone(c.Period.Method))
		case now.PeriodID != c.Period.PeriodID:
			return nil, fmt.Sprintf("the period %s of unit %s is now %s, not %s", c.From, c.Unit, orNone(now.PeriodID), orNone(c.Period.PeriodID))
		case now.Workplace != c.Period.Workplace || now.BusinessID != c.Period.BusinessID:
			return nil, fmt.Sprintf("the period %s of unit %s is now at %s, not %s", c.From, c.Unit, orNone(now.Workplace), orNone(c.Period.Workplace))
		}
	}
	return found, ""
}

// seen checks a student's change against base, the plan version they
// read, and keeps what they saw there: the period's kind, identifier and
// workplace (schedule), the plan's goal (goal). It returns the problem
// when the change does not name a part of base.
func (c *PlanChange) seen(base *Plan) *coaching.FieldProblem {
	c.GoalBefore, c.Period = "", nil
	switch c.Kind {
	case ChangeGoal:
		c.GoalBefore = deref(base.CareerPlanCodeURI)
		if c.Goal == c.GoalBefore {
			return &coaching.FieldProblem{Field: "change.goal", Message: "the plan's goal is already " + c.Goal}
		}
	case ChangeSchedule:
		m, why := c.period(base)
		if why != "" {
			return &coaching.FieldProblem{Field: "change.from", Message: why}
		}
		c.Period = seenIn(m)
	}
	return nil
}

// pastProblems refuses a schedule change into the past: the new period
// must not end before today, nor start before today unless it keeps the
// start of a period already under way.
func (c *PlanChange) pastProblems(prefix string, today coaching.Date) []coaching.FieldProblem {
	if c.Kind != ChangeSchedule || !c.To.Start.Valid() || !c.To.End.Valid() {
		return nil
	}
	var pr []coaching.FieldProblem
	if c.To.Start.Before(today) && c.To.Start != c.From.Start {
		pr = append(pr, coaching.FieldProblem{Field: prefix + ".to.start", Message: fmt.Sprintf("before today %s: a period is moved to dates still ahead", today)})
	}
	if c.To.End.Before(today) {
		pr = append(pr, coaching.FieldProblem{Field: prefix + ".to.end", Message: fmt.Sprintf("before today %s: a period is moved to dates still ahead", today)})
	}
	return pr
}

// applies reports why the change does not apply to p ("" when it does):
// the part of the plan it changes is no longer as the student saw it.
func (c *PlanChange) applies(p *Plan) (field, why string) {
	switch c.Kind {
	case ChangeSchedule:
		if _, why := c.period(p); why != "" {
			return "change.from", why
		}
	case ChangeGoal:
		if got := deref(p.CareerPlanCodeURI); got != c.GoalBefore {
			return "change.goal_before", fmt.Sprintf("the plan's goal is now %s, not %s", orNone(got), orNone(c.GoalBefore))
		}
	}
	return "", ""
}

// apply makes the change in p, which it must apply to (see applies).
func (c *PlanChange) apply(p *Plan) {
	switch c.Kind {
	case ChangeSchedule:
		if m, _ := c.period(p); m != nil {
			m.Start, m.End = c.To.Start, c.To.End
		}
	case ChangeGoal:
		p.CareerPlanCodeURI = Ref(c.Goal)
	}
}
