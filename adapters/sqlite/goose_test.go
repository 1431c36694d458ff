package sqlite_test

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
)

// pressly/goose is the tool the exported migrations are written for and
// tested against; the store does not import it.

func gooseProvider(t *testing.T, path string) (*goose.Provider, *sql.DB) {
	t.Helper()
	fsys, err := sqlite.Migrations()
	require.NoError(t, err)
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys)
	require.NoError(t, err)
	return p, db
}

var spaces = regexp.MustCompile(`\s+`)

// sqliteCatalogue is the database's schema as sqlite_master holds it
// (whitespace normalised), without goose's version table.
func sqliteCatalogue(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master
		WHERE tbl_name <> 'goose_db_version' ORDER BY type, name`)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, name, tbl, s string
		require.NoError(t, rows.Scan(&typ, &name, &tbl, &s))
		out = append(out, typ+" "+name+" on "+tbl+": "+strings.TrimSpace(spaces.ReplaceAllString(s, " ")))
	}
	require.NoError(t, rows.Err())
	return out
}

func recorded(t *testing.T, db *sql.DB) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT version || ' ' || name FROM schema_migrations ORDER BY version`)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}

// The exported files, applied by goose to a new database, give the schema
// Migrate gives, record the versions in the store's table as Migrate does,
// and the store works on the result without migrating again.
func TestGooseMigrationsMatchMigrate(t *testing.T) {
	ctx := t.Context()
	fsys, err := sqlite.Migrations()
	require.NoError(t, err)
	names, err := fs.Glob(fsys, "*.sql")
	require.NoError(t, err)
	require.Len(t, names, sqlite.SchemaVersion())
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(string(b), "-- +goose Up\n-- +goose StatementBegin\n"), n)
		assert.True(t, strings.HasSuffix(string(b), "-- +goose StatementEnd\n"), n)
		assert.NotContains(t, string(b), "+goose Down", n)
	}

	dir := t.TempDir()
	gpath := filepath.Join(dir, "goose.db")
	p, gdb := gooseProvider(t, gpath)
	res, err := p.Up(ctx)
	require.NoError(t, err)
	require.Len(t, res, sqlite.SchemaVersion())
	v, err := p.GetDBVersion(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, sqlite.SchemaVersion(), v)

	ms, err := sqlite.Open(ctx, filepath.Join(dir, "migrate.db"), &sqlite.Options{Migrate: true})
	require.NoError(t, err)
	defer ms.Close()

	want := sqliteCatalogue(t, ms.DB())
	require.NotEmpty(t, want)
	assert.Equal(t, want, sqliteCatalogue(t, gdb), "goose's schema is Migrate's")
	assert.Equal(t, recorded(t, ms.DB()), recorded(t, gdb), "goose's files record the versions in the store's table")

	// The store on the goose-migrated file: at the build's version,
	// Migrate changes nothing, and it writes and reads.
	gs, err := sqlite.Open(ctx, gpath, nil)
	require.NoError(t, err)
	defer gs.Close()
	dv, err := gs.DatabaseVersion(ctx)
	require.NoError(t, err)
	assert.Equal(t, sqlite.SchemaVersion(), dv)
	require.NoError(t, gs.Migrate(ctx))
	assert.Equal(t, want, sqliteCatalogue(t, gdb))
	require.NoError(t, gs.Update(ctx, func(tx coaching.Tx) error { return tx.InsertParticipant(ctx, participant("p")) }))
	err = gs.View(ctx, func(tx coaching.ReadTx) error {
		got, err := tx.Participant(ctx, "", "p")
		if err == nil {
			assert.Equal(t, "Esimerkki", got.FamilyName)
		}
		return err
	})
	require.NoError(t, err)
	res, err = p.Up(ctx)
	require.NoError(t, err)
	assert.Empty(t, res, "goose finds nothing to do either")
}

// A migration whose step runs in Go refuses to run under goose on a
// database with rows the step would change (nothing of it is applied);
// Migrate applies it, and goose adopts the database by copying the
// store's versions into its table, as the README tells a DBA.
func TestGooseRefusesGoStepsAndAdopts(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "g.db")
	p, db := gooseProvider(t, path)
	_, err := p.UpTo(ctx, 10)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO participants (id, data) VALUES ('p', '{"given_names":"Liisa","family_name":"Esimerkki"}')`)
	require.NoError(t, err)
	before := sqliteCatalogue(t, db)

	_, err = p.Up(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "valmennus migration 0011 changes existing rows in Go: apply it with Store.Migrate")
	v, err := p.GetDBVersion(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 10, v)
	assert.Equal(t, before, sqliteCatalogue(t, db), "the refused file left nothing behind")

	s, err := sqlite.Open(ctx, path, nil)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Migrate(ctx))
	var sortName sql.NullString
	require.NoError(t, db.QueryRowContext(ctx, `SELECT sort_name FROM participants WHERE id = 'p'`).Scan(&sortName))
	assert.True(t, sortName.Valid, "Migrate's step computed the sort key")

	// Adoption: goose's table gets the versions the store recorded.
	_, err = db.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied)
		SELECT version, 1 FROM schema_migrations WHERE version NOT IN (SELECT version_id FROM goose_db_version)`)
	require.NoError(t, err)
	res, err := p.Up(ctx)
	require.NoError(t, err)
	assert.Empty(t, res)
	v, err = p.GetDBVersion(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, sqlite.SchemaVersion(), v)
}
