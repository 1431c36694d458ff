package pathway_test

import (
	"fmt"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/pathway"
)

func ExampleDefaultClassifier() {
	c := pathway.DefaultClassifier()
	for _, k := range []pathway.Kind{pathway.WorkSubsidised, pathway.Redirected, pathway.JobSeeking, pathway.Unemployed} {
		fmt.Printf("%-16s %s\n", k, c.Classify(k))
	}

	// A host that does not count wage-subsidised work as a success:
	strict := pathway.ClassifierMap{pathway.WorkSubsidised: pathway.Neutral}
	d := pathway.Destination{Kind: pathway.WorkSubsidised, Date: coaching.NewDate(2025, 6, 2)}
	fmt.Println("host:", d.Classify(strict))
	// Output:
	// work_subsidised  positive
	// redirected       positive
	// job_seeking      neutral
	// unemployed       negative
	// host: neutral
}

func ExampleNewSchedule() {
	s, err := pathway.NewSchedule(coaching.NewDate(2025, 8, 31), coaching.Months(12))
	if err != nil {
		panic(err)
	}
	for _, c := range s.Checkpoints {
		fmt.Printf("%-12s due %s, window %s..%s\n", c.Key(), c.Due, c.From, c.To)
	}

	// Job searching on leaving, a job found on day 20: counts as employed.
	results := pathway.Evaluate(s, []pathway.Observation{
		{Date: coaching.NewDate(2025, 8, 31), Status: pathway.JobSeeking},
		{Date: coaching.NewDate(2025, 9, 20), Status: pathway.WorkOpen},
	})
	r, _ := pathway.Result(results, "upon_leaving")
	fmt.Println("upon leaving:", r.Status, "observed", r.ObservedOn)
	// Output:
	// upon_leaving due 2025-09-28, window 2025-08-31..2025-09-28
	// six_months   due 2026-02-28, window 2026-02-28..2026-03-28
	// alumni_1     due 2026-08-31, window 2026-08-31..2026-09-28
	// upon leaving: work_open observed 2025-09-20
}
