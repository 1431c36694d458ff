package outcomes_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

var entry = coaching.NewDate(2024, time.September, 2)

// person is aged `age` on the entry date: born `age` years before it, so
// the entry date is the birthday (the first day of that age).
func person(age int, g coaching.Gender, ls coaching.LabourStatus, months *int) outcomes.Input {
	return outcomes.Input{
		EntryDate: entry,
		Participant: coaching.Participant{
			BirthDate:  coaching.NewDate(entry.Year-age, entry.Month, entry.Day),
			Background: coaching.Background{Gender: g, LabourStatus: ls, UnemployedMonths: months},
		},
	}
}

// dayBefore is the same person one day short of the age (so one year younger).
func dayBefore(age int) outcomes.Input {
	in := person(age, coaching.GenderFemale, coaching.LabourUnemployed, nil)
	in.Participant.BirthDate = in.Participant.BirthDate.AddDays(1)
	return in
}

func esfOf(ins ...outcomes.Input) outcomes.ESFReport {
	a := outcomes.NewESF()
	for i := range ins {
		a.Add(&ins[i])
	}
	return a.Report()
}

func ind(t *testing.T, r outcomes.ESFReport, code string) outcomes.Indicator {
	t.Helper()
	x, ok := r.Indicator(code)
	require.True(t, ok, code)
	return x
}

func TestAgeBoundariesAtEntry(t *testing.T) {
	cases := []struct {
		age  int
		code string
		want int64
	}{
		{24, "CO06", 1}, {25, "CO06", 0},
		{54, "CO07", 0}, {55, "CO07", 1},
		{54, "EECO08", 0}, {55, "EECO08", 1},
		{17, "EECO06", 1}, {18, "EECO06", 0},
		{17, "EECO07", 0}, {18, "EECO07", 1},
		{29, "EECO07", 1}, {30, "EECO07", 0},
	}
	for _, c := range cases {
		r := esfOf(person(c.age, coaching.GenderFemale, coaching.LabourUnemployed, nil))
		assert.Equal(t, c.want, ind(t, r, c.code).Total, "age %d %s", c.age, c.code)
	}
	// The day before the 25th/55th/18th/30th birthday counts as the younger age.
	assert.EqualValues(t, 1, ind(t, esfOf(dayBefore(25)), "CO06").Total)
	assert.EqualValues(t, 0, ind(t, esfOf(dayBefore(55)), "CO07").Total)
	assert.EqualValues(t, 1, ind(t, esfOf(dayBefore(18)), "EECO06").Total)
	assert.EqualValues(t, 1, ind(t, esfOf(dayBefore(30)), "EECO07").Total)
	// Age is taken at entry, not today: entry from Case.OpenedAt when EntryDate is unset.
	in := person(25, coaching.GenderMale, coaching.LabourUnemployed, nil)
	in.EntryDate = coaching.Date{}
	in.Case.OpenedAt = entry.AddDays(-1).At(23, 30) // 23:30 Helsinki: still the day before the birthday
	assert.EqualValues(t, 1, ind(t, esfOf(in), "CO06").Total)
	in.Case.OpenedAt = time.Date(2024, 9, 1, 21, 30, 0, 0, time.UTC) // 00:30 on 2 Sept in Helsinki
	assert.EqualValues(t, 0, ind(t, esfOf(in), "CO06").Total, "age 25 on the Helsinki civil date")
}

func ptr[T any](v T) *T { return &v }

func TestLongTermUnemploymentBoundaries(t *testing.T) {
	cases := []struct {
		age, months int
		want        int64
	}{
		{24, 6, 0}, {24, 7, 1}, // under 25: more than 6 months
		{25, 7, 0}, {25, 12, 0}, {25, 13, 1}, // from 25: more than 12 months
		{55, 12, 0}, {55, 13, 1},
	}
	for _, c := range cases {
		r := esfOf(person(c.age, coaching.GenderMale, coaching.LabourUnemployed, ptr(c.months)))
		assert.Equal(t, c.want, ind(t, r, "CO02").Total, "age %d, %d months", c.age, c.months)
		assert.Equal(t, c.want, ind(t, r, "EECO03").Total, "age %d, %d months", c.age, c.months)
		assert.EqualValues(t, 1, ind(t, r, "CO01").Total)
	}
	// Unknown months for an unemployed person: unknown, not "no".
	r := esfOf(person(30, coaching.GenderMale, coaching.LabourUnemployed, nil))
	assert.EqualValues(t, 0, ind(t, r, "CO02").Total)
	assert.EqualValues(t, 1, ind(t, r, "CO02").Unknown)
	// Employed: not long-term unemployed whatever the months.
	r = esfOf(person(30, coaching.GenderMale, coaching.LabourEmployed, nil))
	assert.EqualValues(t, 0, ind(t, r, "CO02").Unknown)
	assert.EqualValues(t, 1, ind(t, r, "CO05").Total)
}

func TestVALOUnemploymentBoundary12vs13(t *testing.T) {
	a := outcomes.NewVALO(nil)
	for _, m := range []int{12, 13} {
		in := person(40, coaching.GenderMale, coaching.LabourUnemployed, ptr(m))
		a.Add(&in)
	}
	tb, err := a.Table(outcomes.Options{})
	require.NoError(t, err)
	r, _ := tb.Row("unemployment.over_12_months")
	assert.EqualValues(t, 1, r.Count)
	r, _ = tb.Row("age.under_30")
	assert.EqualValues(t, 0, r.Count)
}

func TestGenderBreakdownAndISCED(t *testing.T) {
	edu := func(g coaching.Gender, l coaching.EducationLevel) outcomes.Input {
		in := person(30, g, coaching.LabourInactive, nil)
		in.Participant.Background.EducationLevel = l
		return in
	}
	r := esfOf(
		edu(coaching.GenderFemale, coaching.EducationBelowBasic),
		edu(coaching.GenderMale, coaching.EducationBasic),
		edu(coaching.GenderNonBinary, coaching.EducationVocational),
		edu(coaching.GenderUnknown, coaching.EducationSpecialistVocational),
		edu(coaching.GenderFemale, coaching.EducationGeneralUpperSecondary),
		edu(coaching.GenderFemale, coaching.EducationHigher),
		edu(coaching.GenderFemale, coaching.EducationUnknown),
	)
	co09 := ind(t, r, "CO09")
	assert.Equal(t, outcomes.Indicator{Code: "CO09", Title: co09.Title, Total: 2, Women: 1, Men: 1, Unknown: 1, Denominator: 7}, co09)
	co10 := ind(t, r, "CO10")
	assert.EqualValues(t, 3, co10.Total)
	assert.EqualValues(t, 1, co10.NonBinary)
	assert.EqualValues(t, 1, co10.GenderUnknown)
	assert.EqualValues(t, 1, ind(t, r, "CO11").Total)
	assert.EqualValues(t, 2, ind(t, r, "EECO09").Total)
	assert.EqualValues(t, 7, ind(t, r, "EECO01").Total)
	assert.EqualValues(t, 7, ind(t, r, "CO04").Total)
	assert.EqualValues(t, 0, ind(t, r, "CO08").Total)
}

func TestResultIndicatorsFromCheckpoints(t *testing.T) {
	leave := coaching.NewDate(2025, 3, 31)
	s, err := pathway.NewSchedule(leave)
	require.NoError(t, err)
	// Inactive at entry, job searching on leaving, a job on day 20: employed.
	obs := []pathway.Observation{{Date: leave, Status: pathway.JobSeeking}, {Date: leave.AddDays(20), Status: pathway.WorkOpen}}
	res := pathway.Evaluate(s, obs)
	a := person(56, coaching.GenderFemale, coaching.LabourInactive, nil)
	a.Left = ptr(true)
	a.UponLeaving = res[0].Status
	a.SixMonths = pathway.WorkSubsidised
	a.Disadvantaged = ptr(true)

	// Inactive at entry, job found at once, unemployed by day 28: job searching.
	b := person(40, coaching.GenderMale, coaching.LabourInEducation, nil)
	b.Left = ptr(true)
	b.UponLeaving = pathway.Evaluate(s, []pathway.Observation{{Date: leave, Status: pathway.WorkOpen}, {Date: leave.AddDays(28), Status: pathway.Unemployed}})[0].Status
	b.QualificationGained = ptr(true)

	// Left, status unknown.
	c := person(40, coaching.GenderMale, coaching.LabourEmployed, nil)
	c.Left = ptr(true)
	// Not left: no result indicators.
	d := person(40, coaching.GenderMale, coaching.LabourEmployed, nil)

	r := esfOf(a, b, c, d)
	assert.EqualValues(t, 4, r.Participants)
	assert.EqualValues(t, 3, r.Leavers)
	check := func(code string, total, unknown int64) {
		t.Helper()
		x := ind(t, r, code)
		assert.Equal(t, total, x.Total, code+" total")
		assert.Equal(t, unknown, x.Unknown, code+" unknown")
		assert.EqualValues(t, 3, x.Denominator, code)
	}
	check("EECR04", 1, 1)
	check("EECR01", 1, 1) // mutually exclusive with EECR04
	check("CR01", 1, 0)   // c was employed at entry: not in CR01's group
	check("CR04", 1, 1)
	check("CR02", 0, 1)
	check("CR03", 1, 2)
	check("CR06", 1, 2)
	check("CR08", 1, 0) // a is 56; b and c are under 55
	check("CR09", 1, 2)
	check("CR05", 1, 2)
	check("CR07", 0, 1) // c employed at entry, improvement unknown
	assert.EqualValues(t, 1, ind(t, r, "CR04").Women)

	md := r.Markdown()
	assert.Contains(t, md, "Denominators: 4 participants (output indicators), 3 leavers (result indicators).")
	assert.Contains(t, r.CSV(), "code,indicator,total,women,men,non_binary,gender_unknown,fact_unknown,denominator,destinations\n")
	assert.True(t, esfOf().Empty)
	assert.Contains(t, esfOf().Markdown(), "empty cohort")
}

// EECO13 and EECO15 read the participant's background when the host's
// Input leaves the facts nil; a fact in Input wins; nil in both is unknown
// (a participant who declined to answer is not counted as "no").
func TestThirdCountryAndMinorityFromBackground(t *testing.T) {
	yes, no := true, false
	with := func(bgThird, bgMinority, inThird, inMinority *bool) outcomes.Input {
		in := person(30, coaching.GenderFemale, coaching.LabourInactive, nil)
		in.Participant.Background.ThirdCountryNational, in.Participant.Background.Minority = bgThird, bgMinority
		in.ThirdCountryNational, in.Minority = inThird, inMinority
		return in
	}
	r := esfOf(
		with(&yes, &yes, nil, nil),
		with(&no, &no, nil, nil),
		with(nil, nil, nil, nil),
		with(&no, &no, &yes, &yes), // the host's Input wins
		with(nil, nil, &no, &no),
	)
	eeco13, eeco15 := ind(t, r, "EECO13"), ind(t, r, "EECO15")
	assert.EqualValues(t, 2, eeco13.Total)
	assert.EqualValues(t, 1, eeco13.Unknown)
	assert.EqualValues(t, 2, eeco15.Total)
	assert.EqualValues(t, 1, eeco15.Unknown)
	assert.EqualValues(t, 2, ind(t, r, "CO15").Total, "a minority counts in CO15")
}
