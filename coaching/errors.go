package coaching

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Sentinel errors. Every error the engine and the stores return for these
// outcomes matches one of them with [errors.Is]; the typed errors below carry
// the details.
var (
	// ErrNotFound means the participant, case, notice or record does not exist.
	ErrNotFound = errors.New("valmennus: not found")
	// ErrConflict means an optimistic version check failed: someone else
	// changed the case first. Reload and decide again.
	ErrConflict = errors.New("valmennus: version conflict")
	// ErrDuplicate means a record with the same identity already exists.
	ErrDuplicate = errors.New("valmennus: already exists")
	// ErrForbidden means the actor may not do what was asked.
	ErrForbidden = errors.New("valmennus: forbidden")
	// ErrTransitionNotAllowed means the event cannot be fired from the case's
	// current state.
	ErrTransitionNotAllowed = errors.New("valmennus: transition not allowed")
	// ErrRulesRejected means one or more rules of the event failed.
	ErrRulesRejected = errors.New("valmennus: rules rejected the transition")
	// ErrInvalid means input failed validation.
	ErrInvalid = errors.New("valmennus: invalid input")
	// ErrIdempotencyMismatch means an idempotency key was reused for a
	// different command.
	ErrIdempotencyMismatch = errors.New("valmennus: idempotency key reused for a different command")
	// ErrUnavailable means the store could not reach its database: the
	// connection was refused, reset or closed under the statement, the
	// database is shutting down or refuses connections, no connection
	// could be had from the pool (closed, or none free before the
	// context's deadline), a statement timed out, or (SQLite) the file is
	// locked beyond the busy timeout or cannot be read or written. A store
	// wraps the driver's error with it (errors.Is finds both); a context
	// cancelled by the caller is never ErrUnavailable.
	//
	// The operation may or may not have taken effect (a commit whose
	// answer was lost): retry it only when it is safe to repeat, as a
	// Fire with an IdempotencyKey is.
	ErrUnavailable = errors.New("valmennus: store unavailable")
)

// NotFoundError says which kind of record with which identity is missing.
// It matches [ErrNotFound].
type NotFoundError struct {
	Kind string // "participant", "case", "notice", "command", "timer", ...
	ID   string
}

// Error implements error; it names the missing record.
func (e *NotFoundError) Error() string {
	return fmt.Sprintf("valmennus: %s %q not found", e.Kind, e.ID)
}

// Is reports whether target is [ErrNotFound] or another *NotFoundError.
func (e *NotFoundError) Is(target error) bool {
	if target == ErrNotFound {
		return true
	}
	_, ok := target.(*NotFoundError)
	return ok
}

// DuplicateError says which record already exists. It matches [ErrDuplicate].
type DuplicateError struct {
	Kind string
	ID   string
}

// Error implements error; it names the existing record.
func (e *DuplicateError) Error() string {
	return fmt.Sprintf("valmennus: %s %q already exists", e.Kind, e.ID)
}

// Is reports whether target is [ErrDuplicate] or another *DuplicateError.
func (e *DuplicateError) Is(target error) bool {
	if target == ErrDuplicate {
		return true
	}
	_, ok := target.(*DuplicateError)
	return ok
}

// ConflictError reports a failed optimistic version check. Current is the
// version found in the store (0 if unknown). It matches [ErrConflict].
type ConflictError struct {
	CaseID CaseID
	// Subject names what changed when it is not the case itself, e.g.
	// "document hoks"; the versions are then that subject's.
	Subject  string
	Expected int64
	Current  int64
}

// Error implements error; it states the versions.
func (e *ConflictError) Error() string {
	if e.Subject != "" {
		return fmt.Sprintf("valmennus: %s of case %q changed: expected version %d, current version is %d", e.Subject, e.CaseID, e.Expected, e.Current)
	}
	if e.Current > 0 {
		return fmt.Sprintf("valmennus: case %q changed: expected version %d, current version is %d", e.CaseID, e.Expected, e.Current)
	}
	return fmt.Sprintf("valmennus: case %q changed: expected version %d", e.CaseID, e.Expected)
}

// Is reports whether target is [ErrConflict] or another *ConflictError.
func (e *ConflictError) Is(target error) bool {
	if target == ErrConflict {
		return true
	}
	_, ok := target.(*ConflictError)
	return ok
}

// ForbiddenError says who was denied what and which rule denied it. It
// matches [ErrForbidden].
//
// A denial of a case or a participant of another organisation than the
// actor's (under [RuleOrganisation], or any rule that decided first, such
// as a funder's [RuleFunderAggregate]) is the engine's answer to the host,
// with its access-log entry written as for every denial: the host and the
// owning organisation's access log learn that someone asked for the
// record. The caller must not learn that the id exists: a host that
// answers callers answers such a denial exactly as the id not found, with
// the error [ForbiddenError.NotFound] gives (the HTTP API of
// adapters/httpapi does: the same 404, or the same field problem where a
// body names the case). The default policy's Reason, and so Error, names
// no organisation, but Error does name the rule, so it is not for such a
// caller either.
type ForbiddenError struct {
	ActorID   string
	Operation string
	Rule      string
	Reason    string

	// access is the denial's access-log entry, written once (logged).
	access *AccessEntry
	logged bool
	// hidden is the not-found answer a caller is given in its place, for
	// a denial that must not tell that the id exists (NotFound).
	hidden *NotFoundError
	// obs is the observer of the engine that denied (nil: none); observed
	// is set once it was told (observeDenial).
	obs      Observer
	observed bool
}

// Error implements error; it names the actor, the operation and the rule.
func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("valmennus: forbidden: actor %q may not %s (rule %s: %s)", e.ActorID, e.Operation, e.Rule, e.Reason)
}

// NotFound returns, for a denial that must not tell its caller whether the
// record exists — a case or a participant of another organisation than the
// actor's, whichever rule denied, and any case or participant denied to an
// actor holding the funder role (a funder sees only aggregates, so every
// record is another organisation's to them) — the *NotFoundError the same call gives for an id
// that does not exist (same Kind, same ID), to be answered in place of
// the denial; nil for every other denial, which is answered as a denial.
// The denial's access-log entry is written either way.
func (e *ForbiddenError) NotFound() *NotFoundError {
	if e.hidden == nil {
		return nil
	}
	nf := *e.hidden
	return &nf
}

// Conceal returns answer — a feature's own answer for a record that does
// not exist, such as a field problem naming the id — to be returned in
// place of the denial, for a feature whose answer to a missing id is not
// the plain [ForbiddenError.NotFound]: the caller gets exactly what a
// missing id gives (errors.As finds answer and what it wraps, never the
// *ForbiddenError; Error is answer's), and the denial's access-log entry
// still travels with the error, so the engine call that returns it writes
// the entry as for every denial. It returns the denial itself when it is
// not to be hidden (NotFound is nil) or answer is nil.
func (e *ForbiddenError) Conceal(answer error) error {
	if e.hidden == nil || answer == nil {
		return e
	}
	return &concealedDenial{answer: answer, denial: e}
}

// concealedDenial is a denial answered as a missing record
// (ForbiddenError.Conceal): it unwraps to the answer only, and carries the
// denial for the access log (unloggedDenial).
type concealedDenial struct {
	answer error
	denial *ForbiddenError
}

func (c *concealedDenial) Error() string { return c.answer.Error() }
func (c *concealedDenial) Unwrap() error { return c.answer }

// Is reports whether target is [ErrForbidden] or another *ForbiddenError.
func (e *ForbiddenError) Is(target error) bool {
	if target == ErrForbidden {
		return true
	}
	_, ok := target.(*ForbiddenError)
	return ok
}

// TransitionError reports an event that cannot be fired from the current
// state, and lists the events that can (sorted). It matches
// [ErrTransitionNotAllowed].
type TransitionError struct {
	Event   string
	State   string
	Allowed []string
	// Unknown is true when the model has no event of that name at all.
	Unknown bool
}

// Error implements error; it lists the allowed events.
func (e *TransitionError) Error() string {
	allowed := "none"
	if len(e.Allowed) > 0 {
		allowed = strings.Join(e.Allowed, ", ")
	}
	if e.Unknown {
		return fmt.Sprintf("valmennus: unknown event %q (from state %q the model allows: %s)", e.Event, e.State, allowed)
	}
	return fmt.Sprintf("valmennus: event %q is not allowed from state %q (allowed: %s)", e.Event, e.State, allowed)
}

// Is reports whether target is [ErrTransitionNotAllowed] or another *TransitionError.
func (e *TransitionError) Is(target error) bool {
	if target == ErrTransitionNotAllowed {
		return true
	}
	_, ok := target.(*TransitionError)
	return ok
}

// RuleFailure is one rule's reason for rejecting a transition.
type RuleFailure struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// RulesRejectedError lists every rule that rejected a transition, not only the
// first. It matches [ErrRulesRejected].
type RulesRejectedError struct {
	Event    string
	From     string
	To       string
	Failures []RuleFailure
}

// Error implements error; it lists every failing rule.
func (e *RulesRejectedError) Error() string {
	parts := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		parts[i] = f.Rule + ": " + f.Reason
	}
	return fmt.Sprintf("valmennus: event %q (%s → %s) rejected by %d rule(s): %s", e.Event, e.From, e.To, len(e.Failures), strings.Join(parts, "; "))
}

// Is reports whether target is [ErrRulesRejected] or another *RulesRejectedError.
func (e *RulesRejectedError) Is(target error) bool {
	if target == ErrRulesRejected {
		return true
	}
	_, ok := target.(*RulesRejectedError)
	return ok
}

// Reasons returns the failure reasons in order, for display.
func (e *RulesRejectedError) Reasons() []string {
	out := make([]string, len(e.Failures))
	for i, f := range e.Failures {
		out[i] = f.Reason
	}
	return out
}

// FieldProblem is one validation problem: the path of the field (JSON-style,
// e.g. "guardians[0].contact.email") and a plain-English message.
type FieldProblem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every problem found in an input, not only the first.
// It matches [ErrInvalid].
type ValidationError struct {
	// Subject names what was validated ("participant", "model valo", ...).
	Subject  string
	Problems []FieldProblem
}

// Error implements error; it lists every problem with its field.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Field == "" {
			parts[i] = p.Message
		} else {
			parts[i] = p.Field + ": " + p.Message
		}
	}
	subject := e.Subject
	if subject == "" {
		subject = "input"
	}
	return fmt.Sprintf("valmennus: invalid %s: %d problem(s): %s", subject, len(e.Problems), strings.Join(parts, "; "))
}

// Is reports whether target is [ErrInvalid] or another *ValidationError.
func (e *ValidationError) Is(target error) bool {
	if target == ErrInvalid {
		return true
	}
	_, ok := target.(*ValidationError)
	return ok
}

// problems collects field problems and turns them into a *ValidationError.
type problems struct {
	subject string
	list    []FieldProblem
}

func (p *problems) add(field, format string, args ...any) {
	p.list = append(p.list, FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (p *problems) merge(prefix string, err error) {
	if err == nil {
		return
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		for _, fp := range ve.Problems {
			field := fp.Field
			switch {
			case prefix == "":
			case field == "":
				field = prefix
			case strings.HasPrefix(field, "["):
				field = prefix + field
			default:
				field = prefix + "." + field
			}
			p.list = append(p.list, FieldProblem{Field: field, Message: fp.Message})
		}
		return
	}
	p.list = append(p.list, FieldProblem{Field: prefix, Message: err.Error()})
}

func (p *problems) err() error {
	if len(p.list) == 0 {
		return nil
	}
	sort.SliceStable(p.list, func(i, j int) bool { return p.list[i].Field < p.list[j].Field })
	return &ValidationError{Subject: p.subject, Problems: p.list}
}
