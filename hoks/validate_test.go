package hoks

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

var testToday = coaching.NewDate(2025, time.June, 1)

func validPlan(t *testing.T) *Plan {
	t.Helper()
	b, err := os.ReadFile("testdata/valid_plan.json")
	require.NoError(t, err)
	p, err := Decode(b, nil)
	require.NoError(t, err)
	return p
}

func problemsOf(t *testing.T, err error) []coaching.FieldProblem {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *coaching.ValidationError
	require.True(t, errors.As(err, &ve), "want *coaching.ValidationError, got %T: %v", err, err)
	assert.ErrorIs(t, err, coaching.ErrInvalid)
	return ve.Problems
}

func date(s string) coaching.Date {
	d, err := coaching.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestValidPlanIsValid(t *testing.T) {
	require.NoError(t, ValidateWith(validPlan(t), ValidateOptions{Today: testToday}))
}

// Fixtures validate as eHOKS would: eHOKS requires yksiloiva-tunniste on
// every workplace period sent through its API, and three of the demo
// documents predate that rule (2023).
func TestFixturesValidate(t *testing.T) {
	const missingID = "is required for a workplace period (training agreement or apprenticeship)"
	want := map[string][]coaching.FieldProblem{
		"hoksit.json":    nil,
		"hoks_tuva.json": nil,
		"hoks_ainoastaan_ammatillisia.json": {
			{Field: "hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[0].yksiloiva-tunniste", Message: missingID},
		},
		"hoks_ainoastaan_paikallisia.json": {
			{Field: "hankittavat-paikalliset-tutkinnon-osat[0].osaamisen-hankkimistavat[0].yksiloiva-tunniste", Message: missingID},
		},
		"hoks_ainoastaan_YTOja.json": {
			{Field: "hankittavat-yhteiset-tutkinnon-osat[0].osa-alueet[0].osaamisen-hankkimistavat[0].yksiloiva-tunniste", Message: missingID},
			{Field: "hankittavat-yhteiset-tutkinnon-osat[0].osa-alueet[1].osaamisen-hankkimistavat[0].yksiloiva-tunniste", Message: missingID},
		},
	}
	for name, problems := range want {
		t.Run(name, func(t *testing.T) {
			p, err := Decode(readFixture(t, name), nil)
			require.NoError(t, err)
			assert.Equal(t, problems, problemsOf(t, ValidateWith(p, ValidateOptions{Today: testToday})))
			// Through the officials' UI eHOKS fills the identifier in.
			assert.NoError(t, ValidateWith(p, ValidateOptions{Today: testToday, OfficialsUI: true}))
		})
	}
}

func hato(p *Plan) *VocationalUnit          { return &p.VocationalUnits[0] }
func oht(p *Plan, i int) *AcquisitionMethod { return &p.VocationalUnits[0].Methods[i] }
func demo(p *Plan) *Demonstration           { return &p.VocationalUnits[0].Demonstrations[0] }

const (
	ohtPath  = "hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[0]"
	oht1Path = "hankittavat-ammat-tutkinnon-osat[0].osaamisen-hankkimistavat[1]"
	demoPath = "hankittavat-ammat-tutkinnon-osat[0].osaamisen-osoittaminen[0]"
)

func TestValidationRules(t *testing.T) {
	type rule struct {
		name  string
		pass  func(p *Plan) // a boundary case that must stay valid
		fail  func(p *Plan)
		field string
		msg   string
	}
	rules := []rule{
		{"learner OID required", func(p *Plan) {}, func(p *Plan) { p.LearnerOID = nil }, "oppija-oid", "is required"},
		{"learner OID node 24 check digit 7-3-1",
			func(p *Plan) { p.LearnerOID = Ref("1.2.246.562.24.44651722625") },
			func(p *Plan) { p.LearnerOID = Ref("1.2.246.562.24.44651722626") }, "oppija-oid", "not a valid learner OID"},
		{"learner OID test node 98 Luhn",
			func(p *Plan) { p.LearnerOID = Ref("1.2.246.562.98.76811932029") },
			func(p *Plan) { p.LearnerOID = Ref("1.2.246.562.98.76811932020") }, "oppija-oid", "not a valid learner OID"},
		{"learner OID wrong node",
			func(p *Plan) { p.LearnerOID = Ref("1.2.246.562.198.76811932029") },
			func(p *Plan) { p.LearnerOID = Ref("1.2.246.562.15.76811932029") }, "oppija-oid", "not a valid learner OID"},
		{"study right OID Luhn",
			func(p *Plan) { p.StudyRightOID = Ref("1.2.246.562.15.76811932029") },
			func(p *Plan) { p.StudyRightOID = Ref("1.2.246.562.15.76811932028") }, "opiskeluoikeus-oid", "not a valid study-right OID"},
		{"study right OID legacy 10 tail",
			func(p *Plan) { p.StudyRightOID = Ref("1.2.246.562.15.768119320610") },
			func(p *Plan) { p.StudyRightOID = Ref("1.2.246.562.15.768119320710") }, "opiskeluoikeus-oid", "not a valid study-right OID"},
		{"study right OID required", func(p *Plan) {}, func(p *Plan) { p.StudyRightOID = nil }, "opiskeluoikeus-oid", "is required"},
		{"TUVA study right OID format",
			func(p *Plan) { p.TUVAStudyRightOID = Ref("1.2.246.562.15.76811942028") },
			func(p *Plan) { p.TUVAStudyRightOID = Ref("") }, "tuva-opiskeluoikeus-oid", "not a valid study-right OID"},
		{"organisation OID format only",
			func(p *Plan) { hato(p).ProviderOID = Ref("1.2.246.562.10.00000000001") },
			func(p *Plan) { hato(p).ProviderOID = Ref("1.2.246.562.24.44651722625") }, "hankittavat-ammat-tutkinnon-osat[0].koulutuksen-jarjestaja-oid", "not a valid organisation OID"},
		{"first approval date required", func(p *Plan) {}, func(p *Plan) { p.FirstApproved = coaching.Date{} }, "ensikertainen-hyvaksyminen", "is required"},
		{"need to acquire competence required",
			func(p *Plan) { p.NeedsCompetence = Ref(false) },
			func(p *Plan) { p.NeedsCompetence = nil }, "osaamisen-hankkimisen-tarve", "is required"},
		{"career plan code URI",
			func(p *Plan) { p.CareerPlanCodeURI = Ref("urasuunnitelma_0003") },
			func(p *Plan) { p.CareerPlanCodeURI = Ref("urasuunnitelma_3") }, "urasuunnitelma-koodi-uri", "not a valid code URI"},
		{"unit code URI",
			func(p *Plan) { hato(p).UnitCodeURI = Ref("tutkinnonosat_1") },
			func(p *Plan) { hato(p).UnitCodeURI = Ref("tutkinnonosa_106233") }, "hankittavat-ammat-tutkinnon-osat[0].tutkinnon-osa-koodi-uri", "want e.g. tutkinnonosat_106727"},
		{"unit code version required", func(p *Plan) {}, func(p *Plan) { hato(p).UnitCodeVersion = nil }, "hankittavat-ammat-tutkinnon-osat[0].tutkinnon-osa-koodi-versio", "is required"},
		{"YTO sub-area code URI",
			func(p *Plan) { p.CommonUnits[0].SubAreas[0].SubAreaCodeURI = Ref("ammatillisenoppiaineet_YTTT26") },
			func(p *Plan) { p.CommonUnits[0].SubAreas[0].SubAreaCodeURI = Ref("ammatillisenoppiaineet_") }, "hankittavat-yhteiset-tutkinnon-osat[0].osa-alueet[0].osa-alue-koodi-uri", "not a valid code URI"},
		{"YTO sub-areas required", func(p *Plan) { p.CommonUnits[0].SubAreas = []CommonUnitSubArea{} }, func(p *Plan) { p.CommonUnits[0].SubAreas = nil }, "hankittavat-yhteiset-tutkinnon-osat[0].osa-alueet", "is required"},
		{"method code URI",
			func(p *Plan) { oht(p, 0).MethodCodeURI = Ref(MethodSchool) },
			func(p *Plan) { oht(p, 0).MethodCodeURI = Ref("koulutussopimus") }, ohtPath + ".osaamisen-hankkimistapa-koodi-uri", "not a valid code URI"},
		{"prior local unit verification process required", func(p *Plan) {},
			func(p *Plan) { p.PriorLocalUnits[0].VerificationCodeURI = nil }, "aiemmin-hankitut-paikalliset-tutkinnon-osat[0].valittu-todentamisen-prosessi-koodi-uri", "is required"},
		{"verification process code URI",
			func(p *Plan) { p.PriorLocalUnits[0].VerificationCodeURI = Ref("osaamisentodentamisenprosessi_0004") },
			func(p *Plan) { p.PriorLocalUnits[0].VerificationCodeURI = Ref("osaamisentodentamisenprosessi_x") }, "aiemmin-hankitut-paikalliset-tutkinnon-osat[0].valittu-todentamisen-prosessi-koodi-uri", "not a valid code URI"},
		{"other learning environment code URI", func(p *Plan) {},
			func(p *Plan) { oht(p, 0).OtherEnvironments[0].CodeURI = Ref("oppimisymparistot_2") }, ohtPath + ".muut-oppimisymparistot[0].oppimisymparisto-koodi-uri", "not a valid code URI"},
		{"business ID mod 11",
			func(p *Plan) { oht(p, 0).Workplace.BusinessID = Ref("0149669-3") },
			func(p *Plan) { oht(p, 0).Workplace.BusinessID = Ref("3213687-8") }, ohtPath + ".tyopaikalla-jarjestettava-koulutus.tyopaikan-y-tunnus", "not a valid Finnish business ID"},
		{"business ID in demonstration environment",
			func(p *Plan) { demo(p).Environment.BusinessID = Ref("2345678-0") },
			func(p *Plan) { demo(p).Environment.BusinessID = Ref("1234567") }, demoPath + ".nayttoymparisto.y-tunnus", "not a valid Finnish business ID"},
		{"business ID of working-life assessor", func(p *Plan) {},
			func(p *Plan) { demo(p).WorkingLifeAssessors[0].Organisation.BusinessID = Ref("1234567-2") }, demoPath + ".tyoelama-osaamisen-arvioijat[0].organisaatio.y-tunnus", "not a valid Finnish business ID"},
		{"assessor name required", func(p *Plan) { demo(p).ProviderAssessors[0].Name = Ref("") },
			func(p *Plan) { demo(p).ProviderAssessors[0].Name = nil }, demoPath + ".koulutuksen-jarjestaja-osaamisen-arvioijat[0].nimi", "is required"},
		{"demonstration environment required", func(p *Plan) {},
			func(p *Plan) { demo(p).Environment = nil }, demoPath + ".nayttoymparisto", "is required"},
		{"demonstration content required", func(p *Plan) {},
			func(p *Plan) { demo(p).Content = nil }, demoPath + ".sisallon-kuvaus", "is required"},
		{"responsible workplace instructor required", func(p *Plan) {},
			func(p *Plan) { oht(p, 0).Workplace.Instructor = nil }, ohtPath + ".tyopaikalla-jarjestettava-koulutus.vastuullinen-tyopaikka-ohjaaja", "is required"},
		{"instructor phone charset",
			func(p *Plan) { oht(p, 0).Workplace.Instructor.Phone = Ref("0449854300") },
			func(p *Plan) { oht(p, 0).Workplace.Instructor.Phone = Ref("044 985 4300 ext. 2") }, ohtPath + ".tyopaikalla-jarjestettava-koulutus.vastuullinen-tyopaikka-ohjaaja.puhelinnumero", "digits, spaces"},
		{"teaching hours non-negative",
			func(p *Plan) { hato(p).TeachingHours = Ref(0.0) },
			func(p *Plan) { hato(p).TeachingHours = Ref(-1.0) }, "hankittavat-ammat-tutkinnon-osat[0].opetus-ja-ohjaus-maara", "must not be negative"},
		{"competence reached after 2018-01-01",
			func(p *Plan) { p.FirstApproved = date("2018-01-01"); p.CompetenceReached = date("2018-01-02") },
			func(p *Plan) { p.FirstApproved = date("2017-01-01"); p.CompetenceReached = date("2018-01-01") }, "osaamisen-saavuttamisen-pvm", "must be after 2018-01-01"},
		{"competence reached at most two weeks ahead",
			func(p *Plan) { p.CompetenceReached = testToday.AddDays(14) },
			func(p *Plan) { p.CompetenceReached = testToday.AddDays(15) }, "osaamisen-saavuttamisen-pvm", "two weeks in the future"},
		{"period end not before start",
			func(p *Plan) { oht(p, 0).End = oht(p, 0).Start },
			func(p *Plan) { oht(p, 0).End = oht(p, 0).Start.AddDays(-1) }, ohtPath + ".loppu", "before it starts"},
		{"period at most five years",
			func(p *Plan) { oht(p, 1).Start = date("2020-02-29"); oht(p, 1).End = date("2025-02-28") },
			func(p *Plan) { oht(p, 1).Start = date("2020-02-29"); oht(p, 1).End = date("2025-03-01") }, oht1Path + ".loppu", "at most five years"},
		{"workplace period needs identifier",
			func(p *Plan) { oht(p, 0).MethodCodeURI = Ref(MethodSchool); oht(p, 0).PeriodID = nil },
			func(p *Plan) { oht(p, 0).PeriodID = nil }, ohtPath + ".yksiloiva-tunniste", "is required for a workplace period"},
		{"identifier not empty", func(p *Plan) {}, func(p *Plan) { oht(p, 0).PeriodID = Ref("") }, ohtPath + ".yksiloiva-tunniste", "must not be empty"},
		{"business ID for workplace periods ending after 2021-08-25",
			func(p *Plan) {
				oht(p, 0).Start = date("2021-08-01")
				oht(p, 0).End = date("2021-08-25")
				oht(p, 0).Workplace.BusinessID = nil
			},
			func(p *Plan) { oht(p, 0).Workplace.BusinessID = nil }, ohtPath + ".tyopaikalla-jarjestettava-koulutus.tyopaikan-y-tunnus", "ending after 2021-08-25"},
		{"apprenticeship basis from 2021-07-01",
			func(p *Plan) {
				oht(p, 1).Start = date("2021-01-01")
				oht(p, 1).End = date("2021-06-30")
				oht(p, 1).ApprenticeshipBasisCodeURI = nil
			},
			func(p *Plan) {
				oht(p, 1).Start = date("2021-01-01")
				oht(p, 1).End = date("2021-07-01")
				oht(p, 1).ApprenticeshipBasisCodeURI = nil
			}, oht1Path + ".oppisopimuksen-perusta-koodi-uri", "on or after 2021-07-01"},
		{"apprenticeship basis code URI", func(p *Plan) {},
			func(p *Plan) { oht(p, 1).ApprenticeshipBasisCodeURI = Ref("perusta_01") }, oht1Path + ".oppisopimuksen-perusta-koodi-uri", "not a valid code URI"},
		{"part-time percentage after 2023-06-30",
			func(p *Plan) {
				oht(p, 1).Start = date("2023-01-01")
				oht(p, 1).End = date("2023-06-30")
				oht(p, 1).PartTimePercent = nil
			},
			func(p *Plan) { oht(p, 1).PartTimePercent = nil }, oht1Path + ".osa-aikaisuustieto", "is required (1–100)"},
		{"part-time percentage 1–100",
			func(p *Plan) { oht(p, 1).PartTimePercent = Ref(1) },
			func(p *Plan) { oht(p, 1).PartTimePercent = Ref(101) }, oht1Path + ".osa-aikaisuustieto", "from 1 to 100"},
		{"part-time percentage not 0", func(p *Plan) { oht(p, 1).PartTimePercent = Ref(100) },
			func(p *Plan) { oht(p, 1).PartTimePercent = Ref(0) }, oht1Path + ".osa-aikaisuustieto", "from 1 to 100"},
		{"interruptions do not overlap",
			func(p *Plan) { oht(p, 0).Interruptions[1].Start = date("2024-02-06") },
			func(p *Plan) { oht(p, 0).Interruptions[1].Start = date("2024-02-05") }, ohtPath + ".keskeytymisajanjaksot[1].alku", "overlaps keskeytymisajanjaksot[0], which ends 2024-02-05"},
		{"interruptions sorted by start before the overlap check",
			func(p *Plan) { is := oht(p, 0).Interruptions; is[0], is[1] = is[1], is[0] },
			func(p *Plan) { oht(p, 0).Interruptions[1].Start = date("2024-01-20") }, ohtPath + ".keskeytymisajanjaksot[1].loppu", "only the interruption that starts last may be open-ended"},
		{"only the last interruption open-ended", func(p *Plan) { oht(p, 0).Interruptions[1].End = coaching.Date{} },
			func(p *Plan) { oht(p, 0).Interruptions[0].End = coaching.Date{} }, ohtPath + ".keskeytymisajanjaksot[0].loppu", "only the interruption that starts last may be open-ended"},
		{"learning support type code URI", func(p *Plan) {},
			func(p *Plan) { p.LearningSupport[1].TypeCodeURI = Ref("ammatillinenkoulutusoppimisentuentyyppi_2") }, "oppimisen-tuki[1].oppimisen-tuen-tyyppi-koodi-uri", "not a valid code URI"},
		{"learning support type 01 needs dates and unit type", func(p *Plan) {},
			func(p *Plan) { p.LearningSupport[0].UnitTypeCodeURI = nil }, "oppimisen-tuki[0].tutkinnon-osan-tyyppi-koodi-uri", "is required for remedial teaching"},
		{"learning support types 02/03 have no dates", func(p *Plan) { p.LearningSupport[1].TypeCodeURI = Ref("ammatillinenkoulutusoppimisentuentyyppi_03") },
			func(p *Plan) { p.LearningSupport[1].Start = date("2024-01-01") }, "oppimisen-tuki[1].alku", "only for remedial teaching"},
		{"learning support unit type group 1–2", func(p *Plan) { p.LearningSupport[0].UnitTypeCodeURI = Ref("ammatillisentutkinnonosanryhma_2") },
			func(p *Plan) { p.LearningSupport[0].UnitTypeCodeURI = Ref("ammatillisentutkinnonosanryhma_3") }, "oppimisen-tuki[0].tutkinnon-osan-tyyppi-koodi-uri", "not a valid code URI"},
		{"TUVA plan has no qualification units",
			func(p *Plan) { tuvaOnly(p) },
			func(p *Plan) { tuvaOnly(p); p.VocationalUnits = []VocationalUnit{{}} }, "hankittavat-ammat-tutkinnon-osat", "not allowed in a TUVA plan"},
		{"TUVA plan has no TUVA study-right link",
			func(p *Plan) { tuvaOnly(p); p.VocationalUnits = []VocationalUnit{} },
			func(p *Plan) { tuvaOnly(p); p.TUVAStudyRightOID = Ref("1.2.246.562.15.76811942028") }, "tuva-opiskeluoikeus-oid", "not allowed in a TUVA plan"},
		{"TUVA part code URI", func(p *Plan) { tuvaOnly(p) },
			func(p *Plan) { tuvaOnly(p); p.TUVAParts[0].CodeURI = Ref("koulutuksenosattuva_1") }, "hankittavat-koulutuksen-osat[0].koulutuksen-osa-koodi-uri", "not a valid code URI"},
		{"TUVA part extent non-negative", func(p *Plan) { tuvaOnly(p); p.TUVAParts[0].Extent = Ref(0.0) },
			func(p *Plan) { tuvaOnly(p); p.TUVAParts[0].Extent = Ref(-2.0) }, "hankittavat-koulutuksen-osat[0].laajuus", "must not be negative"},
	}
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			p := validPlan(t)
			r.pass(p)
			require.NoError(t, ValidateWith(p, ValidateOptions{Today: testToday}), "passing case")

			p = validPlan(t)
			r.fail(p)
			problems := problemsOf(t, ValidateWith(p, ValidateOptions{Today: testToday}))
			require.NotEmpty(t, problems, "failing case")
			found := false
			for _, pr := range problems {
				if pr.Field == r.field && assert.ObjectsAreEqual(true, contains(pr.Message, r.msg)) {
					found = true
				}
			}
			assert.True(t, found, "want %s: …%s…, got %v", r.field, r.msg, problems)
		})
	}
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// tuvaOnly turns the plan into a valid TUVA plan.
func tuvaOnly(p *Plan) {
	p.VocationalUnits, p.CommonUnits, p.PriorLocalUnits, p.SupportingStudies, p.LearningSupport = nil, nil, nil, nil, nil
	p.TUVAParts = []TUVAPart{{CodeURI: Ref("koulutuksenosattuva_102"), CodeVersion: Ref(1),
		Start: date("2018-11-12"), End: date("2019-03-01"), Extent: Ref(150.0)}}
}

func TestValidateReportsEveryProblemSorted(t *testing.T) {
	p := validPlan(t)
	p.LearnerOID = Ref("1.2.246.562.24.1")
	oht(p, 1).PartTimePercent = nil
	oht(p, 0).End = oht(p, 0).Start.AddDays(-1)
	demo(p).End = demo(p).Start.AddDays(-3)
	r := Check(p, ValidateOptions{Today: testToday})
	assert.Equal(t, []coaching.FieldProblem{
		{Field: ohtPath + ".loppu", Message: "ends (2024-01-15) before it starts (2024-01-16)"},
		{Field: oht1Path + ".osa-aikaisuustieto", Message: "is required (1–100) for a workplace period ending after 2023-06-30"},
		{Field: "oppija-oid", Message: `"1.2.246.562.24.1" is not a valid learner OID (1.2.246.562.24.… with a valid check digit)`},
	}, r.Problems)
	// The demonstration's dates are an advisory, beside the problems.
	assert.Equal(t, []coaching.FieldProblem{
		{Field: demoPath + ".loppu", Message: "ends (2024-03-07) before it starts (2024-03-10); eHOKS accepts this, but the dates are probably the wrong way round"},
	}, r.Advisories)
	err := ValidateWith(p, ValidateOptions{Today: testToday})
	assert.Equal(t, r.Problems, problemsOf(t, err))
	assert.Contains(t, err.Error(), "invalid HOKS: 3 problem(s)")
}

func TestValidateOptions(t *testing.T) {
	p := validPlan(t)
	oht(p, 1).PartTimePercent = nil
	assert.Error(t, ValidateWith(p, ValidateOptions{Today: testToday}))
	assert.NoError(t, ValidateWith(p, ValidateOptions{Today: testToday, NotFeedbackTarget: true}))
	assert.Error(t, ValidateWith(nil, ValidateOptions{}))
	assert.NoError(t, Validate(validPlan(t)), "uses today's date")
}

func TestLessPath(t *testing.T) {
	assert.True(t, lessPath("a[2].x", "a[10].x"))
	assert.False(t, lessPath("a[10].x", "a[2].x"))
	assert.True(t, lessPath("a[1].x", "a[1].y"))
	assert.True(t, lessPath("a", "b"))
}
