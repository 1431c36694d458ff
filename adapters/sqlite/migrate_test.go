package sqlite_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
)

// migrationFiles counts the embedded migrations (their numbers need not be
// contiguous: SchemaVersion is the highest).
func migrationFiles(t testing.TB) int {
	t.Helper()
	es, err := os.ReadDir("migrations")
	require.NoError(t, err)
	return len(es)
}

// openAt opens a new database file as the store left it at version: the
// embedded migrations numbered up to version, each recorded in
// schema_migrations as Migrate records it, then the statements rows that
// write the test's old data. The store closes when the test ends; openAt
// returns it and its database.
func openAt(t *testing.T, version int, rows ...string) (*sqlite.Store, *sql.DB) {
	t.Helper()
	ctx := t.Context()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), fmt.Sprintf("v%d.db", version)), nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	db := store.DB()
	_, err = db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`)
	require.NoError(t, err)
	for _, m := range storetest.MigrationFiles(t, "migrations", version) {
		_, err = db.ExecContext(ctx, m.SQL)
		require.NoError(t, err, "migration %d", m.Version)
		_, err = db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)`, m.Version, m.Name)
		require.NoError(t, err)
	}
	for _, q := range rows {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, "building a version %d database", version)
	}
	return store, db
}

// requireLatest migrates store and requires it to be at the latest
// version then.
func requireLatest(t *testing.T, store *sqlite.Store) {
	t.Helper()
	require.NoError(t, store.Migrate(t.Context()))
	v, err := store.DatabaseVersion(t.Context())
	require.NoError(t, err)
	assert.Equal(t, sqlite.SchemaVersion(), v)
}

// A database at schema version 2 (flags in the case JSON, no attendance
// state) migrates with its data: the flags move out of the case rows into
// attendance_state, the running totals are counted from the marks already
// stored (the latest revision of each), and recording goes on from them.
func TestMigrateAttendanceStateFromVersion2(t *testing.T) {
	ctx := t.Context()
	store, db := openAt(t, 2,
		`INSERT INTO participants (id, identity_code, data) VALUES ('p-1', NULL, '{"given_names":"Liisa","family_name":"Esimerkki"}')`,
		// c-1 has a flag and marks (one corrected), c-2 marks only, c-3
		// an empty flag list, c-4 nothing.
		`INSERT INTO cases (id, participant_id, model, state, organisation, closed, version, data) VALUES
			('c-1', 'p-1', 'pilot', 'start', 'org-a', 0, 3, '{"team":[{"actor_id":"t-1","role":"personal_tutor","name":"T"}],"flags":[{"rule":"unexplained_3_in_10","reason":"3 unexplained absences within the last 2 school days","since":"2026-09-08T06:00:00Z","seq":3}]}'),
			('c-2', 'p-1', 'pilot', 'start', 'org-a', 0, 1, '{}'),
			('c-3', 'p-1', 'pilot', 'start', 'org-a', 0, 1, '{"flags":[]}'),
			('c-4', 'p-1', 'pilot', 'start', 'org-a', 0, 1, '{"team":[]}')`,
		`INSERT INTO mark_revisions (case_id, day, lesson, revision, title, minutes, status, reason, at, by_actor) VALUES
			('c-1', 20260907, '1', 1, 'Tunti 1', 45, 'absent_unexplained', '', 0, 't'),
			('c-1', 20260907, '1', 2, 'Tunti 1', 45, 'absent_explained', 'appointment', 1, 't'),
			('c-1', 20260907, '2', 1, 'Tunti 2', 45, 'absent_unexplained', '', 0, 't'),
			('c-1', 20260908, '1', 1, 'Tunti 1', 90, 'present', '', 0, 't'),
			('c-1', 20260908, '2', 1, 'Tunti 2', 30, 'sick', '', 0, 't'),
			('c-2', 20260907, '', 1, '', 300, 'late', '', 0, 't')`)

	requireLatest(t, store)
	var left int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE json_type(data, '$.flags') IS NOT NULL`).Scan(&left))
	assert.Zero(t, left, "no case row keeps flags")

	storetest.CheckMigratedAttendance(t, store)
}

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
