package outcomes_test

import (
	"encoding/json"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/outcomes"
)

// The seed table of DOMAIN.md §1.
var seedTable = []struct {
	key   string
	count int64
	pct   string
}{
	{"gender.women", 51, "66.2"},
	{"age.under_30", 29, "37.7"},
	{"unemployment.over_12_months", 49, "63.6"},
	{"education.basic", 35, "45.5"},
	{"education.vocational", 40, "51.9"},
	{"education.higher", 2, "2.6"},
	{"destination.studies", 12, "15.6"},
	{"destination.work", 23, "29.8"},
	{"destination.unemployed", 29, "37.7"},
	{"destination.job_seeking", 12, "15.6"},
	{"destination.outside", 1, "1.3"},
	{"positive.yes", 35, "45.5"},
}

func seedAggregate(t *testing.T) *outcomes.VALOAggregator {
	t.Helper()
	a := outcomes.NewVALO(nil)
	ins := seedCohort()
	for i := range ins {
		a.Add(&ins[i])
	}
	require.EqualValues(t, 77, a.Count())
	return a
}

func pcts(t *testing.T, tb outcomes.VALOTable) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range tb.Rows {
		out[r.Key] = r.PercentString()
	}
	return out
}

func TestSeedTableCounts(t *testing.T) {
	tb, err := seedAggregate(t).Table(outcomes.Options{})
	require.NoError(t, err)
	assert.EqualValues(t, 77, tb.Denominator)
	for _, s := range seedTable {
		r, ok := tb.Row(s.key)
		require.True(t, ok, s.key)
		assert.Equal(t, s.count, r.Count, s.key)
		assert.EqualValues(t, 77, r.Denominator, s.key)
	}
	for _, k := range []string{"gender.unknown", "age.unknown", "unemployment.unknown", "education.unknown", "destination.unknown", "positive.unknown"} {
		r, _ := tb.Row(k)
		assert.Zero(t, r.Count, k)
	}
}

// The seed reproduced exactly: half up everywhere except the work row,
// which the source truncated. No single rule gives all twelve.
func TestSeedTablePercentagesExactly(t *testing.T) {
	a := seedAggregate(t)
	tb, err := a.Table(outcomes.SeedOptions())
	require.NoError(t, err)
	got := pcts(t, tb)
	for _, s := range seedTable {
		assert.Equal(t, s.pct, got[s.key], s.key)
	}
	assert.Equal(t, "half_up to 0.1; truncate for destination.work", tb.Rounding)
}

func TestSeedTableUnderTruncate(t *testing.T) {
	tb, err := seedAggregate(t).Table(outcomes.Options{Rounding: outcomes.Truncate})
	require.NoError(t, err)
	got := pcts(t, tb)
	// Exact values: 51/77 = 66.233…, 29/77 = 37.662…, 49/77 = 63.636…,
	// 35/77 = 45.454…, 40/77 = 51.948…, 2/77 = 2.597…, 12/77 = 15.584…,
	// 23/77 = 29.870…, 1/77 = 1.298…
	want := map[string]string{
		"gender.women": "66.2", "age.under_30": "37.6", "unemployment.over_12_months": "63.6",
		"education.basic": "45.4", "education.vocational": "51.9", "education.higher": "2.5",
		"destination.studies": "15.5", "destination.work": "29.8", "destination.unemployed": "37.6",
		"destination.job_seeking": "15.5", "destination.outside": "1.2", "positive.yes": "45.4",
	}
	for k, w := range want {
		assert.Equal(t, w, got[k], k)
	}
	// The two rows the seed truncated match it.
	assert.Equal(t, "29.8", got["destination.work"])
	assert.Equal(t, "51.9", got["education.vocational"])
}

func TestSeedTableUnderHalfUp(t *testing.T) {
	tb, err := seedAggregate(t).Table(outcomes.Options{Rounding: outcomes.RoundHalfUp})
	require.NoError(t, err)
	got := pcts(t, tb)
	for _, s := range seedTable {
		if s.key == "destination.work" {
			assert.Equal(t, "29.9", got[s.key], "23/77 = 29.870… rounds half up to 29.9")
			continue
		}
		assert.Equal(t, s.pct, got[s.key], s.key)
	}
	assert.Equal(t, "51.9", got["education.vocational"], "40/77 = 51.948… is 51.9 under half-up too")
	assert.Equal(t, "33.8", got["gender.men"])
	assert.Equal(t, "half_up to 0.1", tb.Rounding)
}

func TestLargestRemainderSumsTo100(t *testing.T) {
	tb, err := seedAggregate(t).Table(outcomes.Options{Rounding: outcomes.LargestRemainder})
	require.NoError(t, err)
	sums := map[string]decimal.Decimal{}
	for _, r := range tb.Rows {
		require.True(t, r.HasPercent)
		sums[r.Breakdown] = sums[r.Breakdown].Add(r.Percent)
	}
	require.Len(t, sums, 6)
	for b, s := range sums {
		assert.Equal(t, "100.0", s.StringFixed(1), b)
		assert.True(t, s.Equal(decimal.NewFromInt(100)), b)
	}
	got := pcts(t, tb)
	// Destinations: 15.5|.84, 29.8|.70, 37.6|.62, 15.5|.84, 1.2|.99 → four
	// units go to 1.2, the two 15.5s and 29.8.
	assert.Equal(t, []string{"15.6", "29.9", "37.6", "15.6", "1.3"}, []string{
		got["destination.studies"], got["destination.work"], got["destination.unemployed"],
		got["destination.job_seeking"], got["destination.outside"]})
	assert.Equal(t, []string{"45.5", "51.9", "2.6"}, []string{got["education.basic"], got["education.vocational"], got["education.higher"]})

	// Truncation does not sum to 100 for education: 45.4 + 51.9 + 2.5.
	tr, err := seedAggregate(t).Table(outcomes.Options{Rounding: outcomes.Truncate})
	require.NoError(t, err)
	s := decimal.Zero
	for _, r := range tr.Rows {
		if r.Breakdown == "education" {
			s = s.Add(r.Percent)
		}
	}
	assert.Equal(t, "99.8", s.StringFixed(1))
}

func TestEmptyCohortSaysSo(t *testing.T) {
	tb, err := outcomes.NewVALO(nil).Table(outcomes.Options{})
	require.NoError(t, err)
	assert.True(t, tb.Empty)
	for _, r := range tb.Rows {
		assert.False(t, r.HasPercent)
		assert.Zero(t, r.Count)
	}
	assert.Contains(t, tb.Markdown(), "empty cohort")
	b, err := json.Marshal(tb)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"empty":true`)
	assert.Contains(t, string(b), `"percent":null`)
	_, err = outcomes.Percent(1, 0, 1, outcomes.RoundHalfUp)
	assert.ErrorIs(t, err, outcomes.ErrEmptyCohort)
}

func TestMissingFactsGoToUnknownRows(t *testing.T) {
	a := outcomes.NewVALO(nil)
	a.Add(&outcomes.Input{}) // nothing known
	a.Add(nil)               // ignored, no panic
	tb, err := a.Table(outcomes.Options{})
	require.NoError(t, err)
	for _, k := range []string{"gender.unknown", "age.unknown", "unemployment.unknown", "education.unknown", "destination.unknown", "positive.unknown"} {
		r, _ := tb.Row(k)
		assert.EqualValues(t, 1, r.Count, k)
		assert.Equal(t, "100.0", r.PercentString(), k)
	}
	md := tb.Markdown()
	assert.Contains(t, md, "gender unknown")
	assert.Contains(t, md, "education: unknown")
}

func TestInvalidOptions(t *testing.T) {
	a := outcomes.NewVALO(nil)
	_, err := a.Table(outcomes.Options{Rounding: "banker"})
	assert.Error(t, err)
	_, err = a.Table(outcomes.Options{Places: 9})
	assert.Error(t, err)
	_, err = a.Table(outcomes.Options{RowRounding: map[string]outcomes.Rounding{"x": "y"}})
	assert.Error(t, err)
	_, err = outcomes.Percentages([]int64{3}, 2, 1, outcomes.RoundHalfUp)
	assert.Error(t, err)
	_, err = outcomes.Percentages([]int64{-1}, 2, 1, outcomes.RoundHalfUp)
	assert.Error(t, err)
}

func TestPercentagesRules(t *testing.T) {
	p, err := outcomes.Percentages([]int64{1, 1, 1}, 3, 1, outcomes.LargestRemainder)
	require.NoError(t, err)
	assert.Equal(t, "33.4 33.3 33.3", p[0].StringFixed(1)+" "+p[1].StringFixed(1)+" "+p[2].StringFixed(1))
	h, err := outcomes.Percent(1, 8, 1, outcomes.RoundHalfUp) // 12.5 exactly
	require.NoError(t, err)
	assert.Equal(t, "12.5", h.StringFixed(1))
	h, err = outcomes.Percent(1, 16, 1, outcomes.RoundHalfUp) // 6.25 → 6.3
	require.NoError(t, err)
	assert.Equal(t, "6.3", h.StringFixed(1))
	h, err = outcomes.Percent(1, 16, 1, outcomes.Truncate)
	require.NoError(t, err)
	assert.Equal(t, "6.2", h.StringFixed(1))
	h, err = outcomes.Percent(2, 3, 0, outcomes.LargestRemainder) // 66.67 | 33.33 → 67
	require.NoError(t, err)
	assert.Equal(t, "67", h.StringFixed(0))
}

func TestVALOOutputs(t *testing.T) {
	tb, err := seedAggregate(t).Table(outcomes.SeedOptions())
	require.NoError(t, err)
	b, err := json.Marshal(tb)
	require.NoError(t, err)
	var back struct {
		Denominator int64  `json:"denominator"`
		Rounding    string `json:"rounding"`
		Rows        []struct {
			Key     string `json:"key"`
			Count   int64  `json:"count"`
			Percent string `json:"percent"`
		} `json:"rows"`
	}
	require.NoError(t, json.Unmarshal(b, &back))
	assert.EqualValues(t, 77, back.Denominator)
	assert.NotEmpty(t, back.Rounding)
	assert.Equal(t, "gender.women", back.Rows[0].Key)
	assert.Equal(t, "66.2", back.Rows[0].Percent)

	csv := tb.CSV()
	assert.Contains(t, csv, "key,breakdown,label,kind,count,denominator,percent,rounding,includes\n")
	assert.Contains(t, csv, "destination.work,destination,after the period: to work (incl. wage-subsidised),figure,23,77,29.8,truncate,work_open work_subsidised work_apprenticeship work_self_employed\n")
	assert.Contains(t, csv, "gender.men,gender,men,complement,26,77,33.8,half_up,\n")
	assert.Contains(t, csv, "positive.yes,positive_path,positive onward path (studies or work),figure,35,77,45.5,half_up,studies_qualification studies_other work_open work_subsidised work_apprenticeship work_self_employed\n")
	assert.Contains(t, csv, "positive.other,positive_path,other positive destination (redirected to a better-suited field),other,0,77,0.0,half_up,redirected\n")
	assert.Contains(t, csv, "education.vocational,education,education: vocational qualification,figure,40,77,51.9,half_up,vocational specialist_vocational\n")

	var withIncludes struct {
		Rows []struct {
			Key      string   `json:"key"`
			Includes []string `json:"includes"`
		} `json:"rows"`
		Notes []string `json:"notes"`
	}
	require.NoError(t, json.Unmarshal(b, &withIncludes))
	includes := map[string][]string{}
	for _, r := range withIncludes.Rows {
		includes[r.Key] = r.Includes
	}
	assert.Equal(t, []string{"studies_qualification", "studies_other", "work_open", "work_subsidised", "work_apprenticeship", "work_self_employed"}, includes["positive.yes"])
	assert.Equal(t, []string{"redirected"}, includes["positive.other"])
	assert.Equal(t, []string{
		"positive onward path (studies or work) counts: studies toward a full qualification, other studies or training, work on the open labour market, wage-subsidised work, apprenticeship, self-employed.",
		"other positive destination (redirected to a better-suited field) counts: redirected to a better-suited field (positive, but not studies or work, so not in the positive onward path).",
	}, withIncludes.Notes)
	for _, n := range withIncludes.Notes {
		assert.Contains(t, tb.Markdown(), "\n- "+n+"\n")
	}
}
