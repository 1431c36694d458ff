package outcomes_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

// Every label must count exactly what it says. These tests pin, for every
// destination and education level, the row it is counted in.

func valoTableOf(t *testing.T, c pathway.Classifier, ins ...outcomes.Input) outcomes.VALOTable {
	t.Helper()
	a := outcomes.NewVALO(c)
	for i := range ins {
		a.Add(&ins[i])
	}
	tb, err := a.Table(outcomes.Options{})
	require.NoError(t, err)
	return tb
}

func withDestination(k pathway.Kind) outcomes.Input {
	in := person(30, coaching.GenderFemale, coaching.LabourUnemployed, nil)
	if k != pathway.Unknown {
		in.Destination = &pathway.Destination{Kind: k, Date: entry.AddDays(183)}
	}
	return in
}

// countedIn returns the keys of the rows of a breakdown that count 1.
func countedIn(tb outcomes.VALOTable, breakdown string) []string {
	var keys []string
	for _, r := range tb.Rows {
		if r.Breakdown == breakdown && r.Count == 1 {
			keys = append(keys, r.Key)
		}
	}
	return keys
}

// "positive onward path (studies or work)" counts studies and work and
// nothing else; a redirect, a success in the pilot's sense, has its own row.
func TestVALOPositiveOnwardPathIsStudiesOrWork(t *testing.T) {
	cases := []struct {
		kind        pathway.Kind
		destination string
		positive    string
	}{
		{pathway.StudiesQualification, "destination.studies", "positive.yes"},
		{pathway.StudiesOther, "destination.studies", "positive.yes"},
		{pathway.WorkOpen, "destination.work", "positive.yes"},
		{pathway.WorkSubsidised, "destination.work", "positive.yes"},
		{pathway.WorkApprenticeship, "destination.work", "positive.yes"},
		{pathway.WorkSelfEmployed, "destination.work", "positive.yes"},
		{pathway.JobSeeking, "destination.job_seeking", "positive.no"},
		{pathway.Unemployed, "destination.unemployed", "positive.no"},
		{pathway.OutsideParentalLeave, "destination.outside", "positive.no"},
		{pathway.OutsideMilitaryService, "destination.outside", "positive.no"},
		{pathway.OutsideOther, "destination.outside", "positive.no"},
		{pathway.Redirected, "destination.redirected", "positive.other"},
		{pathway.OtherService, "destination.other_service", "positive.no"},
		{pathway.Unknown, "destination.unknown", "positive.unknown"},
		{pathway.Kind("moon"), "destination.unknown", "positive.unknown"},
	}
	require.Len(t, cases, len(pathway.Kinds())+1, "every destination is pinned")
	for _, c := range cases {
		t.Run(string(c.kind), func(t *testing.T) {
			in := withDestination(c.kind)
			if c.kind == "moon" {
				in.Destination = &pathway.Destination{Kind: c.kind, Date: entry}
			}
			tb := valoTableOf(t, nil, in)
			assert.Equal(t, []string{c.destination}, countedIn(tb, "destination"))
			assert.Equal(t, []string{c.positive}, countedIn(tb, "positive_path"))
		})
	}
	tb := valoTableOf(t, nil, withDestination(pathway.Redirected), withDestination(pathway.WorkOpen), withDestination(pathway.StudiesOther))
	yes, _ := tb.Row("positive.yes")
	other, _ := tb.Row("positive.other")
	assert.Equal(t, "positive onward path (studies or work)", yes.Label)
	assert.EqualValues(t, 2, yes.Count)
	assert.Equal(t, "other positive destination (redirected to a better-suited field)", other.Label)
	assert.EqualValues(t, 1, other.Count)
	assert.Contains(t, tb.Markdown(), "| other positive destination (redirected to a better-suited field) | 1 | 33.3 |")
}

// What a row includes is what it counts: each destination, counted alone,
// lands in the rows whose Includes name it, and only in them.
func TestVALOIncludesAreWhatTheRowsCount(t *testing.T) {
	classifiers := []struct {
		name string
		c    pathway.Classifier
	}{
		{"default", nil},
		{"host", pathway.ClassifierMap{pathway.WorkSubsidised: pathway.Neutral, pathway.OtherService: pathway.Positive}},
	}
	for _, cl := range classifiers {
		t.Run(cl.name, func(t *testing.T) {
			for _, k := range pathway.Kinds() {
				tb := valoTableOf(t, cl.c, withDestination(k))
				code := string(k)
				if k == pathway.Unknown {
					code = "unknown"
				}
				for _, r := range tb.Rows {
					if r.Breakdown != "destination" && r.Breakdown != "positive_path" {
						continue
					}
					assert.Equal(t, r.Count == 1, slices.Contains(r.Includes, code), "%s: row %s", k, r.Key)
				}
			}
		})
	}
}

// A host's classifier changes what the positive rows count; their labels
// say so (they were "positive onward path" whatever was counted).
func TestVALOPositiveLabelsFollowTheClassifier(t *testing.T) {
	cases := []struct {
		name             string
		c                pathway.Classifier
		yes, other, none string
	}{
		{"default", nil,
			"positive onward path (studies or work)",
			"other positive destination (redirected to a better-suited field)",
			"no positive destination (moved to job seeking, unemployed job seeker, outside the labour force or other service)"},
		{"subsidised work neutral, other service positive",
			pathway.ClassifierMap{pathway.WorkSubsidised: pathway.Neutral, pathway.OtherService: pathway.Positive},
			"positive onward path (studies, work on the open labour market, apprenticeship or self-employed)",
			"other positive destination (redirected to a better-suited field or other service)",
			"no positive destination (wage-subsidised work, moved to job seeking, unemployed job seeker or outside the labour force)"},
		{"only studies", pathway.ClassifierFunc(func(k pathway.Kind) pathway.Classification {
			if k.Group() == pathway.GroupStudies {
				return pathway.Positive
			}
			return pathway.Neutral
		}),
			"positive onward path (studies)",
			"other positive destination (none)",
			"no positive destination (work, moved to job seeking, unemployed job seeker, outside the labour force, redirected to a better-suited field or other service)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := valoTableOf(t, c.c)
			for key, want := range map[string]string{"positive.yes": c.yes, "positive.other": c.other, "positive.no": c.none} {
				r, ok := tb.Row(key)
				require.True(t, ok, key)
				assert.Equal(t, want, r.Label, key)
			}
			require.Len(t, tb.Notes, 2)
			assert.True(t, strings.HasPrefix(tb.Notes[0], c.yes+" counts: "), tb.Notes[0])
			assert.True(t, strings.HasPrefix(tb.Notes[1], c.other+" counts: "), tb.Notes[1])
		})
	}
}

// "education: vocational qualification" counts vocational qualifications;
// general upper secondary education has its own row.
func TestVALOEducationRowsCountTheirLevels(t *testing.T) {
	cases := []struct {
		level coaching.EducationLevel
		row   string
	}{
		{coaching.EducationBelowBasic, "education.basic"},
		{coaching.EducationBasic, "education.basic"},
		{coaching.EducationGeneralUpperSecondary, "education.general_upper_secondary"},
		{coaching.EducationVocational, "education.vocational"},
		{coaching.EducationSpecialistVocational, "education.vocational"},
		{coaching.EducationHigher, "education.higher"},
		{coaching.EducationUnknown, "education.unknown"},
		{coaching.EducationLevel("phd"), "education.unknown"},
	}
	for _, c := range cases {
		t.Run(string(c.level), func(t *testing.T) {
			in := withDestination(pathway.Unknown)
			in.Participant.Background.EducationLevel = c.level
			tb := valoTableOf(t, nil, in)
			assert.Equal(t, []string{c.row}, countedIn(tb, "education"))
			r, ok := tb.Row(c.row)
			require.True(t, ok)
			if c.row != "education.unknown" {
				assert.Contains(t, r.Includes, string(c.level))
			}
		})
	}
	in := withDestination(pathway.Unknown)
	in.Participant.Background.EducationLevel = coaching.EducationGeneralUpperSecondary
	assert.Contains(t, valoTableOf(t, nil, in).Markdown(), "| education: general upper secondary | 1 | 100.0 |")
}

// leaver is someone who left with status k upon leaving and six months after.
func leaver(k pathway.Kind) outcomes.Input {
	in := person(56, coaching.GenderFemale, coaching.LabourInactive, nil)
	in.Left = ptr(true)
	in.UponLeaving, in.SixMonths = k, k
	return in
}

// The statuses after leaving and the results they count as: an apprentice
// is both in employment and in education or training; job searching and
// employment never overlap; a redirect or another service decides nothing.
func TestESFResultsByStatusAfterLeaving(t *testing.T) {
	type want struct{ jobSearching, education, employment int64 }
	cases := []struct {
		kind    pathway.Kind
		want    want
		decided bool
	}{
		{pathway.StudiesQualification, want{0, 1, 0}, true},
		{pathway.StudiesOther, want{0, 1, 0}, true},
		{pathway.WorkOpen, want{0, 0, 1}, true},
		{pathway.WorkSubsidised, want{0, 0, 1}, true},
		{pathway.WorkApprenticeship, want{0, 1, 1}, true},
		{pathway.WorkSelfEmployed, want{0, 0, 1}, true},
		{pathway.JobSeeking, want{1, 0, 0}, true},
		{pathway.Unemployed, want{1, 0, 0}, true},
		{pathway.OutsideParentalLeave, want{0, 0, 0}, true},
		{pathway.OutsideMilitaryService, want{0, 0, 0}, true},
		{pathway.OutsideOther, want{0, 0, 0}, true},
		{pathway.Redirected, want{0, 0, 0}, false},
		{pathway.OtherService, want{0, 0, 0}, false},
		{pathway.Unknown, want{0, 0, 0}, false},
	}
	require.Len(t, cases, len(pathway.Kinds()))
	for _, c := range cases {
		t.Run(string(c.kind), func(t *testing.T) {
			r := esfOf(leaver(c.kind))
			unknown := int64(0)
			if !c.decided {
				unknown = 1
			}
			for _, x := range []struct {
				code string
				want int64
			}{
				{"EECR01", c.want.jobSearching}, {"CR01", c.want.jobSearching},
				{"EECR02", c.want.education}, {"CR02", c.want.education},
				{"EECR04", c.want.employment}, {"CR04", c.want.employment},
				{"EECR05", c.want.employment}, {"CR06", c.want.employment}, {"CR08", c.want.employment},
			} {
				got := ind(t, r, x.code)
				assert.Equal(t, x.want, got.Total, x.code)
				assert.Equal(t, unknown, got.Unknown, x.code)
				code := string(c.kind)
				if c.kind == pathway.Unknown {
					code = "unknown"
				}
				assert.Equal(t, x.want == 1, slices.Contains(got.Destinations, code), "%s lists what it counts", x.code)
			}
		})
	}
}

// CR05 and CR09 count disadvantaged participants: those counted in CO15
// (migrants, foreign background, minorities), CO16 (disabilities) or CO17
// (other disadvantaged), not only the "other disadvantaged".
func TestESFDisadvantagedParticipants(t *testing.T) {
	cases := []struct {
		name                              string
		foreign, disability, minority, dv *bool
		total, unknown                    int64
	}{
		{"foreign background", ptr(true), nil, nil, nil, 1, 0},
		{"minority", nil, nil, ptr(true), nil, 1, 0},
		{"disability", nil, ptr(true), nil, nil, 1, 0},
		{"other disadvantaged", nil, nil, nil, ptr(true), 1, 0},
		{"none of them", ptr(false), ptr(false), ptr(false), ptr(false), 0, 0},
		{"not known", nil, nil, nil, nil, 0, 1},
		{"partly known", ptr(false), nil, ptr(false), ptr(false), 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := leaver(pathway.WorkOpen)
			in.Participant.Background.ForeignBackground = c.foreign
			in.Participant.Background.Disability = c.disability
			in.Minority, in.Disadvantaged = c.minority, c.dv
			r := esfOf(in)
			for _, code := range []string{"CR05", "CR09"} {
				x := ind(t, r, code)
				assert.Equal(t, c.total, x.Total, code)
				assert.Equal(t, c.unknown, x.Unknown, code)
				assert.Contains(t, x.Title, "disadvantaged (counted in CO15, CO16 or CO17)", code)
			}
		})
	}
}

// The ESF report says, in every form, which statuses count as which result.
func TestESFReportSaysWhatCounts(t *testing.T) {
	r := esfOf(leaver(pathway.WorkApprenticeship))
	assert.Equal(t, []string{"studies_qualification", "studies_other", "work_apprenticeship"}, ind(t, r, "EECR02").Destinations)
	assert.Empty(t, ind(t, r, "EECR03").Destinations, "a qualification is not a status after leaving")
	assert.Contains(t, r.Notes, "in education or training: studies toward a full qualification, other studies or training, apprenticeship.")
	assert.Contains(t, r.Notes, "Disadvantaged (CR05, CR09): counted in CO15, CO16 or CO17.")
	assert.Contains(t, r.Markdown(), "- in employment, including self-employment: work on the open labour market, wage-subsidised work, apprenticeship, self-employed.\n")
	assert.Contains(t, r.CSV(), "EECR02,in education or training upon leaving,1,1,0,0,0,0,1,studies_qualification studies_other work_apprenticeship\n")
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"destinations":["job_seeking","unemployed"]`)
	assert.Contains(t, string(b), `"notes":[`)
}

// Upon leaving, the status observed last in the 28 days after leaving
// counts, whether it is the follow-up result or the destination recorded at
// closing (a result on the same day wins).
func TestUponLeavingIsTheLastStatusInTheWindow(t *testing.T) {
	opened := time.Date(2025, 1, 7, 9, 0, 0, 0, coaching.Helsinki)
	closed := opened.AddDate(0, 6, 0)
	leave := coaching.DateOf(closed)
	cases := []struct {
		name     string
		dest     *pathway.Destination
		result   *pathway.CheckpointResult
		want     pathway.Kind
		eecr02   int64
		eecr01   int64
		eecrUnkn int64
	}{
		{"destination later than the follow-up",
			&pathway.Destination{Kind: pathway.StudiesQualification, Date: leave.AddDays(10)},
			&pathway.CheckpointResult{Found: true, Status: pathway.Unemployed, ObservedOn: leave.AddDays(3)},
			pathway.StudiesQualification, 1, 0, 0},
		{"follow-up later than the destination",
			&pathway.Destination{Kind: pathway.StudiesQualification, Date: leave},
			&pathway.CheckpointResult{Found: true, Status: pathway.Unemployed, ObservedOn: leave.AddDays(3)},
			pathway.Unemployed, 0, 1, 0},
		{"same day: the follow-up",
			&pathway.Destination{Kind: pathway.StudiesQualification, Date: leave.AddDays(3)},
			&pathway.CheckpointResult{Found: true, Status: pathway.Unemployed, ObservedOn: leave.AddDays(3)},
			pathway.Unemployed, 0, 1, 0},
		{"destination on day 28 still counts",
			&pathway.Destination{Kind: pathway.StudiesOther, Date: leave.AddDays(pathway.UponLeavingDays)},
			&pathway.CheckpointResult{Found: true, Status: pathway.Unemployed, ObservedOn: leave.AddDays(3)},
			pathway.StudiesOther, 1, 0, 0},
		{"destination after the window does not",
			&pathway.Destination{Kind: pathway.StudiesOther, Date: leave.AddDays(pathway.UponLeavingDays + 1)},
			&pathway.CheckpointResult{Found: true, Status: pathway.Unemployed, ObservedOn: leave.AddDays(3)},
			pathway.Unemployed, 0, 1, 0},
		{"no follow-up: the destination in the window",
			&pathway.Destination{Kind: pathway.StudiesOther, Date: leave.AddDays(5)}, nil,
			pathway.StudiesOther, 1, 0, 0},
		{"follow-up found nobody: the destination",
			&pathway.Destination{Kind: pathway.StudiesOther, Date: leave}, &pathway.CheckpointResult{Found: false},
			pathway.StudiesOther, 1, 0, 0},
		{"no destination: the follow-up", nil,
			&pathway.CheckpointResult{Found: true, Status: pathway.JobSeeking, ObservedOn: leave.AddDays(20)},
			pathway.JobSeeking, 0, 1, 0},
		{"nothing", nil, nil, pathway.Unknown, 0, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			st := memory.New()
			cs := coaching.Case{ID: "c1", ParticipantID: "p1", Version: 1, OpenedAt: opened, ClosedAt: closed}
			if c.dest != nil {
				data, err := json.Marshal(c.dest)
				require.NoError(t, err)
				cs.Records = append(cs.Records, coaching.Record{Name: pathway.RecordDestination, At: closed, Data: data})
			}
			if c.result != nil {
				data, err := json.Marshal(c.result)
				require.NoError(t, err)
				cs.Records = append(cs.Records, coaching.Record{Name: pathway.RecordUponLeaving, At: closed, Data: data})
			}
			require.NoError(t, st.Update(ctx, func(tx coaching.Tx) error {
				if err := tx.InsertParticipant(ctx, coaching.Participant{ID: "p1", GivenNames: "A", FamilyName: "B",
					Language: coaching.Finnish, BirthDate: coaching.NewDate(2000, 1, 1)}); err != nil {
					return err
				}
				return insertCase(ctx, tx, cs)
			}))
			var got pathway.Kind
			esf := outcomes.NewESF()
			_, err := outcomes.FromStore(ctx, st, coaching.CaseQuery{}, sinkFunc(func(in *outcomes.Input) { got = in.UponLeaving }), esf)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
			r := esf.Report()
			assert.Equal(t, c.eecr02, ind(t, r, "EECR02").Total, "EECR02")
			assert.Equal(t, c.eecr01, ind(t, r, "EECR01").Total, "EECR01")
			assert.Equal(t, c.eecrUnkn, ind(t, r, "EECR01").Unknown, "EECR01 unknown")
		})
	}
}

// "Still in education after the first year": a student who left for
// studies or an apprenticeship is still in education.
func TestRetentionCountsEducationElsewhere(t *testing.T) {
	cases := []struct {
		inEducation bool
		kind        pathway.Kind
		want        outcomes.RetentionCohort
	}{
		{true, pathway.Unknown, outcomes.RetentionCohort{Started: 1, InEducation: 1}},
		{false, pathway.StudiesQualification, outcomes.RetentionCohort{Started: 1, InEducation: 1}},
		{false, pathway.StudiesOther, outcomes.RetentionCohort{Started: 1, InEducation: 1}},
		{false, pathway.WorkApprenticeship, outcomes.RetentionCohort{Started: 1, InEducation: 1}},
		{false, pathway.Redirected, outcomes.RetentionCohort{Started: 1, Redirected: 1}},
		{false, pathway.WorkOpen, outcomes.RetentionCohort{Started: 1}},
		{false, pathway.Unemployed, outcomes.RetentionCohort{Started: 1}},
		{false, pathway.OtherService, outcomes.RetentionCohort{Started: 1}},
		{false, pathway.Unknown, outcomes.RetentionCohort{Started: 1, Unknown: 1}},
	}
	for _, c := range cases {
		t.Run(string(c.kind), func(t *testing.T) {
			var got outcomes.RetentionCohort
			var dest *pathway.Destination
			if c.kind != pathway.Unknown {
				dest = &pathway.Destination{Kind: c.kind, Date: coaching.NewDate(2025, 6, 1)}
			}
			got.Add(c.inEducation, dest)
			assert.Equal(t, c.want, got)
		})
	}
	assert.Equal(t, "In education: still studying, or left for studies toward a full qualification, other studies or training, apprenticeship; redirected to a better-suited field counts as retained.",
		outcomes.RetentionNote())
}

// "unemployed over 12 months" counts people unemployed at entry: months
// recorded for someone employed, inactive or studying at entry are not a
// continuous unemployment at entry.
func TestVALOUnemployedOver12MonthsAtEntry(t *testing.T) {
	cases := []struct {
		status coaching.LabourStatus
		months *int
		row    string
	}{
		{coaching.LabourUnemployed, ptr(13), "unemployment.over_12_months"},
		{coaching.LabourUnemployed, ptr(12), "unemployment.not_over_12_months"},
		{coaching.LabourUnknown, ptr(13), "unemployment.over_12_months"},
		{coaching.LabourEmployed, ptr(18), "unemployment.not_over_12_months"},
		{coaching.LabourInactive, ptr(18), "unemployment.not_over_12_months"},
		{coaching.LabourInEducation, ptr(18), "unemployment.not_over_12_months"},
		{coaching.LabourEmployed, nil, "unemployment.not_over_12_months"},
		{coaching.LabourUnemployed, nil, "unemployment.unknown"},
		{coaching.LabourUnemployed, ptr(-1), "unemployment.unknown"},
	}
	for _, c := range cases {
		in := person(40, coaching.GenderMale, c.status, c.months)
		months := "nil"
		if c.months != nil {
			months = fmt.Sprint(*c.months)
		}
		assert.Equal(t, []string{c.row}, countedIn(valoTableOf(t, nil, in), "unemployment"), "status %q, months %s", c.status, months)
	}
}
