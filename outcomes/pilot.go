package outcomes

import (
	"errors"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/pathway"
)

// The #Valmennus-pilotti measures (DOMAIN.md §2). Every quantity is a
// decimal; every ratio states its denominator; every percentage is cut by
// an explicit [Options] rule.

// ratioPercent returns num/den×100 cut to o's places by o's rule
// (LargestRemainder acts as Truncate on a lone ratio).
func ratioPercent(num, den decimal.Decimal, o Options) (decimal.Decimal, error) {
	o, err := o.normalised()
	if err != nil {
		return decimal.Decimal{}, err
	}
	if !den.IsPositive() {
		return decimal.Decimal{}, ErrEmptyCohort
	}
	if num.IsNegative() {
		return decimal.Decimal{}, errors.New("outcomes: negative quantity")
	}
	q, r := num.Mul(hundred).QuoRem(den, o.Places)
	if o.Rounding == RoundHalfUp && r.Add(r).Cmp(den.Mul(decimal.New(1, -o.Places))) >= 0 {
		q = q.Add(decimal.New(1, -o.Places))
	}
	return q, nil
}

// Attendance counts a student's attendance in hours or sessions (decimal,
// so half-hours are exact). Late counts as present.
type Attendance struct {
	Present decimal.Decimal `json:"present"`
	Late    decimal.Decimal `json:"late"`
	Absent  decimal.Decimal `json:"absent"`
}

func (a Attendance) valid() error {
	if a.Present.IsNegative() || a.Late.IsNegative() || a.Absent.IsNegative() {
		return errors.New("outcomes: attendance counts must not be negative")
	}
	return nil
}

// Scheduled returns present + late + absent: the denominator of the rate.
func (a Attendance) Scheduled() decimal.Decimal { return a.Present.Add(a.Late).Add(a.Absent) }

// Rate returns the attendance rate (present + late) / scheduled × 100, or
// ErrEmptyCohort when nothing was scheduled.
func (a Attendance) Rate(o Options) (decimal.Decimal, error) {
	if err := a.valid(); err != nil {
		return decimal.Decimal{}, err
	}
	return ratioPercent(a.Present.Add(a.Late), a.Scheduled(), o)
}

// AttendanceReport is a cohort's attendance.
type AttendanceReport struct {
	Students int64 `json:"students"`
	// Invalid counts students left out for negative counts; NoSchedule
	// those with nothing scheduled (their rate is unknown).
	Invalid    int64      `json:"invalid"`
	NoSchedule int64      `json:"no_schedule"`
	Total      Attendance `json:"total"`
	// Rate is the pooled rate: all attended over all scheduled (the
	// denominator, Total.Scheduled()).
	Rate     decimal.NullDecimal `json:"rate"`
	Rounding string              `json:"rounding"`
}

// AttendanceAggregator pools attendance over a cohort, one student at a time.
type AttendanceAggregator struct {
	r AttendanceReport
}

// Add counts one student.
func (a *AttendanceAggregator) Add(x Attendance) {
	a.r.Students++
	if x.valid() != nil {
		a.r.Invalid++
		return
	}
	if !x.Scheduled().IsPositive() {
		a.r.NoSchedule++
		return
	}
	a.r.Total.Present = a.r.Total.Present.Add(x.Present)
	a.r.Total.Late = a.r.Total.Late.Add(x.Late)
	a.r.Total.Absent = a.r.Total.Absent.Add(x.Absent)
}

// Report returns the pooled cohort attendance.
func (a *AttendanceAggregator) Report(o Options) (AttendanceReport, error) {
	r := a.r
	r.Rounding = o.Describe()
	p, err := r.Total.Rate(o)
	switch {
	case errors.Is(err, ErrEmptyCohort):
	case err != nil:
		return r, err
	default:
		r.Rate = decimal.NewNullDecimal(p)
	}
	return r, nil
}

// UnitProgress is qualification-unit progress in competence points
// (osaamispisteet): achieved against planned in the HOKS.
type UnitProgress struct {
	Achieved decimal.Decimal `json:"achieved"`
	Planned  decimal.Decimal `json:"planned"`
}

// Percent returns achieved / planned × 100 (may exceed 100).
func (u UnitProgress) Percent(o Options) (decimal.Decimal, error) {
	if u.Achieved.IsNegative() || u.Planned.IsNegative() {
		return decimal.Decimal{}, errors.New("outcomes: competence points must not be negative")
	}
	return ratioPercent(u.Achieved, u.Planned, o)
}

// Sum adds progress over students.
func (u UnitProgress) Sum(more ...UnitProgress) UnitProgress {
	for _, m := range more {
		u.Achieved, u.Planned = u.Achieved.Add(m.Achieved), u.Planned.Add(m.Planned)
	}
	return u
}

// RetentionCohort counts one year group after its first year. A student is
// in education when still studying, or when they left for a destination
// that is education or training (the same mapping as the ESF "in education
// or training": studies and apprenticeships); redirected students (guided
// to a better-suited field) count as retained too, as the pilot counts them
// a success.
type RetentionCohort struct {
	Label       string `json:"label"`
	Started     int64  `json:"started"`
	InEducation int64  `json:"in_education"`
	Redirected  int64  `json:"redirected"`
	// Unknown counts students whose status after the first year is unknown;
	// they stay in the denominator and are not retained.
	Unknown int64 `json:"unknown"`
}

// Add counts one student: inEducation is true when still studying after
// the first year; otherwise dest is where they went (nil when unknown).
func (c *RetentionCohort) Add(inEducation bool, dest *pathway.Destination) {
	c.Started++
	switch {
	case inEducation:
		c.InEducation++
	case dest == nil || dest.Kind == pathway.Unknown || !dest.Kind.Valid():
		c.Unknown++
	case dest.Kind == pathway.Redirected:
		c.Redirected++
	default:
		if r, _ := resultOf(dest.Kind); r&resultEducation != 0 {
			c.InEducation++
		}
	}
}

// RetentionNote says which destinations of a student who left count as in
// education in a [RetentionCohort].
func RetentionNote() string {
	return "In education: still studying, or left for " + listKinds(resultKinds(resultEducation)) +
		"; redirected to a better-suited field counts as retained."
}

// Retained returns in education + redirected.
func (c RetentionCohort) Retained() int64 { return c.InEducation + c.Redirected }

// RetentionRow is one cohort's retention rate.
type RetentionRow struct {
	RetentionCohort
	Retained int64               `json:"retained"`
	Rate     decimal.NullDecimal `json:"rate"`
	// DifferencePP is this cohort's rate minus the comparison cohort's, in
	// percentage points (the current cohort against each earlier one; null
	// for the current cohort or when a rate is missing). Computed from the
	// exact rates, then cut by the same rule.
	DifferencePP decimal.NullDecimal `json:"difference_pp"`
}

// RetentionReport compares the current cohort with earlier ones.
type RetentionReport struct {
	Current  RetentionRow   `json:"current"`
	Earlier  []RetentionRow `json:"earlier"`
	Rounding string         `json:"rounding"`
	Places   int32          `json:"places"`
}

// CompareRetention returns the share still in education after the first
// year for the current cohort and each earlier cohort, and the difference
// current − earlier in percentage points.
func CompareRetention(current RetentionCohort, earlier []RetentionCohort, o Options) (RetentionReport, error) {
	o, err := o.normalised()
	if err != nil {
		return RetentionReport{}, err
	}
	check := func(c RetentionCohort) error {
		if c.Started < 0 || c.InEducation < 0 || c.Redirected < 0 || c.Unknown < 0 ||
			c.InEducation+c.Redirected+c.Unknown > c.Started {
			return fmt.Errorf("outcomes: retention cohort %q: counts do not add up", c.Label)
		}
		return nil
	}
	exact := func(c RetentionCohort) (decimal.Decimal, bool) {
		if c.Started == 0 {
			return decimal.Decimal{}, false
		}
		return decimal.NewFromInt(c.Retained()).Mul(hundred).Div(decimal.NewFromInt(c.Started)), true
	}
	row := func(c RetentionCohort) (RetentionRow, error) {
		if err := check(c); err != nil {
			return RetentionRow{}, err
		}
		r := RetentionRow{RetentionCohort: c, Retained: c.Retained()}
		if c.Started > 0 {
			p, err := percentages([]int64{c.Retained(), c.Started - c.Retained()}, c.Started, o.Places, o.Rounding, nil)
			if err != nil {
				return r, err
			}
			r.Rate = decimal.NewNullDecimal(p[0])
		}
		return r, nil
	}
	rep := RetentionReport{Rounding: o.Describe() + "; differences from exact rates (16 decimals)", Places: o.Places}
	if rep.Current, err = row(current); err != nil {
		return rep, err
	}
	cur, curOK := exact(current)
	for _, e := range earlier {
		r, err := row(e)
		if err != nil {
			return rep, err
		}
		if prev, ok := exact(e); ok && curOK {
			r.DifferencePP = decimal.NewNullDecimal(cutSigned(cur.Sub(prev), o))
		}
		rep.Earlier = append(rep.Earlier, r)
	}
	return rep, nil
}

// cutSigned applies the rounding rule to a signed value: half-up rounds
// halves away from zero, truncate (and largest remainder) toward zero.
func cutSigned(d decimal.Decimal, o Options) decimal.Decimal {
	if o.Rounding == RoundHalfUp {
		return d.Round(o.Places) // shopspring: half away from zero
	}
	return d.Truncate(o.Places)
}

// Markdown renders the comparison.
func (r RetentionReport) Markdown() string {
	tb := table{title: "Still in education after the first year (redirected to a better-suited field counts as retained)",
		meta:    "Denominator: students who started, per cohort. Rounding: " + r.Rounding + ".",
		notes:   []string{RetentionNote()},
		columns: []string{"cohort", "started", "in education", "redirected", "unknown", "retained", "%", "difference (pp)"},
		align:   []bool{false, true, true, true, true, true, true, true}}
	add := func(x RetentionRow) {
		pct, diff := "–", "–"
		if x.Rate.Valid {
			pct = x.Rate.Decimal.StringFixed(r.Places)
		}
		if x.DifferencePP.Valid {
			diff = x.DifferencePP.Decimal.StringFixed(r.Places)
			if x.DifferencePP.Decimal.IsPositive() {
				diff = "+" + diff
			}
		}
		tb.rows = append(tb.rows, []string{x.Label, fmt.Sprint(x.Started), fmt.Sprint(x.InEducation),
			fmt.Sprint(x.Redirected), fmt.Sprint(x.Unknown), fmt.Sprint(x.Retained), pct, diff})
	}
	add(r.Current)
	for _, e := range r.Earlier {
		add(e)
	}
	return tb.markdown()
}

// Allocation is a support-team member's yearly hour allocation. The pilot
// spent 40–100 hours per member a year depending on role.
type Allocation struct {
	Min decimal.Decimal `json:"min"`
	Max decimal.Decimal `json:"max"`
}

// DefaultAllocation is the pilot's 40–100 hours a year.
func DefaultAllocation() Allocation {
	return Allocation{Min: decimal.NewFromInt(40), Max: decimal.NewFromInt(100)}
}

// MemberHours is one support-team member's hours in the year.
type MemberHours struct {
	Member string          `json:"member"`
	Role   string          `json:"role"`
	Hours  decimal.Decimal `json:"hours"`
	// Allocation is the member's allocation; zero uses the allocation the
	// report is given for the role, or DefaultAllocation.
	Allocation Allocation `json:"allocation,omitzero"`
}

// HoursRow is one member against their allocation.
type HoursRow struct {
	MemberHours
	// Status is "below", "within" or "above" the allocation.
	Status string `json:"status"`
	// OfMax is hours / allocation maximum × 100.
	OfMax decimal.NullDecimal `json:"of_max"`
}

// HoursReport lists support-team hours against allocation.
type HoursReport struct {
	Rows       []HoursRow      `json:"rows"`
	TotalHours decimal.Decimal `json:"total_hours"`
	Rounding   string          `json:"rounding"`
}

// TeamHours compares each member's hours with their allocation (by member,
// else byRole[role], else DefaultAllocation).
func TeamHours(members []MemberHours, byRole map[string]Allocation, o Options) (HoursReport, error) {
	o, err := o.normalised()
	if err != nil {
		return HoursReport{}, err
	}
	rep := HoursReport{Rounding: o.Describe(), TotalHours: decimal.Zero}
	for _, m := range members {
		if m.Hours.IsNegative() {
			return rep, fmt.Errorf("outcomes: member %q: negative hours", m.Member)
		}
		al := m.Allocation
		if al.Max.IsZero() && al.Min.IsZero() {
			var ok bool
			if al, ok = byRole[m.Role]; !ok {
				al = DefaultAllocation()
			}
		}
		if al.Min.IsNegative() || al.Max.LessThan(al.Min) {
			return rep, fmt.Errorf("outcomes: member %q: invalid allocation", m.Member)
		}
		m.Allocation = al
		row := HoursRow{MemberHours: m, Status: "within"}
		switch {
		case m.Hours.LessThan(al.Min):
			row.Status = "below"
		case m.Hours.GreaterThan(al.Max):
			row.Status = "above"
		}
		if p, err := ratioPercent(m.Hours, al.Max, o); err == nil {
			row.OfMax = decimal.NewNullDecimal(p)
		}
		rep.Rows = append(rep.Rows, row)
		rep.TotalHours = rep.TotalHours.Add(m.Hours)
	}
	return rep, nil
}

// FeedbackAggregator averages 1–5 feedback answers per question. Memory
// grows with the number of questions, not of answers.
type FeedbackAggregator struct {
	q map[string]*feedbackCount
}

type feedbackCount struct {
	n, sum, invalid int64
}

// Add counts one answer; a score outside 1–5 is counted as invalid.
func (f *FeedbackAggregator) Add(question string, score int) {
	if f.q == nil {
		f.q = map[string]*feedbackCount{}
	}
	c := f.q[question]
	if c == nil {
		c = &feedbackCount{}
		f.q[question] = c
	}
	if score < 1 || score > 5 {
		c.invalid++
		return
	}
	c.n++
	c.sum += int64(score)
}

// FeedbackRow is one question's average.
type FeedbackRow struct {
	Question string `json:"question"`
	// Answers is the denominator: valid answers.
	Answers int64               `json:"answers"`
	Invalid int64               `json:"invalid"`
	Average decimal.NullDecimal `json:"average"`
}

// Averages returns the average per question (sorted by question), cut to
// o's places by o's rule (2 places when Places is 0 would be ambiguous:
// Places 0 means the default 1).
func (f *FeedbackAggregator) Averages(o Options) ([]FeedbackRow, error) {
	o, err := o.normalised()
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(f.q))
	for k := range f.q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]FeedbackRow, 0, len(keys))
	for _, k := range keys {
		c := f.q[k]
		r := FeedbackRow{Question: k, Answers: c.n, Invalid: c.invalid}
		if c.n > 0 {
			q, rem := decimal.NewFromInt(c.sum).QuoRem(decimal.NewFromInt(c.n), o.Places)
			if o.Rounding == RoundHalfUp && rem.Add(rem).Cmp(decimal.NewFromInt(c.n).Mul(decimal.New(1, -o.Places))) >= 0 {
				q = q.Add(decimal.New(1, -o.Places))
			}
			r.Average = decimal.NewNullDecimal(q)
		}
		out = append(out, r)
	}
	return out, nil
}

// CostPerPositive returns budget (euros) / positive onward paths, rounded
// to cents by o's rule (half-up by default). It returns ErrEmptyCohort when
// there are no positive paths.
func CostPerPositive(budget decimal.Decimal, positives int64, o Options) (decimal.Decimal, error) {
	o, err := o.normalised()
	if err != nil {
		return decimal.Decimal{}, err
	}
	if budget.IsNegative() {
		return decimal.Decimal{}, errors.New("outcomes: negative budget")
	}
	if positives <= 0 {
		return decimal.Decimal{}, ErrEmptyCohort
	}
	n := decimal.NewFromInt(positives)
	q, rem := budget.QuoRem(n, 2)
	if o.Rounding == RoundHalfUp && rem.Add(rem).Cmp(n.Mul(decimal.New(1, -2))) >= 0 {
		q = q.Add(decimal.New(1, -2))
	}
	return q, nil
}
