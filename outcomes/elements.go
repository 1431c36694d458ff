package outcomes

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/session"
	"github.com/valmennus/valmennus/pathway"
)

// MinGroup is the smallest group whose rates the coaching-elements report
// shows: below it a rate and its interval say more than the data supports,
// so the row gives its counts only and is marked too few.
const MinGroup = 5

// wilsonZ is the normal quantile of a two-sided 95 % interval.
const wilsonZ = 1.959963984540054

// Wilson returns the Wilson score interval of k successes in n trials at
// the normal quantile z (1.959963984540054 for 95 %):
//
//	centre = (p + z²/2n) / (1 + z²/n)
//	half   = z / (1 + z²/n) × √(p(1−p)/n + z²/4n²),  p = k/n
//
// clamped to [0, 1]. Unlike p ± z√(p(1−p)/n) it stays inside [0, 1] and
// is not zero-width at 0/n or n/n. It is computed in float64: an interval
// is an approximation, and the report rounds it to 0.1 percentage points.
// An error for n ≤ 0, k < 0, k > n or z ≤ 0.
func Wilson(k, n int64, z float64) (lo, hi float64, err error) {
	if n <= 0 || k < 0 || k > n || !(z > 0) {
		return 0, 0, fmt.Errorf("outcomes: Wilson interval of %d/%d at z=%v: need 0 ≤ k ≤ n, n > 0, z > 0", k, n, z)
	}
	nf, p := float64(n), float64(k)/float64(n)
	z2 := z * z
	den := 1 + z2/nf
	centre := (p + z2/(2*nf)) / den
	half := z / den * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf))
	return max(0, centre-half), min(1, centre+half), nil
}

// Proportion is a count out of a group with, when the group is large
// enough ([MinGroup]), its percentage (exact decimal, rounded half up to
// 0.1) and its Wilson 95 % interval in percent (rounded half up to 0.1).
type Proportion struct {
	Count int64 `json:"count"`
	N     int64 `json:"n"`
	// TooFew is set when N < MinGroup: no rate, no interval.
	TooFew  bool                `json:"too_few"`
	Percent decimal.NullDecimal `json:"percent"`
	Low     decimal.NullDecimal `json:"low"`
	High    decimal.NullDecimal `json:"high"`
	// lo and hi are the unrounded interval, for the overlap test.
	lo, hi float64
}

func proportion(k, n int64) Proportion {
	p := Proportion{Count: k, N: n, TooFew: n < MinGroup}
	if p.TooFew {
		return p
	}
	p.Percent = decimal.NewNullDecimal(decimal.NewFromInt(k).Mul(hundred).DivRound(decimal.NewFromInt(n), 8).Round(1))
	p.lo, p.hi, _ = Wilson(k, n, wilsonZ) // n ≥ MinGroup > 0, 0 ≤ k ≤ n
	p.Low = decimal.NewNullDecimal(decimal.NewFromFloat(p.lo * 100).Round(1))
	p.High = decimal.NewNullDecimal(decimal.NewFromFloat(p.hi * 100).Round(1))
	return p
}

// String is "45.5 (34.8–56.6)", "too few" or "–" for an empty group.
func (p Proportion) String() string {
	switch {
	case p.N == 0:
		return "–"
	case p.TooFew:
		return "too few"
	}
	return fmt.Sprintf("%s (%s–%s)", p.Percent.Decimal.StringFixed(1), p.Low.Decimal.StringFixed(1), p.High.Decimal.StringFixed(1))
}

// Overlaps reports whether both proportions have intervals and they
// overlap; false when either is too few.
func (p Proportion) Overlaps(q Proportion) bool {
	return !p.TooFew && !q.TooFew && p.N > 0 && q.N > 0 && p.lo <= q.hi && q.lo <= p.hi
}

// ElementsGroup is one group of leavers in the coaching-elements report.
type ElementsGroup struct {
	// Factor is the element ("trust", ...), "peer_support" or "hours".
	Factor string `json:"factor"`
	// Label names the group: "with", "without", or an hours band.
	Label    string     `json:"label"`
	N        int64      `json:"n"`
	Positive Proportion `json:"positive"`
	Retained Proportion `json:"retained"`
}

// ElementsReport relates the coaching a cohort's leavers had to their
// onward paths. Denominator: the leavers the aggregator was given (a case
// that has left: closed, or a destination recorded); every factor's
// groups partition them.
type ElementsReport struct {
	Title   string          `json:"title"`
	Leavers int64           `json:"leavers"`
	Groups  []ElementsGroup `json:"groups"`
	Notes   []string        `json:"notes"`
}

// HoursBands are the hours-of-coaching bands, as lower bounds in hours:
// under 10, 10 to under 20, 20 to under 40, 40 and over. They are fixed
// in advance, not fitted to a cohort (bands chosen from the data would
// find differences chance made): roughly doubling, they separate a few
// weeks of weekly coaching from a term's and a long period's, and
// [MinGroup] still leaves most bands a rate in a cohort of a few dozen.
var HoursBands = []int64{0, 10, 20, 40}

func bandLabel(i int) string {
	if i == len(HoursBands)-1 {
		return fmt.Sprintf("≥ %d h", HoursBands[i])
	}
	return fmt.Sprintf("%d–<%d h", HoursBands[i], HoursBands[i+1])
}

// exposure is the coaching one case had.
type exposure struct {
	elements []session.ApproachElement
	peer     bool
	hours    decimal.Decimal
}

// leaver is what the report keeps of one leaver: no identity.
type leaver struct {
	exp                exposure
	positive, retained bool
}

// ElementsAggregator relates the coaching-approach elements, peer support
// and hours of coaching in the sessions it was given to the onward paths
// of the cases it is fed ([Sink]). It keeps one small record per leaver
// (no identity), so its memory grows with the cohort. Not safe for
// concurrent use.
//
// Outcomes reuse the VALO table's and the pilot's classifications: a
// positive onward path is what the VALO row "positive onward path"
// counts (a positive destination in studies or work, under the
// classifier); retained is what [RetentionCohort] counts retained for a
// student who left (left for education or training, or redirected to a
// better-suited field). An unknown destination stays in the denominator
// and is neither.
type ElementsAggregator struct {
	valo    *VALOAggregator
	byCase  map[coaching.CaseID]*exposure
	leavers []leaver
}

// NewElements returns an aggregator over sessions, judging destinations
// with c (pathway.DefaultClassifier when nil). Individual and group
// sessions count towards every case they list, with their full hours (the
// participant's time, not the staff's); outreach visits are not coaching
// of a case and are left out.
func NewElements(c pathway.Classifier, sessions []session.Session) *ElementsAggregator {
	a := &ElementsAggregator{valo: NewVALO(c), byCase: map[coaching.CaseID]*exposure{}}
	for _, s := range sessions {
		if s.Kind == session.Outreach {
			continue
		}
		for _, id := range s.Cases {
			e := a.byCase[id]
			if e == nil {
				e = &exposure{}
				a.byCase[id] = e
			}
			e.hours = e.hours.Add(s.Hours)
			e.peer = e.peer || s.PeerSupport != ""
			for _, el := range s.Elements {
				if !slices.Contains(e.elements, el) {
					e.elements = append(e.elements, el)
				}
			}
		}
	}
	return a
}

// Add counts one case if it has left; in is not retained.
func (a *ElementsAggregator) Add(in *Input) {
	if in == nil || !left(in) {
		return
	}
	l := leaver{}
	if e := a.byCase[in.Case.ID]; e != nil {
		l.exp = *e
	}
	k := pathway.Unknown
	if in.Destination != nil && in.Destination.Kind.Valid() {
		k = in.Destination.Kind
	}
	l.positive = a.valo.byKind[k].positive == vPositive
	var rc RetentionCohort
	rc.Add(false, in.Destination)
	l.retained = rc.Retained() == 1
	a.leavers = append(a.leavers, l)
}

// Report groups the leavers by each element (with it in any session or
// not), by peer support and by hours band, and notes where the intervals
// of a factor's groups overlap (no difference is claimed there).
func (a *ElementsAggregator) Report() ElementsReport {
	r := ElementsReport{Title: "Coaching and onward paths (association, not effect)", Leavers: int64(len(a.leavers))}
	group := func(factor, label string, in func(leaver) bool) ElementsGroup {
		var n, pos, ret int64
		for _, l := range a.leavers {
			if !in(l) {
				continue
			}
			n++
			if l.positive {
				pos++
			}
			if l.retained {
				ret++
			}
		}
		return ElementsGroup{Factor: factor, Label: label, N: n, Positive: proportion(pos, n), Retained: proportion(ret, n)}
	}
	var differ []string
	compare := func(gs []ElementsGroup) {
		for i := range gs {
			for j := i + 1; j < len(gs); j++ {
				for _, o := range []struct {
					name string
					p, q Proportion
				}{{"positive path", gs[i].Positive, gs[j].Positive}, {"retained", gs[i].Retained, gs[j].Retained}} {
					if !o.p.TooFew && !o.q.TooFew && o.p.N > 0 && o.q.N > 0 && !o.p.Overlaps(o.q) {
						differ = append(differ, fmt.Sprintf("%s %s vs %s (%s)", gs[i].Factor, gs[i].Label, gs[j].Label, o.name))
					}
				}
			}
		}
		r.Groups = append(r.Groups, gs...)
	}
	for _, el := range session.ApproachElements {
		compare([]ElementsGroup{
			group(string(el), "with", func(l leaver) bool { return slices.Contains(l.exp.elements, el) }),
			group(string(el), "without", func(l leaver) bool { return !slices.Contains(l.exp.elements, el) }),
		})
	}
	compare([]ElementsGroup{
		group("peer_support", "with", func(l leaver) bool { return l.exp.peer }),
		group("peer_support", "without", func(l leaver) bool { return !l.exp.peer }),
	})
	var bands []ElementsGroup
	for i := range HoursBands {
		lo := decimal.NewFromInt(HoursBands[i])
		bands = append(bands, group("hours", bandLabel(i), func(l leaver) bool {
			h := l.exp.hours
			return !h.LessThan(lo) && (i == len(HoursBands)-1 || h.LessThan(decimal.NewFromInt(HoursBands[i+1])))
		}))
	}
	compare(bands)
	over := "Every pair of one factor's intervals overlaps, so no difference is claimed (groups whose intervals overlap may still differ; the data does not show it)."
	if len(differ) > 0 {
		over = "Intervals that do not overlap: " + strings.Join(differ, "; ") + "; all other pairs overlap, and no difference is claimed for them."
	}
	r.Notes = []string{
		fmt.Sprintf("Denominator: the %d leavers; positive path: %s; retained: left for education or training, or redirected (as the pilot's retention counts it); an unknown destination is neither.",
			r.Leavers, a.valo.label(vPositive)),
		fmt.Sprintf("Rates are exact, rounded half up to 0.1; intervals are Wilson 95 %% (float64, rounded to 0.1); groups under %d show counts only (too few).", MinGroup),
		over,
		"Association, not effect: participants who stay longer get more sessions and more elements, and who gets which coaching is not random.",
	}
	return r
}

// Markdown renders the report as a compact table: per group n, the
// positive onward paths and the retained, each as count and rate with
// its interval.
func (r ElementsReport) Markdown() string {
	tb := table{
		title:   r.Title,
		meta:    fmt.Sprintf("Denominator: %d leavers.", r.Leavers),
		columns: []string{"coaching", "n", "positive", "% (95% CI)", "retained", "% (95% CI)"},
		align:   []bool{false, true, true, true, true, true},
		notes:   r.Notes,
	}
	for _, g := range r.Groups {
		tb.rows = append(tb.rows, []string{g.Factor + ": " + g.Label, fmt.Sprint(g.N),
			fmt.Sprint(g.Positive.Count), g.Positive.String(), fmt.Sprint(g.Retained.Count), g.Retained.String()})
	}
	return tb.markdown()
}
