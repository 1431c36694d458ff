package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// A connection the server ends under the store (pg_terminate_backend, as
// a restart or a failover does) is coaching.ErrUnavailable, not an
// unexplained error; the pool then connects again and the store works. A
// cancelled context is never ErrUnavailable, and neither is a missing
// record.
func TestTerminatedConnectionIsUnavailable(t *testing.T) {
	pool := newPool(t, 1)
	store := newStoreOn(t, pool)
	ctx := context.Background()
	read := func() error {
		return store.View(ctx, func(tx coaching.ReadTx) error {
			_, err := tx.Case(ctx, "case-1")
			return err
		})
	}
	require.ErrorIs(t, read(), coaching.ErrNotFound)
	require.NoError(t, store.Ping(ctx))

	var pid int32
	require.NoError(t, pool.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid)) // the pool's one connection
	err := store.View(ctx, func(tx coaching.ReadTx) error {
		if _, err := tx.Case(ctx, "case-1"); !errors.Is(err, coaching.ErrNotFound) {
			return err
		}
		// The transaction holds the pool's one connection: end it.
		var ok bool
		if err := sharedPool(t).QueryRow(ctx, "SELECT pg_terminate_backend($1)", pid).Scan(&ok); err != nil || !ok {
			return fmt.Errorf("terminating %d: %v %v", pid, ok, err)
		}
		_, err := tx.Case(ctx, "case-1")
		return err
	})
	require.ErrorIs(t, err, coaching.ErrUnavailable)
	assert.NotErrorIs(t, err, coaching.ErrNotFound)

	require.ErrorIs(t, read(), coaching.ErrNotFound, "the pool connects again")
	require.NoError(t, store.Ping(ctx))

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	err = store.Ping(cancelled)
	require.Error(t, err)
	assert.False(t, errors.Is(err, coaching.ErrUnavailable), "a cancelled context is the caller's: %v", err)
}
