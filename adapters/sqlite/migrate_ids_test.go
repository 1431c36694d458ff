package sqlite_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/storetest"
)

// A database at schema version 11 (participants keyed by id alone, the
// organisation only in their JSON, no sign-on column) migrates to 0012's
// keys: every participant is read under its organisation and id and by its
// sign-on id, each case is joined to its participant (case_figures too),
// the same id in another organisation is a new participant and a sign-on
// id taken in the organisation is refused.
func TestMigrateParticipantKeysFromVersion11(t *testing.T) {
	ctx := t.Context()
	store, db := openAt(t, 11)
	ps := storetest.MigrationParticipants()
	for _, p := range ps {
		q := p
		q.ID = ""
		data, err := json.Marshal(q)
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, `INSERT INTO participants (id, identity_code, data, birth_date, background, sort_name)
			VALUES (?, NULL, ?, CAST(? AS TEXT) -> '$.birth_date', CAST(? AS TEXT) -> '$.background', 'x')`, string(p.ID), data, data, data)
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, `INSERT INTO cases (id, participant_id, model, state, organisation, closed, version, data, opened_at)
			VALUES (?, ?, 'pilot', 'start', ?, 0, 1, '{"opened_at":"2026-01-01T00:00:00Z","phase":{"state":"start","entered_at":"2026-01-01T00:00:00Z","entry_seq":1}}', 0)`,
			"c-"+string(p.ID), string(p.ID), string(p.Organisation))
		require.NoError(t, err)
	}
	requireLatest(t, store)
	storetest.CheckMigratedParticipants(t, store, ps)
	var without int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM case_figures WHERE NOT has_participant`).Scan(&without))
	require.Zero(t, without, "the figures' copy keeps every case's participant")
}

// A database in which two participants of one organisation share a
// sign-on id cannot take migration 0012: Migrate fails and leaves the
// database at version 11, its rows as they were.
func TestMigrateParticipantKeysRefusesSharedSignOn(t *testing.T) {
	ctx := t.Context()
	store, db := openAt(t, 11,
		`INSERT INTO participants (id, identity_code, data) VALUES
			('p-1', NULL, '{"organisation":"org-a","given_names":"Aino","family_name":"Aho","sign_on":"sub-1"}'),
			('p-2', NULL, '{"organisation":"org-a","given_names":"Eero","family_name":"Aho","sign_on":"sub-1"}')`)
	require.Error(t, store.Migrate(ctx))
	v, err := store.DatabaseVersion(ctx)
	require.NoError(t, err)
	require.Equal(t, 11, v)
	var n int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM participants`).Scan(&n))
	require.Equal(t, 2, n)
}
