package memory_test

import (
	"context"
	"fmt"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// The memory store is the embedded default: hand it to the engine.
func ExampleNew() {
	ctx := context.Background()
	store := memory.New()
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.VALO()}})
	if err != nil {
		fmt.Println(err)
		return
	}
	coach := coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}
	_, err = eng.Enrol(ctx, coach, coaching.EnrolParams{Model: coaching.ModelVALO, CaseID: "case-1",
		Participant: coaching.Participant{GivenNames: "Aino", FamilyName: "Virtanen",
			BirthDate: coaching.NewDate(1991, 4, 12), Language: coaching.Finnish}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for c, err := range store.Cases(ctx, coaching.CaseQuery{Model: coaching.ModelVALO}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(c.ID, c.State, c.Version)
	}
	// Output:
	// case-1 recruitment 1
}
