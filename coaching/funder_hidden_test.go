package coaching_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
)

// A funder belongs to no education provider, so every case and participant
// is another organisation's to them and is answered as a missing one —
// also when the case has no organisation (a single-provider host's) and
// the funder signed in without one, and when the funder's sign-on carries
// the case's own organisation. Otherwise the funder tells existing ids
// (403 funder_aggregate) from missing ones (404). (Review 16b.)
func TestFunderDenialAnsweredAsMissing(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 9, 7, 15, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()},
		Clock: coaching.ClockFunc(func() time.Time { return now })})
	require.NoError(t, err)
	for _, org := range []coaching.OrganisationID{"", "school-1"} {
		tutor := coaching.Actor{ID: "tutor-1", Organisation: org, Roles: []coaching.Role{coaching.RolePersonalTutor}}
		c, err := eng.Enrol(ctx, tutor, coaching.EnrolParams{Model: coaching.ModelPilot,
			Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tutor"}},
			Participant: coaching.Participant{Organisation: org, GivenNames: "Aino", FamilyName: "Virtanen", BirthDate: coaching.NewDate(2009, 3, 1),
				Language: coaching.Finnish, Contact: coaching.Contact{Email: "a@example.fi"}}})
		require.NoError(t, err)
		funder := coaching.Actor{ID: "funder-1", Organisation: org, Roles: []coaching.Role{coaching.RoleFunder}}

		var fe *coaching.ForbiddenError
		_, err = eng.Case(ctx, funder, c.ID)
		require.True(t, errors.As(err, &fe), "%v", err)
		assert.Equal(t, coaching.RuleFunderAggregate, fe.Rule)
		require.NotNil(t, fe.NotFound(), "organisation %q: an existing case is answered to the funder as a missing one", org)
		_, missing := eng.Case(ctx, funder, c.ID+"-missing")
		var nf *coaching.NotFoundError
		require.True(t, errors.As(missing, &nf), "%v", missing)
		assert.Equal(t, nf.Kind, fe.NotFound().Kind)
		assert.Equal(t, string(c.ID), fe.NotFound().ID)

		// A participant-level read likewise.
		err = eng.Read(ctx, funder, func(s *coaching.Scope) error {
			_, err := s.Participant(coaching.OpReadParticipant, c.ParticipantID)
			return err
		})
		require.True(t, errors.As(err, &fe), "%v", err)
		assert.NotNil(t, fe.NotFound(), "organisation %q: an existing participant is answered to the funder as a missing one", org)

		// Aggregates are still the funder's.
		_, err = eng.Figures(ctx, funder, coaching.CaseQuery{})
		require.NoError(t, err)
	}
}
