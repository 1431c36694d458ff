package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
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
	schema, ident := schemaAt(t, pool, 4)
	store, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	postgres.LegacyWrites(store, true) // the rows as the store wrote them before 0011
	entries := figurestest.Cohort(600)
	figurestest.Load(t, store, entries)
	// The figures before the migration, from whole cases (which read
	// none of the columns 0005 adds).
	before := figurestest.Take(t, store)
	requireLatest(t, store)
	figurestest.CheckMigrated(t, store, entries, before)
	var rows int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM `+ident+`.latest_records l
		WHERE l.record_id <> (SELECT max(id) FROM `+ident+`.records r WHERE r.case_id = l.case_id AND r.name = l.name)`).Scan(&rows))
	assert.Zero(t, rows, "latest_records holds the latest of each name")
	require.NoError(t, pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM (SELECT DISTINCT case_id, name FROM `+ident+`.records) d)
		- (SELECT count(*) FROM `+ident+`.latest_records)`).Scan(&rows))
	assert.Zero(t, rows, "latest_records has a row for every case and name")
}
