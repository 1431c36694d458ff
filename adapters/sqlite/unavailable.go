package sqlite

import (
	"context"
	"errors"
	"fmt"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/valmennus/valmennus/coaching"
)

// unavailableCode reports whether an SQLite result code (its primary
// code, the low byte) says the database cannot be used now rather than
// that the statement is wrong: SQLITE_BUSY and SQLITE_LOCKED (another
// writer held the lock beyond the busy timeout), SQLITE_IOERR (the file
// cannot be read or written), SQLITE_CANTOPEN (it cannot be opened).
func unavailableCode(code int) bool {
	switch code & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	return false
}

// unavailable wraps err with coaching.ErrUnavailable when it carries such a
// code, and returns every other error (nil included) unchanged.
func unavailable(err error) error {
	if err == nil || errors.Is(err, coaching.ErrUnavailable) {
		return err
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) && unavailableCode(coded.Code()) {
		return fmt.Errorf("%w: %w", coaching.ErrUnavailable, err)
	}
	return err
}

// Ping reports whether the database can be read: a statement on a read
// connection (SQLite has no server to reach; this finds a file that cannot
// be opened or read, or a closed store). An error it returns for a
// locked or unreadable file matches coaching.ErrUnavailable. A host's
// readiness check calls it (adapters/httpapi's StoreCheck).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return unavailable(fmt.Errorf("sqlite: ping: %w", err))
	}
	return nil
}
