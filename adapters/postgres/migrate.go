package postgres

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one versioned schema change: migrations/NNNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded migrations in version order.
func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("postgres: migration file %q is not named NNNN_name.sql", name)
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", name))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: rest, sql: string(b)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("postgres: two migrations have version %d", out[i].version)
		}
	}
	return out, nil
}

// LatestVersion is the schema version this build of the package migrates
// to.
func LatestVersion() int {
	ms, err := loadMigrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// MigrationLockKey is the advisory lock key [Store.Migrate] takes
// (pg_advisory_xact_lock) while it migrates schema: instances migrating the
// same schema wait for each other, other schemas are not held up. An
// operator can take the same lock to keep instances from migrating, e.g.
// during a manual change.
func MigrationLockKey(schema string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("valmennus/adapters/postgres migrate " + schema))
	return int64(h.Sum64())
}

// Migrate creates the store's schema and tables, or upgrades them, to
// [LatestVersion]. Call it explicitly, once per deployment or at start-up;
// the store never migrates on its own, and Migrate never runs inside a
// host's transaction (it takes its own connection from the pool).
//
// It is safe to run from several instances at once: the whole migration
// runs in one transaction holding a transaction-level advisory lock keyed
// on the schema (pg_advisory_xact_lock), so the first instance applies the
// pending migrations and the others wait, then find nothing to do. A
// failed migration rolls back completely. Applied versions are recorded in
// the schema's schema_migrations table; versions newer than this build
// knows (a newer instance migrated first) are left alone.
func (s *Store) Migrate(ctx context.Context) error {
	_, err := s.migrate(ctx)
	return err
}

// migrate applies the pending migrations and returns their versions.
func (s *Store) migrate(ctx context.Context) (applied []int, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, err
	}
	err = pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, MigrationLockKey(s.opts.Schema)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+s.ident); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+s.ident+`.schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT version FROM `+s.ident+`.schema_migrations`)
		if err != nil {
			return err
		}
		done, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return err
		}
		for _, m := range ms {
			if slices.Contains(done, int32(m.version)) {
				continue
			}
			sql := strings.ReplaceAll(m.sql, "{{schema}}", s.ident)
			// No arguments: the simple protocol, which runs a script of
			// several statements.
			if _, err := tx.Exec(ctx, sql); err != nil {
				return fmt.Errorf("postgres: migration %04d_%s: %w", m.version, m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+s.ident+`.schema_migrations (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
				return err
			}
			applied = append(applied, m.version)
		}
		// The participants' name sort keys, which SQL cannot compute
		// (migrations/0011_caseload.sql): the rows stored before, and any
		// an older build wrote since.
		if slices.Contains(done, 11) || slices.Contains(applied, 11) {
			return fillSortNames(ctx, tx, s.ident)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return applied, nil
}

// Version returns the schema version the database is at (0 when the store
// has not been migrated), so a host can refuse to start on a schema older
// than [LatestVersion].
func (s *Store) Version(ctx context.Context) (int, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, s.ident+".schema_migrations").Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return 0, nil
	}
	var v int32
	err := s.pool.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM `+s.ident+`.schema_migrations`).Scan(&v)
	return int(v), err
}
