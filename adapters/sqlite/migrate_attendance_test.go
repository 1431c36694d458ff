package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/adapters/storetest"
)

// migrationFiles counts the embedded migrations (their numbers need not be
// contiguous: SchemaVersion is the highest).
func migrationFiles(t testing.TB) int {
	t.Helper()
	es, err := os.ReadDir("migrations")
	require.NoError(t, err)
	return len(es)
}

// A database at schema version 2 (flags in the case JSON, no attendance
// state) migrates with its data: the flags move out of the case rows into
// attendance_state, the running totals are counted from the marks already
// stored (the latest revision of each), and recording goes on from them.
func TestMigrateAttendanceStateFromVersion2(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "v2.db")
	store, err := sqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer store.Close()
	db := store.DB()
	for _, f := range []string{"0001_init.sql", "0002_access_log.sql"} {
		b, err := os.ReadFile(filepath.Join("migrations", f))
		require.NoError(t, err)
		_, err = db.ExecContext(ctx, string(b))
		require.NoError(t, err, f)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
		`INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'init', 0), (2, 'access_log', 0)`,
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
			('c-2', 20260907, '', 1, '', 300, 'late', '', 0, 't')`,
	} {
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, "building a version 2 database")
	}

	require.NoError(t, store.Migrate(ctx))
	v, err := store.DatabaseVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, sqlite.SchemaVersion(), v)
	var left int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM cases WHERE json_type(data, '$.flags') IS NOT NULL`).Scan(&left))
	assert.Zero(t, left, "no case row keeps flags")

	storetest.CheckMigratedAttendance(t, store)
}
