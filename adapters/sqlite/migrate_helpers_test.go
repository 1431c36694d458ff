package sqlite_test

import (
	"database/sql"
	"fmt"
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

// openAt opens a new database file as the store left it at version: the
// embedded migrations numbered up to version, each recorded in
// schema_migrations as Migrate records it. The store closes when the test
// ends; openAt returns it and its database.
func openAt(t *testing.T, version int) (*sqlite.Store, *sql.DB) {
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
