package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/postgres"
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
		assert.Equal(t, postgres.LatestVersion(), migrationRows(t, pool, schema), "each version is recorded once")
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
		assert.Equal(t, postgres.LatestVersion(), migrationRows(t, sharedPool(t), schema), "each version is recorded once")
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
