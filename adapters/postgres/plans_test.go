package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/attendance"
	"github.com/valmennus/valmennus/internal/benchkit"
)

// The plans of the store's prepared statements, and of audit_follows's
// queries, are made on a connection's first executions — in a new schema,
// on nearly empty tables without statistics — and kept while the tables
// grow. Appending an audit entry must still read only the case's last
// entry, however long its trail, and RecentMarks only its window: these
// tests count the entries read from the index (its idx_tup_read) on a pool
// of one connection whose plans were made when the history was short.

// longTrail is how many audit entries the measured case has.
const longTrail = 200

// indexReads returns the entries read from the store's index so far, as
// pool's one connection reports them.
func indexReads(t *testing.T, pool *pgxpool.Pool, schema, index string) int64 {
	t.Helper()
	ctx := context.Background()
	// The connection's counts reach the shared statistics when it next
	// goes idle, before it answers: read them in a new transaction.
	_, err := pool.Exec(ctx, `SELECT pg_stat_force_next_flush()`)
	require.NoError(t, err)
	var v int64
	require.NoError(t, pool.QueryRow(ctx, `SELECT idx_tup_read FROM pg_stat_user_indexes WHERE schemaname = $1 AND indexrelname = $2`,
		schema, index).Scan(&v))
	return v
}

// auditReadsPerFire fires n times on c and returns the audit index entries
// read per fire. pool has one connection, the one the fires ran on.
func auditReadsPerFire(t *testing.T, pool *pgxpool.Pool, schema string, c *pgCase, n int, fire func(c *pgCase) error) float64 {
	t.Helper()
	before := indexReads(t, pool, schema, "audit_pkey")
	for range n {
		require.NoError(t, fire(c))
	}
	return float64(indexReads(t, pool, schema, "audit_pkey")-before) / float64(n)
}

// warmLong fires on a new case, in the store's transactions and in a
// host's, enough for every plan of both paths to be generic (made once,
// after five executions, on a short trail); then it opens another case and
// fires until its trail is longTrail entries long, and returns that one.
func warmLong(t *testing.T, pool *pgxpool.Pool, eng *coaching.Engine, store *postgres.Store) *pgCase {
	t.Helper()
	short := &pgCase{id: "short", version: 3}
	openValo(t, eng, short.id)
	for range 8 {
		require.NoError(t, pgToggle(eng, short))
		require.NoError(t, hostToggle(pool, eng, store, short))
	}
	c := &pgCase{id: "long", version: 3}
	openValo(t, eng, c.id)
	for c.version < longTrail {
		require.NoError(t, pgToggle(eng, c))
	}
	return c
}

// hostToggle is pgToggle in a host's transaction (Store.Tx), where the
// append is not pipelined: the INSERT checks the last entry itself.
func hostToggle(pool *pgxpool.Pool, eng *coaching.Engine, store *postgres.Store, c *pgCase) error {
	ctx := context.Background()
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		event, opts := benchkit.ToggleEvent(c.version)
		_, err := eng.In(store.Tx(tx)).Fire(ctx, coach, c.id, event, opts)
		c.version++
		return err
	})
}

// Fire in the store's own transaction: the pipelined append, checked by
// audit_follows.
func TestAuditAppendReadsOneEntry(t *testing.T) {
	t.Parallel()
	pool := newPool(t, 1)
	store := newStoreOn(t, pool)
	eng := newEngine(t, store)
	c := warmLong(t, pool, eng, store)
	reads := auditReadsPerFire(t, pool, store.Schema(), c, 20, func(c *pgCase) error { return pgToggle(eng, c) })
	assert.LessOrEqual(t, reads, 2.0, "audit entries read per Fire on a case of %d entries", longTrail)

	t.Run("HostTransaction", func(t *testing.T) {
		reads := auditReadsPerFire(t, pool, store.Schema(), c, 20, func(c *pgCase) error { return hostToggle(pool, eng, store, c) })
		assert.LessOrEqual(t, reads, 2.0, "audit entries read per Fire in a host's transaction on a case of %d entries", longTrail)
	})
}

// A schema at version 5 migrates to an audit_follows that reads one entry,
// on a connection that made its plans of the old one before the migration,
// and to cases whose indexes leave the state out (so that a transition can
// be a HOT update), with room for that on new pages.
func TestMigrateFirePathFromVersion5(t *testing.T) {
	t.Parallel()
	pool := newPool(t, 1)
	schema, _ := schemaAt(t, pool, 5)
	store, err := postgres.New(pool, &postgres.Options{Schema: schema})
	require.NoError(t, err)
	postgres.LegacyWrites(store, true) // the rows as the store wrote them before 0011
	// Before the migration, the engine saves the case with the plain
	// UpdateCase (the pipelined one needs 0009's function); the audit
	// entry is pipelined all the same.
	eng := newEngine(t, unpipelined{store})
	c := warmLong(t, pool, eng, store)
	old := auditReadsPerFire(t, pool, schema, c, 4, func(c *pgCase) error { return pgToggle(eng, c) })
	t.Logf("audit entries read per Fire before the migration: %.0f", old)

	requireLatest(t, store)
	eng = newEngine(t, store)
	var stateIndexes []string
	var options []string
	require.NoError(t, pool.QueryRow(context.Background(), `SELECT
			coalesce((SELECT array_agg(i.indexrelid::regclass::text) FROM pg_index i
				WHERE i.indrelid = c.oid AND (
					EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'state' AND a.attnum = ANY (i.indkey))
					OR pg_get_expr(i.indpred, i.indrelid) LIKE '%state%')), '{}'),
			coalesce(c.reloptions, '{}')
		FROM pg_class c WHERE c.oid = $1::regclass`, pgx.Identifier{schema, "cases"}.Sanitize()).Scan(&stateIndexes, &options))
	assert.Empty(t, stateIndexes, "indexes of cases that hold the state")
	assert.Contains(t, options, "fillfactor=80")

	reads := auditReadsPerFire(t, pool, schema, c, 20, func(c *pgCase) error { return pgToggle(eng, c) })
	assert.LessOrEqual(t, reads, 2.0, "audit entries read per Fire on a case of %d entries", longTrail)

	// What it checks is unchanged: an entry that does not follow the last
	// one fails the Fire, and nothing of it is written. (Here the trail is
	// one entry ahead of the case, as no writer through the store leaves
	// it.)
	ctx := context.Background()
	_, err = pool.Exec(ctx, `INSERT INTO `+pgx.Identifier{schema, "audit"}.Sanitize()+`
		(case_id, seq, at, kind, actor_id, event, from_state, to_state, reason, idempotency_key)
		VALUES ($1, $2, now(), 'transition', 'someone', 'x', 'a', 'b', '', '')`, string(c.id), c.version+1)
	require.NoError(t, err)
	err = pgToggle(eng, c)
	var conflict *coaching.ConflictError
	require.ErrorAs(t, err, &conflict)
	var pgErr *pgconn.PgError
	require.ErrorAs(t, err, &pgErr)
	assert.Equal(t, "VA409", pgErr.Code, "raised by audit_follows")
	cs, err := eng.Case(ctx, inspector, c.id)
	require.NoError(t, err)
	assert.Equal(t, c.version-1, cs.Version, "the case was not written")
}

// RecentMarks reads the window's marks, however many the case has: the
// steps that find the window's first date are one index step each.
func TestRecentMarksReadsTheWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := newPool(t, 1)
	store := newStoreOn(t, pool)
	eng := newEngine(t, store)
	openValo(t, eng, "marks")
	const days, window = 300, 5
	start := coaching.NewDate(2026, 1, 1)
	mark := func(d int) attendance.Mark {
		return attendance.Mark{CaseID: "marks", Date: start.AddDays(d), Lesson: "1", Title: "Oppitunti", Minutes: 45,
			Status: attendance.Present, Revision: 1, At: time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), By: "teacher-1"}
	}
	recent := func(d int) []attendance.Mark {
		var ms []attendance.Mark
		require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
			var err error
			ms, err = tx.(attendance.Reader).RecentMarks(ctx, "marks", start.AddDays(d), window)
			return err
		}))
		return ms
	}
	// The plans are made on a short history (generic after five runs).
	for d := range 8 {
		require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.(attendance.Store).PutMarks(ctx, []attendance.Mark{mark(d)}) }))
		recent(d)
	}
	var more []attendance.Mark
	for d := 8; d < days; d++ {
		more = append(more, mark(d))
	}
	require.NoError(t, store.Update(ctx, func(tx coaching.Tx) error { return tx.(attendance.Store).PutMarks(ctx, more) }))

	before := indexReads(t, pool, store.Schema(), "marks_pkey")
	got := recent(days - 1)
	reads := indexReads(t, pool, store.Schema(), "marks_pkey") - before
	require.Len(t, got, window)
	assert.Equal(t, start.AddDays(days-window), got[0].Date)
	assert.LessOrEqual(t, reads, int64(4*window), "marks index entries read for a window of %d days of %d", window, days)
}

// unpipelined is a store whose transactions offer the engine no
// coaching.PipelinedCaseTx (nor PipelinedTx), so that Fire saves the case with the plain
// UpdateCase: Fire on a schema older than 0009.
type unpipelined struct{ *postgres.Store }

func (s unpipelined) Update(ctx context.Context, fn func(tx coaching.Tx) error) error {
	return s.Store.Update(ctx, func(tx coaching.Tx) error { return fn(struct{ coaching.Tx }{tx}) })
}
