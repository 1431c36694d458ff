package outcomes

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

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
	upon, six   result // what the statuses at the checkpoints count as
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
	f.disadv = triOf(in.Disadvantaged)
	f.thirdCountr, f.minority = triOf(firstKnown(in.ThirdCountryNational, bg.ThirdCountryNational)), triOf(firstKnown(in.Minority, bg.Minority))
	f.qualified, f.improved = triOf(in.QualificationGained), triOf(in.ImprovedSituation)
	f.left = left(in)
	f.upon, f.uponKnown = resultOf(in.UponLeaving)
	f.six, f.sixKnown = resultOf(in.SixMonths)
	switch f.labour {
	case coaching.LabourUnemployed, coaching.LabourEmployed, coaching.LabourInactive, coaching.LabourInEducation:
	default:
		f.labour = coaching.LabourUnknown
	}
	return f
}

// firstKnown returns the first of facts that is known (not nil), or nil.
func firstKnown(facts ...*bool) *bool {
	for _, b := range facts {
		if b != nil {
			return b
		}
	}
	return nil
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

// checkpoint names the follow-up checkpoint a result indicator reads.
type checkpoint uint8

const (
	atNone checkpoint = iota
	atUponLeaving
	atSixMonths
)

// status reports whether the status at checkpoint at counts as any of rs.
func (f *facts) status(at checkpoint, rs result) tri {
	var got result
	var known bool
	switch at {
	case atUponLeaving:
		got, known = f.upon, f.uponKnown
	case atSixMonths:
		got, known = f.six, f.sixKnown
	default:
		return unknown
	}
	if !known {
		return unknown
	}
	return triIf(got&rs != 0)
}

// The characteristics of CO15, CO16 and CO17.
func (f *facts) foreignOrMinority() tri { return or(f.foreign, f.minority) }
func (f *facts) disabled() tri          { return f.disability }
func (f *facts) otherDisadv() tri       { return f.disadv }

// disadvantagedBy declares who is a "disadvantaged participant" in CR05 and
// CR09: a participant counted in any of these output indicators — CO17
// "other disadvantaged" is the rest beside migrants, foreign background and
// minorities (CO15) and disabilities (CO16). CO12–CO14 were removed from
// the regulation, and CO18 (homeless) and CO19 (rural) need data the
// library does not hold. The indicators' titles name the codes.
var disadvantagedBy = []struct {
	code string
	eval func(*facts) tri
}{
	{"CO15", (*facts).foreignOrMinority},
	{"CO16", (*facts).disabled},
	{"CO17", (*facts).otherDisadv},
}

// disadvantaged reports whether the participant is counted in any of
// disadvantagedBy.
func (f *facts) disadvantaged() tri {
	t := no
	for _, d := range disadvantagedBy {
		t = or(t, d.eval(f))
	}
	return t
}

func disadvantagedCodes() string {
	codes := make([]string, len(disadvantagedBy))
	for i, d := range disadvantagedBy {
		codes[i] = d.code
	}
	return joinOr(codes)
}

const maxAge = 1 << 30

// indicator is a definition: result reports whether it is a result
// indicator (population: participants who left) and eval its value. A
// result indicator that depends on the status after leaving declares it:
// at is the checkpoint and statuses the results that count (resultDefs say
// which destinations those are); eval gets whether the status counts as
// status.
type indicator struct {
	code, title string
	result      bool
	at          checkpoint
	statuses    result
	eval        func(f *facts, status tri) tri
}

// output declares an output indicator (or a result one that does not read
// a status after leaving).
func output(code, title string, eval func(f *facts) tri) indicator {
	return indicator{code: code, title: title, eval: func(f *facts, _ tri) tri { return eval(f) }}
}

// outcome declares a result indicator read from the status at a
// checkpoint; eval combines that with other facts.
func outcome(code, title string, at checkpoint, statuses result, eval func(f *facts, status tri) tri) indicator {
	return indicator{code: code, title: title, result: true, at: at, statuses: statuses, eval: eval}
}

func statusOnly(_ *facts, status tri) tri { return status }

var crDisadvantaged = "disadvantaged (counted in " + disadvantagedCodes() + ")"

var esfIndicators = []indicator{
	output("CO01", "unemployed, including long-term unemployed", func(f *facts) tri { return f.labourIs(coaching.LabourUnemployed) }),
	output("CO02", "long-term unemployed (under 25: over 6 months; 25 or over: over 12 months, age at entry)", (*facts).ltu),
	output("CO03", "inactive", func(f *facts) tri { return f.labourIs(coaching.LabourInactive, coaching.LabourInEducation) }),
	output("CO04", "inactive, not in education or training", func(f *facts) tri { return f.labourIs(coaching.LabourInactive) }),
	output("CO05", "employed, including self-employed", func(f *facts) tri { return f.labourIs(coaching.LabourEmployed) }),
	output("CO06", "below 25 years of age at entry", func(f *facts) tri { return f.ageIn(0, 24) }),
	output("CO07", "above 54 years of age at entry (55 or older)", func(f *facts) tri { return f.ageIn(55, maxAge) }),
	output("CO08", "above 54, unemployed or inactive not in education or training", func(f *facts) tri {
		return and(f.ageIn(55, maxAge), f.labourIs(coaching.LabourUnemployed, coaching.LabourInactive))
	}),
	output("CO09", "primary or lower secondary education (ISCED 1–2; ISCED 0 included)", func(f *facts) tri { return f.isced(0, 2) }),
	output("CO10", "upper secondary or post-secondary non-tertiary education (ISCED 3–4)", func(f *facts) tri { return f.isced(3, 4) }),
	output("CO11", "tertiary education (ISCED 5–8)", func(f *facts) tri { return f.isced(5, 8) }),
	output("CO15", "migrants, participants with a foreign background, minorities", (*facts).foreignOrMinority),
	output("CO16", "participants with disabilities", (*facts).disabled),
	output("CO17", "other disadvantaged", (*facts).otherDisadv),
	outcome("CR01", "inactive participants newly engaged in job searching upon leaving", atUponLeaving, resultJobSearching, func(f *facts, s tri) tri {
		return and(f.labourIs(coaching.LabourInactive, coaching.LabourInEducation), s)
	}),
	outcome("CR02", "in education or training upon leaving", atUponLeaving, resultEducation, statusOnly),
	{code: "CR03", title: "gaining a qualification upon leaving", result: true, eval: func(f *facts, _ tri) tri { return f.qualified }},
	outcome("CR04", "in employment, including self-employment, upon leaving", atUponLeaving, resultEmployment, statusOnly),
	outcome("CR05", crDisadvantaged+", engaged in job searching, in education or training, gaining a qualification or in employment upon leaving",
		atUponLeaving, resultJobSearching|resultEducation|resultEmployment, func(f *facts, s tri) tri {
			return and(f.disadvantaged(), or(s, f.qualified))
		}),
	outcome("CR06", "in employment, including self-employment, six months after leaving", atSixMonths, resultEmployment, statusOnly),
	{code: "CR07", title: "improved labour-market situation six months after leaving (employed at entry)", result: true, eval: func(f *facts, _ tri) tri {
		return and(f.labourIs(coaching.LabourEmployed), f.improved)
	}},
	outcome("CR08", "above 54, in employment six months after leaving", atSixMonths, resultEmployment, func(f *facts, s tri) tri {
		return and(f.ageIn(55, maxAge), s)
	}),
	outcome("CR09", crDisadvantaged+", in employment six months after leaving", atSixMonths, resultEmployment, func(f *facts, s tri) tri {
		return and(f.disadvantaged(), s)
	}),
	output("EECO01", "total number of participants", func(*facts) tri { return yes }),
	output("EECO02", "unemployed, including long-term unemployed", func(f *facts) tri { return f.labourIs(coaching.LabourUnemployed) }),
	output("EECO03", "long-term unemployed", (*facts).ltu),
	output("EECO04", "inactive", func(f *facts) tri { return f.labourIs(coaching.LabourInactive, coaching.LabourInEducation) }),
	output("EECO05", "employed, including self-employed", func(f *facts) tri { return f.labourIs(coaching.LabourEmployed) }),
	output("EECO06", "children below 18 years of age", func(f *facts) tri { return f.ageIn(0, 17) }),
	output("EECO07", "young people between 18 and 29 years of age", func(f *facts) tri { return f.ageIn(18, 29) }),
	output("EECO08", "participants aged 55 and above", func(f *facts) tri { return f.ageIn(55, maxAge) }),
	output("EECO09", "lower secondary education or less (ISCED 0–2)", func(f *facts) tri { return f.isced(0, 2) }),
	output("EECO10", "upper secondary or post-secondary education (ISCED 3–4)", func(f *facts) tri { return f.isced(3, 4) }),
	output("EECO11", "tertiary education (ISCED 5–8)", func(f *facts) tri { return f.isced(5, 8) }),
	output("EECO12", "participants with disabilities", (*facts).disabled),
	output("EECO13", "third-country nationals", func(f *facts) tri { return f.thirdCountr }),
	output("EECO14", "participants with a foreign background", func(f *facts) tri { return f.foreign }),
	output("EECO15", "minorities (including marginalised communities such as the Roma)", func(f *facts) tri { return f.minority }),
	outcome("EECR01", "engaged in job searching upon leaving", atUponLeaving, resultJobSearching, statusOnly),
	outcome("EECR02", "in education or training upon leaving", atUponLeaving, resultEducation, statusOnly),
	{code: "EECR03", title: "gaining a qualification upon leaving", result: true, eval: func(f *facts, _ tri) tri { return f.qualified }},
	outcome("EECR04", "in employment, including self-employment, upon leaving", atUponLeaving, resultEmployment, statusOnly),
	outcome("EECR05", "in employment, including self-employment, six months after leaving", atSixMonths, resultEmployment, statusOnly),
	{code: "EECR06", title: "improved labour-market situation six months after leaving (employed at entry)", result: true, eval: func(f *facts, _ tri) tri {
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
// through one declared mapping from a destination to the results it counts
// as (job searching: job seeking and unemployed; education or training:
// studies and apprenticeships; employment: every kind of work, apprenticeships
// and self-employment included), so job searching and employment are
// mutually exclusive while an apprentice is both employed and in training;
// a redirect or another service says neither and is a fact unknown. Each
// result indicator lists the destinations that count for it
// ([Indicator.Destinations]) and the report's notes say the mapping. The
// "disadvantaged participants" of CR05 and CR09 are those counted in CO15,
// CO16 or CO17. Output indicators are of all
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
		switch d.eval(&f, f.status(d.at, d.statuses)) {
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
	// Destinations lists, for a result indicator read from the status after
	// leaving, the statuses (pathway.Kind codes) that count for it.
	Destinations []string `json:"destinations,omitempty"`
	// Suppressed lists, after [ESFReport.Suppress], the cells not
	// published (small-number protection) by their CSV column names
	// ("women", "total", "fact_unknown", …); each holds 0 and the
	// renderings show [SuppressedMark].
	Suppressed []string `json:"suppressed,omitempty"`
}

// ESFReport is the ESF indicator report. Counts only: no rounding applies.
type ESFReport struct {
	Title        string      `json:"title"`
	Participants int64       `json:"participants"`
	Leavers      int64       `json:"leavers"`
	Empty        bool        `json:"empty"`
	Rounding     string      `json:"rounding"`
	Indicators   []Indicator `json:"indicators"`
	// Notes say which statuses after leaving count as which result, and
	// who is disadvantaged (generated from the declarations the indicators
	// count by).
	Notes []string `json:"notes"`
	// SuppressionThreshold is set by [ESFReport.Suppress]: the counts
	// below it are suppressed.
	SuppressionThreshold int64 `json:"suppression_threshold,omitempty"`
}

// Report returns the indicators in code order.
func (a *ESFAggregator) Report() ESFReport {
	r := ESFReport{Title: "ESF common indicators", Participants: a.n, Leavers: a.leavers, Empty: a.n == 0,
		Rounding: "none: counts only", Indicators: make([]Indicator, len(esfIndicators)), Notes: esfNotes()}
	for i, d := range esfIndicators {
		c := a.counts[i]
		den := a.n
		if d.result {
			den = a.leavers
		}
		r.Indicators[i] = Indicator{Code: d.code, Title: d.title, Result: d.result,
			Total: c[gWomen] + c[gMen] + c[gNonBinary] + c[gUnknown], Women: c[gWomen], Men: c[gMen],
			NonBinary: c[gNonBinary], GenderUnknown: c[gUnknown], Unknown: a.unknown[i], Denominator: den}
		if d.at != atNone {
			r.Indicators[i].Destinations = kindCodes(resultKinds(d.statuses))
		}
	}
	return r
}

// esfNotes say what the status after leaving counts as, and who is
// disadvantaged.
func esfNotes() []string {
	notes := []string{"Upon leaving: the last status in the 28 days after leaving; six months after leaving: the status then."}
	notes = append(notes, resultNotes()...)
	return append(notes, "Disadvantaged (CR05, CR09): counted in "+disadvantagedCodes()+".")
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
		rows[i] = []string{x.Code, x.Title, x.Cell("total"), x.Cell("women"), x.Cell("men"),
			x.Cell("non_binary"), x.Cell("gender_unknown"), x.Cell("fact_unknown"), fmt.Sprint(x.Denominator)}
	}
	return rows
}

// Cell is the named cell ("total", "women", "men", "non_binary",
// "gender_unknown", "fact_unknown") as the renderings show it: its count,
// or [SuppressedMark] when it is suppressed; "" for an unknown name.
func (x Indicator) Cell(name string) string {
	if slices.Contains(x.Suppressed, name) {
		return SuppressedMark
	}
	v, ok := map[string]int64{"total": x.Total, "women": x.Women, "men": x.Men, "non_binary": x.NonBinary,
		"gender_unknown": x.GenderUnknown, "fact_unknown": x.Unknown}[name]
	if !ok {
		return ""
	}
	return fmt.Sprint(v)
}

var esfColumns = []string{"code", "indicator", "total", "women", "men", "non_binary", "gender_unknown", "fact_unknown", "denominator"}

// CSV renders the report with one row per indicator; the last column lists
// the statuses after leaving (space-separated pathway.Kind codes) that
// count for a result indicator.
func (r ESFReport) CSV() string {
	rows := r.cells()
	for i, x := range r.Indicators {
		rows[i] = append(rows[i], strings.Join(x.Destinations, " "))
	}
	return writeCSV(append(slices.Clone(esfColumns), "destinations"), rows)
}

// Markdown renders the report; the header states both denominators and the
// notes under the table say which statuses count as which result.
func (r ESFReport) Markdown() string {
	meta := fmt.Sprintf("Denominators: %d participants (output indicators), %d leavers (result indicators). Rounding: %s.",
		r.Participants, r.Leavers, r.Rounding)
	if r.Empty {
		meta = "Denominator: 0 participants — empty cohort."
	}
	return table{title: r.Title, meta: meta, columns: esfColumns,
		align: []bool{false, false, true, true, true, true, true, true, true}, rows: r.cells(), notes: r.Notes}.markdown()
}

// MarshalJSON writes a suppressed cell ([ESFReport.Suppress]) as null.
func (x Indicator) MarshalJSON() ([]byte, error) {
	type plain Indicator
	cell := func(name string, v int64) *int64 {
		if slices.Contains(x.Suppressed, name) {
			return nil
		}
		return &v
	}
	return json.Marshal(struct {
		plain
		Total         *int64 `json:"total"`
		Women         *int64 `json:"women"`
		Men           *int64 `json:"men"`
		NonBinary     *int64 `json:"non_binary"`
		GenderUnknown *int64 `json:"gender_unknown"`
		Unknown       *int64 `json:"unknown"`
	}{plain(x), cell("total", x.Total), cell("women", x.Women), cell("men", x.Men), cell("non_binary", x.NonBinary),
		cell("gender_unknown", x.GenderUnknown), cell("fact_unknown", x.Unknown)})
}
