package sqlite

import (
	"fmt"
	"io/fs"
	"strings"
	"testing/fstest"
)

// Migrations returns the store's migrations as files a host's own
// migration tool runs in place of [Store.Migrate]: one file per version,
// named NNNN_name.sql like the store's own, in the format of pressly/goose
// (github.com/pressly/goose/v3), which the package's tests apply.
//
// Each file is `-- +goose Up` and one statement block (StatementBegin /
// StatementEnd) holding the migration's script exactly as Migrate runs it,
// so goose's parser never splits a trigger body; goose runs each file in a
// transaction of its own. Each file also creates the store's
// schema_migrations table if it is missing and records its version there,
// as Migrate does: on a database goose migrated, [Store.DatabaseVersion]
// answers the version and Migrate finds nothing to do. goose's own table
// (goose_db_version, or the name its options give) is goose's business;
// the store never reads it.
//
// No down migrations are provided: the store's migrations move data
// (0003 among them) in ways that cannot be undone without loss; restore a
// backup instead.
//
// Migrations 0003, 0005 and 0011 change existing rows in Go after their
// scripts (the records out of the cases' JSON, the cases' instants, the
// caseload columns and sort keys). Their files refuse to run when there
// are such rows, failing with a CHECK constraint whose name says to apply
// the migration with Store.Migrate: a database with data reaches them
// through Migrate (then adopts goose, see the README), and a new database
// takes every file from goose.
func Migrations() (fs.FS, error) {
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	out := fstest.MapFS{}
	for _, m := range ms {
		var b strings.Builder
		b.WriteString("-- +goose Up\n-- +goose StatementBegin\n")
		b.WriteString(createMigrationsTable + ";\n")
		b.WriteString(strings.TrimRight(m.sql, " \t\n"))
		b.WriteString("\n")
		if q, ok := gooseGuards[m.version]; ok {
			fmt.Fprintf(&b, "CREATE TEMP TABLE valmennus_guard (n INTEGER CONSTRAINT \"valmennus migration %04d changes existing rows in Go: apply it with Store.Migrate\" CHECK (n = 0));\n", m.version)
			fmt.Fprintf(&b, "INSERT INTO valmennus_guard (n) SELECT count(*) FROM (%s);\n", q)
			b.WriteString("DROP TABLE temp.valmennus_guard;\n")
		}
		fmt.Fprintf(&b, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, '%s', CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER));\n", m.version, m.name)
		b.WriteString("-- +goose StatementEnd\n")
		out[fmt.Sprintf("%04d_%s.sql", m.version, m.name)] = &fstest.MapFile{Data: []byte(b.String()), Mode: 0o444}
	}
	return out, nil
}

// gooseGuards select, by version, the rows the migration's step in Go
// (steps) would change; a goose file fails when there are any.
var gooseGuards = map[int]string{
	3:  `SELECT 1 FROM cases WHERE instr(data, '"records"') > 0`,
	5:  `SELECT 1 FROM cases`,
	11: `SELECT 1 FROM cases UNION ALL SELECT 1 FROM participants`,
}
