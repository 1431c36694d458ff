package outcomes

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/pathway"
)

// Row kinds: how a row relates to the seed table.
const (
	// RowFigure is a row of the seed table (women, under 30, …).
	RowFigure = "figure"
	// RowComplement completes a breakdown (men, 30 or over, …); the
	// Markdown table leaves it out, as the seed does.
	RowComplement = "complement"
	// RowUnknown counts cases whose fact is missing; the Markdown table
	// shows it whenever it is not zero.
	RowUnknown = "unknown"
	// RowOther is a category the seed table has no row for (e.g.
	// redirected to a better-suited field); shown when not zero.
	RowOther = "other"
)

// VALO row indices.
const (
	vWomen = iota
	vMen
	vNonBinary
	vGenderUnknown
	vUnder30
	v30OrOver
	vAgeUnknown
	vUnemp12
	vNotUnemp12
	vUnempUnknown
	vEduBasic
	vEduVocational
	vEduHigher
	vEduGeneral
	vEduUnknown
	vDestStudies
	vDestWork
	vDestUnemployed
	vDestJobSeeking
	vDestOutside
	vDestRedirected
	vDestOtherService
	vDestUnknown
	vPositive
	vPositiveOther
	vNotPositive
	vPositiveUnknown
	nVALO
)

// rowDef declares a row. A destination row counts the destinations of its
// groups and an education row the levels it lists: these declarations are
// the only mapping [VALOAggregator.Add] counts by, and [Row.Includes]
// reports them. The rows of the positive-path breakdown depend on the
// classifier; see [VALOAggregator].
type rowDef struct {
	key, breakdown, label, kind string
	groups                      []pathway.Group
	levels                      []coaching.EducationLevel
}

var valoRows = [nVALO]rowDef{
	vWomen:            {key: "gender.women", breakdown: "gender", label: "women", kind: RowFigure},
	vMen:              {key: "gender.men", breakdown: "gender", label: "men", kind: RowComplement},
	vNonBinary:        {key: "gender.non_binary", breakdown: "gender", label: "non-binary", kind: RowComplement},
	vGenderUnknown:    {key: "gender.unknown", breakdown: "gender", label: "gender unknown", kind: RowUnknown},
	vUnder30:          {key: "age.under_30", breakdown: "age_at_entry", label: "under 30 years", kind: RowFigure},
	v30OrOver:         {key: "age.30_or_over", breakdown: "age_at_entry", label: "30 years or over", kind: RowComplement},
	vAgeUnknown:       {key: "age.unknown", breakdown: "age_at_entry", label: "age at entry unknown", kind: RowUnknown},
	vUnemp12:          {key: "unemployment.over_12_months", breakdown: "unemployment", label: "unemployed over 12 months", kind: RowFigure},
	vNotUnemp12:       {key: "unemployment.not_over_12_months", breakdown: "unemployment", label: "not unemployed over 12 months", kind: RowComplement},
	vUnempUnknown:     {key: "unemployment.unknown", breakdown: "unemployment", label: "length of unemployment unknown", kind: RowUnknown},
	vEduBasic:         {key: "education.basic", breakdown: "education", label: "education: basic", kind: RowFigure, levels: []coaching.EducationLevel{coaching.EducationBelowBasic, coaching.EducationBasic}},
	vEduVocational:    {key: "education.vocational", breakdown: "education", label: "education: vocational qualification", kind: RowFigure, levels: []coaching.EducationLevel{coaching.EducationVocational, coaching.EducationSpecialistVocational}},
	vEduHigher:        {key: "education.higher", breakdown: "education", label: "education: higher", kind: RowFigure, levels: []coaching.EducationLevel{coaching.EducationHigher}},
	vEduGeneral:       {key: "education.general_upper_secondary", breakdown: "education", label: "education: general upper secondary", kind: RowOther, levels: []coaching.EducationLevel{coaching.EducationGeneralUpperSecondary}},
	vEduUnknown:       {key: "education.unknown", breakdown: "education", label: "education: unknown", kind: RowUnknown},
	vDestStudies:      {key: "destination.studies", breakdown: "destination", label: "after the period: continued to studies", kind: RowFigure, groups: []pathway.Group{pathway.GroupStudies}},
	vDestWork:         {key: "destination.work", breakdown: "destination", label: "after the period: to work (incl. wage-subsidised)", kind: RowFigure, groups: []pathway.Group{pathway.GroupWork}},
	vDestUnemployed:   {key: "destination.unemployed", breakdown: "destination", label: "after the period: unemployed job seeker", kind: RowFigure, groups: []pathway.Group{pathway.GroupUnemployed}},
	vDestJobSeeking:   {key: "destination.job_seeking", breakdown: "destination", label: "after the period: moved to job seeking", kind: RowFigure, groups: []pathway.Group{pathway.GroupJobSeeking}},
	vDestOutside:      {key: "destination.outside", breakdown: "destination", label: "after the period: outside working life", kind: RowFigure, groups: []pathway.Group{pathway.GroupOutside}},
	vDestRedirected:   {key: "destination.redirected", breakdown: "destination", label: "after the period: redirected to a better-suited field", kind: RowOther, groups: []pathway.Group{pathway.GroupRedirected}},
	vDestOtherService: {key: "destination.other_service", breakdown: "destination", label: "after the period: other service", kind: RowOther, groups: []pathway.Group{pathway.GroupOtherService}},
	vDestUnknown:      {key: "destination.unknown", breakdown: "destination", label: "after the period: unknown or not yet left", kind: RowUnknown, groups: []pathway.Group{pathway.GroupUnknown}},
	// The positive-path labels are generated from what the rows count.
	vPositive:        {key: "positive.yes", breakdown: "positive_path", label: "positive onward path (%s)", kind: RowFigure},
	vPositiveOther:   {key: "positive.other", breakdown: "positive_path", label: "other positive destination (%s)", kind: RowOther},
	vNotPositive:     {key: "positive.no", breakdown: "positive_path", label: "no positive destination (%s)", kind: RowComplement},
	vPositiveUnknown: {key: "positive.unknown", breakdown: "positive_path", label: "onward path unknown", kind: RowUnknown},
}

// destinationRow and educationRow are the declarations of valoRows by
// destination group and education level.
var (
	destinationRow = func() map[pathway.Group]int {
		m := map[pathway.Group]int{}
		for i, d := range valoRows {
			for _, g := range d.groups {
				m[g] = i
			}
		}
		return m
	}()
	educationRow = func() map[coaching.EducationLevel]int {
		m := map[coaching.EducationLevel]int{}
		for i, d := range valoRows {
			for _, l := range d.levels {
				m[l] = i
			}
		}
		return m
	}()
)

// VALOAggregator counts the VALO table's categories one case at a time. Its
// memory does not grow with the cohort: it holds a fixed set of counters.
// The zero value is not ready; use [NewVALO]. Not safe for concurrent use.
//
// The positive-path breakdown splits the destinations by the classifier and
// by the onward path the funder reads in "positive onward path (studies or
// work)": "positive.yes" counts the positive destinations in studies or
// work, "positive.other" the other positive ones (by default a redirect to a
// better-suited field, a success in the first-year pilot's sense),
// "positive.no" the rest that are known. The rows' labels, [Row.Includes]
// and [VALOTable.Notes] are generated from this split, so they say exactly
// what each row counts.
type VALOAggregator struct {
	// byKind holds the destination and positive-path rows of every
	// destination (Unknown included), from the declarations.
	byKind map[pathway.Kind]kindRows
	n      int64
	counts [nVALO]int64
}

// kindRows are the rows a destination is counted in.
type kindRows struct{ destination, positive int }

// NewVALO returns an aggregator that judges destinations with c
// (pathway.DefaultClassifier when nil: studies, work and a redirect to a
// better-suited field are positive; the redirect is counted in its own row,
// not in the positive onward path).
func NewVALO(c pathway.Classifier) *VALOAggregator {
	if c == nil {
		c = pathway.DefaultClassifier()
	}
	a := &VALOAggregator{byKind: map[pathway.Kind]kindRows{}}
	for _, k := range pathway.Kinds() {
		dest, ok := destinationRow[k.Group()]
		if !ok {
			dest = vDestUnknown
		}
		a.byKind[k] = kindRows{destination: dest, positive: positiveRowOf(c, k)}
	}
	return a
}

// positiveRowOf is the one rule that puts a destination in a row of the
// positive-path breakdown.
func positiveRowOf(c pathway.Classifier, k pathway.Kind) int {
	switch {
	case k == pathway.Unknown || !k.Valid():
		return vPositiveUnknown
	case c.Classify(k) != pathway.Positive:
		return vNotPositive
	case slices.Contains(onwardPath, k.Group()):
		return vPositive
	}
	return vPositiveOther
}

// Add counts one case. It never fails: a missing or invalid fact is counted
// in its breakdown's unknown row. in is not retained.
func (a *VALOAggregator) Add(in *Input) {
	if in == nil {
		return
	}
	a.n++
	bg := &in.Participant.Background
	switch genderIndex(bg.Gender) {
	case gWomen:
		a.counts[vWomen]++
	case gMen:
		a.counts[vMen]++
	case gNonBinary:
		a.counts[vNonBinary]++
	default:
		a.counts[vGenderUnknown]++
	}
	if age, ok := AgeAtEntry(in); !ok {
		a.counts[vAgeUnknown]++
	} else if age < 30 {
		a.counts[vUnder30]++
	} else {
		a.counts[v30OrOver]++
	}
	if m, ok := unemployedMonths(bg); !ok {
		a.counts[vUnempUnknown]++
	} else if m > 12 {
		a.counts[vUnemp12]++
	} else {
		a.counts[vNotUnemp12]++
	}
	if i, ok := educationRow[bg.EducationLevel]; ok {
		a.counts[i]++
	} else {
		a.counts[vEduUnknown]++
	}
	k := pathway.Unknown
	if in.Destination != nil && in.Destination.Kind.Valid() {
		k = in.Destination.Kind
	}
	rows := a.byKind[k] // every valid kind is declared
	a.counts[rows.destination]++
	a.counts[rows.positive]++
}

// includes returns the destinations row i counts, or nil for a row that
// is not about destinations.
func (a *VALOAggregator) includes(i int) []pathway.Kind {
	var out []pathway.Kind
	switch valoRows[i].breakdown {
	case "destination":
		for _, k := range pathway.Kinds() {
			if slices.Contains(valoRows[i].groups, k.Group()) {
				out = append(out, k)
			}
		}
	case "positive_path":
		for _, k := range pathway.Kinds() {
			if a.byKind[k].positive == i {
				out = append(out, k)
			}
		}
	}
	return out
}

// label returns row i's label: the declared one, with what the row counts
// filled in for the positive-path rows.
func (a *VALOAggregator) label(i int) string {
	d := valoRows[i]
	if d.breakdown != "positive_path" || !strings.Contains(d.label, "%s") {
		return d.label
	}
	return fmt.Sprintf(d.label, describeKinds(a.includes(i)))
}

// notes say which destinations the positive rows count.
func (a *VALOAggregator) notes() []string {
	yes, other := a.label(vPositive), a.label(vPositiveOther)
	var groups []string
	for _, g := range onwardPath {
		groups = append(groups, groupTitles[g])
	}
	return []string{
		fmt.Sprintf("%s counts: %s.", yes, listKinds(a.includes(vPositive))),
		fmt.Sprintf("%s counts: %s (positive, but not %s, so not in the positive onward path).",
			other, listKinds(a.includes(vPositiveOther)), joinOr(groups)),
	}
}

// Count returns the number of cases added.
func (a *VALOAggregator) Count() int64 { return a.n }

// Row is one line of a report: a count, its denominator and its percentage.
type Row struct {
	Key       string `json:"key"`
	Breakdown string `json:"breakdown"`
	Label     string `json:"label"`
	// Kind is RowFigure, RowComplement, RowUnknown or RowOther.
	Kind        string `json:"kind"`
	Count       int64  `json:"count"`
	Denominator int64  `json:"denominator"`
	// Percent is Count/Denominator×100 under Rounding; meaningless when
	// the report is empty (HasPercent false).
	Percent    decimal.Decimal `json:"-"`
	HasPercent bool            `json:"-"`
	Rounding   Rounding        `json:"rounding"`
	Places     int32           `json:"-"`
	// Includes lists the codes of the categories the row counts: destination
	// kinds (pathway.Kind, "unknown" for an unknown destination) for the
	// destination and positive-path rows, education levels for the
	// education rows other than the unknown one. It is empty for the other
	// rows (gender, thresholds) and for the unknown rows of gender, age,
	// unemployment and education.
	Includes []string `json:"includes,omitempty"`
	// Suppressed is set by [VALOTable.Suppress] on a row whose count is
	// not published (small-number protection): Count is 0, there is no
	// percentage, JSON writes the count as null and the renderings
	// [SuppressedMark].
	Suppressed bool `json:"suppressed,omitempty"`
}

// PercentString formats the percentage with its places, or "" when there
// is none.
func (r Row) PercentString() string {
	if !r.HasPercent {
		return ""
	}
	return r.Percent.StringFixed(r.Places)
}

// MarshalJSON writes the percentage as a decimal string with its places
// ("66.2", "100.0"), or null for an empty cohort.
func (r Row) MarshalJSON() ([]byte, error) {
	type plain Row
	var pct *string
	if r.HasPercent {
		s := r.PercentString()
		pct = &s
	}
	var count *int64
	if !r.Suppressed {
		count = &r.Count
	}
	return json.Marshal(struct {
		plain
		Count   *int64  `json:"count"`
		Percent *string `json:"percent"`
	}{plain(r), count, pct})
}

// VALOTable is the VALO figures table (DOMAIN.md §1).
type VALOTable struct {
	Title string `json:"title"`
	// Denominator is the number of participants every percentage is of.
	Denominator int64 `json:"denominator"`
	// Empty is true when the cohort has no cases; no row has a percentage.
	Empty bool `json:"empty"`
	// Rounding states the rounding rule in words.
	Rounding string `json:"rounding"`
	Rows     []Row  `json:"rows"`
	// Notes say which destinations the positive rows count (generated
	// from the same mapping the rows count by).
	Notes []string `json:"notes"`
	// SuppressionThreshold is set by [VALOTable.Suppress]: the counts
	// below it are suppressed.
	SuppressionThreshold int64 `json:"suppression_threshold,omitempty"`
}

// Table computes the table under o. Every breakdown's rows (unknown rows
// included) sum to the denominator. It returns an error only for invalid
// options; an empty cohort gives a table with Empty set.
func (a *VALOAggregator) Table(o Options) (VALOTable, error) {
	o, err := o.normalised()
	if err != nil {
		return VALOTable{}, err
	}
	t := VALOTable{
		Title:       "VALO coaching: participants and onward paths",
		Denominator: a.n,
		Empty:       a.n == 0,
		Rounding:    o.Describe(),
		Rows:        make([]Row, 0, nVALO),
		Notes:       a.notes(),
	}
	for start := 0; start < nVALO; {
		end := start
		for end < nVALO && valoRows[end].breakdown == valoRows[start].breakdown {
			end++
		}
		counts := a.counts[start:end]
		rules := make([]Rounding, end-start)
		for i := range rules {
			rules[i] = o.RowRounding[valoRows[start+i].key]
		}
		var pcts []decimal.Decimal
		if a.n > 0 {
			pcts, err = percentages(counts, a.n, o.Places, o.Rounding, rules)
			if err != nil {
				return VALOTable{}, fmt.Errorf("outcomes: breakdown %s: %w", valoRows[start].breakdown, err)
			}
		}
		for i := start; i < end; i++ {
			d := valoRows[i]
			r := Row{Key: d.key, Breakdown: d.breakdown, Label: d.label, Kind: d.kind,
				Count: a.counts[i], Denominator: a.n, Rounding: o.Rounding, Places: o.Places}
			if rr := rules[i-start]; rr != "" {
				r.Rounding = rr
			}
			r.Label = a.label(i)
			for _, l := range d.levels {
				r.Includes = append(r.Includes, string(l))
			}
			r.Includes = append(r.Includes, kindCodes(a.includes(i))...)
			if pcts != nil {
				r.Percent, r.HasPercent = pcts[i-start], true
			}
			t.Rows = append(t.Rows, r)
		}
		start = end
	}
	return t, nil
}

// Row returns the row with the given key.
func (t VALOTable) Row(key string) (Row, bool) {
	for _, r := range t.Rows {
		if r.Key == key {
			return r, true
		}
	}
	return Row{}, false
}

// shown reports whether the Markdown table shows the row.
func (r Row) shown() bool {
	switch r.Kind {
	case RowFigure:
		return true
	case RowUnknown, RowOther:
		return r.Count != 0 || r.Suppressed
	}
	return false
}

// Markdown renders the seed-style table: figure rows, and unknown or other
// rows that are not zero. The header line states the denominator and the
// rounding rule; the notes under the table say which destinations the
// positive rows count.
func (t VALOTable) Markdown() string {
	tb := table{
		title:   t.Title,
		meta:    metaLine(t.Denominator, "participants", t.Empty, t.Rounding),
		columns: []string{"figure", "count", "%"},
		align:   []bool{false, true, true},
		notes:   t.Notes,
	}
	for _, r := range t.Rows {
		if r.shown() {
			tb.rows = append(tb.rows, []string{r.Label, countCell(r), pctCell(r)})
		}
	}
	return tb.markdown()
}

// CSV renders every row (complements and zero unknown rows included) with
// its denominator, rounding rule and the codes of what it includes
// (space-separated).
func (t VALOTable) CSV() string {
	return rowsCSV(t.Rows)
}

// countCell is the row's count, or [SuppressedMark].
func countCell(r Row) string {
	if r.Suppressed {
		return SuppressedMark
	}
	return fmt.Sprint(r.Count)
}

func pctCell(r Row) string {
	if r.Suppressed {
		return SuppressedMark
	}
	if !r.HasPercent {
		return "–"
	}
	return r.PercentString()
}

func metaLine(den int64, unit string, empty bool, rounding string) string {
	if empty {
		return fmt.Sprintf("Denominator: 0 %s — empty cohort, no percentages.", unit)
	}
	return fmt.Sprintf("Denominator: %d %s. Rounding: %s.", den, unit, rounding)
}
