package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded schema change, migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in version order. Versions
// must be unique and start at 1 without gaps.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		base := strings.TrimSuffix(e.Name(), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlite: migration file %q is not named NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("sqlite: migrations are not numbered 1, 2, 3, ...: found %d at position %d", m.version, i+1)
		}
	}
	return out, nil
}

// SchemaVersion is the schema version this build of the package knows:
// the number of its embedded migrations.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at INTEGER NOT NULL
)`

// Migrate applies the embedded migrations the database does not have yet,
// in order, each recorded in the schema_migrations table. It never runs
// implicitly (unless Options.Migrate is set) and never inside a host's
// transaction: it takes a connection of its own and runs all pending
// migrations in one BEGIN IMMEDIATE transaction, so either all of them are
// applied or none. Calling it again, or from several processes at once, is
// safe: the write lock serialises them, and the later ones find nothing to
// do. A database whose schema is newer than this build is an error.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return interpretError(err, ref{kind: "migrate"})
	}
	committed := false
	defer func() {
		if committed {
			return
		}
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
			// A connection left inside a transaction must not go back
			// to the pool.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	if _, err := conn.ExecContext(ctx, createMigrationsTable); err != nil {
		return interpretError(err, ref{kind: "migrate"})
	}
	current, err := appliedVersion(ctx, conn)
	if err != nil {
		return err
	}
	if current > len(ms) {
		return fmt.Errorf("sqlite: migrate: the database schema is at version %d, newer than this build knows (%d)", current, len(ms))
	}
	for _, m := range ms[current:] {
		if _, err := conn.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("sqlite: migrate: migration %04d_%s: %w", m.version, m.name, err)
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, time.Now().UnixMicro()); err != nil {
			return interpretError(err, ref{kind: "migrate"})
		}
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return interpretError(err, ref{kind: "migrate"})
	}
	committed = true
	return nil
}

// DatabaseVersion returns the schema version the database is at (0 for a
// database never migrated).
func (s *Store) DatabaseVersion(ctx context.Context) (int, error) {
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("sqlite: schema version: %w", err)
	}
	defer conn.Close()
	var n int
	err = conn.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
	if err != nil || n == 0 {
		return 0, interpretError(err, ref{kind: "schema version"})
	}
	return appliedVersion(ctx, conn)
}

func appliedVersion(ctx context.Context, conn *sql.Conn) (int, error) {
	var v int
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, interpretError(err, ref{kind: "schema version"})
	}
	return v, nil
}
