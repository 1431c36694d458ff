package sqlite_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
)

// oldCaseJSON is the cases.data column as the store wrote it before
// migration 0003: the whole case as JSON, records included, without the
// fields that have columns of their own and without the history.
func oldCaseJSON(t *testing.T, c coaching.Case) []byte {
	c.ID, c.ParticipantID, c.Model, c.State, c.Organisation, c.Version = "", "", "", "", "", 0
	c.History = nil
	b, err := json.Marshal(c)
	require.NoError(t, err)
	return b
}

// A database at schema version 2 whose cases carry their records in their
// JSON (as the store wrote them before 0003) migrates: every record moves
// to the records table in its order, to the microsecond, its data the same
// JSON; the case JSON keeps everything else; and the store reads the same
// records back, and appends after them.
func TestMigrateRecordsFromVersion2(t *testing.T) {
	ctx := t.Context()
	store, db := openAt(t, 2)
	// More cases than the migration reads in one batch.
	cases := storetest.MigrationRecordCases(1205)
	for _, c := range cases {
		_, err := db.ExecContext(ctx, `INSERT INTO cases (id, participant_id, model, state, organisation, closed, version, data) VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
			string(c.ID), string(c.ParticipantID), c.Model, c.State, string(c.Organisation), c.Version, oldCaseJSON(t, c))
		require.NoError(t, err)
	}

	requireLatest(t, store)

	var left int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE json_type(data, '$.records') IS NOT NULL`).Scan(&left))
	assert.Zero(t, left, "no case JSON keeps its records")
	storetest.CheckMigratedRecords(t, store, cases)
}
