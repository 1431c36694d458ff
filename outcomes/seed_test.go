package outcomes_test

import (
	"fmt"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes"
	"github.com/valmennus/valmennus/pathway"
)

// seedCohort builds the 77 VALO participants with the seed's exact
// marginals: 51 women / 26 men, 29 under 30 at entry, 49 unemployed over
// 12 months, education 35 basic / 40 vocational / 2 higher, destinations
// 12 studies / 23 work / 29 unemployed / 12 job seeking / 1 outside.
func seedCohort() []outcomes.Input {
	const n = 77
	entry := coaching.NewDate(2016, time.March, 1)
	ins := make([]outcomes.Input, n)
	for i := range n {
		in := &ins[i]
		in.Case = coaching.Case{
			ID:       coaching.CaseID(fmt.Sprintf("valo-%02d", i)),
			Model:    coaching.ModelVALO,
			State:    coaching.ValoClosed,
			OpenedAt: entry.At(9, 0),
			ClosedAt: entry.AddDays(183).At(15, 0),
		}
		p := &in.Participant
		p.ID = coaching.ParticipantID(fmt.Sprintf("p-%02d", i))
		p.GivenNames, p.FamilyName, p.Language = "Osallistuja", fmt.Sprint(i), coaching.Finnish
		if i < 51 {
			p.Background.Gender = coaching.GenderFemale
		} else {
			p.Background.Gender = coaching.GenderMale
		}
		// Spread the marginals with different strides so they cross.
		if (i*2)%n < 29 {
			p.BirthDate = coaching.NewDate(1990, time.March, 2) // 25 at entry (birthday tomorrow)
		} else {
			p.BirthDate = coaching.NewDate(1986, time.March, 1) // 30 at entry (birthday today)
		}
		months := 12
		if (i*3)%n < 49 {
			months = 13
		}
		p.Background.LabourStatus = coaching.LabourUnemployed
		p.Background.UnemployedMonths = &months
		switch e := (i * 13) % n; {
		case e < 35:
			if e%2 == 0 {
				p.Background.EducationLevel = coaching.EducationBasic
			} else {
				p.Background.EducationLevel = coaching.EducationBelowBasic
			}
		case e < 75:
			if e%3 == 0 {
				p.Background.EducationLevel = coaching.EducationSpecialistVocational
			} else {
				p.Background.EducationLevel = coaching.EducationVocational
			}
		default:
			p.Background.EducationLevel = coaching.EducationHigher
		}
		var k pathway.Kind
		switch j := (i * 5) % n; {
		case j < 12:
			k = pathway.StudiesQualification
		case j < 35:
			k = []pathway.Kind{pathway.WorkOpen, pathway.WorkSubsidised}[j%2]
		case j < 64:
			k = pathway.Unemployed
		case j < 76:
			k = pathway.JobSeeking
		default:
			k = pathway.OutsideOther
		}
		in.Destination = &pathway.Destination{Kind: k, Date: coaching.DateOf(in.Case.ClosedAt)}
	}
	return ins
}
