package postgres

import (
	"fmt"
	"io/fs"
	"strings"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
)

// Migrations returns the store's migrations for schema as files a host's
// own migration tool runs in place of [Store.Migrate]: one file per
// version, named NNNN_name.sql like the store's own, in the format of
// pressly/goose (github.com/pressly/goose/v3), which the package's tests
// apply. schema is validated as [Options.Schema] is ("" is
// [DefaultSchema]).
//
// Each file is `-- +goose Up` and one statement block (StatementBegin /
// StatementEnd) holding the migration's script exactly as Migrate runs it,
// so goose's parser never splits a function body or a DO block; goose
// sends the block as one simple-protocol script, in a transaction of its
// own per file. Each file also creates the schema and the store's
// schema_migrations table if they are missing and records its version
// there, as Migrate does: on a database goose migrated, [Store.Version]
// answers the version and Migrate finds nothing to do (it fills only the
// participants' sort keys that some older build left NULL, which SQL cannot
// compute). goose's own table (goose_db_version, or the name its options
// give) is goose's business; the store never reads it.
//
// No down migrations are provided: the store's migrations move data
// (0003 and 0012 among them) in ways that cannot be undone without loss;
// restore a backup instead.
//
// Migration 0011's participant sort keys are computed in Go
// (caseload.NameKey) for the participants stored before it; its file
// refuses to run (naming Store.Migrate) when such participants exist, so
// a database with data reaches 0011 through Migrate (then adopts goose, see
// the README), and a new database takes every file from goose.
func Migrations(schema string) (fs.FS, error) {
	o := (&Options{Schema: schema}).withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	ident := pgx.Identifier{o.Schema}.Sanitize()
	out := fstest.MapFS{}
	for _, m := range ms {
		var b strings.Builder
		b.WriteString("-- +goose Up\n-- +goose StatementBegin\n")
		fmt.Fprintf(&b, "CREATE SCHEMA IF NOT EXISTS %s;\n", ident)
		fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s.schema_migrations (\n\tversion    integer PRIMARY KEY,\n\tname       text NOT NULL,\n\tapplied_at timestamptz NOT NULL DEFAULT now());\n", ident)
		b.WriteString(strings.TrimRight(strings.ReplaceAll(m.sql, "{{schema}}", ident), " \t\n"))
		b.WriteString("\n")
		if g, ok := gooseGuards[m.version]; ok {
			b.WriteString(strings.ReplaceAll(g, "{{schema}}", ident))
		}
		fmt.Fprintf(&b, "INSERT INTO %s.schema_migrations (version, name) VALUES (%d, '%s');\n", ident, m.version, m.name)
		b.WriteString("-- +goose StatementEnd\n")
		out[fmt.Sprintf("%04d_%s.sql", m.version, m.name)] = &fstest.MapFile{Data: []byte(b.String()), Mode: 0o444, ModTime: time.Time{}}
	}
	return out, nil
}

// gooseGuards are the checks a goose file runs after its script where
// Migrate runs a step in Go: they fail the file (and goose rolls it back)
// when there are rows the step would have changed.
var gooseGuards = map[int]string{
	11: `DO $valmennus_guard$ BEGIN
	IF EXISTS (SELECT 1 FROM {{schema}}.participants WHERE sort_name IS NULL) THEN
		RAISE EXCEPTION 'valmennus migration 0011: participants stored before it need sort keys computed in Go: apply it with Store.Migrate';
	END IF;
END $valmennus_guard$;
`,
}
