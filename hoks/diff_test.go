package hoks_test

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

func diffDate(s string) coaching.Date {
	d, err := coaching.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func diffFixture(t testing.TB, name string) *hoks.Plan {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ehoks", name))
	require.NoError(t, err)
	p, err := hoks.Decode(b, nil)
	require.NoError(t, err)
	return p
}

func diffLines(cs []hoks.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.String()
	}
	return out
}

func diffWorkplacePeriod() hoks.AcquisitionMethod {
	return hoks.AcquisitionMethod{
		PeriodID:          hoks.Ref("tpj-1"),
		Start:             diffDate("2024-01-08"),
		End:               diffDate("2024-03-29"),
		MethodCodeURI:     hoks.Ref(hoks.MethodTrainingAgreement),
		MethodCodeVersion: hoks.Ref(1),
		Workplace: &hoks.WorkplaceTraining{
			WorkplaceName: hoks.Ref("Rakennus Oy"),
			BusinessID:    hoks.Ref("2345678-0"),
			KeyTasks:      []string{"Muuraus", "Laatoitus"},
			Instructor:    &hoks.WorkplaceInstructor{Name: hoks.Ref("Matti Mestari"), Email: hoks.Ref("matti@rakennus.fi")},
		},
		PartTimePercent: hoks.Ref(100),
	}
}

func diffDemonstration() hoks.Demonstration {
	return hoks.Demonstration{
		Environment: &hoks.DemonstrationEnvironment{Name: hoks.Ref("Rakennus Oy"), Description: hoks.Ref("Rakennustyömaa")},
		Content:     []string{"Väliseinän muuraus"},
		Start:       diffDate("2024-03-25"),
		End:         diffDate("2024-03-27"),
		ProviderAssessors: []hoks.ProviderAssessor{{
			Name: hoks.Ref("Olli Opettaja"), Organisation: &hoks.ProviderOrganisation{InstitutionOID: hoks.Ref("1.2.246.562.10.12345678901")},
		}},
		WorkingLifeAssessors: []hoks.WorkingLifeAssessor{{
			Name: hoks.Ref("Matti Mestari"), Organisation: &hoks.Organisation{Name: hoks.Ref("Rakennus Oy")},
		}},
		IndividualCriteria: []string{"Muuraa suoran seinän"},
	}
}

// diffBase is a small plan: one vocational unit with one workplace period
// and one demonstration.
func diffBase() *hoks.Plan {
	return &hoks.Plan{
		LearnerOID:      hoks.Ref("1.2.246.562.24.10000000001"),
		StudyRightOID:   hoks.Ref("1.2.246.562.15.10000000001"),
		NeedsCompetence: hoks.Ref(true),
		FirstApproved:   diffDate("2024-01-02"),
		VocationalUnits: []hoks.VocationalUnit{{
			UnitCodeURI:     hoks.Ref("tutkinnonosat_106727"),
			UnitCodeVersion: hoks.Ref(1),
			Methods:         []hoks.AcquisitionMethod{diffWorkplacePeriod()},
			Demonstrations:  []hoks.Demonstration{diffDemonstration()},
		}},
	}
}

func diffWithCommonUnit(hours float64) func(*hoks.Plan) {
	return func(p *hoks.Plan) {
		p.CommonUnits = append(p.CommonUnits, hoks.CommonUnit{
			UnitCodeURI: hoks.Ref("tutkinnonosat_400012"), UnitCodeVersion: hoks.Ref(1),
			SubAreas: []hoks.CommonUnitSubArea{{SubAreaCodeURI: hoks.Ref("ammatillisenoppiaineet_vvai"), SubAreaCodeVersion: hoks.Ref(1), TeachingHours: hoks.Ref(hours)}},
		})
	}
}

func diffWithPriorUnit(process string) func(*hoks.Plan) {
	return func(p *hoks.Plan) {
		p.PriorVocationalUnits = append(p.PriorVocationalUnits, hoks.PriorVocationalUnit{
			UnitCodeURI: hoks.Ref("tutkinnonosat_100703"), UnitCodeVersion: hoks.Ref(1),
			VerificationCodeURI: hoks.Ref(process), VerificationCodeVersion: hoks.Ref(3),
		})
	}
}

func diffWithSupportingStudy(end string) func(*hoks.Plan) {
	return func(p *hoks.Plan) {
		p.SupportingStudies = append(p.SupportingStudies, hoks.SupportingStudy{
			Name: hoks.Ref("Tietokoneen käyttövalmiudet"), Description: hoks.Ref("Word, Excel ja sähköposti"),
			Start: diffDate("2024-01-15"), End: diffDate(end),
		})
	}
}

func diffWithRemedialTeaching(end string) func(*hoks.Plan) {
	return func(p *hoks.Plan) {
		p.LearningSupport = append(p.LearningSupport, hoks.LearningSupport{
			TypeCodeURI: hoks.Ref(hoks.SupportRemedialTeaching), Start: diffDate("2024-02-01"), End: diffDate(end),
			UnitTypeCodeURI: hoks.Ref("ammatillisentutkinnonosanryhma_1"),
		})
	}
}

func diffWithTUVAPart(weeks float64) func(*hoks.Plan) {
	return func(p *hoks.Plan) {
		p.TUVAParts = append(p.TUVAParts, hoks.TUVAPart{
			CodeURI: hoks.Ref("koulutuksenosattuva_102"), CodeVersion: hoks.Ref(1),
			Start: diffDate("2024-08-12"), End: diffDate("2024-12-20"), Extent: hoks.Ref(weeks),
		})
	}
}

func diffPeriodOf(p *hoks.Plan) *hoks.AcquisitionMethod { return &p.VocationalUnits[0].Methods[0] }
func diffDemoOf(p *hoks.Plan) *hoks.Demonstration       { return &p.VocationalUnits[0].Demonstrations[0] }

const (
	diffThePeriod = "workplace period at Rakennus Oy (2024-01-08–2024-03-29) in unit tutkinnonosat_106727"
	diffTheDemo   = "demonstration at Rakennus Oy (2024-03-25–2024-03-27) in unit tutkinnonosat_106727"
	diffUnitPath  = "hankittavat-ammat-tutkinnon-osat[0]"
)

// TestDiffKinds makes each kind of change with a minimal pair of plans.
func TestDiffKinds(t *testing.T) {
	both := func(fs ...func(*hoks.Plan)) func(*hoks.Plan) {
		return func(p *hoks.Plan) {
			for _, f := range fs {
				f(p)
			}
		}
	}
	cases := []struct {
		kind hoks.ChangeKind
		a, b func(*hoks.Plan) // applied to a fresh diffBase each
		path string
		want string
	}{
		{hoks.LearnerChanged, nil, func(p *hoks.Plan) { p.LearnerOID = hoks.Ref("1.2.246.562.24.10000000002") },
			"oppija-oid", "learner changed: 1.2.246.562.24.10000000001 → 1.2.246.562.24.10000000002"},
		{hoks.StudyRightChanged, nil, func(p *hoks.Plan) { p.TUVAStudyRightOID = hoks.Ref("1.2.246.562.15.20000000002") },
			"tuva-opiskeluoikeus-oid", "study right changed: TUVA study right: (none) → 1.2.246.562.15.20000000002"},
		{hoks.ContactChanged, func(p *hoks.Plan) { p.Email = hoks.Ref("matti@example.fi") }, func(p *hoks.Plan) { p.Email = hoks.Ref("matti.m@example.fi") },
			"sahkoposti", "contact details changed: e-mail: matti@example.fi → matti.m@example.fi"},
		{hoks.CareerPlanChanged, func(p *hoks.Plan) { p.CareerPlanCodeURI = hoks.Ref("urasuunnitelma_0001") }, func(p *hoks.Plan) { p.CareerPlanCodeURI = hoks.Ref("urasuunnitelma_0002") },
			"urasuunnitelma-koodi-uri", "career plan changed: career plan goal: urasuunnitelma_0001 → urasuunnitelma_0002"},
		{hoks.CompetenceNeedChanged, nil, func(p *hoks.Plan) { p.NeedsCompetence = hoks.Ref(false) },
			"osaamisen-hankkimisen-tarve", "need to acquire competence changed: yes → no"},
		{hoks.FirstApprovalSet, func(p *hoks.Plan) { p.FirstApproved = coaching.Date{} }, nil,
			"ensikertainen-hyvaksyminen", "first approval date set: 2024-01-02"},
		{hoks.FirstApprovalChanged, nil, func(p *hoks.Plan) { p.FirstApproved = diffDate("2024-01-05") },
			"ensikertainen-hyvaksyminen", "first approval date changed: 2024-01-02 → 2024-01-05"},
		{hoks.ApprovalChanged,
			func(p *hoks.Plan) { p.Approved = hoks.InstantOf(time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC)) },
			func(p *hoks.Plan) { p.Approved = hoks.InstantOf(time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)) },
			"hyvaksytty", "approval time changed: 2024-01-02T10:00:00.000Z → 2024-03-01T09:30:00.000Z"},
		{hoks.CompetenceReached, nil, func(p *hoks.Plan) { p.CompetenceReached = diffDate("2025-05-30") },
			"osaamisen-saavuttamisen-pvm", "competence reached: 2025-05-30"},
		{hoks.CompetenceReachedChanged, func(p *hoks.Plan) { p.CompetenceReached = diffDate("2025-05-30") }, nil,
			"osaamisen-saavuttamisen-pvm", "competence-reached date changed: 2025-05-30 → (none)"},
		{hoks.DeletionChanged, nil, func(p *hoks.Plan) { p.Deleted = hoks.InstantOf(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)) },
			"poistettu", "deletion time changed: (none) → 2025-06-01T00:00:00.000Z"},

		{hoks.UnitAdded, nil, func(p *hoks.Plan) {
			p.LocalUnits = []hoks.LocalUnit{{Name: hoks.Ref("Orientaatio alaan"), CompetencePoints: hoks.Ref(5)}}
		}, "hankittavat-paikalliset-tutkinnon-osat[0]", "unit added: local unit Orientaatio alaan"},
		{hoks.UnitRemoved, func(p *hoks.Plan) {
			p.VocationalUnits = append(p.VocationalUnits, hoks.VocationalUnit{UnitCodeURI: hoks.Ref("tutkinnonosat_106728"), UnitCodeVersion: hoks.Ref(1)})
		}, nil, "hankittavat-ammat-tutkinnon-osat[1]", "unit removed: unit tutkinnonosat_106728"},
		{hoks.UnitChanged, nil, func(p *hoks.Plan) { p.VocationalUnits[0].TeachingHours = hoks.Ref(12.5) },
			diffUnitPath + ".opetus-ja-ohjaus-maara", "unit changed: teaching and guidance hours of unit tutkinnonosat_106727: (none) → 12.5"},
		{hoks.SubAreaAdded, diffWithCommonUnit(48), both(diffWithCommonUnit(48), func(p *hoks.Plan) {
			p.CommonUnits[0].SubAreas = append(p.CommonUnits[0].SubAreas, hoks.CommonUnitSubArea{SubAreaCodeURI: hoks.Ref("ammatillisenoppiaineet_vvtd"), SubAreaCodeVersion: hoks.Ref(1)})
		}), "hankittavat-yhteiset-tutkinnon-osat[0].osa-alueet[1]", "sub-area added: sub-area ammatillisenoppiaineet_vvtd of common unit tutkinnonosat_400012"},
		{hoks.SubAreaRemoved, diffWithCommonUnit(48), both(diffWithCommonUnit(48), func(p *hoks.Plan) { p.CommonUnits[0].SubAreas = nil }),
			"hankittavat-yhteiset-tutkinnon-osat[0].osa-alueet[0]", "sub-area removed: sub-area ammatillisenoppiaineet_vvai of common unit tutkinnonosat_400012"},
		{hoks.SubAreaChanged, diffWithCommonUnit(48), diffWithCommonUnit(36),
			"hankittavat-yhteiset-tutkinnon-osat[0].osa-alueet[0].opetus-ja-ohjaus-maara",
			"sub-area changed: teaching and guidance hours of sub-area ammatillisenoppiaineet_vvai of common unit tutkinnonosat_400012: 48 → 36"},
		{hoks.DeviationsChanged, nil, func(p *hoks.Plan) { p.VocationalUnits[0].Deviations = hoks.Ref("Ei telinetöitä") },
			diffUnitPath + ".vaatimuksista-tai-tavoitteista-poikkeaminen", "deviations changed: deviations of unit tutkinnonosat_106727: (none) → Ei telinetöitä"},
		{hoks.VerificationChanged, diffWithPriorUnit("osaamisentodentamisenprosessi_0001"), diffWithPriorUnit("osaamisentodentamisenprosessi_0003"),
			"aiemmin-hankitut-ammat-tutkinnon-osat[0].valittu-todentamisen-prosessi-koodi-uri",
			"verification changed: verification process of previously acquired unit tutkinnonosat_100703: osaamisentodentamisenprosessi_0001 → osaamisentodentamisenprosessi_0003"},

		{hoks.PeriodAdded, nil, func(p *hoks.Plan) {
			p.VocationalUnits[0].Methods = append(p.VocationalUnits[0].Methods, hoks.AcquisitionMethod{
				Start: diffDate("2024-04-02"), End: diffDate("2024-05-31"), MethodCodeURI: hoks.Ref(hoks.MethodSchool), MethodCodeVersion: hoks.Ref(1)})
		}, diffUnitPath + ".osaamisen-hankkimistavat[1]", "period added: school period in unit tutkinnonosat_106727: 2024-04-02–2024-05-31"},
		{hoks.PeriodRemoved, nil, func(p *hoks.Plan) { p.VocationalUnits[0].Methods = nil },
			diffUnitPath + ".osaamisen-hankkimistavat[0]", "period removed: workplace period at Rakennus Oy in unit tutkinnonosat_106727: 2024-01-08–2024-03-29"},
		{hoks.PeriodMoved, nil, func(p *hoks.Plan) {
			diffPeriodOf(p).Start, diffPeriodOf(p).End = diffDate("2024-01-15"), diffDate("2024-04-05")
		},
			diffUnitPath + ".osaamisen-hankkimistavat[0]",
			"period moved: workplace period at Rakennus Oy in unit tutkinnonosat_106727: 2024-01-08–2024-03-29 → 2024-01-15–2024-04-05"},
		{hoks.MethodChanged, nil, func(p *hoks.Plan) { diffPeriodOf(p).MethodCodeURI = hoks.Ref(hoks.MethodApprenticeship) },
			diffUnitPath + ".osaamisen-hankkimistavat[0].osaamisen-hankkimistapa-koodi-uri",
			"acquisition method changed: way of acquiring competence of " + diffThePeriod + ": osaamisenhankkimistapa_koulutussopimus → osaamisenhankkimistapa_oppisopimus"},
		{hoks.PeriodChanged, nil, func(p *hoks.Plan) { diffPeriodOf(p).PeriodNote = hoks.Ref("Iltavuorot") },
			diffUnitPath + ".osaamisen-hankkimistavat[0].ajanjakson-tarkenne", "period changed: period note of " + diffThePeriod + ": (none) → Iltavuorot"},
		{hoks.RepresentativeChanged, nil, func(p *hoks.Plan) {
			diffPeriodOf(p).ProviderRepresentative = &hoks.SchoolPerson{Name: hoks.Ref("Riikka Rehtori"), Role: hoks.Ref("opettaja"), InstitutionOID: hoks.Ref("1.2.246.562.10.12345678901")}
		}, diffUnitPath + ".osaamisen-hankkimistavat[0].jarjestajan-edustaja",
			"representative changed: provider's representative of " + diffThePeriod + ": (none) → Riikka Rehtori, opettaja, 1.2.246.562.10.12345678901"},
		{hoks.WorkplaceChanged, nil, func(p *hoks.Plan) { diffPeriodOf(p).Workplace.WorkplaceName = hoks.Ref("Talotekniikka Oy") },
			diffUnitPath + ".osaamisen-hankkimistavat[0].tyopaikalla-jarjestettava-koulutus.tyopaikan-nimi",
			"workplace changed: workplace of workplace period (2024-01-08–2024-03-29) in unit tutkinnonosat_106727: Rakennus Oy → Talotekniikka Oy"},
		{hoks.InstructorChanged, nil, func(p *hoks.Plan) { diffPeriodOf(p).Workplace.Instructor.Name = hoks.Ref("Maija Mestari") },
			diffUnitPath + ".osaamisen-hankkimistavat[0].tyopaikalla-jarjestettava-koulutus.vastuullinen-tyopaikka-ohjaaja.nimi",
			"instructor changed: instructor of " + diffThePeriod + ": Matti Mestari → Maija Mestari"},
		{hoks.PartTimeChanged, nil, func(p *hoks.Plan) { diffPeriodOf(p).PartTimePercent = hoks.Ref(80) },
			diffUnitPath + ".osaamisen-hankkimistavat[0].osa-aikaisuustieto", "part-time percentage changed: " + diffThePeriod + ": 100% → 80%"},
		{hoks.InterruptionAdded, nil, func(p *hoks.Plan) {
			diffPeriodOf(p).Interruptions = []hoks.Interruption{{Start: diffDate("2024-02-12"), End: diffDate("2024-02-16")}}
		}, diffUnitPath + ".osaamisen-hankkimistavat[0].keskeytymisajanjaksot[0]", "interruption added: interruption of " + diffThePeriod + ": 2024-02-12–2024-02-16"},
		{hoks.InterruptionRemoved, func(p *hoks.Plan) {
			diffPeriodOf(p).Interruptions = []hoks.Interruption{{Start: diffDate("2024-02-12"), End: diffDate("2024-02-16")}}
		}, nil, diffUnitPath + ".osaamisen-hankkimistavat[0].keskeytymisajanjaksot[0]", "interruption removed: interruption of " + diffThePeriod + ": 2024-02-12–2024-02-16"},
		{hoks.InterruptionChanged, func(p *hoks.Plan) {
			diffPeriodOf(p).Interruptions = []hoks.Interruption{{Start: diffDate("2024-02-12")}}
		}, func(p *hoks.Plan) {
			diffPeriodOf(p).Interruptions = []hoks.Interruption{{Start: diffDate("2024-02-12"), End: diffDate("2024-02-23")}}
		}, diffUnitPath + ".osaamisen-hankkimistavat[0].keskeytymisajanjaksot[0]", "interruption changed: interruption of " + diffThePeriod + ": 2024-02-12– → 2024-02-12–2024-02-23"},
		{hoks.EnvironmentAdded, nil, func(p *hoks.Plan) {
			diffPeriodOf(p).OtherEnvironments = []hoks.OtherLearningEnvironment{{CodeURI: hoks.Ref("oppimisymparistot_0002"), CodeVersion: hoks.Ref(1), Start: diffDate("2024-02-01"), End: diffDate("2024-02-02")}}
		}, diffUnitPath + ".osaamisen-hankkimistavat[0].muut-oppimisymparistot[0]",
			"learning environment added: learning environment of " + diffThePeriod + ": oppimisymparistot_0002, version 1, 2024-02-01–2024-02-02"},
		{hoks.EnvironmentRemoved, func(p *hoks.Plan) {
			diffPeriodOf(p).OtherEnvironments = []hoks.OtherLearningEnvironment{{CodeURI: hoks.Ref("oppimisymparistot_0002"), CodeVersion: hoks.Ref(1), Start: diffDate("2024-02-01"), End: diffDate("2024-02-02")}}
		}, nil, diffUnitPath + ".osaamisen-hankkimistavat[0].muut-oppimisymparistot[0]",
			"learning environment removed: learning environment of " + diffThePeriod + ": oppimisymparistot_0002, version 1, 2024-02-01–2024-02-02"},
		{hoks.EnvironmentChanged, func(p *hoks.Plan) {
			diffPeriodOf(p).OtherEnvironments = []hoks.OtherLearningEnvironment{{CodeURI: hoks.Ref("oppimisymparistot_0002"), CodeVersion: hoks.Ref(1), Start: diffDate("2024-02-01"), End: diffDate("2024-02-02")}}
		}, func(p *hoks.Plan) {
			diffPeriodOf(p).OtherEnvironments = []hoks.OtherLearningEnvironment{{CodeURI: hoks.Ref("oppimisymparistot_0002"), CodeVersion: hoks.Ref(1), Start: diffDate("2024-02-01"), End: diffDate("2024-02-09")}}
		}, diffUnitPath + ".osaamisen-hankkimistavat[0].muut-oppimisymparistot[0]",
			"learning environment changed: learning environment of " + diffThePeriod + ": oppimisymparistot_0002, version 1, 2024-02-01–2024-02-02 → oppimisymparistot_0002, version 1, 2024-02-01–2024-02-09"},

		{hoks.DemonstrationAdded, nil, func(p *hoks.Plan) {
			p.VocationalUnits[0].Demonstrations = append(p.VocationalUnits[0].Demonstrations, hoks.Demonstration{
				Environment: &hoks.DemonstrationEnvironment{Name: hoks.Ref("Talotekniikka Oy")}, Content: []string{"Laatoitus"},
				Start: diffDate("2024-05-06"), End: diffDate("2024-05-07")})
		}, diffUnitPath + ".osaamisen-osoittaminen[1]", "demonstration added: demonstration at Talotekniikka Oy in unit tutkinnonosat_106727: 2024-05-06–2024-05-07"},
		{hoks.DemonstrationRemoved, func(p *hoks.Plan) {
			p.VocationalUnits[0].Demonstrations = append(p.VocationalUnits[0].Demonstrations, hoks.Demonstration{
				Environment: &hoks.DemonstrationEnvironment{Name: hoks.Ref("Talotekniikka Oy")}, Content: []string{"Laatoitus"},
				Start: diffDate("2024-05-06"), End: diffDate("2024-05-07")})
		}, nil, diffUnitPath + ".osaamisen-osoittaminen[1]", "demonstration removed: demonstration at Talotekniikka Oy in unit tutkinnonosat_106727: 2024-05-06–2024-05-07"},
		{hoks.DemonstrationMoved, nil, func(p *hoks.Plan) {
			diffDemoOf(p).Start, diffDemoOf(p).End = diffDate("2024-04-08"), diffDate("2024-04-10")
		},
			diffUnitPath + ".osaamisen-osoittaminen[0]",
			"demonstration moved: demonstration at Rakennus Oy in unit tutkinnonosat_106727: 2024-03-25–2024-03-27 → 2024-04-08–2024-04-10"},
		{hoks.DemonstrationChanged, nil, func(p *hoks.Plan) { diffDemoOf(p).Content = append(diffDemoOf(p).Content, "Rappaus") },
			diffUnitPath + ".osaamisen-osoittaminen[0].sisallon-kuvaus",
			"demonstration changed: content of " + diffTheDemo + ": Väliseinän muuraus → Väliseinän muuraus; Rappaus"},
		{hoks.DemonstrationEnvironmentChanged, nil, func(p *hoks.Plan) { diffDemoOf(p).Environment.Description = hoks.Ref("Omakotitalotyömaa") },
			diffUnitPath + ".osaamisen-osoittaminen[0].nayttoymparisto.kuvaus",
			"demonstration environment changed: environment description of " + diffTheDemo + ": Rakennustyömaa → Omakotitalotyömaa"},
		{hoks.AssessorAdded, nil, func(p *hoks.Plan) {
			diffDemoOf(p).ProviderAssessors = append(diffDemoOf(p).ProviderAssessors, hoks.ProviderAssessor{
				Name: hoks.Ref("Tiina Toinen"), Organisation: &hoks.ProviderOrganisation{InstitutionOID: hoks.Ref("1.2.246.562.10.12345678901")}})
		}, diffUnitPath + ".osaamisen-osoittaminen[0].koulutuksen-jarjestaja-osaamisen-arvioijat[1]",
			"assessor added: provider assessor of " + diffTheDemo + ": Tiina Toinen (1.2.246.562.10.12345678901)"},
		{hoks.AssessorRemoved, nil, func(p *hoks.Plan) { diffDemoOf(p).ProviderAssessors = nil },
			diffUnitPath + ".osaamisen-osoittaminen[0].koulutuksen-jarjestaja-osaamisen-arvioijat[0]",
			"assessor removed: provider assessor of " + diffTheDemo + ": Olli Opettaja (1.2.246.562.10.12345678901)"},
		{hoks.AssessorChanged, nil, func(p *hoks.Plan) { diffDemoOf(p).WorkingLifeAssessors[0].Name = hoks.Ref("Maija Mestari") },
			diffUnitPath + ".osaamisen-osoittaminen[0].tyoelama-osaamisen-arvioijat[0]",
			"assessor changed: working-life assessor of " + diffTheDemo + ": Matti Mestari (Rakennus Oy) → Maija Mestari (Rakennus Oy)"},
		{hoks.CriteriaChanged, nil, func(p *hoks.Plan) { diffDemoOf(p).IndividualCriteria = []string{"Muuraa suoran seinän ohjattuna"} },
			diffUnitPath + ".osaamisen-osoittaminen[0].yksilolliset-kriteerit",
			"individual criteria changed: " + diffTheDemo + ": Muuraa suoran seinän → Muuraa suoran seinän ohjattuna"},

		{hoks.SupportingStudyAdded, nil, diffWithSupportingStudy("2024-02-15"),
			"opiskeluvalmiuksia-tukevat-opinnot[0]", "supporting study added: supporting study Tietokoneen käyttövalmiudet: 2024-01-15–2024-02-15"},
		{hoks.SupportingStudyRemoved, diffWithSupportingStudy("2024-02-15"), nil,
			"opiskeluvalmiuksia-tukevat-opinnot[0]", "supporting study removed: supporting study Tietokoneen käyttövalmiudet: 2024-01-15–2024-02-15"},
		{hoks.SupportingStudyChanged, diffWithSupportingStudy("2024-02-15"), diffWithSupportingStudy("2024-03-15"),
			"opiskeluvalmiuksia-tukevat-opinnot[0]",
			"supporting study changed: dates of supporting study Tietokoneen käyttövalmiudet: 2024-01-15–2024-02-15 → 2024-01-15–2024-03-15"},
		{hoks.LearningSupportAdded, nil, diffWithRemedialTeaching("2024-02-29"),
			"oppimisen-tuki[0]", "learning support added: learning support ammatillinenkoulutusoppimisentuentyyppi_01: 2024-02-01–2024-02-29, ammatillisentutkinnonosanryhma_1"},
		{hoks.LearningSupportRemoved, diffWithRemedialTeaching("2024-02-29"), nil,
			"oppimisen-tuki[0]", "learning support removed: learning support ammatillinenkoulutusoppimisentuentyyppi_01: 2024-02-01–2024-02-29, ammatillisentutkinnonosanryhma_1"},
		{hoks.LearningSupportChanged, diffWithRemedialTeaching("2024-02-29"), diffWithRemedialTeaching("2024-03-29"),
			"oppimisen-tuki[0]", "learning support changed: dates of learning support ammatillinenkoulutusoppimisentuentyyppi_01: 2024-02-01–2024-02-29 → 2024-02-01–2024-03-29"},
		{hoks.TUVAPartAdded, nil, diffWithTUVAPart(15),
			"hankittavat-koulutuksen-osat[0]", "TUVA part added: TUVA part koulutuksenosattuva_102: 2024-08-12–2024-12-20, 15 weeks"},
		{hoks.TUVAPartRemoved, diffWithTUVAPart(15), nil,
			"hankittavat-koulutuksen-osat[0]", "TUVA part removed: TUVA part koulutuksenosattuva_102: 2024-08-12–2024-12-20, 15 weeks"},
		{hoks.TUVAPartChanged, diffWithTUVAPart(15), diffWithTUVAPart(12.5),
			"hankittavat-koulutuksen-osat[0].laajuus", "TUVA part changed: extent of TUVA part koulutuksenosattuva_102: 15 weeks → 12.5 weeks"},
	}
	covered := map[hoks.ChangeKind]bool{}
	for _, tc := range cases {
		t.Run(tc.kind.String(), func(t *testing.T) {
			a, b := diffBase(), diffBase()
			if tc.a != nil {
				tc.a(a)
			}
			if tc.b != nil {
				tc.b(b)
			}
			got := hoks.Diff(a, b)
			require.Len(t, got, 1, "%q", diffLines(got))
			assert.Equal(t, tc.kind, got[0].Kind)
			assert.Equal(t, tc.path, got[0].Path)
			assert.Equal(t, tc.want, got[0].String())
			covered[got[0].Kind] = true

			// The reverse diff undoes it, with one change too.
			back := hoks.Diff(b, a)
			assert.Len(t, back, 1, "%q", diffLines(back))
		})
	}
	for k := hoks.ChangeKind(1); !strings.HasPrefix(k.String(), "ChangeKind("); k++ {
		assert.True(t, covered[k], "no case for %q", k)
	}
}

func TestDiffChangeFields(t *testing.T) {
	a, b := diffBase(), diffBase()
	diffPeriodOf(b).Start = diffDate("2024-01-15")
	diffDemoOf(b).WorkingLifeAssessors = nil
	assert.Equal(t, []hoks.Change{
		{Kind: hoks.PeriodMoved, Path: diffUnitPath + ".osaamisen-hankkimistavat[0]",
			Subject: "workplace period at Rakennus Oy in unit tutkinnonosat_106727",
			Before:  "2024-01-08–2024-03-29", After: "2024-01-15–2024-03-29"},
		{Kind: hoks.AssessorRemoved, Path: diffUnitPath + ".osaamisen-osoittaminen[0].tyoelama-osaamisen-arvioijat[0]",
			Subject: "working-life assessor of " + diffTheDemo, Before: "Matti Mestari (Rakennus Oy)"},
	}, hoks.Diff(a, b))

	assert.Equal(t, "ChangeKind(0)", hoks.ChangeKind(0).String())
	assert.Equal(t, "ChangeKind(999): x: (none) → y", hoks.Change{Kind: 999, Subject: "x", After: "y"}.String())
	assert.Equal(t, "unit added: unit tutkinnonosat_1", hoks.Change{Kind: hoks.UnitAdded, Subject: "unit tutkinnonosat_1"}.String())
}

// A cleared value and a removed element are at their path in a.
func TestDiffPathsOfRemovals(t *testing.T) {
	a, b := diffBase(), diffBase()
	a.VocationalUnits = append([]hoks.VocationalUnit{{UnitCodeURI: hoks.Ref("tutkinnonosat_1")}}, a.VocationalUnits...)
	diffPeriodOf(b).Workplace.Instructor.Email = nil
	got := hoks.Diff(a, b)
	assert.Equal(t, []string{"hankittavat-ammat-tutkinnon-osat[0]", "hankittavat-ammat-tutkinnon-osat[1].osaamisen-hankkimistavat[0].tyopaikalla-jarjestettava-koulutus.vastuullinen-tyopaikka-ohjaaja.sahkoposti"},
		[]string{got[0].Path, got[1].Path})
	assert.Equal(t, "instructor changed: instructor's e-mail of "+diffThePeriod+": matti@rakennus.fi → (none)", got[1].String())
}

// diffReverseLists reverses every list in v, recursively.
func diffReverseLists(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			diffReverseLists(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				diffReverseLists(v.Field(i))
			}
		}
	case reflect.Slice:
		for i, j := 0, v.Len()-1; i < j; i, j = i+1, j-1 {
			x, y := reflect.ValueOf(v.Index(i).Interface()), reflect.ValueOf(v.Index(j).Interface())
			v.Index(i).Set(y)
			v.Index(j).Set(x)
		}
		for i := range v.Len() {
			diffReverseLists(v.Index(i))
		}
	}
}

func TestDiffReorderIsNoChange(t *testing.T) {
	for _, name := range []string{"hoksit.json", "hoks_tuva.json", "hoks_ainoastaan_paikallisia.json", "hoks_ainoastaan_YTOja.json", "hoks_ainoastaan_ammatillisia.json"} {
		t.Run(name, func(t *testing.T) {
			a, b := diffFixture(t, name), diffFixture(t, name)
			diffReverseLists(reflect.ValueOf(b))
			// Something did move: the first vocational unit is another one.
			if len(a.VocationalUnits) > 1 {
				require.NotEqual(t, a.VocationalUnits[0].UnitCodeURI, b.VocationalUnits[0].UnitCodeURI)
			}
			assert.Empty(t, hoks.Diff(a, b))
			assert.Empty(t, hoks.Diff(b, a))
		})
	}
	// Look-alike elements (the same unit code five times in hoksit.json)
	// pair with their equals, so swapping two of them and changing one
	// reports that one change only.
	a, b := diffFixture(t, "hoksit.json"), diffFixture(t, "hoksit.json")
	u := b.VocationalUnits
	u[5], u[6] = u[6], u[5]
	u[5].Methods[0].PartTimePercent = hoks.Ref(60)
	assert.Equal(t, []string{"part-time percentage changed: workplace period at Terraframe (2019-05-02–2023-08-11) in unit tutkinnonosat_103590: 5% → 60%"},
		diffLines(hoks.Diff(a, b)))
}

func TestDiffIdenticalAndRoundTrip(t *testing.T) {
	files, err := filepath.Glob("testdata/ehoks/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			a := diffFixture(t, name)
			assert.Nil(t, hoks.Diff(a, a))
			assert.Empty(t, hoks.Diff(a, diffFixture(t, name)))
			data, err := hoks.Encode(a)
			require.NoError(t, err)
			b, err := hoks.Decode(data, nil)
			require.NoError(t, err)
			assert.Empty(t, hoks.Diff(a, b))

			// From nothing, everything is added; to nothing, removed.
			added, removed := hoks.Diff(nil, a), hoks.Diff(a, nil)
			require.NotEmpty(t, added)
			assert.Len(t, removed, len(added))
			for _, c := range added {
				assert.Empty(t, c.Before, c.String())
				assert.NotEmpty(t, c.Path, c.String())
			}
			for _, c := range removed {
				assert.Empty(t, c.After, c.String())
			}
			assert.Equal(t, added, hoks.Diff(&hoks.Plan{}, a))
			assert.Nil(t, hoks.Diff(nil, nil))
			assert.Nil(t, hoks.Diff(nil, &hoks.Plan{}))
		})
	}
}

// Bookkeeping is not a change.
func TestDiffIgnoresBookkeeping(t *testing.T) {
	a, b := diffFixture(t, "hoksit.json"), diffFixture(t, "hoksit.json")
	b.ID, b.EID, b.Version, b.ManualEntry = hoks.Ref(int64(7)), hoks.Ref("a0b1c2"), hoks.Ref(9), hoks.Ref(true)
	b.Updated = hoks.InstantOf(time.Now())
	b.Extra = hoks.Extra{"x": []byte("1")}
	for i := range b.VocationalUnits {
		u := &b.VocationalUnits[i]
		u.ID, u.ModuleID = hoks.Ref(int64(i)), hoks.Ref("module-"+strconv.Itoa(i))
		for j := range u.Methods {
			u.Methods[j].ID, u.Methods[j].ModuleID = hoks.Ref(int64(j)), hoks.Ref("m-"+strconv.Itoa(j))
		}
	}
	assert.Empty(t, hoks.Diff(a, b))
}

// TestDiffScenario: a tutor's update of a real plan.
func TestDiffScenario(t *testing.T) {
	a := diffFixture(t, "hoksit.json")
	b := diffFixture(t, "hoksit.json")

	// The Terraframe period (oht4) moves by a month.
	m := &b.VocationalUnits[6].Methods[0]
	require.Equal(t, "oht4", *m.PeriodID)
	m.Start, m.End = diffDate("2019-06-03"), diffDate("2023-09-29")
	// Another working-life assessor replaces Matti Meikalainen.
	as := b.VocationalUnits[0].Demonstrations[0].WorkingLifeAssessors
	require.Equal(t, "Matti Meikalainen", *as[0].Name)
	as[0].Name = hoks.Ref("Maija Meikäläinen")
	// A unit is added, with a school period.
	b.VocationalUnits = append(b.VocationalUnits, hoks.VocationalUnit{
		UnitCodeURI: hoks.Ref("tutkinnonosat_106727"), UnitCodeVersion: hoks.Ref(1),
		Methods: []hoks.AcquisitionMethod{{PeriodID: hoks.Ref("oht6"), Start: diffDate("2024-08-12"), End: diffDate("2024-12-20"),
			MethodCodeURI: hoks.Ref(hoks.MethodSchool), MethodCodeVersion: hoks.Ref(1)}},
	})
	// The second demonstration of the Terraframe unit is removed.
	b.VocationalUnits[6].Demonstrations = b.VocationalUnits[6].Demonstrations[:1]
	// The lists come in another order.
	slices.Reverse(b.CommonUnits)
	slices.Reverse(b.VocationalUnits[6].Methods)

	assert.Equal(t, []string{
		"assessor changed: working-life assessor of demonstration at Nimi Niminen (2020-02-10–2020-02-10) in unit tutkinnonosat_105668: Matti Meikalainen (Mukava organisaatio, 0149669-3) → Maija Meikäläinen (Mukava organisaatio, 0149669-3)",
		"period moved: workplace period at Terraframe in unit tutkinnonosat_103590: 2019-05-02–2023-08-11 → 2019-06-03–2023-09-29",
		"demonstration removed: demonstration at Jokin näyttöympäristö3 in unit tutkinnonosat_103590: 2015-01-01–2022-01-01",
		"assessor removed: provider assessor of demonstration at Jokin näyttöympäristö3 (2015-01-01–2022-01-01) in unit tutkinnonosat_103590: Testi, Jooku (1.2.246.562.10.54453921329)",
		"assessor removed: working-life assessor of demonstration at Jokin näyttöympäristö3 (2015-01-01–2022-01-01) in unit tutkinnonosat_103590: Tyo, Arvo (Kesko, 1234567-1)",
		"unit added: unit tutkinnonosat_106727",
		"period added: school period in unit tutkinnonosat_106727: 2024-08-12–2024-12-20",
	}, diffLines(hoks.Diff(a, b)))

	// Paths are in b, or in a for what b no longer has.
	paths := make([]string, 0, 7)
	for _, c := range hoks.Diff(a, b) {
		paths = append(paths, c.Path)
	}
	assert.Equal(t, []string{
		"hankittavat-ammat-tutkinnon-osat[0].osaamisen-osoittaminen[0].tyoelama-osaamisen-arvioijat[0]",
		"hankittavat-ammat-tutkinnon-osat[6].osaamisen-hankkimistavat[1]",
		"hankittavat-ammat-tutkinnon-osat[6].osaamisen-osoittaminen[1]",
		"hankittavat-ammat-tutkinnon-osat[6].osaamisen-osoittaminen[1].koulutuksen-jarjestaja-osaamisen-arvioijat[0]",
		"hankittavat-ammat-tutkinnon-osat[6].osaamisen-osoittaminen[1].tyoelama-osaamisen-arvioijat[0]",
		"hankittavat-ammat-tutkinnon-osat[7]",
		"hankittavat-ammat-tutkinnon-osat[7].osaamisen-hankkimistavat[0]",
	}, paths)
}

// Indexes sort as numbers, then kinds by their order.
func TestDiffOrder(t *testing.T) {
	a, b := &hoks.Plan{}, &hoks.Plan{}
	for i := range 12 {
		b.VocationalUnits = append(b.VocationalUnits, hoks.VocationalUnit{UnitCodeURI: hoks.Ref("tutkinnonosat_" + strconv.Itoa(100+i))})
	}
	got := hoks.Diff(a, b)
	require.Len(t, got, 12)
	for i, c := range got {
		assert.Equal(t, "hankittavat-ammat-tutkinnon-osat["+strconv.Itoa(i)+"]", c.Path)
	}
	// A removal and an addition at the same index: removal kinds come after
	// addition kinds.
	a.VocationalUnits = []hoks.VocationalUnit{{UnitCodeURI: hoks.Ref("tutkinnonosat_1")}}
	b.VocationalUnits = []hoks.VocationalUnit{{UnitCodeURI: hoks.Ref("tutkinnonosat_2")}}
	assert.Equal(t, []string{"unit added: unit tutkinnonosat_2", "unit removed: unit tutkinnonosat_1"}, diffLines(hoks.Diff(a, b)))
}

// Identity: a period's identifier wins over dates; without one, the type
// and start date, else end date, say which period it is.
func TestDiffMatchesByIdentity(t *testing.T) {
	t.Run("different period identifiers are different periods", func(t *testing.T) {
		a, b := diffBase(), diffBase()
		diffPeriodOf(b).PeriodID = hoks.Ref("tpj-2")
		assert.Equal(t, []string{
			"period added: workplace period at Rakennus Oy in unit tutkinnonosat_106727: 2024-01-08–2024-03-29",
			"period removed: workplace period at Rakennus Oy in unit tutkinnonosat_106727: 2024-01-08–2024-03-29",
		}, diffLines(hoks.Diff(a, b)))
	})
	t.Run("without identifiers, by type and end date", func(t *testing.T) {
		a, b := diffBase(), diffBase()
		diffPeriodOf(a).PeriodID, diffPeriodOf(b).PeriodID = nil, nil
		diffPeriodOf(b).Start = diffDate("2024-01-15")
		assert.Equal(t, []string{"period moved: workplace period at Rakennus Oy in unit tutkinnonosat_106727: 2024-01-08–2024-03-29 → 2024-01-15–2024-03-29"},
			diffLines(hoks.Diff(a, b)))
	})
	t.Run("demonstration by content when moved", func(t *testing.T) {
		a, b := diffBase(), diffBase()
		extra := diffDemonstration()
		extra.Content, extra.Start, extra.End = []string{"Laatoitus"}, diffDate("2024-05-06"), diffDate("2024-05-07")
		a.VocationalUnits[0].Demonstrations = append(a.VocationalUnits[0].Demonstrations, extra)
		b.VocationalUnits[0].Demonstrations = []hoks.Demonstration{extra, diffDemonstration()}
		b.VocationalUnits[0].Demonstrations[1].Start = diffDate("2024-03-26")
		assert.Equal(t, []string{"demonstration moved: demonstration at Rakennus Oy in unit tutkinnonosat_106727: 2024-03-25–2024-03-27 → 2024-03-26–2024-03-27"},
			diffLines(hoks.Diff(a, b)))
	})
	t.Run("assessor by organisation when the name changes", func(t *testing.T) {
		a, b := diffBase(), diffBase()
		second := hoks.WorkingLifeAssessor{Name: hoks.Ref("Tero Työnjohtaja"), Organisation: &hoks.Organisation{Name: hoks.Ref("Talotekniikka Oy")}}
		diffDemoOf(a).WorkingLifeAssessors = append(diffDemoOf(a).WorkingLifeAssessors, second)
		diffDemoOf(b).WorkingLifeAssessors = []hoks.WorkingLifeAssessor{second, {Name: hoks.Ref("Maija Mestari"), Organisation: &hoks.Organisation{Name: hoks.Ref("Rakennus Oy")}}}
		got := hoks.Diff(a, b)
		assert.Equal(t, []string{"assessor changed: working-life assessor of " + diffTheDemo + ": Matti Mestari (Rakennus Oy) → Maija Mestari (Rakennus Oy)"}, diffLines(got))
		assert.Equal(t, diffUnitPath+".osaamisen-osoittaminen[0].tyoelama-osaamisen-arvioijat[1]", got[0].Path)
	})
	t.Run("local unit by name, and by module-id when renamed", func(t *testing.T) {
		a, b := &hoks.Plan{}, &hoks.Plan{}
		a.LocalUnits = []hoks.LocalUnit{{Name: hoks.Ref("Orientaatio"), ModuleID: hoks.Ref("m1")}, {Name: hoks.Ref("Infotilaisuus"), CompetencePoints: hoks.Ref(1)}}
		b.LocalUnits = []hoks.LocalUnit{{Name: hoks.Ref("Infotilaisuus"), CompetencePoints: hoks.Ref(2)}, {Name: hoks.Ref("Orientaatio alaan"), ModuleID: hoks.Ref("m1")}}
		assert.Equal(t, []string{
			"unit changed: competence points of local unit Infotilaisuus: 1 → 2",
			"unit changed: name of local unit Orientaatio alaan: Orientaatio → Orientaatio alaan",
		}, diffLines(hoks.Diff(a, b)))
	})
}

// Key tasks, content and criteria are compared as sets of lines.
func TestDiffStringListsIgnoreOrder(t *testing.T) {
	a, b := diffBase(), diffBase()
	slices.Reverse(diffPeriodOf(b).Workplace.KeyTasks)
	assert.Empty(t, hoks.Diff(a, b))
	diffPeriodOf(b).Workplace.KeyTasks = append(diffPeriodOf(b).Workplace.KeyTasks, "Rappaus")
	assert.Equal(t, []string{"workplace changed: key work tasks of " + diffThePeriod + ": Muuraus; Laatoitus → Laatoitus; Muuraus; Rappaus"},
		diffLines(hoks.Diff(a, b)))
}

// diffFullPlan returns a plan with every pointer set, every list holding one
// element and every value distinct.
func diffFullPlan() *hoks.Plan {
	var p hoks.Plan
	n := 0
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		n++
		switch v.Type() {
		case reflect.TypeFor[coaching.Date]():
			v.Set(reflect.ValueOf(coaching.NewDate(2020, time.January, 1).AddDays(n)))
			return
		case reflect.TypeFor[hoks.Instant]():
			v.Set(reflect.ValueOf(hoks.InstantOf(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Hour))))
			return
		case reflect.TypeFor[hoks.Extra]():
			return
		}
		switch v.Kind() {
		case reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
			fill(v.Elem())
		case reflect.Struct:
			for i := range v.NumField() {
				fill(v.Field(i))
			}
		case reflect.Slice:
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
			fill(v.Index(0))
		case reflect.String:
			v.SetString("v" + strconv.Itoa(n))
		case reflect.Int, reflect.Int64:
			v.SetInt(int64(n))
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Float64:
			v.SetFloat(float64(n) + 0.5)
		}
	}
	fill(reflect.ValueOf(&p).Elem())
	return &p
}

// diffLeaves calls f with the JSON path and value of every leaf of v: scalars,
// dates, instants and lists of strings.
func diffLeaves(v reflect.Value, path string, f func(path, field string, v reflect.Value)) {
	t := v.Type()
	for i := range v.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" || !sf.IsExported() {
			continue
		}
		p := name
		if path != "" {
			p = path + "." + name
		}
		fv := v.Field(i)
		switch {
		case fv.Type() == reflect.TypeFor[coaching.Date]() || fv.Type() == reflect.TypeFor[hoks.Instant]():
			f(p, sf.Name, fv)
		case fv.Kind() == reflect.Pointer && fv.Type().Elem().Kind() == reflect.Struct:
			diffLeaves(fv.Elem(), p, f)
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct:
			diffLeaves(fv.Index(0), p+"[0]", f)
		default:
			f(p, sf.Name, fv)
		}
	}
}

var diffBookkeeping = map[string]bool{"ID": true, "EID": true, "ModuleID": true, "Updated": true, "Version": true, "ManualEntry": true}

// TestDiffReportsEveryField changes each value of a full plan in turn, and
// clears it: every change but diffBookkeeping is reported, at the value's path
// or an enclosing one.
func TestDiffReportsEveryField(t *testing.T) {
	full := diffFullPlan()
	var paths []string
	diffLeaves(reflect.ValueOf(full).Elem(), "", func(path, _ string, _ reflect.Value) { paths = append(paths, path) })
	require.Greater(t, len(paths), 150)
	for n, path := range paths {
		for _, clear := range []bool{false, true} {
			changed := diffFullPlan()
			var field string
			i := 0
			diffLeaves(reflect.ValueOf(changed).Elem(), "", func(_, name string, v reflect.Value) {
				if i == n {
					field = name
					diffMutate(v, clear)
				}
				i++
			})
			got := hoks.Diff(full, changed)
			if diffBookkeeping[field] {
				assert.Empty(t, got, "%s is diffBookkeeping", path)
				continue
			}
			if !assert.NotEmpty(t, got, "changing %s (clear=%v) is not reported", path, clear) {
				continue
			}
			found := false
			for _, c := range got {
				if c.Path == path || strings.HasPrefix(path, c.Path+".") || strings.HasPrefix(path, c.Path+"[") {
					found = true
				}
			}
			assert.True(t, found, "changing %s is reported elsewhere: %q", path, got)
			assert.Len(t, hoks.Diff(changed, full), len(got), "reverse of %s", path)
		}
	}
}

func diffMutate(v reflect.Value, clear bool) {
	if clear {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	switch x := v.Interface().(type) {
	case coaching.Date:
		v.Set(reflect.ValueOf(x.AddDays(1)))
		return
	case hoks.Instant:
		v.Set(reflect.ValueOf(hoks.InstantOf(x.Time.Add(time.Minute))))
		return
	case []string:
		v.Set(reflect.ValueOf(append(slices.Clone(x), "another")))
		return
	}
	e := v.Elem()
	switch e.Kind() {
	case reflect.String:
		e.SetString(e.String() + "x")
	case reflect.Int, reflect.Int64:
		e.SetInt(e.Int() + 1)
	case reflect.Bool:
		e.SetBool(!e.Bool())
	case reflect.Float64:
		e.SetFloat(e.Float() + 1)
	}
}

// Plans full of absent values and empty elements never make Diff panic.
func TestDiffNeverPanics(t *testing.T) {
	empty := func() *hoks.Plan {
		var p hoks.Plan
		var fill func(v reflect.Value)
		fill = func(v reflect.Value) {
			switch v.Kind() {
			case reflect.Struct:
				for i := range v.NumField() {
					if v.Type().Field(i).IsExported() {
						fill(v.Field(i))
					}
				}
			case reflect.Slice:
				if v.Type().Elem().Kind() == reflect.Struct {
					v.Set(reflect.MakeSlice(v.Type(), 2, 2))
					fill(v.Index(0))
					fill(v.Index(1))
				}
			}
		}
		fill(reflect.ValueOf(&p).Elem())
		return &p
	}
	plans := []*hoks.Plan{nil, {}, empty(), diffFullPlan(), diffBase(), diffFixture(t, "hoksit.json"), diffFixture(t, "hoks_tuva.json")}
	for _, a := range plans {
		for _, b := range plans {
			assert.NotPanics(t, func() { hoks.Diff(a, b) })
		}
	}
	assert.Empty(t, hoks.Diff(empty(), empty()))
	assert.Empty(t, hoks.Diff(diffFullPlan(), diffFullPlan()))
}

// FuzzDiff: Diff never panics, and a plan does not differ from itself nor
// from its encoded and decoded copy.
func FuzzDiff(f *testing.F) {
	files, _ := filepath.Glob("testdata/ehoks/*.json")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"hankittavat-ammat-tutkinnon-osat":[{},{},{"osaamisen-hankkimistavat":[{},{"keskeytymisajanjaksot":[{},{}]}]}]}`))
	ref := diffFixture(f, "hoksit.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := hoks.Decode(data, &hoks.DecodeOptions{KeepUnknown: true})
		if err != nil {
			return
		}
		if d := hoks.Diff(p, p); len(d) != 0 {
			t.Fatalf("a plan differs from itself: %q", d)
		}
		out, err := hoks.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		q, err := hoks.Decode(out, &hoks.DecodeOptions{KeepUnknown: true})
		if err != nil {
			t.Fatal(err)
		}
		if d := hoks.Diff(p, q); len(d) != 0 {
			t.Fatalf("round trip differs: %q", d)
		}
		if len(hoks.Diff(nil, p)) != len(hoks.Diff(p, nil)) {
			t.Fatal("additions and removals differ in number")
		}
		_ = hoks.Diff(ref, p)
		_ = hoks.Diff(p, ref)
	})
}
