package postgres_test

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/coaching"
)

// pressly/goose is the tool the exported migrations are written for and
// tested against; the store does not import it.

// gooseOn returns a goose provider applying postgres.Migrations(schema),
// with goose's version table in a schema of its own (goose creates its
// table before the first file creates the store's schema). Both schemas
// are dropped when the test ends.
func gooseOn(t *testing.T, pool *pgxpool.Pool, schema string) (*goose.Provider, string) {
	t.Helper()
	fsys, err := postgres.Migrations(schema)
	require.NoError(t, err)
	gschema := schema + "_goose"
	_, err = pool.Exec(t.Context(), "CREATE SCHEMA "+gschema)
	require.NoError(t, err)
	dropSchema(t, pool, gschema)
	dropSchema(t, pool, schema)
	db := stdlib.OpenDBFromPool(pool)
	t.Cleanup(func() { db.Close() })
	table := gschema + ".goose_db_version"
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithTableName(table))
	require.NoError(t, err)
	return p, table
}

// pgCatalogue is schema's catalogue, with the schema's name replaced by S:
// columns (types, defaults, nullability, generation), relations, indexes,
// constraints, triggers and functions.
func pgCatalogue(t *testing.T, pool *pgxpool.Pool, schema string) []string {
	t.Helper()
	queries := map[string]string{
		"column": `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || udt_name || ' default ' || coalesce(column_default, '-') ||
			' null ' || is_nullable || ' collation ' || coalesce(collation_name, '-') || ' generated ' || coalesce(generation_expression, '-') || ' at ' || ordinal_position
			FROM information_schema.columns WHERE table_schema = $1`,
		"relation":   `SELECT relname || ' ' || relkind::text FROM pg_class WHERE relnamespace = $1::regnamespace`,
		"index":      `SELECT indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = $1`,
		"constraint": `SELECT conname || ' on ' || conrelid::regclass::text || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = $1::regnamespace`,
		"trigger": `SELECT tgname || ': ' || pg_get_triggerdef(t.oid) || ' enabled ' || tgenabled::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
			WHERE c.relnamespace = $1::regnamespace AND NOT tgisinternal`,
		"function": `SELECT proname || ': ' || pg_get_functiondef(oid) FROM pg_proc WHERE pronamespace = $1::regnamespace`,
	}
	var out []string
	for kind, q := range queries {
		rows, err := pool.Query(t.Context(), q, schema)
		require.NoError(t, err)
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err, kind)
		require.NotEmpty(t, got, kind)
		for _, s := range got {
			out = append(out, kind+" "+strings.ReplaceAll(s, schema, "S"))
		}
	}
	slices.Sort(out)
	return out
}

func pgRecorded(t *testing.T, pool *pgxpool.Pool, schema string) []string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `SELECT version || ' ' || name FROM `+schema+`.schema_migrations ORDER BY version`)
	require.NoError(t, err)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return got
}

// The exported files, applied by goose to a new schema, give the schema
// Migrate gives, record the versions in the store's table as Migrate does,
// and the store works on the result without migrating again.
func TestGooseMigrationsMatchMigrate(t *testing.T) {
	ctx := t.Context()
	pool := sharedPool(t)

	gschema := schemaName()
	fsys, err := postgres.Migrations(gschema)
	require.NoError(t, err)
	names, err := fs.Glob(fsys, "*.sql")
	require.NoError(t, err)
	require.Len(t, names, postgres.LatestVersion())
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(string(b), "-- +goose Up\n-- +goose StatementBegin\n"), n)
		assert.True(t, strings.HasSuffix(string(b), "-- +goose StatementEnd\n"), n)
		assert.NotContains(t, string(b), "{{schema}}", n)
		assert.NotContains(t, string(b), "+goose Down", n)
	}

	p, _ := gooseOn(t, pool, gschema)
	res, err := p.Up(ctx)
	require.NoError(t, err)
	require.Len(t, res, postgres.LatestVersion())

	ms := newStoreOn(t, pool) // Migrate, in a schema of its own
	want := pgCatalogue(t, pool, ms.Schema())
	assert.Equal(t, want, pgCatalogue(t, pool, gschema), "goose's schema is Migrate's")
	assert.Equal(t, pgRecorded(t, pool, ms.Schema()), pgRecorded(t, pool, gschema), "goose's files record the versions in the store's table")

	gs, err := postgres.New(pool, &postgres.Options{Schema: gschema})
	require.NoError(t, err)
	v, err := gs.Version(ctx)
	require.NoError(t, err)
	assert.Equal(t, postgres.LatestVersion(), v)
	require.NoError(t, gs.Migrate(ctx))
	assert.Equal(t, want, pgCatalogue(t, pool, gschema), "Migrate changed nothing")
	participant := coaching.Participant{ID: "p", GivenNames: "Liisa", FamilyName: "Esimerkki"}
	require.NoError(t, gs.Update(ctx, func(tx coaching.Tx) error { return tx.InsertParticipant(ctx, participant) }))
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

// Migration 0011 computes the sort keys of the participants stored before
// it in Go: under goose its file refuses to run on such participants (and
// nothing of it is applied); Migrate applies it, and goose adopts the
// schema by copying the store's versions into its table, as the README
// tells a DBA.
func TestGooseRefusesGoStepAndAdopts(t *testing.T) {
	ctx := t.Context()
	pool := sharedPool(t)
	schema := schemaName()
	p, table := gooseOn(t, pool, schema)
	_, err := p.UpTo(ctx, 10)
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `INSERT INTO `+schema+`.participants (id, data) VALUES ('p', '{"given_names":"Liisa","family_name":"Esimerkki"}')`)
	require.NoError(t, err)
	before := pgCatalogue(t, pool, schema)

	_, err = p.Up(ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "valmennus migration 0011: participants stored before it need sort keys computed in Go: apply it with Store.Migrate")
	v, err := p.GetDBVersion(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 10, v)
	assert.Equal(t, before, pgCatalogue(t, pool, schema), "the refused file left nothing behind")

	s, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	var sortName *string
	require.NoError(t, pool.QueryRow(ctx, `SELECT sort_name FROM `+schema+`.participants WHERE id = 'p'`).Scan(&sortName))
	assert.NotNil(t, sortName, "Migrate's step computed the sort key")

	_, err = pool.Exec(ctx, fmt.Sprintf(`INSERT INTO %s (version_id, is_applied)
		SELECT version, true FROM %s.schema_migrations WHERE version NOT IN (SELECT version_id FROM %s)`, table, schema, table))
	require.NoError(t, err)
	res, err := p.Up(ctx)
	require.NoError(t, err)
	assert.Empty(t, res)
	v, err = p.GetDBVersion(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, postgres.LatestVersion(), v)
}

func TestMigrationsRefusesBadSchema(t *testing.T) {
	_, err := postgres.Migrations(`x"; DROP TABLE y; --`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a plain identifier")
	fsys, err := postgres.Migrations("")
	require.NoError(t, err)
	b, err := fs.ReadFile(fsys, "0001_init.sql")
	require.NoError(t, err)
	assert.Contains(t, string(b), `"`+postgres.DefaultSchema+`".`)
}
