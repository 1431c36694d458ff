package workplace_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
	"github.com/valmennus/valmennus/hoks/workplace"
)

// eligible are the facts of a period eHOKS sends the survey for.
func eligible() workplace.Facts {
	return workplace.Facts{Method: hoks.MethodTrainingAgreement, Start: coaching.NewDate(2026, 10, 19), End: coaching.NewDate(2026, 12, 11),
		PartTimePercent: hoks.Ref(100), WorkplaceName: "Maalausliike Oy", BusinessID: "3213687-7", InstructorName: "Olli Ohjaaja"}
}

// Each of eHOKS's exclusion rules (hoks.md §4.2, palaute/tyoelama.clj),
// one at a time.
func TestDecideTEP(t *testing.T) {
	end := coaching.NewDate(2026, 12, 11)
	for _, tc := range []struct {
		name     string
		edit     func(f *workplace.Facts)
		recorded []workplace.Interruption
		end      coaching.Date
		excluded string
	}{
		{name: "training agreement", edit: func(*workplace.Facts) {}},
		{name: "apprenticeship", edit: func(f *workplace.Facts) { f.Method = hoks.MethodApprenticeship }},
		{name: "at school", edit: func(f *workplace.Facts) { f.Method = hoks.MethodSchool }, excluded: "not a training agreement or an apprenticeship"},
		{name: "no end date", edit: func(*workplace.Facts) {}, end: coaching.Date{}, excluded: "the period has no end date"},
		{name: "no instructor", edit: func(f *workplace.Facts) { f.InstructorName = "" }, excluded: "the HOKS names no workplace instructor (vastuullinen-tyopaikka-ohjaaja)"},
		{name: "no workplace name", edit: func(f *workplace.Facts) { f.WorkplaceName = "" }, excluded: "the HOKS names no workplace (tyopaikan-nimi)"},
		{name: "no Y-tunnus", edit: func(f *workplace.Facts) { f.BusinessID = "" }, excluded: "the HOKS has no Y-tunnus of the workplace (tyopaikan-y-tunnus)"},
		{name: "no part time", edit: func(f *workplace.Facts) { f.PartTimePercent = nil }, excluded: "the HOKS has no osa-aikaisuustieto of 1–100, required for periods ending after 30.6.2023"},
		{name: "part time 0", edit: func(f *workplace.Facts) { f.PartTimePercent = hoks.Ref(0) }, excluded: "the HOKS has no osa-aikaisuustieto of 1–100, required for periods ending after 30.6.2023"},
		{name: "part time 101", edit: func(f *workplace.Facts) { f.PartTimePercent = hoks.Ref(101) }, excluded: "the HOKS has no osa-aikaisuustieto of 1–100, required for periods ending after 30.6.2023"},
		{name: "part time 1", edit: func(f *workplace.Facts) { f.PartTimePercent = hoks.Ref(1) }},
		{name: "no part time, ended 30.6.2023", edit: func(f *workplace.Facts) { f.PartTimePercent = nil }, end: coaching.NewDate(2023, 6, 30)},
		{name: "no part time, ended 1.7.2023", edit: func(f *workplace.Facts) { f.PartTimePercent = nil }, end: coaching.NewDate(2023, 7, 1),
			excluded: "the HOKS has no osa-aikaisuustieto of 1–100, required for periods ending after 30.6.2023"},
		{name: "the plan's open interruption", edit: func(f *workplace.Facts) {
			f.Interruptions = []workplace.Interruption{{Start: coaching.NewDate(2026, 12, 1)}}
		}, excluded: "an interruption covers the period's last day"},
		{name: "the plan's interruption ending on the last day", edit: func(f *workplace.Facts) {
			f.Interruptions = []workplace.Interruption{{Start: coaching.NewDate(2026, 12, 1), End: end}}
		}, excluded: "an interruption covers the period's last day"},
		{name: "the plan's interruption ending the day before", edit: func(f *workplace.Facts) {
			f.Interruptions = []workplace.Interruption{{Start: coaching.NewDate(2026, 12, 1), End: end.AddDays(-1)}}
		}},
		{name: "a recorded interruption", edit: func(*workplace.Facts) {}, recorded: []workplace.Interruption{{Start: end, End: end}},
			excluded: "an interruption covers the period's last day"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := eligible()
			tc.edit(&f)
			e := end
			if tc.name == "no end date" || !tc.end.IsZero() {
				e = tc.end
			}
			d := workplace.DecideTEP(f, tc.recorded, e)
			assert.Equal(t, tc.excluded, d.Excluded)
			assert.Equal(t, e, d.TriggerDate)
			if tc.excluded != "" {
				assert.True(t, d.Opens.IsZero() && d.Closes.IsZero(), "no window for an excluded survey")
			} else {
				assert.False(t, d.Opens.IsZero())
			}
		})
	}
}

// The answer window opens on the first of the next month and closes 29
// days later, at most 59 days after the trigger date.
func TestAnswerWindow(t *testing.T) {
	for _, tc := range []struct{ trigger, opens, closes coaching.Date }{
		{coaching.NewDate(2026, 12, 11), coaching.NewDate(2027, 1, 1), coaching.NewDate(2027, 1, 30)},
		{coaching.NewDate(2026, 12, 31), coaching.NewDate(2027, 1, 1), coaching.NewDate(2027, 1, 30)},
		// The first of a 31-day month: opens+29 is the 60th day, so the
		// 59-day limit closes it a day earlier.
		{coaching.NewDate(2026, 10, 1), coaching.NewDate(2026, 11, 1), coaching.NewDate(2026, 11, 29)},
		{coaching.NewDate(2027, 1, 31), coaching.NewDate(2027, 2, 1), coaching.NewDate(2027, 3, 2)},
	} {
		opens, closes := workplace.AnswerWindow(tc.trigger)
		assert.Equal(t, tc.opens, opens, "%s", tc.trigger)
		assert.Equal(t, tc.closes, closes, "%s", tc.trigger)
	}
}
