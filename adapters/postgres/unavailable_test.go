package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

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

// Only the store's own failures are unavailability: an error fn makes
// itself is returned as it is, even when it wraps what a broken connection
// would (io.EOF, io.ErrUnexpectedEOF, a net.Error, a deadline), so that a
// request body cut short inside the transaction, or a host's HTTP call,
// is not answered "store unavailable, try again" for a failure a retry
// repeats. Nor is the caller's own deadline, even when it interrupts one
// of the store's statements.
func TestFnErrorsAndCallersDeadlineAreNotUnavailable(t *testing.T) {
	s := newStore(t)
	var v map[string]any
	truncated := json.NewDecoder(strings.NewReader(`{"a":`)).Decode(&v) // io.ErrUnexpectedEOF
	for name, fnErr := range map[string]error{
		"a body cut short":          fmt.Errorf("decoding the body: %w", truncated),
		"a host's HTTP call":        &url.Error{Op: "Get", URL: "http://hooks.example", Err: io.EOF},
		"the caller's own deadline": fmt.Errorf("waiting: %w", context.DeadlineExceeded),
	} {
		err := s.Update(context.Background(), func(coaching.Tx) error { return fnErr })
		assert.NotErrorIs(t, err, coaching.ErrUnavailable, "%s: %v", name, err)
		assert.ErrorIs(t, err, fnErr, "%s: fn's error unchanged", name)
		err = s.View(context.Background(), func(tx coaching.ReadTx) error {
			if _, err := tx.Case(context.Background(), "none"); !errors.Is(err, coaching.ErrNotFound) {
				return err
			}
			return fnErr // after a statement: the connection is sound
		})
		assert.NotErrorIs(t, err, coaching.ErrUnavailable, "view, %s: %v", name, err)
		assert.ErrorIs(t, err, fnErr, "view, %s", name)
	}

	// A statement of the store's the caller's deadline ends (pgconn
	// reports a timeout): the caller's, not the store's.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := s.Update(ctx, func(tx coaching.Tx) error {
		if _, err := tx.Case(ctx, "none"); !errors.Is(err, coaching.ErrNotFound) {
			return err
		}
		<-ctx.Done()
		_, err := tx.Case(ctx, "none")
		return err
	})
	require.Error(t, err)
	assert.NotErrorIs(t, err, coaching.ErrUnavailable, "%v", err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}
