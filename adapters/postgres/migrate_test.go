package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	"github.com/valmennus/valmennus/coaching/session"
)

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("Idempotent", func(t *testing.T) {
		t.Parallel()
		pool := sharedPool(t)
		schema := schemaName()
		dropSchema(t, pool, schema)
		store, err := postgres.New(pool, &postgres.Options{Schema: schema})
		require.NoError(t, err)

		v, err := store.Version(ctx)
		require.NoError(t, err)
		assert.Zero(t, v, "an unmigrated schema is at version 0")

		for range 3 {
			require.NoError(t, store.Migrate(ctx))
		}
		v, err = store.Version(ctx)
		require.NoError(t, err)
		assert.Equal(t, postgres.LatestVersion(), v)
		assert.Equal(t, migrationFiles(t), migrationRows(t, pool, schema), "each version is recorded once")
	})

	// Two instances (each with its own pool, so two sessions) migrate the
	// same schema at once: both succeed, the schema is migrated once.
	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		schema := schemaName()
		dropSchema(t, sharedPool(t), schema)
		const instances = 2
		errs := make([]error, instances)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range instances {
			pool := newPool(t, 2)
			store, err := postgres.New(pool, &postgres.Options{Schema: schema})
			require.NoError(t, err)
			wg.Go(func() {
				<-start
				errs[i] = store.Migrate(ctx)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			assert.NoError(t, err, "instance %d", i)
		}
		assert.Equal(t, migrationFiles(t), migrationRows(t, sharedPool(t), schema), "each version is recorded once")
		assert.Equal(t, tableCount(t, newStore(t).Schema()), tableCount(t, schema), "the tables, once")
	})

	// A schema migrated by a newer build (a version this build does not
	// know) is left alone.
	t.Run("NewerSchema", func(t *testing.T) {
		t.Parallel()
		store := newStore(t)
		pool := sharedPool(t)
		_, err := pool.Exec(ctx, `INSERT INTO `+pgx.Identifier{store.Schema(), "schema_migrations"}.Sanitize()+` (version, name) VALUES (9999, 'future')`)
		require.NoError(t, err)
		require.NoError(t, store.Migrate(ctx))
		v, err := store.Version(ctx)
		require.NoError(t, err)
		assert.Equal(t, 9999, v)
	})

	// A migration that is cancelled (here: its context expires while it
	// waits for another instance's lock) leaves nothing half-done.
	t.Run("WaitsForTheLock", func(t *testing.T) {
		t.Parallel()
		pool := sharedPool(t)
		schema := schemaName()
		dropSchema(t, pool, schema)
		store, err := postgres.New(pool, &postgres.Options{Schema: schema})
		require.NoError(t, err)
		// Hold the schema's migration lock as another instance would.
		holder, err := pool.Begin(ctx)
		require.NoError(t, err)
		defer func() { _ = holder.Rollback(ctx) }()
		_, err = holder.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, postgres.MigrationLockKey(schema))
		require.NoError(t, err)

		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		require.Error(t, store.Migrate(short), "Migrate must wait for the lock, not migrate beside it")
		v, err := store.Version(ctx)
		require.NoError(t, err)
		assert.Zero(t, v, "nothing was migrated")

		require.NoError(t, holder.Rollback(ctx))
		require.NoError(t, store.Migrate(ctx))
		v, err = store.Version(ctx)
		require.NoError(t, err)
		assert.Equal(t, postgres.LatestVersion(), v)
	})
}

// A schema written at version 1 (before the access log, session
// organisations and erasure) migrates with its data, and the audit trail
// stays append-only except for the one change erasure makes.
func TestMigrateFromVersion1(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := sharedPool(t)
	schema, ident := schemaAt(t, pool, 1)
	_, err := pool.Exec(ctx, `INSERT INTO `+ident+`.sessions (id, kind, date, hours, staff, cases, elements, peer_support, contacts, topic, at, by)
			VALUES ('s-1', 'group', '2025-03-04', 1.5, '[]', ARRAY['c-1'], ARRAY[]::text[], '', 0, 'ryhmä', now(), 'coach-1')`)
	require.NoError(t, err, "writing version 1 data")
	store, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	postgres.LegacyWrites(store, true) // the rows as the store wrote them before 0011
	v, err := store.Version(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, v)
	at := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	// The version 1 statements the store still runs write the old rows.
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		if err := tx.InsertParticipant(ctx, coaching.Participant{ID: "p-1", GivenNames: "Liisa", FamilyName: "Esimerkki"}); err != nil {
			return err
		}
		c := coaching.Case{ID: "c-1", ParticipantID: "p-1", Model: "valo", State: "intake", Version: 1, OpenedAt: at}
		if err := tx.InsertCase(ctx, c); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, coaching.AuditEntry{CaseID: "c-1", Seq: 1, At: at, Kind: coaching.AuditOpened, ActorID: "coach-1",
			Roles: []coaching.Role{coaching.RoleCoach}, To: "intake", Reason: "syy", Payload: []byte(`{"a":1}`)})
	}))

	requireLatest(t, store)
	// 0011: the participant's name sort key, filled in Go by Migrate.
	var sortName string
	require.NoError(t, pool.QueryRow(ctx, `SELECT sort_name FROM `+ident+`.participants WHERE id = 'p-1'`).Scan(&sortName))
	assert.Equal(t, caseload.NameKey("Esimerkki", "Liisa"), sortName)

	var ids []coaching.CaseID
	for c, err := range store.Cases(ctx, coaching.CaseQuery{Participant: "p-1"}) {
		require.NoError(t, err)
		ids = append(ids, c.ID)
	}
	assert.Equal(t, []coaching.CaseID{"c-1"}, ids, "old cases are found by participant")

	audit := ident + `.audit`
	refused := func(what, q string) {
		t.Helper()
		_, err := pool.Exec(ctx, q)
		var pgErr *pgconn.PgError
		if assert.ErrorAs(t, err, &pgErr, what) {
			assert.Equal(t, "42501", pgErr.Code, "%s: insufficient_privilege from the append-only trigger", what)
		}
	}
	refused("changing an audit entry's event", `UPDATE `+audit+` SET event = 'forged'`)
	refused("changing an audit entry's reason", `UPDATE `+audit+` SET reason = 'another'`)
	refused("clearing the reason while changing the actor", `UPDATE `+audit+` SET reason = '', payload = NULL, actor_id = 'someone'`)
	refused("deleting an audit entry", `DELETE FROM `+audit)

	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		ss, err := tx.(session.Reader).Sessions(ctx, session.Query{})
		require.NoError(t, err)
		require.Len(t, ss, 1)
		assert.Empty(t, ss[0].Organisation, "a session from before the migration has no organisation")
		if err := tx.AppendAccess(ctx, coaching.AccessEntry{At: at, ActorID: "head-1", Operation: coaching.OpErase, CaseID: "c-1", Allowed: true}); err != nil {
			return err
		}
		return tx.PurgeCase(ctx, "c-1")
	}))
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		trail, err := tx.AuditTrail(ctx, "c-1", 0)
		require.NoError(t, err)
		require.Len(t, trail, 1)
		assert.Empty(t, trail[0].Reason, "the purge cleared the reason")
		assert.Empty(t, trail[0].Payload, "the purge cleared the payload")
		assert.Equal(t, "coach-1", trail[0].ActorID)
		log, err := tx.AccessLog(ctx, coaching.AccessQuery{CaseID: "c-1"})
		require.NoError(t, err)
		assert.Len(t, log, 1)
		return nil
	}))
	_, err = pool.Exec(ctx, `UPDATE `+audit+` SET reason = '', payload = NULL`)
	assert.NoError(t, err, "clearing what is already cleared is the erasure change too")
	refused("changing an access-log entry", `UPDATE `+ident+`.access_log SET allowed = false`)
	refused("deleting an access-log entry", `DELETE FROM `+ident+`.access_log`)
}

// migrationFiles counts the embedded migrations (their numbers need not be
// contiguous: LatestVersion is the highest, and Migrate applies each one a
// schema has not recorded).
func migrationFiles(t testing.TB) int {
	t.Helper()
	es, err := os.ReadDir("migrations")
	require.NoError(t, err)
	return len(es)
}

// schemaAt builds a new schema as the store left it at version: the
// embedded migrations numbered up to version, each recorded in
// schema_migrations as Migrate records it. The schema is dropped when the
// test ends; schemaAt returns its name and its quoted identifier.
func schemaAt(t *testing.T, pool *pgxpool.Pool, version int) (schema, ident string) {
	t.Helper()
	schema = schemaName()
	dropSchema(t, pool, schema)
	ident = pgx.Identifier{schema}.Sanitize()
	stmts := []string{`CREATE SCHEMA ` + ident,
		`CREATE TABLE ` + ident + `.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`}
	for _, m := range storetest.MigrationFiles(t, "migrations", version) {
		stmts = append(stmts, strings.ReplaceAll(m.SQL, "{{schema}}", ident),
			fmt.Sprintf(`INSERT INTO %s.schema_migrations (version, name) VALUES (%d, '%s')`, ident, m.Version, m.Name))
	}
	for _, q := range stmts {
		_, err := pool.Exec(t.Context(), q)
		require.NoError(t, err, "building a version %d schema", version)
	}
	return schema, ident
}

// requireLatest migrates store and requires it to be at the latest
// version then.
func requireLatest(t *testing.T, store *postgres.Store) {
	t.Helper()
	postgres.LegacyWrites(store, false)
	require.NoError(t, store.Migrate(t.Context()))
	v, err := store.Version(t.Context())
	require.NoError(t, err)
	assert.Equal(t, postgres.LatestVersion(), v)
}

func migrationRows(t *testing.T, pool interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, schema string) int {
	t.Helper()
	var n int
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT count(*) FROM `+pgx.Identifier{schema, "schema_migrations"}.Sanitize()).Scan(&n))
	return n
}

func TestNewOptions(t *testing.T) {
	_, err := postgres.New(nil, nil)
	assert.ErrorContains(t, err, "pool is nil")
	pool := lazyPool(t)
	for _, bad := range []string{"1abc", "a-b", "a b", `a"b`, "", "x\x00"} {
		if bad == "" {
			continue // empty means the default
		}
		_, err := postgres.New(pool, &postgres.Options{Schema: bad})
		assert.Error(t, err, "schema %q", bad)
	}
	s, err := postgres.New(pool, nil)
	require.NoError(t, err)
	assert.Equal(t, postgres.DefaultSchema, s.Schema())
}

// tableCount counts the tables of a schema.
func tableCount(t *testing.T, schema string) int {
	t.Helper()
	var n int
	require.NoError(t, sharedPool(t).QueryRow(context.Background(), `SELECT count(*) FROM pg_tables WHERE schemaname = $1`, schema).Scan(&n))
	return n
}

// A schema at version 2 (flags in the case JSON, no attendance state)
// migrates with its data: the flags move out of the case rows into
// attendance_state, the running totals are counted from the marks already
// stored (the latest revision of each), and recording goes on from them.
func TestMigrateAttendanceStateFromVersion2(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := sharedPool(t)
	schema, ident := schemaAt(t, pool, 2)
	flag := `{"rule":"unexplained_3_in_10","reason":"3 unexplained absences within the last 2 school days","since":"2026-09-08T06:00:00Z","seq":3}`
	store, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	postgres.LegacyWrites(store, true) // the rows as the store wrote them before 0011
	// The version 2 statements the store still runs write the old rows;
	// the flags go into the case JSON as version 2 kept them.
	at := time.Date(2026, 9, 7, 8, 0, 0, 0, time.UTC)
	for _, id := range []coaching.CaseID{"c-1", "c-2", "c-3", "c-4"} {
		require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
			return tx.InsertCase(ctx, coaching.Case{ID: id, ParticipantID: "p-1", Model: "pilot", State: "start", Version: 1, OpenedAt: at,
				Team: []coaching.TeamMember{{ActorID: "t-1", Role: coaching.RolePersonalTutor, Name: "T"}}})
		}))
	}
	for _, q := range []string{
		`UPDATE ` + ident + `.cases SET data = jsonb_set(data, '{flags}', '[` + flag + `]') WHERE id = 'c-1'`,
		`UPDATE ` + ident + `.cases SET data = jsonb_set(data, '{flags}', '[]') WHERE id = 'c-3'`,
		`INSERT INTO ` + ident + `.marks (case_id, date, lesson, revision, title, minutes, status, reason, at, by) VALUES
			('c-1', '2026-09-07', '1', 1, 'Tunti 1', 45, 'absent_unexplained', '', now(), 't'),
			('c-1', '2026-09-07', '1', 2, 'Tunti 1', 45, 'absent_explained', 'appointment', now(), 't'),
			('c-1', '2026-09-07', '2', 1, 'Tunti 2', 45, 'absent_unexplained', '', now(), 't'),
			('c-1', '2026-09-08', '1', 1, 'Tunti 1', 90, 'present', '', now(), 't'),
			('c-1', '2026-09-08', '2', 1, 'Tunti 2', 30, 'sick', '', now(), 't'),
			('c-2', '2026-09-07', '', 1, '', 300, 'late', '', now(), 't')`,
	} {
		_, err := pool.Exec(ctx, q)
		require.NoError(t, err, "writing version 2 data")
	}

	requireLatest(t, store)
	var left int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM `+ident+`.cases WHERE data ? 'flags'`).Scan(&left))
	assert.Zero(t, left, "no case row keeps flags")

	storetest.CheckMigratedAttendance(t, store)
}

// A schema at version 2 whose cases carry their records in their JSON (as
// the store wrote them before 0003: the whole case but its history)
// migrates: every record moves to the records table in its order, to the
// microsecond, its data the same JSON value; the case JSON keeps
// everything else; and the store reads the same records back, and appends
// after them.
func TestMigrateRecordsFromVersion2(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := sharedPool(t)
	schema, ident := schemaAt(t, pool, 2)
	cases := storetest.MigrationRecordCases(300)
	for _, c := range cases {
		old := c
		old.History = nil
		data, err := json.Marshal(&old) // the store's encodeCase before 0003
		require.NoError(t, err)
		_, err = pool.Exec(ctx, `INSERT INTO `+ident+`.cases (id, participant_id, organisation, model, state, version, opened_at, closed_at, data)
			VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)`, string(c.ID), string(c.ParticipantID), string(c.Organisation), c.Model, c.State, c.Version, c.OpenedAt, data)
		require.NoError(t, err)
	}

	store, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	requireLatest(t, store)

	var left int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM `+ident+`.cases WHERE data ? 'records'`).Scan(&left))
	assert.Zero(t, left, "no case JSON keeps its records")
	storetest.CheckMigratedRecords(t, store, cases)
}
