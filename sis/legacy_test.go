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

// A participant imported before the SIS's values were kept
// (SISContact empty) gets them at the next re-import that changes
// nothing else: nothing is reported as updated, and the import after that
// compares against them.
func TestReimportRecordsTheSISValuesOfAnEarlierImport(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Clock: ct.NewClock(ct.DefaultStart)})
	require.NoError(t, err)
	opts := sis.Options{Model: coaching.ModelPilot, Organisation: org,
		Team: []coaching.TeamMember{{ActorID: tutor.ID, Role: coaching.RolePersonalTutor, Name: "Tiina Tutor"}}}
	const header = "external_id;given_names;family_name;birth_date;email;phone;updated_on\n"
	row := header + "S1;Aino;Virtanen;2010-03-14;aino@example.fi;040 111 2222;2026-08-01\n"
	rep, err := sis.Import(ctx, eng, tutor, strings.NewReader(row), opts)
	require.NoError(t, err)
	pid := rep.Enrolled[0].Participant
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { // as stored before SISContact
		p, err := tx.Participant(ctx, org, pid)
		if err != nil {
			return err
		}
		p.SISContact = coaching.Contact{}
		return tx.UpdateParticipant(ctx, p)
	}))
	opts.Update = true
	rep, err = sis.Import(ctx, eng, tutor, strings.NewReader(row), opts)
	require.NoError(t, err)
	assert.Empty(t, rep.Updated)
	assert.Empty(t, rep.Problems)
	p := readParticipant(t, store, pid)
	assert.Equal(t, coaching.Contact{Email: "aino@example.fi", Phone: "040 111 2222"}, p.SISContact)
}
