package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/coaching"
)

// A write lock another process holds beyond the busy timeout is
// coaching.ErrUnavailable (the database cannot be written now), not an
// unexplained error; once the lock is released the store writes again.
// Ping reads, so the held write lock does not fail it.
func TestLockedBeyondBusyTimeoutIsUnavailable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.db")
	store, err := sqlite.Open(ctx, path, &sqlite.Options{Migrate: true, BusyTimeout: 50 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	require.NoError(t, store.Ping(ctx))

	other, err := sql.Open(sqlite.DriverName, sqlite.DSN(path, nil))
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() })
	conn, err := other.Conn(ctx)
	require.NoError(t, err)
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)

	write := func() error {
		return store.Update(ctx, func(tx coaching.Tx) error {
			return tx.AppendAccess(ctx, coaching.AccessEntry{At: time.Now(), ActorID: "coach-1", Operation: coaching.OpReadCase, Allowed: true})
		})
	}
	err = write()
	require.ErrorIs(t, err, coaching.ErrUnavailable)
	require.NoError(t, store.Ping(ctx), "reads go on under another's write lock (WAL)")

	_, err = conn.ExecContext(ctx, "ROLLBACK")
	require.NoError(t, err)
	require.NoError(t, conn.Close())
	assert.NoError(t, write())
}
