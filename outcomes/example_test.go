package outcomes_test

import (
	"fmt"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

// The VALO figures of 77 participants, printed as the source did: truncated.
func ExampleVALOAggregator_Table() {
	entry := coaching.NewDate(2016, 3, 1)
	valo := outcomes.NewVALO(nil) // default classifier: studies and work are positive
	var in outcomes.Input         // reused for every participant
	for i := range 77 {
		months := 6
		if i < 49 {
			months = 18
		}
		birth := coaching.NewDate(1980, 5, 5)
		if i >= 48 { // the last 29 are under 30 at entry
			birth = coaching.NewDate(1995, 5, 5)
		}
		gender := coaching.GenderMale
		if i < 51 { // 51 women
			gender = coaching.GenderFemale
		}
		edu := coaching.EducationBasic
		switch {
		case i >= 75:
			edu = coaching.EducationHigher
		case i >= 35:
			edu = coaching.EducationVocational
		}
		kind := pathway.Unemployed
		switch {
		case i < 12:
			kind = pathway.StudiesQualification
		case i < 35:
			kind = pathway.WorkSubsidised
		case i < 47:
			kind = pathway.JobSeeking
		case i < 48:
			kind = pathway.OutsideParentalLeave
		}
		in = outcomes.Input{
			EntryDate: entry,
			Participant: coaching.Participant{BirthDate: birth, Background: coaching.Background{
				Gender: gender, EducationLevel: edu, LabourStatus: coaching.LabourUnemployed, UnemployedMonths: &months}},
			Destination: &pathway.Destination{Kind: kind, Date: entry.AddDays(183)},
		}
		valo.Add(&in)
	}
	table, err := valo.Table(outcomes.Options{Rounding: outcomes.Truncate})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(table.Markdown())
	// Output:
	// **VALO coaching: participants and onward paths**
	//
	// Denominator: 77 participants. Rounding: truncate to 0.1.
	//
	// | figure | count | % |
	// | --- | ---: | ---: |
	// | women | 51 | 66.2 |
	// | under 30 years | 29 | 37.6 |
	// | unemployed over 12 months | 49 | 63.6 |
	// | education: basic | 35 | 45.4 |
	// | education: vocational qualification | 40 | 51.9 |
	// | education: higher | 2 | 2.5 |
	// | after the period: continued to studies | 12 | 15.5 |
	// | after the period: to work (incl. wage-subsidised) | 23 | 29.8 |
	// | after the period: unemployed job seeker | 29 | 37.6 |
	// | after the period: moved to job seeking | 12 | 15.5 |
	// | after the period: outside working life | 1 | 1.2 |
	// | positive onward path (studies or work) | 35 | 45.4 |
	//
	// - positive onward path (studies or work) counts: studies toward a full qualification, other studies or training, work on the open labour market, wage-subsidised work, apprenticeship, self-employed.
	// - other positive destination (redirected to a better-suited field) counts: redirected to a better-suited field (positive, but not studies or work, so not in the positive onward path).
}

// The same cohort under the seed's own mix (half up, the work row
// truncated) prints exactly the reported table; see SeedOptions.
func ExampleSeedOptions() {
	fmt.Println(outcomes.SeedOptions().Describe())
	p, _ := outcomes.Percent(23, 77, 1, outcomes.RoundHalfUp)
	q, _ := outcomes.Percent(23, 77, 1, outcomes.Truncate)
	fmt.Println(p.StringFixed(1), q.StringFixed(1))
	// Output:
	// half_up to 0.1; truncate for destination.work
	// 29.9 29.8
}
