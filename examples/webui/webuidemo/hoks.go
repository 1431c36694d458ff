package webuidemo

import (
	"context"
	"fmt"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// The flagged student's plan refers to the national registers by OIDs
// whose check digits are valid but which belong to nobody, and to a
// workplace and instructors that do not exist.
const (
	demoLearnerOID    = "1.2.246.562.24.42016337194"
	demoStudyRightOID = "1.2.246.562.15.76811932086"
	demoSchoolOID     = "1.2.246.562.10.54453921329"
	// demoBusinessID is the hoks package's test data's business ID: eHOKS
	// requires one for a workplace period.
	demoBusinessID = "3213687-7"
)

// addHOKS adds the steps of the flagged student's HOKS through the
// plan's real lifecycle, so that the case page has a summary and a
// non-empty plan diff to show: the tutor drafts the plan (version 1) two
// school days after the student joined and approves it a week later
// (version 2), then updates it — a local unit added, the workplace period
// moved a week later and its instructor replaced (version 3, an update
// awaiting re-approval) — and approves the update today (version 4, in
// force).
func (d *Demo) addHOKS(tl *timeline) error {
	plans, err := hoks.NewService(d.Engine)
	if err != nil {
		return fmt.Errorf("webuidemo: the HOKS service: %w", err)
	}
	today := tl.today
	drafted := weekdayFrom(flaggedStart(today).AddDays(2))
	approvedOn := weekdayFrom(drafted.AddDays(7))
	var draft, approved, updated hoks.Version
	tl.at(drafted, 13, 0, "drafting the HOKS", func(ctx context.Context) (err error) {
		draft, err = plans.SaveDraft(ctx, tutor, d.Flagged, 0, demoPlan(today))
		return err
	})
	tl.at(approvedOn, 14, 0, "approving the HOKS", func(ctx context.Context) (err error) {
		approved, err = plans.Approve(ctx, tutor, d.Flagged, draft.Number, approvedOn)
		return err
	})
	tl.at(weekdayBefore(today.AddDays(-3)), 15, 0, "updating the HOKS", func(ctx context.Context) (err error) {
		up := approved.Plan
		up.LocalUnits = append(up.LocalUnits, hoks.LocalUnit{
			Name:             hoks.Ref("Opiskelu- ja työelämätaidot"),
			CompetencePoints: hoks.Ref(5),
			Objectives:       hoks.Ref("Säännöllinen läsnäolo ja omien opintojen suunnittelu omaohjaajan kanssa."),
			TeachingHours:    hoks.Ref(20.0),
		})
		period := &up.VocationalUnits[0].Methods[0]
		period.Start, period.End = period.Start.AddDays(7), period.End.AddDays(7)
		period.Workplace.Instructor.Name = hoks.Ref("Ohjaaja, Oskari")
		updated, err = plans.SaveDraft(ctx, tutor, d.Flagged, approved.Number, up)
		return err
	})
	tl.at(today, 12, 0, "approving the HOKS update", func(ctx context.Context) error {
		_, err := plans.Approve(ctx, tutor, d.Flagged, updated.Number, today)
		return err
	})
	return nil
}

// demoPlan is the flagged student's first draft: one vocational unit with
// a workplace period under a training agreement starting two weeks after
// today, and one common unit.
func demoPlan(today coaching.Date) *hoks.Plan {
	return &hoks.Plan{
		LearnerOID:            hoks.Ref(demoLearnerOID),
		StudyRightOID:         hoks.Ref(demoStudyRightOID),
		NeedsCompetence:       hoks.Ref(true),
		CareerPlanCodeURI:     hoks.Ref("urasuunnitelma_0002"),
		CareerPlanCodeVersion: hoks.Ref(1),
		VocationalUnits: []hoks.VocationalUnit{{
			UnitCodeURI:     hoks.Ref("tutkinnonosat_106233"),
			UnitCodeVersion: hoks.Ref(2),
			ProviderOID:     hoks.Ref(demoSchoolOID),
			TeachingHours:   hoks.Ref(300.0),
			Methods: []hoks.AcquisitionMethod{{
				PeriodID:               hoks.Ref("jakso-1"),
				MethodCodeURI:          hoks.Ref(hoks.MethodTrainingAgreement),
				MethodCodeVersion:      hoks.Ref(1),
				Start:                  today.AddDays(14),
				End:                    today.AddDays(70),
				PartTimePercent:        hoks.Ref(100),
				ProviderRepresentative: &hoks.SchoolPerson{Name: hoks.Ref("Opettaja, Outi"), InstitutionOID: hoks.Ref(demoSchoolOID)},
				Workplace: &hoks.WorkplaceTraining{
					WorkplaceName: hoks.Ref("Esimerkin Kiinteistöhuolto Oy"),
					BusinessID:    hoks.Ref(demoBusinessID),
					Instructor:    &hoks.WorkplaceInstructor{Name: hoks.Ref("Ohjaaja, Olli")},
					KeyTasks:      []string{"Kiinteistön yleishoito"},
				},
			}},
		}},
		CommonUnits: []hoks.CommonUnit{{
			UnitCodeURI:     hoks.Ref("tutkinnonosat_106727"),
			UnitCodeVersion: hoks.Ref(2),
			SubAreas: []hoks.CommonUnitSubArea{{
				SubAreaCodeURI:     hoks.Ref("ammatillisenoppiaineet_vvai"),
				SubAreaCodeVersion: hoks.Ref(1),
			}},
		}},
	}
}
