package signon_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/signon"
)

// A student's own page: the host signs the student in (their OpenID
// Connect subject becomes the actor's id) and finds their participant by
// it, within their organisation. Two schools have each linked the same
// subject to a student of their own; a third has none.
func ExampleSelf() {
	ctx := context.Background()
	eng, _ := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.VALO()},
		Clock: coachingtest.NewClock(coachingtest.DefaultStart)})
	for _, school := range []coaching.OrganisationID{"school-a", "school-b"} {
		coach := coaching.Actor{ID: "coach", Organisation: school, Roles: []coaching.Role{coaching.RoleCoach}}
		p := coachingtest.Participant(func(p *coaching.Participant) {
			p.ID, p.Organisation, p.SignOn, p.FamilyName = "S1", school, "oidc|4711", "Oppilas ("+string(school)+")"
		})
		if _, err := eng.Enrol(ctx, coach, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: p,
			Team: []coaching.TeamMember{coachingtest.TeamMember(coach, coaching.RoleCoach)}}); err != nil {
			fmt.Println(err)
			return
		}
	}
	for _, school := range []coaching.OrganisationID{"school-a", "school-b", "school-c"} {
		student := coaching.Actor{ID: "oidc|4711", Organisation: school, Roles: []coaching.Role{coaching.RoleStudent}}
		p, err := signon.Self(ctx, eng, student)
		switch {
		case errors.Is(err, coaching.ErrNotFound):
			fmt.Println(school, "no participant")
		case err != nil:
			fmt.Println(school, err)
		default:
			fmt.Println(school, p.ID, p.FamilyName)
		}
	}
	// Output:
	// school-a S1 Oppilas (school-a)
	// school-b S1 Oppilas (school-b)
	// school-c no participant
}
