package outcomes

import (
	"fmt"

	"github.com/valmennus/valmennus/coaching"
)

// facts are the per-case facts the ESF indicators need, derived once.
type facts struct {
	gender      int
	age         int
	ageOK       bool
	labour      coaching.LabourStatus
	months      int
	monthsOK    bool
	iscedLo     int
	iscedHi     int
	iscedOK     bool
	foreign     tri
	disability  tri
	disadv      tri
	thirdCountr tri
	minority    tri
	qualified   tri
	improved    tri
	left        bool
	upon, six   coaching.LabourStatus // labour status at the checkpoints
	uponKnown   bool
	sixKnown    bool
}

func factsOf(in *Input) facts {
	bg := &in.Participant.Background
	f := facts{gender: genderIndex(bg.Gender), labour: bg.LabourStatus}
	f.age, f.ageOK = AgeAtEntry(in)
	f.months, f.monthsOK = unemployedMonths(bg)
	f.iscedLo, f.iscedHi, f.iscedOK = bg.EducationLevel.ISCED()
	f.foreign, f.disability = triOf(bg.ForeignBackground), triOf(bg.Disability)
	f.disadv, f.thirdCountr, f.minority = triOf(in.Disadvantaged), triOf(in.ThirdCountryNational), triOf(in.Minority)
	f.qualified, f.improved = triOf(in.QualificationGained), triOf(in.ImprovedSituation)
	f.left = left(in)
	f.upon = in.UponLeaving.LabourStatus()
	f.uponKnown = f.upon != coaching.LabourUnknown
	f.six = in.SixMonths.LabourStatus()
	f.sixKnown = f.six != coaching.LabourUnknown
	switch f.labour {
	case coaching.LabourUnemployed, coaching.LabourEmployed, coaching.LabourInactive, coaching.LabourInEducation:
	default:
		f.labour = coaching.LabourUnknown
	}
	return f
}

func (f *facts) labourIs(s ...coaching.LabourStatus) tri {
	if f.labour == coaching.LabourUnknown {
		return unknown
	}
	for _, x := range s {
		if f.labour == x {
			return yes
		}
	}
	return no
}

func (f *facts) ageIn(lo, hi int) tri {
	if !f.ageOK {
		return unknown
	}
	return triIf(f.age >= lo && f.age <= hi)
}

func (f *facts) ltu() tri {
	switch f.labourIs(coaching.LabourUnemployed) {
	case unknown:
		return unknown
	case no:
		return no
	}
	if !f.ageOK || !f.monthsOK {
		return unknown
	}
	return triIf(LongTermUnemployed(f.age, f.months))
}

func (f *facts) isced(lo, hi int) tri {
	if !f.iscedOK {
		return unknown
	}
	return triIf(f.iscedLo >= lo && f.iscedHi <= hi)
}

func and(a, b tri) tri {
	switch {
	case a == no || b == no:
		return no
	case a == unknown || b == unknown:
		return unknown
	}
	return yes
}

func or(a, b tri) tri {
	switch {
	case a == yes || b == yes:
		return yes
	case a == unknown || b == unknown:
		return unknown
	}
	return no
}

func status(known bool, got coaching.LabourStatus, want coaching.LabourStatus) tri {
	if !known {
		return unknown
	}
	return triIf(got == want)
}

const maxAge = 1 << 30

// indicator is a definition: result reports whether it is a result
// indicator (population: participants who left) and eval its value.
type indicator struct {
	code, title string
	result      bool
	eval        func(f *facts) tri
}

var esfIndicators = []indicator{
	{"CO01", "unemployed, including long-term unemployed", false, func(f *facts) tri { return f.labourIs(coaching.LabourUnemployed) }},
	{"CO02", "long-term unemployed (under 25: over 6 months; 25 or over: over 12 months, age at entry)", false, (*facts).ltu},
	{"CO03", "inactive", false, func(f *facts) tri { return f.labourIs(coaching.LabourInactive, coaching.LabourInEducation) }},
	{"CO04", "inactive, not in education or training", false, func(f *facts) tri { return f.labourIs(coaching.LabourInactive) }},
	{"CO05", "employed, including self-employed", false, func(f *facts) tri { return f.labourIs(coaching.LabourEmployed) }},
	{"CO06", "below 25 years of age at entry", false, func(f *facts) tri { return f.ageIn(0, 24) }},
	{"CO07", "above 54 years of age at entry (55 or older)", false, func(f *facts) tri { return f.ageIn(55, maxAge) }},
	{"CO08", "above 54, unemployed or inactive not in education or training", false, func(f *facts) tri {
		return and(f.ageIn(55, maxAge), f.labourIs(coaching.LabourUnemployed, coaching.LabourInactive))
	}},
	{"CO09", "primary or lower secondary education (ISCED 1–2; ISCED 0 included)", false, func(f *facts) tri { return f.isced(0, 2) }},
	{"CO10", "upper secondary or post-secondary non-tertiary education (ISCED 3–4)", false, func(f *facts) tri { return f.isced(3, 4) }},
	{"CO11", "tertiary education (ISCED 5–8)", false, func(f *facts) tri { return f.isced(5, 8) }},
	{"CO15", "migrants, participants with a foreign background, minorities", false, func(f *facts) tri { return or(f.foreign, f.minority) }},
	{"CO16", "participants with disabilities", false, func(f *facts) tri { return f.disability }},
	{"CO17", "other disadvantaged", false, func(f *facts) tri { return f.disadv }},
	{"CR01", "inactive participants newly engaged in job searching upon leaving", true, func(f *facts) tri {
		return and(f.labourIs(coaching.LabourInactive, coaching.LabourInEducation), status(f.uponKnown, f.upon, coaching.LabourUnemployed))
	}},
	{"CR02", "in education or training upon leaving", true, func(f *facts) tri { return status(f.uponKnown, f.upon, coaching.LabourInEducation) }},
	{"CR03", "gaining a qualification upon leaving", true, func(f *facts) tri { return f.qualified }},
	{"CR04", "in employment, including self-employment, upon leaving", true, func(f *facts) tri { return status(f.uponKnown, f.upon, coaching.LabourEmployed) }},
	{"CR05", "disadvantaged, job searching, in education or training, gaining a qualification or in employment upon leaving", true, func(f *facts) tri {
		engaged := unknown
		if f.uponKnown {
			engaged = triIf(f.upon == coaching.LabourUnemployed || f.upon == coaching.LabourInEducation || f.upon == coaching.LabourEmployed)
		}
		return and(f.disadv, or(engaged, f.qualified))
	}},
	{"CR06", "in employment, including self-employment, six months after leaving", true, func(f *facts) tri { return status(f.sixKnown, f.six, coaching.LabourEmployed) }},
	{"CR07", "improved labour-market situation six months after leaving (employed at entry)", true, func(f *facts) tri {
		return and(f.labourIs(coaching.LabourEmployed), f.improved)
	}},
	{"CR08", "above 54, in employment six months after leaving", true, func(f *facts) tri {
		return and(f.ageIn(55, maxAge), status(f.sixKnown, f.six, coaching.LabourEmployed))
	}},
	{"CR09", "disadvantaged, in employment six months after leaving", true, func(f *facts) tri {
		return and(f.disadv, status(f.sixKnown, f.six, coaching.LabourEmployed))
	}},
	{"EECO01", "total number of participants", false, func(*facts) tri { return yes }},
	{"EECO02", "unemployed, including long-term unemployed", false, func(f *facts) tri { return f.labourIs(coaching.LabourUnemployed) }},
	{"EECO03", "long-term unemployed", false, (*facts).ltu},
	{"EECO04", "inactive", false, func(f *facts) tri { return f.labourIs(coaching.LabourInactive, coaching.LabourInEducation) }},
	{"EECO05", "employed, including self-employed", false, func(f *facts) tri { return f.labourIs(coaching.LabourEmployed) }},
	{"EECO06", "children below 18 years of age", false, func(f *facts) tri { return f.ageIn(0, 17) }},
	{"EECO07", "young people between 18 and 29 years of age", false, func(f *facts) tri { return f.ageIn(18, 29) }},
	{"EECO08", "participants aged 55 and above", false, func(f *facts) tri { return f.ageIn(55, maxAge) }},
	{"EECO09", "lower secondary education or less (ISCED 0–2)", false, func(f *facts) tri { return f.isced(0, 2) }},
	{"EECO10", "upper secondary or post-secondary education (ISCED 3–4)", false, func(f *facts) tri { return f.isced(3, 4) }},
	{"EECO11", "tertiary education (ISCED 5–8)", false, func(f *facts) tri { return f.isced(5, 8) }},
	{"EECO12", "participants with disabilities", false, func(f *facts) tri { return f.disability }},
	{"EECO13", "third-country nationals", false, func(f *facts) tri { return f.thirdCountr }},
	{"EECO14", "participants with a foreign background", false, func(f *facts) tri { return f.foreign }},
	{"EECO15", "minorities (including marginalised communities such as the Roma)", false, func(f *facts) tri { return f.minority }},
	{"EECR01", "engaged in job searching upon leaving", true, func(f *facts) tri { return status(f.uponKnown, f.upon, coaching.LabourUnemployed) }},
	{"EECR02", "in education or training upon leaving", true, func(f *facts) tri { return status(f.uponKnown, f.upon, coaching.LabourInEducation) }},
	{"EECR03", "gaining a qualification upon leaving", true, func(f *facts) tri { return f.qualified }},
	{"EECR04", "in employment, including self-employment, upon leaving", true, func(f *facts) tri { return status(f.uponKnown, f.upon, coaching.LabourEmployed) }},
	{"EECR05", "in employment, including self-employment, six months after leaving", true, func(f *facts) tri { return status(f.sixKnown, f.six, coaching.LabourEmployed) }},
	{"EECR06", "improved labour-market situation six months after leaving (employed at entry)", true, func(f *facts) tri {
		return and(f.labourIs(coaching.LabourEmployed), f.improved)
	}},
}

// ESFAggregator counts the ESF 2014–2020 common output (CO01–CO11,
// CO15–CO17) and result (CR01–CR09) indicators and the ESF+ EECO01–EECO15
// and EECR01–EECR06 ones, by gender, one case at a time, with fixed memory.
//
// Rules (../shared/reference/domain.md §1): ages are at entry (CO06 under
// 25, CO07 55 or older; ESF+ under 18, 18–29, 55 or older); long-term
// unemployment depends on the age at entry (under 25: more than 6 months;
// from 25: more than 12); ISCED bands come from the education level (ISCED 0
// is counted in CO09, a documented choice); results use the statuses of the
// 28-day and six-month checkpoints ([Input.UponLeaving], [Input.SixMonths]),
// mapped to labour status by pathway.Kind.LabourStatus, so job searching and
// employment are mutually exclusive. Output indicators are of all
// participants; result indicators of the participants who left. A fact
// that is missing makes the case "unknown" for that indicator. CO18, CO19
// and EECO16–EECO19 need data the library does not hold and are left out.
type ESFAggregator struct {
	n, leavers int64
	counts     [][nGender]int64
	unknown    []int64
}

// NewESF returns an empty ESF aggregator.
func NewESF() *ESFAggregator {
	return &ESFAggregator{counts: make([][nGender]int64, len(esfIndicators)), unknown: make([]int64, len(esfIndicators))}
}

// Add counts one case; in is not retained.
func (a *ESFAggregator) Add(in *Input) {
	if in == nil {
		return
	}
	f := factsOf(in)
	a.n++
	if f.left {
		a.leavers++
	}
	for i := range esfIndicators {
		d := &esfIndicators[i]
		if d.result && !f.left {
			continue
		}
		switch d.eval(&f) {
		case yes:
			a.counts[i][f.gender]++
		case unknown:
			a.unknown[i]++
		}
	}
}

// Indicator is one ESF indicator's value.
type Indicator struct {
	Code  string `json:"code"`
	Title string `json:"title"`
	// Result is true for result indicators (population: leavers).
	Result    bool  `json:"result"`
	Total     int64 `json:"total"`
	Women     int64 `json:"women"`
	Men       int64 `json:"men"`
	NonBinary int64 `json:"non_binary"`
	// GenderUnknown counts the total's participants whose gender is unknown.
	GenderUnknown int64 `json:"gender_unknown"`
	// Unknown counts the population whose value could not be decided
	// because a fact was missing.
	Unknown int64 `json:"unknown"`
	// Denominator is the population: all participants for output
	// indicators, the participants who left for result indicators.
	Denominator int64 `json:"denominator"`
}

// ESFReport is the ESF indicator report. Counts only: no rounding applies.
type ESFReport struct {
	Title        string      `json:"title"`
	Participants int64       `json:"participants"`
	Leavers      int64       `json:"leavers"`
	Empty        bool        `json:"empty"`
	Rounding     string      `json:"rounding"`
	Indicators   []Indicator `json:"indicators"`
}

// Report returns the indicators in code order.
func (a *ESFAggregator) Report() ESFReport {
	r := ESFReport{Title: "ESF common indicators", Participants: a.n, Leavers: a.leavers, Empty: a.n == 0,
		Rounding: "none: counts only", Indicators: make([]Indicator, len(esfIndicators))}
	for i, d := range esfIndicators {
		c := a.counts[i]
		den := a.n
		if d.result {
			den = a.leavers
		}
		r.Indicators[i] = Indicator{Code: d.code, Title: d.title, Result: d.result,
			Total: c[gWomen] + c[gMen] + c[gNonBinary] + c[gUnknown], Women: c[gWomen], Men: c[gMen],
			NonBinary: c[gNonBinary], GenderUnknown: c[gUnknown], Unknown: a.unknown[i], Denominator: den}
	}
	return r
}

// Indicator returns the indicator with the given code.
func (r ESFReport) Indicator(code string) (Indicator, bool) {
	for _, i := range r.Indicators {
		if i.Code == code {
			return i, true
		}
	}
	return Indicator{}, false
}

func (r ESFReport) cells() [][]string {
	rows := make([][]string, len(r.Indicators))
	for i, x := range r.Indicators {
		rows[i] = []string{x.Code, x.Title, fmt.Sprint(x.Total), fmt.Sprint(x.Women), fmt.Sprint(x.Men),
			fmt.Sprint(x.NonBinary), fmt.Sprint(x.GenderUnknown), fmt.Sprint(x.Unknown), fmt.Sprint(x.Denominator)}
	}
	return rows
}

var esfColumns = []string{"code", "indicator", "total", "women", "men", "non_binary", "gender_unknown", "fact_unknown", "denominator"}

// Markdown renders the report; the header states both denominators.
func (r ESFReport) Markdown() string {
	meta := fmt.Sprintf("Denominators: %d participants (output indicators), %d leavers (result indicators). Rounding: %s.",
		r.Participants, r.Leavers, r.Rounding)
	if r.Empty {
		meta = "Denominator: 0 participants — empty cohort."
	}
	return table{title: r.Title, meta: meta, columns: esfColumns,
		align: []bool{false, false, true, true, true, true, true, true, true}, rows: r.cells()}.markdown()
}

// CSV renders the report with one row per indicator.
func (r ESFReport) CSV() string { return writeCSV(esfColumns, r.cells()) }
