package hoks

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// eHOKS sorts keskeytymisajanjaksot by start before it checks that they do
// not overlap (hoks/schema.clj not-overlapping?), so the order in the
// document carries no meaning.
func TestInterruptionsOutOfOrderAreValid(t *testing.T) {
	p := validPlan(t)
	is := oht(p, 0).Interruptions
	is[0], is[1] = is[1], is[0] // 2024-03-01 (open-ended) first, then 2024-02-01…2024-02-05
	require.NoError(t, ValidateWith(p, ValidateOptions{Today: testToday}))
	assert.Empty(t, Check(p, ValidateOptions{Today: testToday}).Advisories, "the order alone is not even an advisory")

	// Sorted, they still must not overlap: the overlap is reported on the
	// interruption that comes later by start date, at its index in the document.
	p = validPlan(t)
	is = oht(p, 0).Interruptions
	is[0], is[1] = is[1], is[0]
	is[1].End = date("2024-03-01") // 2024-02-01…2024-03-01 meets the open-ended one from 2024-03-01
	problems := problemsOf(t, ValidateWith(p, ValidateOptions{Today: testToday}))
	require.Len(t, problems, 1)
	assert.Equal(t, ohtPath+".keskeytymisajanjaksot[0].alku", problems[0].Field)
	assert.Equal(t, "overlaps keskeytymisajanjaksot[1], which ends 2024-03-01; interruptions must not overlap", problems[0].Message)
}

// Every check stricter than eHOKS is an advisory: a plan that eHOKS accepts
// is valid, and the advisory names the same JSON path an error would.
func TestStricterRulesAreAdvisories(t *testing.T) {
	const wrongWayRound = "eHOKS accepts this, but the dates are probably the wrong way round"
	priorDemo := func(p *Plan) *Demonstration {
		d := *demo(p)
		d.ID, d.ModuleID = nil, nil
		p.PriorLocalUnits[0].DemonstrationDetails = []Demonstration{d}
		return &p.PriorLocalUnits[0].DemonstrationDetails[0]
	}
	tests := []struct {
		name  string
		opts  ValidateOptions // Today defaults to testToday
		plan  func(p *Plan)
		field string
		msg   string
	}{
		{name: "demonstration ends before it starts",
			plan:  func(p *Plan) { demo(p).End = demo(p).Start.AddDays(-1) },
			field: demoPath + ".loppu", msg: wrongWayRound},
		{name: "prior unit's demonstration ends before it starts",
			plan:  func(p *Plan) { d := priorDemo(p); d.End = d.Start.AddDays(-1) },
			field: "aiemmin-hankitut-paikalliset-tutkinnon-osat[0].tarkentavat-tiedot-naytto[0].loppu", msg: wrongWayRound},
		{name: "other learning environment ends before it starts",
			plan:  func(p *Plan) { oht(p, 0).OtherEnvironments[0].End = date("2024-01-19") },
			field: ohtPath + ".muut-oppimisymparistot[0].loppu", msg: wrongWayRound},
		{name: "interruption ends before it starts",
			plan:  func(p *Plan) { oht(p, 0).Interruptions[0].End = date("2024-01-31") },
			field: ohtPath + ".keskeytymisajanjaksot[0].loppu", msg: wrongWayRound},
		{name: "supporting study ends before it starts",
			plan:  func(p *Plan) { p.SupportingStudies[0].End = date("2023-11-11") },
			field: "opiskeluvalmiuksia-tukevat-opinnot[0].loppu", msg: wrongWayRound},
		{name: "remedial teaching ends before it starts",
			plan:  func(p *Plan) { p.LearningSupport[0].End = date("2023-11-30") },
			field: "oppimisen-tuki[0].loppu", msg: wrongWayRound},
		{name: "TUVA part ends before it starts",
			plan:  func(p *Plan) { tuvaOnly(p); p.TUVAParts[0].End = date("2018-01-01") },
			field: "hankittavat-koulutuksen-osat[0].loppu", msg: wrongWayRound},
		{name: "period identifier used twice",
			plan:  func(p *Plan) { oht(p, 1).PeriodID = Ref("jakso-1") },
			field: oht1Path + ".yksiloiva-tunniste", msg: `"jakso-1" is already used by ` + ohtPath},
		{name: "period identifier used twice once trimmed",
			plan:  func(p *Plan) { oht(p, 1).PeriodID = Ref(" jakso-1\t") },
			field: oht1Path + ".yksiloiva-tunniste", msg: "one period's feedback replaces the other's"},
		{name: "competence reached before the first approval",
			plan:  func(p *Plan) { p.CompetenceReached = p.FirstApproved.AddDays(-1) },
			field: "osaamisen-saavuttamisen-pvm", msg: "before the first approval date"},
		{name: "part-time percentage out of range at school",
			plan: func(p *Plan) {
				oht(p, 0).MethodCodeURI = Ref(MethodSchool)
				oht(p, 0).PartTimePercent = Ref(0)
			},
			field: ohtPath + ".osa-aikaisuustieto", msg: "should be a percentage from 1 to 100, got 0"},
		{name: "part-time percentage out of range on a workplace period that ended by 2023-06-30",
			plan: func(p *Plan) {
				oht(p, 1).Start = date("2023-01-01")
				oht(p, 1).End = date("2023-06-30")
				oht(p, 1).PartTimePercent = Ref(150)
			},
			field: oht1Path + ".osa-aikaisuustieto", msg: "got 150"},
		{name: "part-time percentage out of range outside the feedback target group",
			opts:  ValidateOptions{NotFeedbackTarget: true},
			plan:  func(p *Plan) { oht(p, 1).PartTimePercent = Ref(101) },
			field: oht1Path + ".osa-aikaisuustieto", msg: "got 101"},
		{name: "learning support on a TUVA plan",
			plan: func(p *Plan) {
				tuvaOnly(p)
				p.LearningSupport = []LearningSupport{{TypeCodeURI: Ref("ammatillinenkoulutusoppimisentuentyyppi_02")}}
			},
			field: "oppimisen-tuki", msg: "eHOKS accepts it on a TUVA plan"},
		{name: "code URI with a final line break",
			plan:  func(p *Plan) { hato(p).UnitCodeURI = Ref("tutkinnonosat_106233\n") },
			field: "hankittavat-ammat-tutkinnon-osat[0].tutkinnon-osa-koodi-uri", msg: "ends with a line break"},
		{name: "instant without a time zone",
			plan:  func(p *Plan) { p.Approved, _ = parseInstant("2024-01-02T10:20") },
			field: "hyvaksytty", msg: `"2024-01-02T10:20" is not an RFC 3339 timestamp; eHOKS accepts it and reads it as 2024-01-02T10:20:00Z`},
		{name: "learner OID with a final CRLF",
			plan:  func(p *Plan) { p.LearnerOID = Ref(*p.LearnerOID + "\r\n") },
			field: "oppija-oid", msg: "ends with a line break"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPlan(t)
			require.Empty(t, Check(p, ValidateOptions{Today: testToday}).Advisories, "the base plan has no advisory")
			tt.plan(p)
			opts := tt.opts
			opts.Today = testToday

			require.NoError(t, ValidateWith(p, opts), "eHOKS accepts the plan, so it is valid")
			r := Check(p, opts)
			assert.True(t, r.Valid())
			assert.NoError(t, r.Err())
			require.Len(t, r.Advisories, 1, "%v", r.Advisories)
			assert.Equal(t, tt.field, r.Advisories[0].Field)
			assert.Contains(t, r.Advisories[0].Message, tt.msg)
			if !opts.NotFeedbackTarget {
				assert.Equal(t, r.Advisories, Advisories(p))
			}
		})
	}
}

// The rules that match eHOKS stay errors, including the eHOKS details that
// make it stricter than a naive reading.
func TestRulesAsEHOKSApplies(t *testing.T) {
	tests := []struct {
		name  string
		plan  func(p *Plan)
		field string // "" when the plan is valid
		msg   string
	}{
		{name: "instructor phone is trimmed before the check",
			plan: func(p *Plan) { oht(p, 0).Workplace.Instructor.Phone = Ref("\t044 985 4300\n") }},
		{name: "blank period identifier is empty once trimmed",
			plan:  func(p *Plan) { oht(p, 0).PeriodID = Ref(" \t") },
			field: ohtPath + ".yksiloiva-tunniste", msg: "must not be empty"},
		{name: "learning support type eHOKS does not know",
			plan:  func(p *Plan) { p.LearningSupport[1].TypeCodeURI = Ref("ammatillinenkoulutusoppimisentuentyyppi_04") },
			field: "oppimisen-tuki[1].oppimisen-tuen-tyyppi-koodi-uri", msg: "not a type of learning support eHOKS knows"},
		{name: "part-time percentage out of range on a workplace period ending after 2023-06-30",
			plan:  func(p *Plan) { oht(p, 1).PartTimePercent = Ref(0) },
			field: oht1Path + ".osa-aikaisuustieto", msg: "must be a percentage from 1 to 100, got 0"},
		{name: "business ID with a final line break fails the check digit",
			plan:  func(p *Plan) { oht(p, 0).Workplace.BusinessID = Ref("3213687-7\n") },
			field: ohtPath + ".tyopaikalla-jarjestettava-koulutus.tyopaikan-y-tunnus", msg: "not a valid Finnish business ID"},
		{name: "code URI with two final line breaks",
			plan:  func(p *Plan) { hato(p).UnitCodeURI = Ref("tutkinnonosat_106233\n\n") },
			field: "hankittavat-ammat-tutkinnon-osat[0].tutkinnon-osa-koodi-uri", msg: "not a valid code URI"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validPlan(t)
			tt.plan(p)
			err := ValidateWith(p, ValidateOptions{Today: testToday})
			if tt.field == "" {
				require.NoError(t, err)
				return
			}
			problems := problemsOf(t, err)
			require.NotEmpty(t, problems)
			assert.Equal(t, tt.field, problems[0].Field)
			assert.Contains(t, problems[0].Message, tt.msg)
		})
	}
}

// The real eHOKS documents decode with no error, and none of them has a
// problem beyond the missing period identifiers TestFixturesValidate lists.
func TestFixturesDecodeWithoutErrors(t *testing.T) {
	for _, name := range []string{"hoksit.json", "hoks_tuva.json", "hoks_ainoastaan_ammatillisia.json", "hoks_ainoastaan_paikallisia.json", "hoks_ainoastaan_YTOja.json"} {
		t.Run(name, func(t *testing.T) {
			plans, err := DecodeAll(readFixture(t, name), nil)
			require.NoError(t, err)
			for _, p := range plans {
				r := Check(p, ValidateOptions{Today: testToday, OfficialsUI: true})
				assert.Empty(t, r.Problems)
				assert.Empty(t, r.Advisories)
			}
		})
	}
}

func TestCheckNilPlan(t *testing.T) {
	r := Check(nil, ValidateOptions{})
	assert.False(t, r.Valid())
	assert.ErrorIs(t, r.Err(), coaching.ErrInvalid)
	assert.Nil(t, Advisories(nil))
}

// Decode reads what eHOKS's JSON coercion reads: integral numbers written
// with a fraction or exponent, and the ISO 8601 instants Joda-Time parses.
func TestDecodeAcceptsWhatEHOKSCoerces(t *testing.T) {
	in := []byte(`{"versio": 2.0, "urasuunnitelma-koodi-versio": 1e0,
	  "hyvaksytty": "2024-01-02", "paivitetty": "2024-01-02T10:20:30,5+0200", "poistettu": "2024-01-03T08"}`)
	p, err := Decode(in, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, *p.Version)
	assert.Equal(t, 1, *p.CareerPlanCodeVersion)
	assert.Equal(t, "2024-01-02T00:00:00Z", p.Approved.Time.Format(time.RFC3339Nano))
	assert.Equal(t, "2024-01-02T08:20:30.5Z", p.Updated.Time.UTC().Format(time.RFC3339Nano))
	assert.Equal(t, "2024-01-03T08:00:00Z", p.Deleted.Time.Format(time.RFC3339Nano))
	out, err := Encode(p)
	require.NoError(t, err)
	assert.Contains(t, string(out), `"hyvaksytty":"2024-01-02"`, "an instant keeps its text")
	assert.Len(t, Advisories(p), 3)

	p, err = Decode([]byte(`{"hyvaksytty": "2024-03"}`), nil)
	require.NoError(t, err)
	assert.Equal(t, "2024-03-01T00:00:00Z", p.Approved.Time.Format(time.RFC3339Nano))

	for _, bad := range []string{`{"hyvaksytty": "2024-13"}`, `{"versio": 2.5}`, `{"hyvaksytty": "2024-02-30"}`, `{"hyvaksytty": "2024-01-02T24:00"}`,
		`{"hyvaksytty": "2024-01-02+02:00"}`, `{"hyvaksytty": "02.01.2024"}`} {
		_, err := Decode([]byte(bad), nil)
		assert.Error(t, err, bad)
	}
}
