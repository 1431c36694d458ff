package postgres_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/outcomes/figurestest"
)

// A schema at version 4 holding figurestest's varied cohort, written by
// the store as it wrote before 0005 (its writes do not name the columns
// 0005 adds), migrates: the figures through the port, which reads only
// those columns, equal the figures computed from whole cases and
// participants before the migration, for every query; and writes after
// it keep the columns (an erasure's ReplaceRecords and rewrite of the
// participant, a record appended).
func TestMigrateFiguresFromVersion4(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := sharedPool(t)
	schema := schemaName()
	dropSchema(t, pool, schema)
	ident := pgx.Identifier{schema}.Sanitize()
	stmts := []string{`CREATE SCHEMA ` + ident}
	for _, f := range []string{"0001_init.sql", "0002_access_log.sql", "0003_records.sql", "0004_attendance_state.sql"} {
		b, err := os.ReadFile(filepath.Join("migrations", f))
		require.NoError(t, err)
		stmts = append(stmts, strings.ReplaceAll(string(b), "{{schema}}", ident))
	}
	stmts = append(stmts,
		`CREATE TABLE `+ident+`.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
		`INSERT INTO `+ident+`.schema_migrations (version, name) VALUES (1, 'init'), (2, 'access_log'), (3, 'records'), (4, 'attendance_state')`)
	for _, q := range stmts {
		_, err := pool.Exec(ctx, q)
		require.NoError(t, err, "building a version 4 schema")
	}
	store, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	entries := figurestest.Cohort(600)
	figurestest.Load(t, store, entries)
	// The figures before the migration, from whole cases (which read
	// none of the columns 0005 adds).
	before := make([]figurestest.Report, len(figurestest.Queries))
	counts := make([]int64, len(figurestest.Queries))
	for i, q := range figurestest.Queries {
		before[i], counts[i] = figurestest.Figures(t, figurestest.WholeCases(store), q)
	}

	require.NoError(t, store.Migrate(ctx))
	v, err := store.Version(ctx)
	require.NoError(t, err)
	assert.Equal(t, postgres.LatestVersion(), v)
	for i, q := range figurestest.Queries {
		got, n := figurestest.Figures(t, store, q)
		require.Equal(t, counts[i], n, "cases counted, query %+v", q)
		require.Equal(t, before[i], got, "figures, query %+v", q)
	}
	assert.EqualValues(t, len(entries), counts[0])

	// Writes after the migration keep the narrow columns: every case's
	// records replaced by their reverse (the latest of each name changes),
	// one more destination appended, and every participant rewritten
	// without its background.
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error {
		for _, e := range entries {
			recs := e.Case.Records
			rev := make([]coaching.Record, len(recs))
			for j, r := range recs {
				rev[len(recs)-1-j] = r
			}
			if err := tx.ReplaceRecords(ctx, e.Case.ID, rev); err != nil {
				return err
			}
			if e.Participant != nil {
				p := *e.Participant
				p.Background = coaching.Background{}
				if err := tx.UpdateParticipant(ctx, p); err != nil {
					return err
				}
			}
		}
		return tx.AppendRecords(ctx, entries[0].Case.ID, []coaching.Record{{Name: "destination", At: entries[0].Case.OpenedAt, By: "coach-1", Seq: 99,
			Data: json.RawMessage(`{"destination":"work_open","date":"2025-09-01"}`)}})
	}))
	for _, q := range figurestest.Queries {
		viaPort, nPort := figurestest.Figures(t, store, q)
		whole, nWhole := figurestest.Figures(t, figurestest.WholeCases(store), q)
		require.Equal(t, nWhole, nPort, "cases counted after writes, query %+v", q)
		require.Equal(t, whole, viaPort, "figures after writes, query %+v", q)
	}
	var rows int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM `+ident+`.latest_records l
		WHERE l.record_id <> (SELECT max(id) FROM `+ident+`.records r WHERE r.case_id = l.case_id AND r.name = l.name)`).Scan(&rows))
	assert.Zero(t, rows, "latest_records holds the latest of each name")
	require.NoError(t, pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM (SELECT DISTINCT case_id, name FROM `+ident+`.records) d)
		- (SELECT count(*) FROM `+ident+`.latest_records)`).Scan(&rows))
	assert.Zero(t, rows, "latest_records has a row for every case and name")
}
