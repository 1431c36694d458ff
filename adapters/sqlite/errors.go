package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	sqlite3 "modernc.org/sqlite/lib"

	"github.com/valmennus/valmennus/coaching"
)

// ref names what a statement read or wrote, so that interpretError can say
// which record an error is about.
type ref struct {
	kind   string          // "participant", "case", "audit entry", ...
	id     string          // the record's identity as the port's errors name it
	caseID coaching.CaseID // the case the record belongs to (foreign keys)
	// version is the version or sequence number being written, for
	// records numbered per case (audit entries, documents, marks); 0
	// otherwise.
	version int64
}

// interpretError maps a driver error to the engine's errors, in one place:
//
//   - sql.ErrNoRows → *coaching.NotFoundError{Kind: r.kind, ID: r.id};
//   - a primary-key or unique violation → *coaching.DuplicateError, or a
//     *coaching.ConflictError for records numbered per case (a second
//     writer took the number first);
//   - a foreign-key violation → *coaching.NotFoundError for the case the
//     record belongs to (every foreign key references cases);
//   - SQLITE_BUSY (the busy timeout ran out while another process held the
//     write lock) → an error saying so, wrapping coaching.ErrUnavailable
//     and the driver's; SQLITE_IOERR and SQLITE_CANTOPEN wrap
//     coaching.ErrUnavailable too (see unavailableCode);
//   - anything else → the driver's error, wrapped with what was being done.
//
// Constraint errors are recognised by the SQLite extended result code of an
// error with a Code() int method (modernc.org/sqlite's *sqlite.Error).
func interpretError(err error, r ref) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &coaching.NotFoundError{Kind: r.kind, ID: r.id}
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		switch code := coded.Code(); {
		case code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || code == sqlite3.SQLITE_CONSTRAINT_UNIQUE:
			if r.version > 0 {
				return &coaching.ConflictError{CaseID: r.caseID, Subject: conflictSubject(r), Expected: r.version - 1}
			}
			return &coaching.DuplicateError{Kind: r.kind, ID: r.id}
		case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return &coaching.NotFoundError{Kind: "case", ID: string(r.caseID)}
		case code&0xff == sqlite3.SQLITE_BUSY || code&0xff == sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("sqlite: %s: the database is locked by another writer (busy timeout exceeded): %w: %w", r.what(), coaching.ErrUnavailable, err)
		case unavailableCode(code):
			return fmt.Errorf("sqlite: %s: %w", r.what(), unavailable(err))
		}
	}
	return fmt.Errorf("sqlite: %s: %w", r.what(), err)
}

func (r ref) what() string {
	if r.id == "" {
		return r.kind
	}
	return r.kind + " " + strconv.Quote(r.id)
}

// conflictSubject is ConflictError.Subject for a numbered record; the audit
// trail is the case's own version, so it has none.
func conflictSubject(r ref) string {
	if r.kind == "audit entry" {
		return ""
	}
	return r.kind
}
