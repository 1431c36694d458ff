package postgres_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
)

// A schema at version 11 (participants keyed by id alone, no sign-on
// column) migrates to 0012's keys: every participant is read under its
// organisation and id and by its sign-on id, each case is joined to its
// participant (case_figures too), the same id in another organisation is
// a new participant and a sign-on id taken in the organisation is
// refused.
func TestMigrateParticipantKeysFromVersion11(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := sharedPool(t)
	schema, ident := schemaAt(t, pool, 11)
	ps := storetest.MigrationParticipants()
	opened := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, p := range ps {
		data, err := json.Marshal(p) // the whole participant, as the store writes it
		require.NoError(t, err)
		c := coaching.Case{ID: coaching.CaseID("c-" + string(p.ID)), ParticipantID: p.ID, Organisation: p.Organisation, Model: "pilot",
			State: "start", Version: 1, OpenedAt: opened, Phase: coaching.PhaseClock{State: "start", EnteredAt: opened, EntrySeq: 1}}
		cdata, err := json.Marshal(c)
		require.NoError(t, err)
		_, err = pool.Exec(ctx, `INSERT INTO `+ident+`.participants (id, organisation, identity_code, data, sort_name) VALUES ($1, $2, NULL, $3, 'x')`,
			string(p.ID), string(p.Organisation), data)
		require.NoError(t, err)
		_, err = pool.Exec(ctx, `INSERT INTO `+ident+`.cases (id, participant_id, organisation, model, state, version, opened_at, data)
			VALUES ($1, $2, $3, 'pilot', 'start', 1, $4, $5)`,
			string(c.ID), string(p.ID), string(p.Organisation), opened, cdata)
		require.NoError(t, err)
	}
	store, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	requireLatest(t, store)
	storetest.CheckMigratedParticipants(t, store, ps)
	var without int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM `+ident+`.case_figures WHERE NOT has_participant`).Scan(&without))
	require.Zero(t, without, "the figures' copy keeps every case's participant")
}

// A schema in which two participants of one organisation share a sign-on
// id cannot take migration 0012: Migrate fails and leaves the schema at
// version 11.
func TestMigrateParticipantKeysRefusesSharedSignOn(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := sharedPool(t)
	schema, ident := schemaAt(t, pool, 11)
	_, err := pool.Exec(ctx, `INSERT INTO `+ident+`.participants (id, organisation, identity_code, data) VALUES
		('p-1', 'org-a', NULL, '{"organisation":"org-a","given_names":"Aino","family_name":"Aho","sign_on":"sub-1"}'),
		('p-2', 'org-a', NULL, '{"organisation":"org-a","given_names":"Eero","family_name":"Aho","sign_on":"sub-1"}')`)
	require.NoError(t, err)
	store, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	require.Error(t, store.Migrate(ctx))
	v, err := store.Version(ctx)
	require.NoError(t, err)
	require.Equal(t, 11, v)
}
