package outcomes

import (
	"encoding/json"
	"fmt"

	"github.com/shopspring/decimal"

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
	vNotPositive
	vPositiveUnknown
	nVALO
)

type rowDef struct {
	key, breakdown, label, kind string
}

var valoRows = [nVALO]rowDef{
	vWomen:            {"gender.women", "gender", "women", RowFigure},
	vMen:              {"gender.men", "gender", "men", RowComplement},
	vNonBinary:        {"gender.non_binary", "gender", "non-binary", RowComplement},
	vGenderUnknown:    {"gender.unknown", "gender", "gender unknown", RowUnknown},
	vUnder30:          {"age.under_30", "age_at_entry", "under 30 years", RowFigure},
	v30OrOver:         {"age.30_or_over", "age_at_entry", "30 years or over", RowComplement},
	vAgeUnknown:       {"age.unknown", "age_at_entry", "age at entry unknown", RowUnknown},
	vUnemp12:          {"unemployment.over_12_months", "unemployment", "unemployed over 12 months", RowFigure},
	vNotUnemp12:       {"unemployment.not_over_12_months", "unemployment", "not unemployed over 12 months", RowComplement},
	vUnempUnknown:     {"unemployment.unknown", "unemployment", "length of unemployment unknown", RowUnknown},
	vEduBasic:         {"education.basic", "education", "education: basic", RowFigure},
	vEduVocational:    {"education.vocational", "education", "education: vocational qualification", RowFigure},
	vEduHigher:        {"education.higher", "education", "education: higher", RowFigure},
	vEduUnknown:       {"education.unknown", "education", "education: unknown", RowUnknown},
	vDestStudies:      {"destination.studies", "destination", "after the period: continued to studies", RowFigure},
	vDestWork:         {"destination.work", "destination", "after the period: to work (incl. wage-subsidised)", RowFigure},
	vDestUnemployed:   {"destination.unemployed", "destination", "after the period: unemployed job seeker", RowFigure},
	vDestJobSeeking:   {"destination.job_seeking", "destination", "after the period: moved to job seeking", RowFigure},
	vDestOutside:      {"destination.outside", "destination", "after the period: outside working life", RowFigure},
	vDestRedirected:   {"destination.redirected", "destination", "after the period: redirected to a better-suited field", RowOther},
	vDestOtherService: {"destination.other_service", "destination", "after the period: other service", RowOther},
	vDestUnknown:      {"destination.unknown", "destination", "after the period: unknown or not yet left", RowUnknown},
	vPositive:         {"positive.yes", "positive_path", "positive onward path (studies or work)", RowFigure},
	vNotPositive:      {"positive.no", "positive_path", "no positive onward path", RowComplement},
	vPositiveUnknown:  {"positive.unknown", "positive_path", "onward path unknown", RowUnknown},
}

// VALOAggregator counts the VALO table's categories one case at a time. Its
// memory does not grow with the cohort: it holds a fixed set of counters.
// The zero value is not ready; use [NewVALO]. Not safe for concurrent use.
type VALOAggregator struct {
	classifier pathway.Classifier
	defaultCls bool
	n          int64
	counts     [nVALO]int64
}

// NewVALO returns an aggregator that judges positive onward paths with c
// (pathway.DefaultClassifier when nil: studies and work, and also a redirect
// to a better-suited field, are positive).
func NewVALO(c pathway.Classifier) *VALOAggregator {
	a := &VALOAggregator{classifier: c}
	if c == nil {
		a.classifier, a.defaultCls = pathway.DefaultClassifier(), true
	}
	return a
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
	if _, hi, ok := bg.EducationLevel.ISCED(); !ok {
		a.counts[vEduUnknown]++
	} else if hi <= 2 {
		a.counts[vEduBasic]++
	} else if hi <= 4 {
		a.counts[vEduVocational]++
	} else {
		a.counts[vEduHigher]++
	}
	k := pathway.Unknown
	if in.Destination != nil && in.Destination.Kind.Valid() {
		k = in.Destination.Kind
	}
	switch k.Group() {
	case pathway.GroupStudies:
		a.counts[vDestStudies]++
	case pathway.GroupWork:
		a.counts[vDestWork]++
	case pathway.GroupUnemployed:
		a.counts[vDestUnemployed]++
	case pathway.GroupJobSeeking:
		a.counts[vDestJobSeeking]++
	case pathway.GroupOutside:
		a.counts[vDestOutside]++
	case pathway.GroupRedirected:
		a.counts[vDestRedirected]++
	case pathway.GroupOtherService:
		a.counts[vDestOtherService]++
	default:
		a.counts[vDestUnknown]++
	}
	switch {
	case k == pathway.Unknown:
		a.counts[vPositiveUnknown]++
	case a.classifier.Classify(k) == pathway.Positive:
		a.counts[vPositive]++
	default:
		a.counts[vNotPositive]++
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
	return json.Marshal(struct {
		plain
		Percent *string `json:"percent"`
	}{plain(r), pct})
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
			if i == vPositive && !a.defaultCls {
				r.Label = "positive onward path"
			}
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
		return r.Count != 0
	}
	return false
}

// Markdown renders the seed-style table: figure rows, and unknown or other
// rows that are not zero. The header line states the denominator and the
// rounding rule.
func (t VALOTable) Markdown() string {
	tb := table{
		title:   t.Title,
		meta:    metaLine(t.Denominator, "participants", t.Empty, t.Rounding),
		columns: []string{"figure", "count", "%"},
		align:   []bool{false, true, true},
	}
	for _, r := range t.Rows {
		if r.shown() {
			tb.rows = append(tb.rows, []string{r.Label, fmt.Sprint(r.Count), pctCell(r)})
		}
	}
	return tb.markdown()
}

// CSV renders every row (complements and zero unknown rows included) with
// its denominator and rounding rule.
func (t VALOTable) CSV() string {
	return rowsCSV(t.Rows)
}

func pctCell(r Row) string {
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
