package postgres_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/adapters/storetest"
)

// A schema at version 2 whose cases carry their records in their JSON (as
// the store wrote them before 0003: the whole case but its history)
// migrates: every record moves to the records table in its order, to the
// microsecond, its data the same JSON value; the case JSON keeps
// everything else; and the store reads the same records back, and appends
// after them.
func TestMigrateRecordsFromVersion2(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := sharedPool(t)
	schema, ident := schemaAt(t, pool, 2)
	cases := storetest.MigrationRecordCases(300)
	for _, c := range cases {
		old := c
		old.History = nil
		data, err := json.Marshal(&old) // the store's encodeCase before 0003
		require.NoError(t, err)
		_, err = pool.Exec(ctx, `INSERT INTO `+ident+`.cases (id, participant_id, organisation, model, state, version, opened_at, closed_at, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)`, string(c.ID), string(c.ParticipantID), string(c.Organisation), c.Model, c.State, c.Version, c.OpenedAt, data)
		require.NoError(t, err)
	}

	store, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	requireLatest(t, store)

	var left int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM `+ident+`.cases WHERE data ? 'records'`).Scan(&left))
	assert.Zero(t, left, "no case JSON keeps its records")
	storetest.CheckMigratedRecords(t, store, cases)
}
