package outcomes

import (
	"fmt"
	"math/big"
	"slices"

	"github.com/shopspring/decimal"
)

// DefaultSuppressionThreshold is the small-number threshold of figures that
// leave the organisation: a count from 1 to 4 is not published. Five is the
// common Finnish statistical practice (Statistics Finland's and THL's
// small-cell rules for register data) and DOMAIN.md's "n<5" rule; a caller
// with a stricter funder or data permit passes its own threshold.
const DefaultSuppressionThreshold = 5

// SuppressedMark is what the Markdown and CSV renderings show in place of a
// suppressed count (and its percentage).
const SuppressedMark = "x"

// suppressionNote is the footnote of a table with suppressed cells.
func suppressionNote(threshold int64) string {
	return fmt.Sprintf("%s: suppressed (small-number protection): a count from 1 to %d, or a cell suppressed with it so that it cannot be recomputed from the totals. Zeros are published.",
		SuppressedMark, threshold-1)
}

// term is one cell of a linear relation with its coefficient.
type term struct {
	cell int
	coef int64
}

// relation says that the sum of coef×value over its terms is published
// (a breakdown summing to its denominator, an indicator's total being the
// sum of its gender cells, a positive-path row being the sum of the
// destination rows it counts).
type relation []term

// sumCells is a relation whose cells all count with +1.
func sumCells(cells ...int) relation {
	r := make(relation, len(cells))
	for i, c := range cells {
		r[i] = term{cell: c, coef: 1}
	}
	return r
}

// suppress decides which cells are not published. Primary suppression:
// every count from 1 to threshold-1. A zero is published: "nobody" is
// not a small group one can single out (it can still disclose an
// attribute of everyone else in the group — "all 6 were unemployed" — which
// the threshold on the other cells does not prevent; a caller who needs
// that protection coarsens the breakdown instead). Complementary
// suppression: while a relation has exactly one suppressed cell, its
// smallest published cell (non-zero ones first, then the lower index) is
// suppressed too; and while a suppressed cell is still determined by the
// published cells and relations (linear algebra over the rationals, which
// catches what chains of relations give away), the smallest published cell
// of one of its relations is suppressed. Both loops only add cells, so
// they end.
func suppress(values []int64, rels []relation, threshold int64) ([]bool, error) {
	return suppressWithHidden(values, nil, rels, threshold)
}

// suppressWithHidden is suppress with cells that are never published
// (hidden[i]): a relation with a hidden cell gives nothing away by itself,
// so only the algebra decides about it, and a hidden cell may well be
// determined. A hidden zero is treated as published (conservatively: the
// reader may know it is zero). The result marks the published cells to
// suppress; hidden cells are false in it.
func suppressWithHidden(values []int64, hidden []bool, rels []relation, threshold int64) ([]bool, error) {
	if threshold < 1 {
		return nil, fmt.Errorf("outcomes: suppression threshold %d: must be at least 1", threshold)
	}
	for _, r := range rels {
		for _, t := range r {
			if t.cell < 0 || t.cell >= len(values) {
				return nil, fmt.Errorf("outcomes: relation names cell %d of %d", t.cell, len(values))
			}
		}
	}
	if hidden != nil && len(hidden) != len(values) {
		return nil, fmt.Errorf("outcomes: %d hidden flags for %d cells", len(hidden), len(values))
	}
	isHidden := func(i int) bool { return hidden != nil && hidden[i] && values[i] != 0 }
	s := make([]bool, len(values))
	for i, v := range values {
		s[i] = isHidden(i) || v > 0 && v < threshold
	}
	for {
		for changed := true; changed; {
			changed = false
			for _, r := range rels {
				if slices.ContainsFunc(r, func(t term) bool { return isHidden(t.cell) }) {
					continue
				}
				if n := countSuppressed(s, r); n == 1 {
					if c, ok := smallestPublished(values, s, r); ok {
						s[c], changed = true, true
					}
				}
			}
		}
		c, ok := firstDetermined(s, isHidden, rels)
		if !ok {
			return published(s, isHidden), nil
		}
		added := false
		for _, r := range rels {
			if slices.ContainsFunc(r, func(t term) bool { return t.cell == c }) {
				if p, ok := smallestPublished(values, s, r); ok {
					s[p], added = true, true
					break
				}
			}
		}
		if !added {
			// Every relation of c is fully suppressed and c is still
			// determined (a relation of one cell): nothing more helps.
			return published(s, isHidden), nil
		}
	}
}

// published clears the hidden cells from s.
func published(s []bool, isHidden func(int) bool) []bool {
	for i := range s {
		if isHidden(i) {
			s[i] = false
		}
	}
	return s
}

func countSuppressed(s []bool, r relation) int {
	n := 0
	for _, t := range r {
		if s[t.cell] {
			n++
		}
	}
	return n
}

func smallestPublished(values []int64, s []bool, r relation) (int, bool) {
	best := -1
	less := func(a, b int) bool {
		za, zb := values[a] == 0, values[b] == 0
		if za != zb {
			return zb
		}
		if values[a] != values[b] {
			return values[a] < values[b]
		}
		return a < b
	}
	for _, t := range r {
		if !s[t.cell] && t.coef != 0 && (best < 0 || less(t.cell, best)) {
			best = t.cell
		}
	}
	return best, best >= 0
}

// firstDetermined returns a suppressed cell whose value the published cells
// and the relations determine: one whose unit vector lies in the row space
// of the relations restricted to the suppressed cells.
func firstDetermined(s []bool, isHidden func(int) bool, rels []relation) (int, bool) {
	var cols []int
	for i, x := range s {
		if x {
			cols = append(cols, i)
		}
	}
	if len(cols) == 0 {
		return 0, false
	}
	m := make([][]*big.Rat, 0, len(rels))
	for _, r := range rels {
		row := make([]*big.Rat, len(cols))
		for j := range row {
			row[j] = new(big.Rat)
		}
		nz := false
		for _, t := range r {
			if j := slices.Index(cols, t.cell); j >= 0 && t.coef != 0 {
				row[j].Add(row[j], big.NewRat(t.coef, 1))
				nz = true
			}
		}
		if nz {
			m = append(m, row)
		}
	}
	// In reduced row echelon form, e_j lies in the row space exactly when
	// some row is e_j: a pivot row with no other non-zero entry.
	for _, row := range rref(m) {
		nz, at := 0, -1
		for j, x := range row {
			if x.Sign() != 0 {
				nz, at = nz+1, j
			}
		}
		if nz == 1 && !isHidden(cols[at]) {
			return cols[at], true
		}
	}
	return 0, false
}

// rref is m in reduced row echelon form (Gauss–Jordan over the
// rationals, zero rows dropped); m is not changed.
func rref(m [][]*big.Rat) [][]*big.Rat {
	rows := make([][]*big.Rat, len(m))
	for i, r := range m {
		rows[i] = make([]*big.Rat, len(r))
		for j, x := range r {
			rows[i][j] = new(big.Rat).Set(x)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	rk := 0
	for col := 0; col < len(rows[0]) && rk < len(rows); col++ {
		p := -1
		for i := rk; i < len(rows); i++ {
			if rows[i][col].Sign() != 0 {
				p = i
				break
			}
		}
		if p < 0 {
			continue
		}
		rows[rk], rows[p] = rows[p], rows[rk]
		inv := new(big.Rat).Inv(rows[rk][col])
		for j := col; j < len(rows[rk]); j++ {
			rows[rk][j].Mul(rows[rk][j], inv)
		}
		for i := range rows {
			if i == rk || rows[i][col].Sign() == 0 {
				continue
			}
			f := new(big.Rat).Set(rows[i][col])
			for j := col; j < len(rows[i]); j++ {
				rows[i][j].Sub(rows[i][j], new(big.Rat).Mul(f, rows[rk][j]))
			}
		}
		rk++
	}
	return rows[:rk]
}

// Suppress returns the table as it may leave the organisation: every count
// from 1 to threshold-1 (0: [DefaultSuppressionThreshold]) suppressed, and
// complementary cells so that none of them can be recomputed from the
// published denominator, the other rows of its breakdown (every breakdown
// sums to the denominator) or the linked breakdowns (a positive-path row is
// the sum of the destination rows it includes). A suppressed row has
// Suppressed set, Count 0 and no percentage; the notes gain the footnote
// the renderings' [SuppressedMark] refers to. The denominator is published;
// a cohort smaller than the threshold should not be reported at all.
// t is not changed.
func (t VALOTable) Suppress(threshold int64) (VALOTable, error) {
	if threshold == 0 {
		threshold = DefaultSuppressionThreshold
	}
	values, rels := valoCells(t.Rows)
	s, err := suppress(values, rels, threshold)
	if err != nil {
		return VALOTable{}, err
	}
	out := t
	out.Rows = slices.Clone(t.Rows)
	out.Notes = slices.Clone(t.Notes)
	out.SuppressionThreshold = threshold
	for i, x := range s {
		if x {
			r := &out.Rows[i]
			r.Suppressed, r.Count, r.HasPercent = true, 0, false
			r.Percent = decimal.Decimal{}
		}
	}
	out.Notes = append(out.Notes, suppressionNote(threshold))
	return out, nil
}

// valoCells are the rows' counts and the relations a reader knows between
// them.
func valoCells(rows []Row) ([]int64, []relation) {
	values := make([]int64, len(rows))
	var rels []relation
	byBreakdown := map[string][]int{}
	var order []string
	for i, r := range rows {
		values[i] = r.Count
		if _, ok := byBreakdown[r.Breakdown]; !ok {
			order = append(order, r.Breakdown)
		}
		byBreakdown[r.Breakdown] = append(byBreakdown[r.Breakdown], i)
	}
	for _, b := range order {
		rels = append(rels, sumCells(byBreakdown[b]...))
	}
	return values, append(rels, includedSums(rows)...)
}

// includedSums are the relations between breakdowns that count the same
// categories: a row whose Includes is exactly the union of other rows'
// (each a subset of it, from another breakdown) is their sum.
func includedSums(rows []Row) []relation {
	var rels []relation
	for i, p := range rows {
		if len(p.Includes) == 0 {
			continue
		}
		covered := map[string]bool{}
		rel := relation{{cell: i, coef: -1}}
		for j, q := range rows {
			if q.Breakdown == p.Breakdown || len(q.Includes) == 0 {
				continue
			}
			if !subset(q.Includes, p.Includes) {
				continue
			}
			for _, c := range q.Includes {
				covered[c] = true
			}
			rel = append(rel, term{cell: j, coef: 1})
		}
		if len(rel) > 1 && len(covered) == len(p.Includes) && subset(p.Includes, keys(covered)) {
			rels = append(rels, rel)
		}
	}
	return rels
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// esfField names the cells of an indicator, in the order of its cells.
var esfField = []string{"total", "women", "men", "non_binary", "gender_unknown", "fact_unknown"}

// esfSame pairs the ESF 2014–2020 and ESF+ indicators that count the same
// participants: a cell suppressed in one is suppressed in the other.
var esfSame = [][2]string{{"CO01", "EECO02"}, {"CO02", "EECO03"}, {"CO03", "EECO04"}, {"CO05", "EECO05"},
	{"CO07", "EECO08"}, {"CO09", "EECO09"}, {"CO10", "EECO10"}, {"CO11", "EECO11"}, {"CO16", "EECO12"}}

// esfPartitions are indicators that, with their fact-unknown cell, split
// every participant (labour status at entry; ISCED band).
var esfPartitions = [][]string{{"CO01", "CO03", "CO05"}, {"CO09", "CO10", "CO11"}}

// Suppress returns the report as it may leave the organisation, under the
// rules of [VALOTable.Suppress]: every count from 1 to threshold-1
// suppressed, with complementary cells so that none can be recomputed from
// an indicator's total (the sum of its gender cells), from the same figure
// in the other programme's indicator (CO01 and EECO02, …), or from the
// indicators that split all participants (labour status, ISCED bands:
// their totals and fact-unknown cell sum to the participants, and by
// gender to EECO01's gender cells, with the participants of unknown fact by
// gender as a cell never published). A suppressed cell is listed in the
// indicator's Suppressed (by its CSV column name) and holds 0. r is not
// changed.
func (r ESFReport) Suppress(threshold int64) (ESFReport, error) {
	if threshold == 0 {
		threshold = DefaultSuppressionThreshold
	}
	nf := len(esfField)
	values, hidden, rels := esfCells(r.Indicators)
	s, err := suppressWithHidden(values, hidden, rels, threshold)
	if err != nil {
		return ESFReport{}, err
	}
	out := r
	out.Indicators = slices.Clone(r.Indicators)
	out.Notes = append(slices.Clone(r.Notes), suppressionNote(threshold))
	out.SuppressionThreshold = threshold
	for i := range out.Indicators {
		x := &out.Indicators[i]
		cells := []*int64{&x.Total, &x.Women, &x.Men, &x.NonBinary, &x.GenderUnknown, &x.Unknown}
		for f, c := range cells {
			if s[i*nf+f] {
				*c = 0
				x.Suppressed = append(x.Suppressed, esfField[f])
			}
		}
	}
	return out, nil
}

// esfCells are the indicators' cells (esfField order, indicator by
// indicator), the cells never published that the relations need (after
// them, hidden), and the relations a reader knows between them.
func esfCells(inds []Indicator) (values []int64, hidden []bool, rels []relation) {
	nf := len(esfField)
	values = make([]int64, len(inds)*nf)
	index := map[string]int{}
	for i, x := range inds {
		index[x.Code] = i
		copy(values[i*nf:], []int64{x.Total, x.Women, x.Men, x.NonBinary, x.GenderUnknown, x.Unknown})
	}
	for i := range inds {
		b := i * nf
		rels = append(rels, relation{{b, -1}, {b + 1, 1}, {b + 2, 1}, {b + 3, 1}, {b + 4, 1}})
	}
	for _, p := range esfSame {
		a, okA := index[p[0]]
		b, okB := index[p[1]]
		if !okA || !okB {
			continue
		}
		for f := range nf {
			rels = append(rels, relation{{a*nf + f, 1}, {b*nf + f, -1}})
		}
	}
	all, okAll := index["EECO01"]
	for _, part := range esfPartitions {
		var ix []int
		for _, c := range part {
			if i, ok := index[c]; ok {
				ix = append(ix, i)
			}
		}
		if len(ix) != len(part) || !okAll {
			continue
		}
		// Participants of unknown fact, by gender: never published.
		first := len(values)
		for g := 1; g <= 4; g++ {
			v := values[all*nf+g]
			for _, i := range ix {
				v -= values[i*nf+g]
			}
			values = append(values, v)
		}
		unknownRel := relation{{ix[0]*nf + 5, -1}}
		for g := range 4 {
			unknownRel = append(unknownRel, term{first + g, 1})
		}
		rels = append(rels, unknownRel)
		total := relation{{ix[0]*nf + 5, 1}}
		for _, i := range ix {
			total = append(total, term{i * nf, 1})
			if i != ix[0] {
				rels = append(rels, relation{{ix[0]*nf + 5, 1}, {i*nf + 5, -1}})
			}
		}
		rels = append(rels, append(total, term{all * nf, -1}))
		for g := 1; g <= 4; g++ {
			byGender := relation{{first + g - 1, 1}, {all*nf + g, -1}}
			for _, i := range ix {
				byGender = append(byGender, term{i*nf + g, 1})
			}
			rels = append(rels, byGender)
		}
		for len(hidden) < len(values) {
			hidden = append(hidden, len(hidden) >= first)
		}
	}
	for len(hidden) < len(values) {
		hidden = append(hidden, false)
	}
	return values, hidden, rels
}
