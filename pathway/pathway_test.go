package pathway_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/pathway"
)

func d(y, m, day int) coaching.Date { return coaching.NewDate(y, timeMonth(m), day) }

func TestKindsClosedAndGrouped(t *testing.T) {
	seen := map[pathway.Kind]bool{}
	for _, k := range pathway.Kinds() {
		assert.True(t, k.Valid(), k)
		assert.False(t, seen[k], "duplicate %q", k)
		seen[k] = true
		assert.NotEmpty(t, k.Title())
	}
	assert.Len(t, seen, 14)
	assert.False(t, pathway.Kind("holiday").Valid())
	assert.Equal(t, pathway.GroupUnknown, pathway.Kind("holiday").Group())
	assert.Equal(t, coaching.LabourEmployed, pathway.WorkApprenticeship.LabourStatus())
	assert.Equal(t, coaching.LabourUnemployed, pathway.JobSeeking.LabourStatus())
	assert.Equal(t, coaching.LabourInEducation, pathway.StudiesOther.LabourStatus())
	assert.Equal(t, coaching.LabourInactive, pathway.OutsideMilitaryService.LabourStatus())
	assert.Equal(t, coaching.LabourUnknown, pathway.Redirected.LabourStatus())
}

func TestDefaultClassifierFollowsSeeds(t *testing.T) {
	c := pathway.DefaultClassifier()
	want := map[pathway.Kind]pathway.Classification{
		pathway.StudiesQualification: pathway.Positive, pathway.StudiesOther: pathway.Positive,
		pathway.WorkOpen: pathway.Positive, pathway.WorkSubsidised: pathway.Positive,
		pathway.WorkApprenticeship: pathway.Positive, pathway.WorkSelfEmployed: pathway.Positive,
		pathway.Redirected: pathway.Positive,
		pathway.JobSeeking: pathway.Neutral, pathway.OutsideParentalLeave: pathway.Neutral,
		pathway.OutsideMilitaryService: pathway.Neutral, pathway.OutsideOther: pathway.Neutral,
		pathway.OtherService: pathway.Neutral, pathway.Unknown: pathway.Neutral,
		pathway.Unemployed: pathway.Negative,
	}
	for k, w := range want {
		assert.Equal(t, w, c.Classify(k), k)
	}
	assert.Equal(t, pathway.Neutral, c.Classify("bogus"))
}

func TestHostClassifiers(t *testing.T) {
	m := pathway.ClassifierMap{pathway.Redirected: pathway.Neutral, pathway.JobSeeking: "great"}
	assert.Equal(t, pathway.Neutral, m.Classify(pathway.Redirected))
	assert.Equal(t, pathway.Neutral, m.Classify(pathway.JobSeeking), "invalid entry falls back to the default")
	assert.Equal(t, pathway.Positive, m.Classify(pathway.WorkOpen), "missing entry falls back to the default")
	f := pathway.ClassifierFunc(func(k pathway.Kind) pathway.Classification {
		if k == pathway.JobSeeking {
			return pathway.Positive
		}
		return "??"
	})
	assert.Equal(t, pathway.Positive, f.Classify(pathway.JobSeeking))
	assert.Equal(t, pathway.Neutral, f.Classify(pathway.WorkOpen))
	var nilFunc pathway.ClassifierFunc
	assert.Equal(t, pathway.Positive, nilFunc.Classify(pathway.WorkOpen))
	assert.Equal(t, pathway.Positive, pathway.Destination{Kind: pathway.WorkOpen}.Classify(nil))
}

func TestDestinationValidateAndJSON(t *testing.T) {
	ok := pathway.Destination{Kind: pathway.StudiesQualification, Date: d(2025, 6, 1), Note: "talonrakennus"}
	require.NoError(t, ok.Validate())
	require.NoError(t, coaching.ValidateStruct("destination", ok), "validate tags accept it")

	b, err := json.Marshal(ok)
	require.NoError(t, err)
	assert.JSONEq(t, `{"destination":"studies_qualification","date":"2025-06-01","note":"talonrakennus"}`, string(b))
	var back pathway.Destination
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, ok, back)

	bad := pathway.Destination{Kind: "holiday", Date: coaching.Date{Year: 2025, Month: 2, Day: 30}, Note: "a\x00b"}
	err = bad.Validate()
	require.Error(t, err)
	assert.True(t, errors.Is(err, coaching.ErrInvalid))
	var ve *coaching.ValidationError
	require.ErrorAs(t, err, &ve)
	fields := map[string]bool{}
	for _, p := range ve.Problems {
		fields[p.Field] = true
	}
	assert.Equal(t, map[string]bool{"destination": true, "date": true, "note": true}, fields)
	assert.Error(t, coaching.ValidateStruct("destination", bad), "validate tags reject it")

	assert.Error(t, pathway.Destination{}.Validate(), "unknown/zero is not a recorded destination")
	assert.Error(t, coaching.ValidateStruct("destination", pathway.Destination{}))
}

func TestScheduleDatesInHelsinkiCalendar(t *testing.T) {
	// Across the end of DST (26 Oct 2025): civil days, not 24h steps.
	s, err := pathway.NewSchedule(d(2025, 10, 1))
	require.NoError(t, err)
	require.Len(t, s.Checkpoints, 2)
	assert.Equal(t, d(2025, 10, 29), s.Checkpoints[0].Due)
	assert.Equal(t, d(2026, 4, 1), s.Checkpoints[1].Due)

	// Month-end clamping, leap year.
	s, err = pathway.NewSchedule(d(2023, 8, 31))
	require.NoError(t, err)
	assert.Equal(t, d(2024, 2, 29), s.Checkpoints[1].Due)
	assert.Equal(t, d(2024, 1, 31), pathway.AddPeriod(d(2023, 7, 31), coaching.Months(6)))
	assert.Equal(t, d(2022, 12, 31), pathway.AddPeriod(d(2023, 3, 31), coaching.Months(-3)))

	_, err = pathway.NewSchedule(coaching.Date{})
	assert.ErrorIs(t, err, coaching.ErrInvalid)
	_, err = pathway.NewSchedule(d(2025, 1, 1), coaching.Months(3))
	assert.ErrorIs(t, err, coaching.ErrInvalid, "alumni contact before the six-month checkpoint")
	_, err = pathway.NewSchedule(d(2025, 1, 1), coaching.Months(12), coaching.Months(12))
	assert.ErrorIs(t, err, coaching.ErrInvalid, "not increasing")
	_, err = pathway.NewSchedule(d(2025, 1, 1), coaching.Months(-12))
	assert.ErrorIs(t, err, coaching.ErrInvalid)
	s, err = pathway.NewSchedule(d(2025, 1, 1), coaching.Months(12), coaching.Months(24))
	require.NoError(t, err)
	assert.Equal(t, []string{"upon_leaving", "six_months", "alumni_1", "alumni_2"},
		[]string{s.Checkpoints[0].Key(), s.Checkpoints[1].Key(), s.Checkpoints[2].Key(), s.Checkpoints[3].Key()})
	require.NoError(t, coaching.ValidateStruct("schedule", s))
}

func TestEvaluateLastStatusInWindowCounts(t *testing.T) {
	leave := d(2025, 5, 30)
	s, err := pathway.NewSchedule(leave)
	require.NoError(t, err)

	t.Run("ESF+ FAQ: job found on day 20 counts as employed", func(t *testing.T) {
		r := pathway.Evaluate(s, []pathway.Observation{
			{Date: leave.AddDays(20), Status: pathway.WorkOpen},
			{Date: leave, Status: pathway.JobSeeking}, // unsorted on purpose
		})
		assert.Equal(t, pathway.WorkOpen, r[0].Status)
		assert.True(t, r[0].Found)
	})
	t.Run("employed at once, unemployed by day 28: job searching", func(t *testing.T) {
		r := pathway.Evaluate(s, []pathway.Observation{
			{Date: leave, Status: pathway.WorkOpen},
			{Date: leave.AddDays(28), Status: pathway.Unemployed},
		})
		assert.Equal(t, pathway.Unemployed, r[0].Status)
		assert.Equal(t, coaching.LabourUnemployed, r[0].Status.LabourStatus())
	})
	t.Run("day 29 and the day before leaving are outside the window", func(t *testing.T) {
		r := pathway.Evaluate(s, []pathway.Observation{
			{Date: leave.AddDays(-1), Status: pathway.WorkOpen},
			{Date: leave.AddDays(29), Status: pathway.WorkOpen},
		})
		assert.False(t, r[0].Found)
		assert.Equal(t, pathway.Unknown, r[0].Status)
	})
	t.Run("same date: the later observation wins; unknown never overrides", func(t *testing.T) {
		r := pathway.Evaluate(s, []pathway.Observation{
			{Date: leave.AddDays(3), Status: pathway.JobSeeking},
			{Date: leave.AddDays(3), Status: pathway.StudiesOther},
			{Date: leave.AddDays(10), Status: pathway.Unknown},
			{Date: leave.AddDays(11), Status: "bogus"},
			{Date: coaching.Date{Year: 2025, Month: 6, Day: 31}, Status: pathway.WorkOpen},
		})
		assert.Equal(t, pathway.StudiesOther, r[0].Status)
	})
	t.Run("six months", func(t *testing.T) {
		r := pathway.Evaluate(s, []pathway.Observation{
			{Date: d(2025, 11, 30), Status: pathway.WorkSubsidised},
			{Date: d(2025, 12, 5), Status: pathway.WorkOpen},
		})
		assert.False(t, r[0].Found)
		assert.Equal(t, pathway.WorkOpen, r[1].Status)
		assert.Equal(t, d(2025, 12, 5), r[1].ObservedOn)
	})
	t.Run("due checkpoints", func(t *testing.T) {
		assert.Empty(t, s.Due(leave.AddDays(27), nil))
		due := s.Due(leave.AddDays(28), nil)
		require.Len(t, due, 1)
		assert.Equal(t, pathway.UponLeaving, due[0].Kind)
		found := pathway.Evaluate(s, []pathway.Observation{{Date: leave, Status: pathway.WorkOpen}})
		assert.Empty(t, s.Due(leave.AddDays(28), found))
		assert.Len(t, s.Due(d(2026, 1, 1), found), 1)
	})
}

func TestHandovers(t *testing.T) {
	in := pathway.InboundHandover{
		ConsentDate: d(2025, 5, 20), HandoverDate: d(2025, 6, 3),
		SendingSchool: "Rovaniemen yhteiskoulu",
		ContactPerson: pathway.ContactPerson{Name: "Opo Ohjaaja", Title: "study counsellor", Email: "opo@example.fi"},
		SupportNeeds:  []pathway.SupportNeed{{Area: "reading and writing", Measures: "extra time in tests", Special: true}},
	}
	require.NoError(t, in.Validate())
	require.NoError(t, coaching.ValidateStruct("inbound handover", in))

	bad := in
	bad.ConsentDate = d(2025, 6, 4)
	bad.SendingSchool = " "
	bad.ContactPerson = pathway.ContactPerson{Name: "X", Email: "not an address"}
	bad.SupportNeeds = []pathway.SupportNeed{{Area: ""}}
	var ve *coaching.ValidationError
	require.ErrorAs(t, bad.Validate(), &ve)
	fields := map[string]bool{}
	for _, p := range ve.Problems {
		fields[p.Field] = true
	}
	for _, f := range []string{"consent_date", "sending_school", "contact_person.email", "support_needs[0].area"} {
		assert.True(t, fields[f], f)
	}
	noConsent := in
	noConsent.ConsentDate = coaching.Date{}
	assert.Error(t, noConsent.Validate())
	assert.Error(t, coaching.ValidateStruct("inbound handover", noConsent))

	out := pathway.OutboundHandover{
		HandoverDate: d(2025, 6, 30), Service: pathway.ServiceEmployment, Receiver: "TE-palvelut",
		ContactPerson: pathway.ContactPerson{Name: "Virkailija", Phone: "+358 40 123 4567"},
		Destination:   pathway.JobSeeking,
	}
	require.NoError(t, out.Validate())
	require.NoError(t, coaching.ValidateStruct("outbound handover", out))
	withNeeds := out
	withNeeds.SupportNeeds = []pathway.SupportNeed{{Area: "maths"}}
	assert.Error(t, withNeeds.Validate(), "passing support needs on needs consent")
	withNeeds.ConsentDate = d(2025, 6, 30)
	assert.NoError(t, withNeeds.Validate())
	badOut := out
	badOut.Service = "spa"
	badOut.Destination = "moon"
	badOut.ContactPerson = pathway.ContactPerson{Name: "Nobody"}
	require.ErrorAs(t, badOut.Validate(), &ve)
	assert.Len(t, ve.Problems, 3)
	assert.Error(t, coaching.ValidateStruct("outbound handover", badOut))
}
