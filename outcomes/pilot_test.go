package outcomes_test

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestAttendance(t *testing.T) {
	a := outcomes.Attendance{Present: dec("150.5"), Late: dec("4.5"), Absent: dec("45")}
	r, err := a.Rate(outcomes.Options{})
	require.NoError(t, err)
	assert.Equal(t, "77.5", r.StringFixed(1))
	_, err = outcomes.Attendance{}.Rate(outcomes.Options{})
	assert.ErrorIs(t, err, outcomes.ErrEmptyCohort)

	var agg outcomes.AttendanceAggregator
	agg.Add(a)
	agg.Add(outcomes.Attendance{Present: dec("10"), Absent: dec("10")})
	agg.Add(outcomes.Attendance{Present: dec("-1")})
	agg.Add(outcomes.Attendance{})
	rep, err := agg.Report(outcomes.Options{})
	require.NoError(t, err)
	assert.EqualValues(t, 4, rep.Students)
	assert.EqualValues(t, 1, rep.Invalid)
	assert.EqualValues(t, 1, rep.NoSchedule)
	assert.Equal(t, "75.0", rep.Rate.Decimal.StringFixed(1)) // 165 / 220
	empty, err := (&outcomes.AttendanceAggregator{}).Report(outcomes.Options{})
	require.NoError(t, err)
	assert.False(t, empty.Rate.Valid)
}

func TestUnitProgressAndCost(t *testing.T) {
	p := outcomes.UnitProgress{Achieved: dec("45"), Planned: dec("60")}.Sum(outcomes.UnitProgress{Achieved: dec("10"), Planned: dec("30")})
	pct, err := p.Percent(outcomes.Options{})
	require.NoError(t, err)
	assert.Equal(t, "61.1", pct.StringFixed(1)) // 55/90
	_, err = outcomes.UnitProgress{Achieved: dec("1")}.Percent(outcomes.Options{})
	assert.ErrorIs(t, err, outcomes.ErrEmptyCohort)

	c, err := outcomes.CostPerPositive(dec("68000"), 35, outcomes.Options{})
	require.NoError(t, err)
	assert.Equal(t, "1942.86", c.StringFixed(2)) // 1942.857…
	c, err = outcomes.CostPerPositive(dec("68000"), 35, outcomes.Options{Rounding: outcomes.Truncate})
	require.NoError(t, err)
	assert.Equal(t, "1942.85", c.StringFixed(2))
	_, err = outcomes.CostPerPositive(dec("68000"), 0, outcomes.Options{})
	assert.ErrorIs(t, err, outcomes.ErrEmptyCohort)
}

func TestRetentionComparedWithEarlierCohorts(t *testing.T) {
	var cur outcomes.RetentionCohort
	cur.Label = "2024 pilot"
	for i := range 20 {
		switch {
		case i < 15:
			cur.Add(true, nil)
		case i < 17:
			cur.Add(false, &pathway.Destination{Kind: pathway.Redirected, Date: coaching.NewDate(2025, 3, 1)})
		case i < 19:
			cur.Add(false, &pathway.Destination{Kind: pathway.Unemployed, Date: coaching.NewDate(2025, 3, 1)})
		default:
			cur.Add(false, nil)
		}
	}
	assert.EqualValues(t, 17, cur.Retained())
	assert.EqualValues(t, 1, cur.Unknown)
	earlier := []outcomes.RetentionCohort{
		{Label: "2023", Started: 24, InEducation: 17},
		{Label: "2022", Started: 30, InEducation: 27, Redirected: 1},
		{Label: "none", Started: 0},
	}
	rep, err := outcomes.CompareRetention(cur, earlier, outcomes.Options{})
	require.NoError(t, err)
	assert.Equal(t, "85.0", rep.Current.Rate.Decimal.StringFixed(1))
	assert.Equal(t, "70.8", rep.Earlier[0].Rate.Decimal.StringFixed(1)) // 17/24 = 70.833
	assert.Equal(t, "14.2", rep.Earlier[0].DifferencePP.Decimal.StringFixed(1))
	assert.Equal(t, "93.3", rep.Earlier[1].Rate.Decimal.StringFixed(1)) // 28/30
	assert.Equal(t, "-8.3", rep.Earlier[1].DifferencePP.Decimal.StringFixed(1))
	assert.False(t, rep.Earlier[2].Rate.Valid)
	assert.False(t, rep.Earlier[2].DifferencePP.Valid)
	md := rep.Markdown()
	assert.Contains(t, md, "| 2023 | 24 | 17 | 0 | 0 | 17 | 70.8 | +14.2 |")
	assert.Contains(t, md, "| 2022 | 30 | 27 | 1 | 0 | 28 | 93.3 | -8.3 |")

	_, err = outcomes.CompareRetention(outcomes.RetentionCohort{Started: 1, InEducation: 2}, nil, outcomes.Options{})
	assert.Error(t, err)
}

func TestTeamHoursAndFeedback(t *testing.T) {
	rep, err := outcomes.TeamHours([]outcomes.MemberHours{
		{Member: "tutor", Role: "personal_tutor", Hours: dec("100")},
		{Member: "curator", Role: "curator", Hours: dec("35.5")},
		{Member: "guardian", Role: "guardian", Hours: dec("12"), Allocation: outcomes.Allocation{Min: dec("5"), Max: dec("20")}},
		{Member: "teacher", Role: "teacher", Hours: dec("120")},
	}, map[string]outcomes.Allocation{"personal_tutor": {Min: dec("60"), Max: dec("100")}}, outcomes.Options{})
	require.NoError(t, err)
	assert.Equal(t, []string{"within", "below", "within", "above"},
		[]string{rep.Rows[0].Status, rep.Rows[1].Status, rep.Rows[2].Status, rep.Rows[3].Status})
	assert.Equal(t, "100.0", rep.Rows[0].OfMax.Decimal.StringFixed(1))
	assert.Equal(t, "35.5", rep.Rows[1].OfMax.Decimal.StringFixed(1))
	assert.Equal(t, "267.5", rep.TotalHours.StringFixed(1))
	_, err = outcomes.TeamHours([]outcomes.MemberHours{{Member: "x", Hours: dec("-1")}}, nil, outcomes.Options{})
	assert.Error(t, err)

	var f outcomes.FeedbackAggregator
	for _, s := range []int{5, 4, 4, 0, 6} {
		f.Add("coaching helped me", s)
	}
	f.Add("I felt heard", 3)
	rows, err := f.Averages(outcomes.Options{Places: 2})
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, "I felt heard", rows[0].Question)
	assert.Equal(t, "4.33", rows[1].Average.Decimal.StringFixed(2))
	assert.EqualValues(t, 3, rows[1].Answers)
	assert.EqualValues(t, 2, rows[1].Invalid)
}
