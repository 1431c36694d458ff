package postgres

import (
	"context"
	"errors"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/valmennus/valmennus/coaching"
)

// target says what a statement was about, so that interpretError can name
// it in the error it returns.
type target struct {
	// kind and id name the record ("case", "c-1"), as in
	// coaching.NotFoundError and coaching.DuplicateError.
	kind, id string
	// caseID is the case the record belongs to, for a ConflictError.
	caseID coaching.CaseID
	// subject names a versioned part of a case ("document hoks") for a
	// ConflictError; empty for the case itself.
	subject string
	// versioned: a unique violation means someone else wrote the same
	// version first (a *ConflictError), not a duplicate id.
	versioned bool
	// expected is the version a pipelined case update expected, for the
	// *ConflictError its VC409 becomes.
	expected int64
}

// PostgreSQL error codes the store maps.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeBadEncoding          = "22021" // character_not_in_repertoire: NUL or invalid UTF-8 in text
	codeUntranslatable       = "22P05" // untranslatable_character: \u0000 in jsonb
	codeProgramLimit         = "54000" // e.g. an index row too large
	codeQueryCanceled        = "57014"
	codeAuditOutOfStep       = "VA409" // raised by audit_follows (migrations/0001_init.sql, 0008)
	codeCaseConflict         = "VC409" // raised by case_not_updated (migrations/0009), DETAIL the stored version
	codeCaseMissing          = "VC404" // raised by case_not_updated
)

// interpretError maps an error from pgx to the engine's errors. It is the
// one place where driver errors become coaching errors:
//
//   - pgx.ErrNoRows becomes a *coaching.NotFoundError naming t;
//   - a unique violation becomes a *coaching.ConflictError for versioned
//     records (audit entries, document versions, mark revisions) and a
//     *coaching.DuplicateError for the rest;
//   - a foreign-key violation becomes a *coaching.NotFoundError for the case;
//   - a serialization failure or a deadlock becomes a *coaching.ConflictError
//     (the transaction lost a race; reload and decide again);
//   - a pipelined case update that matched no row (VC409, VC404) becomes
//     the *coaching.ConflictError or *coaching.NotFoundError that
//     txn.UpdateCase returns;
//   - text PostgreSQL cannot store becomes a *coaching.ValidationError;
//   - a statement cancelled by its context matches context.Canceled;
//   - a database that cannot be reached matches coaching.ErrUnavailable
//     (see unavailable).
//
// The pgconn error stays in the chain (errors.As finds it) for hosts that
// need the details. Errors are never compared by their text.
func interpretError(err error, t target) error {
	if err == nil {
		return nil
	}
	if isInterpreted(err) {
		return err
	}
	if isUnavailable(err) {
		return unavailable(err)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &coaching.NotFoundError{Kind: t.kind, ID: t.id}
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case codeUniqueViolation:
		if t.versioned {
			return errors.Join(&coaching.ConflictError{CaseID: t.caseID, Subject: t.subject}, err)
		}
		return errors.Join(&coaching.DuplicateError{Kind: t.kind, ID: t.id}, err)
	case codeForeignKeyViolation:
		return errors.Join(&coaching.NotFoundError{Kind: "case", ID: string(t.caseID)}, err)
	case codeCaseConflict:
		// The DETAIL is the stored version, digits only; anything else
		// leaves Current 0 ("unknown").
		current, _ := strconv.ParseInt(pgErr.Detail, 10, 64)
		return errors.Join(&coaching.ConflictError{CaseID: t.caseID, Expected: t.expected, Current: current}, err)
	case codeCaseMissing:
		return errors.Join(&coaching.NotFoundError{Kind: "case", ID: string(t.caseID)}, err)
	case codeSerializationFailure, codeDeadlockDetected, codeAuditOutOfStep:
		return errors.Join(&coaching.ConflictError{CaseID: t.caseID, Subject: t.subject}, err)
	case codeBadEncoding, codeUntranslatable:
		return errors.Join(&coaching.ValidationError{Subject: subjectOf(t), Problems: []coaching.FieldProblem{{
			Message: "contains text PostgreSQL cannot store (a NUL character or invalid UTF-8)"}}}, err)
	case codeProgramLimit:
		return errors.Join(&coaching.ValidationError{Subject: subjectOf(t), Problems: []coaching.FieldProblem{{
			Message: "a value is too large for PostgreSQL: " + pgErr.Message}}}, err)
	case codeQueryCanceled:
		return errors.Join(context.Canceled, err)
	}
	return err
}

func subjectOf(t target) string {
	if t.kind == "" {
		return "record"
	}
	return t.kind
}

// isInterpreted reports whether err already carries a coaching error (an
// error interpretError made earlier, e.g. for a pipelined write), which
// must not be interpreted again in another statement's terms.
func isInterpreted(err error) bool {
	var (
		nf *coaching.NotFoundError
		du *coaching.DuplicateError
		co *coaching.ConflictError
		va *coaching.ValidationError
	)
	return errors.As(err, &nf) || errors.As(err, &du) || errors.As(err, &co) || errors.As(err, &va)
}
