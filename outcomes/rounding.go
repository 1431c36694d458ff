package outcomes

import (
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
)

// Rounding is how a percentage is cut to its decimal places. Every report
// states the rule it used.
type Rounding string

// Rounding rules.
const (
	// RoundHalfUp rounds to the nearest, halves away from zero (the default;
	// percentages are never negative). 23/77 = 29.87… % → 29.9.
	RoundHalfUp Rounding = "half_up"
	// Truncate cuts the extra digits off. 23/77 → 29.8, as the VALO seed
	// prints it.
	Truncate Rounding = "truncate"
	// LargestRemainder (Hamilton's method) truncates every row of a
	// breakdown and gives the units still missing to the rows with the
	// largest remainders (earlier rows first on ties), so the rows of one
	// breakdown sum to exactly 100.
	LargestRemainder Rounding = "largest_remainder"
)

// Valid reports whether r is a known rule.
func (r Rounding) Valid() bool {
	return r == RoundHalfUp || r == Truncate || r == LargestRemainder
}

func (r Rounding) orDefault() Rounding {
	if r == "" {
		return RoundHalfUp
	}
	return r
}

// Options configure percentages and classification.
type Options struct {
	// Rounding is the rule for every percentage; zero means RoundHalfUp.
	Rounding Rounding `json:"rounding"`
	// Places is the number of decimal places of a percentage (0–6);
	// zero means 1.
	Places int32 `json:"places"`
	// RowRounding overrides the rule for single rows, by row key (e.g.
	// "destination.work"). See [SeedOptions].
	RowRounding map[string]Rounding `json:"row_rounding,omitempty"`
}

// SeedOptions reproduce the VALO seed table exactly: its percentages are
// rounded half up except "to work", which the source truncated (23/77 =
// 29.87 % printed as 29.8). No single rule reproduces all twelve rows:
// truncation also turns 29/77 = 37.66 % into 37.6 where the seed prints 37.7.
func SeedOptions() Options {
	return Options{Rounding: RoundHalfUp, Places: 1, RowRounding: map[string]Rounding{"destination.work": Truncate}}
}

func (o Options) normalised() (Options, error) {
	o.Rounding = o.Rounding.orDefault()
	if !o.Rounding.Valid() {
		return o, fmt.Errorf("outcomes: unknown rounding rule %q", o.Rounding)
	}
	if o.Places == 0 {
		o.Places = 1
	}
	if o.Places < 0 || o.Places > 6 {
		return o, fmt.Errorf("outcomes: places must be 0–6, got %d", o.Places)
	}
	for k, r := range o.RowRounding {
		if !r.orDefault().Valid() {
			return o, fmt.Errorf("outcomes: unknown rounding rule %q for row %q", r, k)
		}
	}
	return o, nil
}

// Describe states the rule in words, e.g. "truncate to 0.1 percentage
// points" or "half_up to 0.1 percentage points; truncate for destination.work".
func (o Options) Describe() string {
	o.Rounding = o.Rounding.orDefault()
	if o.Places == 0 {
		o.Places = 1
	}
	unit := decimal.New(1, -o.Places).StringFixed(o.Places)
	s := fmt.Sprintf("%s to %s", o.Rounding, unit)
	keys := make([]string, 0, len(o.RowRounding))
	for k := range o.RowRounding {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var over []string
	for _, k := range keys {
		if r := o.RowRounding[k].orDefault(); r != o.Rounding {
			over = append(over, fmt.Sprintf("%s for %s", r, k))
		}
	}
	if len(over) > 0 {
		s += "; " + strings.Join(over, ", ")
	}
	return s
}

var hundred = decimal.NewFromInt(100)

// Percentages returns count/denominator×100 for each count, cut to places
// decimals by rule r, computed exactly in decimal arithmetic. The counts
// of a breakdown should sum to the denominator; LargestRemainder then makes
// the results sum to exactly 100. It returns an error for a zero or
// negative denominator, a negative count, or counts above the denominator.
func Percentages(counts []int64, denominator int64, places int32, r Rounding) ([]decimal.Decimal, error) {
	rules := make([]Rounding, len(counts))
	for i := range rules {
		rules[i] = r
	}
	return percentages(counts, denominator, places, r, rules)
}

// Percent is [Percentages] for one count.
func Percent(count, denominator int64, places int32, r Rounding) (decimal.Decimal, error) {
	if r.orDefault() == LargestRemainder { // one row alone: complete it with its complement
		p, err := Percentages([]int64{count, denominator - count}, denominator, places, LargestRemainder)
		if err != nil {
			return decimal.Decimal{}, err
		}
		return p[0], nil
	}
	p, err := Percentages([]int64{count}, denominator, places, r)
	if err != nil {
		return decimal.Decimal{}, err
	}
	return p[0], nil
}

// percentages computes with a breakdown-wide rule (for LargestRemainder)
// and per-row overrides.
func percentages(counts []int64, den int64, places int32, breakdown Rounding, rows []Rounding) ([]decimal.Decimal, error) {
	if den <= 0 {
		return nil, ErrEmptyCohort
	}
	if places < 0 || places > 6 {
		return nil, fmt.Errorf("outcomes: places must be 0–6, got %d", places)
	}
	breakdown = breakdown.orDefault()
	if !breakdown.Valid() {
		return nil, fmt.Errorf("outcomes: unknown rounding rule %q", breakdown)
	}
	scale := decimal.New(1, places+2) // 100 × 10^places units make 100 %
	d := decimal.NewFromInt(den)
	q := make([]decimal.Decimal, len(counts))
	rem := make([]decimal.Decimal, len(counts))
	var sum int64
	for i, c := range counts {
		if c < 0 || c > den {
			return nil, fmt.Errorf("outcomes: count %d outside 0..%d", c, den)
		}
		sum += c
		q[i], rem[i] = decimal.NewFromInt(c).Mul(scale).QuoRem(d, 0)
	}
	out := make([]decimal.Decimal, len(counts))
	var lr []decimal.Decimal
	if breakdown == LargestRemainder {
		lr = slices.Clone(q)
		if sum == den { // a complete breakdown: hand out the missing units
			missing := scale.Sub(sumOf(q)).IntPart()
			idx := make([]int, len(q))
			for i := range idx {
				idx[i] = i
			}
			slices.SortStableFunc(idx, func(a, b int) int { return rem[b].Cmp(rem[a]) })
			for k := 0; k < len(idx) && int64(k) < missing; k++ {
				if rem[idx[k]].IsZero() {
					break
				}
				lr[idx[k]] = lr[idx[k]].Add(decimal.NewFromInt(1))
			}
		}
	}
	half := d // 2·rem ≥ den ⇔ rem ≥ den/2
	for i := range counts {
		r := breakdown
		if i < len(rows) && rows[i] != "" {
			r = rows[i].orDefault()
		}
		switch r {
		case Truncate:
			out[i] = q[i]
		case LargestRemainder:
			if lr != nil {
				out[i] = lr[i]
			} else {
				out[i] = q[i]
			}
		default: // RoundHalfUp
			out[i] = q[i]
			if rem[i].Add(rem[i]).Cmp(half) >= 0 {
				out[i] = q[i].Add(decimal.NewFromInt(1))
			}
		}
		out[i] = out[i].Shift(-places)
	}
	return out, nil
}

func sumOf(ds []decimal.Decimal) decimal.Decimal {
	s := decimal.Zero
	for _, d := range ds {
		s = s.Add(d)
	}
	return s
}
