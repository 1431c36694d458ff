package sis_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/sis"
)

// Participant ids are scoped per organisation: the same file imported by
// two organisations enrols two participants each, one organisation's
// participant holding the id another's import gives a row blocks nothing,
// and an update runs only in the importing actor's own organisation.
func TestImportIDsPerOrganisation(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Clock: ct.NewClock(ct.DefaultStart)})
	require.NoError(t, err)
	const other coaching.OrganisationID = "1.2.246.562.10.00000000002"
	otherTutor := coaching.Actor{ID: "tutor-2", Organisation: other, Roles: []coaching.Role{coaching.RolePersonalTutor}}
	// The other organisation takes the id this one's import gives S1.
	_, err = eng.Enrol(ctx, otherTutor, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: coaching.Participant{
		ID: sis.ParticipantID(org, "S1"), Organisation: other, GivenNames: "Varaaja", FamilyName: "Muualta", BirthDate: coaching.NewDate(2010, 1, 1),
		Language: coaching.Finnish}})
	require.NoError(t, err)
	const file = "external_id;given_names;family_name;birth_date;email\nS1;Aino;Virtanen;2010-03-14;aino@example.fi\n"
	for _, imp := range []struct {
		actor coaching.Actor
		org   coaching.OrganisationID
	}{{tutor, org}, {otherTutor, other}} {
		rep, err := sis.Import(ctx, eng, imp.actor, strings.NewReader(file), sis.Options{Model: coaching.ModelPilot, Organisation: imp.org,
			Team: []coaching.TeamMember{{ActorID: imp.actor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"}}})
		require.NoError(t, err)
		require.Len(t, rep.Enrolled, 1, "%s: %v", imp.org, rep.Problems)
		assert.Equal(t, sis.ParticipantID(imp.org, "S1"), rep.Enrolled[0].Participant)
	}
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		p, err := tx.Participant(ctx, other, sis.ParticipantID(org, "S1"))
		require.NoError(t, err)
		assert.Equal(t, "Muualta", p.FamilyName, "the other organisation's participant is untouched")
		p, err = tx.Participant(ctx, org, sis.ParticipantID(org, "S1"))
		require.NoError(t, err)
		assert.Equal(t, "Virtanen", p.FamilyName)
		return nil
	}))

	_, err = sis.Import(ctx, eng, tutor, strings.NewReader(file), sis.Options{Model: coaching.ModelPilot, Organisation: other, Update: true})
	ct.RequireInvalid(t, err, "organisation")
	rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(strings.Replace(file, "aino@", "aino.uusi@", 1)),
		sis.Options{Model: coaching.ModelPilot, Organisation: org, Update: true})
	require.NoError(t, err)
	assert.Len(t, rep.Updated, 1, "the organisation's own participant is updated: %v", rep.Problems)
}
