package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one embedded schema change, migrations/NNNN_name.sql, and
// the step in Go that follows its script, if it has one.
type migration struct {
	version int
	name    string
	sql     string
	step    func(ctx context.Context, conn *sql.Conn) error
}

// steps are the migrations' steps in Go, by version: data changes SQL
// alone cannot make exactly. Each runs on the migrating connection, in the
// migration's transaction, right after its script.
var steps = map[int]func(ctx context.Context, conn *sql.Conn) error{
	3:  moveRecords,
	5:  caseInstants,
	11: caseloadColumns,
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
		out = append(out, migration{version: v, name: name, sql: string(b), step: steps[v]})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("sqlite: two migrations have version %d", out[i].version)
		}
	}
	return out, nil
}

// SchemaVersion is the schema version this build of the package knows:
// the number of its latest embedded migration.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at INTEGER NOT NULL
)`

// Migrate applies the embedded migrations the database does not have yet,
// in the order of their numbers, each recorded in the schema_migrations
// table. A migration is applied when its number is not recorded, whatever
// numbers are: a database that a build with a later migration migrated
// (0001, 0002 and 0004, say) still gets 0003 from a build that has it. It never runs
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
	return s.apply(ctx, ms)
}

// apply applies the migrations of ms (in version order) whose versions the
// database has not recorded.
func (s *Store) apply(ctx context.Context, ms []migration) error {
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
	if latest := ms[len(ms)-1].version; current > latest {
		return fmt.Errorf("sqlite: migrate: the database schema is at version %d, newer than this build knows (%d)", current, latest)
	}
	done, err := appliedVersions(ctx, conn)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if done[m.version] {
			continue
		}
		if _, err := conn.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("sqlite: migrate: migration %04d_%s: %w", m.version, m.name, err)
		}
		if m.step != nil {
			if err := m.step(ctx, conn); err != nil {
				return fmt.Errorf("sqlite: migrate: migration %04d_%s: %w", m.version, m.name, err)
			}
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

// appliedVersions returns the versions recorded in schema_migrations.
func appliedVersions(ctx context.Context, conn *sql.Conn) (map[int]bool, error) {
	rows, err := conn.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, interpretError(err, ref{kind: "schema version"})
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, interpretError(err, ref{kind: "schema version"})
		}
		done[v] = true
	}
	return done, interpretError(rows.Err(), ref{kind: "schema version"})
}

func appliedVersion(ctx context.Context, conn *sql.Conn) (int, error) {
	var v int
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, interpretError(err, ref{kind: "schema version"})
	}
	return v, nil
}

// moveRecords is migration 0003's step: the records of every case move,
// in their order, out of the case's JSON into the records table, and the
// JSON is written again without them.
func moveRecords(ctx context.Context, conn *sql.Conn) error {
	return eachCaseData(ctx, conn, `SELECT id, data FROM cases WHERE id > ? AND instr(data, '"records"') > 0 ORDER BY id LIMIT 1000`,
		func(id string, data []byte) error { return moveCaseRecords(ctx, conn, id, data) })
}

// eachCaseData runs fn on the id and JSON of every case query selects (it
// takes the last id as its one argument and returns at most a batch,
// ordered by id). The cases are read a batch at a time and each batch is
// handled before the next is read, so no statement reads the table
// another is changing.
func eachCaseData(ctx context.Context, conn *sql.Conn, query string, fn func(id string, data []byte) error) error {
	type row struct {
		id   string
		data []byte
	}
	after := ""
	var batch []row
	for {
		rows, err := conn.QueryContext(ctx, query, after)
		if err != nil {
			return err
		}
		batch = batch[:0]
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.data); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for _, r := range batch {
			if err := fn(r.id, r.data); err != nil {
				return err
			}
		}
		after = batch[len(batch)-1].id
	}
}

// moveCaseRecords moves one case's records out of its JSON, data.
func moveCaseRecords(ctx context.Context, conn *sql.Conn, id string, data []byte) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("case %q: the stored JSON does not decode: %w", id, err)
	}
	raw, ok := doc["records"]
	if !ok {
		return nil // "records" was inside some other value
	}
	var records []coaching.Record
	if err := json.Unmarshal(raw, &records); err != nil {
		return fmt.Errorf("case %q: the stored records do not decode: %w", id, err)
	}
	for _, r := range records {
		if _, err := conn.ExecContext(ctx, qInsertRecord, id, r.Seq, r.Name, micros(r.At), r.By, nullBytes(r.Data)); err != nil {
			return fmt.Errorf("case %q: record %q: %w", id, r.Name, err)
		}
	}
	delete(doc, "records")
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("case %q: %w", id, err)
	}
	_, err = conn.ExecContext(ctx, `UPDATE cases SET data = ? WHERE id = ?`, b, id)
	return err
}

// caseInstants is migration 0005's step: the opened_at and closed_at
// columns of every case, from the instants in its JSON (as
// encoding/json decodes them; closed_at NULL while the case is open).
func caseInstants(ctx context.Context, conn *sql.Conn) error {
	return eachCaseData(ctx, conn, `SELECT id, data FROM cases WHERE id > ? ORDER BY id LIMIT 1000`, func(id string, data []byte) error {
		var c struct {
			OpenedAt time.Time `json:"opened_at"`
			ClosedAt time.Time `json:"closed_at"`
		}
		if err := json.Unmarshal(data, &c); err != nil {
			return fmt.Errorf("case %q: the stored JSON does not decode: %w", id, err)
		}
		if _, err := conn.ExecContext(ctx, `UPDATE cases SET opened_at = ?, closed_at = ? WHERE id = ?`,
			micros(c.OpenedAt), closedMicros(c.ClosedAt), id); err != nil {
			return fmt.Errorf("case %q: %w", id, err)
		}
		return nil
	})
}

// caseloadColumns is migration 0011's step: every case's phase_due and
// team_key (setting team_key runs the case_team trigger, which rewrites the
// rows the script's backfill wrote, the same ones), and every
// participant's sort_name, which only Go computes (caseload.NameKey).
func caseloadColumns(ctx context.Context, conn *sql.Conn) error {
	err := eachCaseData(ctx, conn, `SELECT id, data FROM cases WHERE id > ? ORDER BY id LIMIT 1000`, func(id string, data []byte) error {
		var c coaching.Case
		if err := json.Unmarshal(data, &c); err != nil {
			return fmt.Errorf("case %q: the stored JSON does not decode: %w", id, err)
		}
		if _, err := conn.ExecContext(ctx, `UPDATE cases SET phase_due = ?, team_key = ? WHERE id = ?`,
			phaseDue(&c), teamKey(c.Team), id); err != nil {
			return fmt.Errorf("case %q: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return eachCaseData(ctx, conn, `SELECT id, data FROM participants WHERE id > ? ORDER BY id LIMIT 1000`, func(id string, data []byte) error {
		var p struct {
			GivenNames string `json:"given_names"`
			FamilyName string `json:"family_name"`
		}
		if err := json.Unmarshal(data, &p); err != nil {
			return fmt.Errorf("participant %q: the stored JSON does not decode: %w", id, err)
		}
		if _, err := conn.ExecContext(ctx, `UPDATE participants SET sort_name = ? WHERE id = ?`,
			caseload.NameKey(p.FamilyName, p.GivenNames), id); err != nil {
			return fmt.Errorf("participant %q: %w", id, err)
		}
		return nil
	})
}
