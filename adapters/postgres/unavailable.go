package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/valmennus/valmennus/coaching"
)

// unavailable wraps err with coaching.ErrUnavailable when it says that the
// database could not be reached or talked to, and returns every other
// error (nil included) unchanged:
//
//   - a connection that could not be made (*pgconn.ConnectError);
//   - a server refusing service: class 08 (connection exception), 57P01
//     admin_shutdown (pg_terminate_backend, a shutdown), 57P02
//     crash_shutdown, 57P03 cannot_connect_now (starting up, recovery),
//     53300 too_many_connections;
//   - the connection failing under a statement: a network error, the
//     server closing it (EOF), pgx's "conn closed" and the other errors
//     pgconn says were raised before anything was sent (SafeToRetry);
//   - a timeout within pgconn (a deadline, a network read timeout).
//
// A context the caller cancelled is context.Canceled, never unavailable.
func unavailable(err error) error {
	if err == nil || errors.Is(err, coaching.ErrUnavailable) || !isUnavailable(err) {
		return err
	}
	return fmt.Errorf("%w: %w", coaching.ErrUnavailable, err)
}

// isUnavailable is unavailable's test.
func isUnavailable(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var (
		ce    *pgconn.ConnectError
		pgErr *pgconn.PgError
		netE  net.Error
	)
	if errors.As(err, &pgErr) {
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" ||
			pgErr.Code == "57P03" || pgErr.Code == "53300"
	}
	return errors.As(err, &ce) || errors.As(err, &netE) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}

// callersDeadline returns err, except that once ctx is done an err
// matching coaching.ErrUnavailable (a statement or a connection the
// caller's deadline interrupted: pgconn reports a timeout) becomes ctx's
// error: the caller's deadline is not the store's unavailability. The
// database's error is kept in the text.
func callersDeadline(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil || !errors.Is(err, coaching.ErrUnavailable) {
		return err
	}
	return fmt.Errorf("postgres: %w (the database's error: %v)", ctx.Err(), err)
}

// acquireError is a failure to take a connection from the pool: every
// one is unavailability (the pool closed, no connection could be made)
// except the end of the caller's ctx (cancelled, or its deadline passed
// while no connection was free): that is the caller's.
func acquireError(ctx context.Context, err error) error {
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		// The caller's own cancellation or deadline, not the store's.
		return err
	}
	if errors.Is(err, coaching.ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: no database connection: %w", coaching.ErrUnavailable, err)
}

// Ping reports whether the database answers (a round trip on a pooled
// connection); its error matches coaching.ErrUnavailable when it does not.
// A host's readiness check calls it (adapters/httpapi's StoreCheck).
func (s *Store) Ping(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return acquireError(ctx, err)
	}
	defer conn.Release()
	return unavailable(conn.Ping(ctx))
}
