package hoks_test

import (
	"fmt"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// Say what a tutor's update changed in a plan.
func ExampleDiff() {
	day := func(m time.Month, d int) coaching.Date { return coaching.NewDate(2024, m, d) }
	draft := &hoks.Plan{
		LearnerOID:      hoks.Ref("1.2.246.562.24.10000000001"),
		StudyRightOID:   hoks.Ref("1.2.246.562.15.10000000001"),
		NeedsCompetence: hoks.Ref(true),
		VocationalUnits: []hoks.VocationalUnit{{
			UnitCodeURI:     hoks.Ref("tutkinnonosat_106727"),
			UnitCodeVersion: hoks.Ref(1),
			Methods: []hoks.AcquisitionMethod{{
				PeriodID:          hoks.Ref("tpj-1"),
				Start:             day(time.January, 8),
				End:               day(time.March, 29),
				MethodCodeURI:     hoks.Ref(hoks.MethodTrainingAgreement),
				MethodCodeVersion: hoks.Ref(1),
				Workplace: &hoks.WorkplaceTraining{
					WorkplaceName: hoks.Ref("Rakennus Oy"),
					KeyTasks:      []string{"Muuraus"},
					Instructor:    &hoks.WorkplaceInstructor{Name: hoks.Ref("Matti Mestari")},
				},
			}},
		}},
	}

	// The approved version: an independent copy, changed.
	data, err := hoks.Encode(draft)
	if err != nil {
		fmt.Println(err)
		return
	}
	approved, err := hoks.Decode(data, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	approved.FirstApproved = day(time.January, 2)
	period := &approved.VocationalUnits[0].Methods[0]
	period.Start, period.End = day(time.January, 15), day(time.April, 5)
	period.Workplace.Instructor.Name = hoks.Ref("Maija Mestari")
	period.Interruptions = []hoks.Interruption{{Start: day(time.February, 19), End: day(time.February, 23)}}
	approved.VocationalUnits[0].Demonstrations = []hoks.Demonstration{{
		Environment: &hoks.DemonstrationEnvironment{Name: hoks.Ref("Rakennus Oy")},
		Content:     []string{"Väliseinän muuraus"},
		Start:       day(time.April, 2),
		End:         day(time.April, 3),
	}}

	for _, c := range hoks.Diff(draft, approved) {
		fmt.Println(c)
	}
	// Output:
	// first approval date set: 2024-01-02
	// period moved: workplace period at Rakennus Oy in unit tutkinnonosat_106727: 2024-01-08–2024-03-29 → 2024-01-15–2024-04-05
	// interruption added: interruption of workplace period at Rakennus Oy (2024-01-15–2024-04-05) in unit tutkinnonosat_106727: 2024-02-19–2024-02-23
	// instructor changed: instructor of workplace period at Rakennus Oy (2024-01-15–2024-04-05) in unit tutkinnonosat_106727: Matti Mestari → Maija Mestari
	// demonstration added: demonstration at Rakennus Oy in unit tutkinnonosat_106727: 2024-04-02–2024-04-03
}
