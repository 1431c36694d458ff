package coaching

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file is where every engine call meets the Policy: it builds the
// request from stored data, asks the policy, writes the access log, and
// turns a denial into a *ForbiddenError.

// authorize asks the policy whether actor may do op. The target is the
// case c, or (c nil) the participant pid of organisation org (ids are
// scoped per organisation: another organisation's participant is not
// found), or (both empty) the organisation org. The participant is read through tx when the decision may depend on
// it (see [Request.Participant]). tune adds operation-specific facts. A
// denial is returned as a *ForbiddenError that carries its access-log
// entry; the transaction runners write it (see recordDenial).
func (e *Engine) authorize(ctx context.Context, tx ReadTx, actor Actor, op Operation, c *Case, pid ParticipantID, org OrganisationID, tune func(*Request)) (*Request, Decision, error) {
	return e.authorizeIn(ctx, tx, nil, actor, op, c, pid, org, tune)
}

// authorizeIn is authorize building the request in req, memory of the
// caller's (Fire's plan, which is allocated anyway), or in a new one when
// req is nil.
func (e *Engine) authorizeIn(ctx context.Context, tx ReadTx, req *Request, actor Actor, op Operation, c *Case, pid ParticipantID, org OrganisationID, tune func(*Request)) (*Request, Decision, error) {
	if c == nil && pid == "" && (op == OpReadParticipant || op == OpReadIdentityCode || op == OpErase) {
		return nil, Decision{}, &ValidationError{Subject: string(op), Problems: []FieldProblem{{Field: "participant_id", Message: "required"}}}
	}
	if req == nil {
		req = new(Request)
	}
	*req = Request{Actor: actor, Operation: op, Case: c, Organisation: org, Today: DateOf(e.clock.Now())}
	if c != nil {
		req.Organisation = c.Organisation
	}
	if d, ok := screenActor(actor); !ok {
		return req, d, e.deny(req, d)
	}
	if len(actor.Purpose) > MaxPurposeBytes {
		// Every engine call refuses such an actor with a *ValidationError
		// before it loads anything (screen), so that the answer cannot
		// depend on whether an id exists. This is the backstop of a path
		// that did not: a denial, which deny answers like a missing id
		// when the target is another organisation's.
		d := Deny(RuleActorIdentity, "the actor's purpose is at most %d bytes", MaxPurposeBytes)
		return req, d, e.deny(req, d)
	}
	if c != nil {
		pid, req.Organisation = c.ParticipantID, c.Organisation
	}
	needP := pid != "" && (c == nil || op == OpReadParticipant || op == OpReadIdentityCode || op == OpErase ||
		actor.HasRole(RoleGuardian) || actor.HasRole(RoleStudent) || len(actor.Relations) > 0)
	if needP {
		p, err := tx.Participant(ctx, req.Organisation, pid)
		switch {
		case err == nil:
			req.Participant = &p
			if c == nil {
				req.Organisation = p.Organisation
			}
		case isNotFound(err) && c != nil:
			// A case whose participant was never stored: decide without.
		default:
			return nil, Decision{}, err
		}
	}
	req.Relations = relations(req.relBuf[:0], actor, c, req.Participant, pid, req.Organisation)
	if tune != nil {
		tune(req)
	}
	var d Decision
	if e.system != "" && actor.IsEngine() {
		// A system action run with the host's key (Engine.System).
		d = Allow(e.system)
	} else {
		d = e.policy.Decide(ctx, req)
	}
	if d.Rule == "" {
		d.Rule = "unnamed"
	}
	if !d.Allowed {
		return req, d, e.deny(req, d)
	}
	return req, d, nil
}

// MaxPurposeBytes bounds the actor's id and [Actor.Purpose], which the
// access log keeps. An engine call refuses an actor whose purpose is
// longer with a *ValidationError (field "purpose") before it reads any
// case or participant, so the refusal is the same whether the id asked
// about exists, is another organisation's or is missing. Authenticators
// (adapters/httpauth) refuse a longer X-Purpose header with 400 first.
const MaxPurposeBytes = MaxAccessTextBytes

// maxPurposeBytes is MaxPurposeBytes, the bound of the actor's id too.
const maxPurposeBytes = MaxPurposeBytes

// screenActor refuses, before any policy is asked, an actor that no policy
// may allow: one without an id, one whose id is not text (invalid UTF-8,
// control characters) or too long, and a host-built actor claiming the
// engine's reserved system role or id. A host's own Policy therefore never
// sees a forged system actor.
func screenActor(a Actor) (Decision, bool) {
	switch {
	case strings.TrimSpace(a.ID) == "":
		return Deny(RuleAuthenticated, "the actor has no id"), false
	case !isText(a.ID, maxPurposeBytes):
		return Deny(RuleActorIdentity, "the actor's id must be text of at most %d bytes without control characters", maxPurposeBytes), false
	case len(a.Roles) > maxActorRoles || slices.ContainsFunc(a.Roles, func(r Role) bool { return !isText(string(r), MaxAccessShortBytes) }):
		return Deny(RuleActorIdentity, "the actor's roles must be at most %d, each text of at most %d bytes", maxActorRoles, MaxAccessShortBytes), false
	case a.claimsSystem():
		return Deny(RuleReservedSystem, "the role %q and the id %q are reserved for the engine's own actor", RoleSystem, systemActorID), false
	}
	return Decision{}, true
}

// maxActorRoles bounds the roles an actor may hold.
const maxActorRoles = 32

func isText(s string, max int) bool {
	if len(s) > max {
		return false
	}
	return printableASCII(s) || isDecodedText(s)
}

// isDecodedText is isText's check of a text that is not all printable
// ASCII.
func isDecodedText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}

// printableASCII reports whether every byte of s is a printable ASCII
// character (space to tilde): such a text is valid UTF-8 with no control,
// separator or bidirectional character, so the text checks (isText,
// TextProblems) need not decode it (TestTextFastPathsAgree).
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// screen refuses an unusable or forged actor (see screenActor) before a
// command looks at its input; the refusal is written to the access log
// through run, like every other denial.
//
// Then it refuses an actor whose purpose is longer than [MaxPurposeBytes]
// with a *ValidationError. Every path that loads a case or a participant
// for an actor screens it first, so that neither refusal can depend on
// whether the id exists (an oracle of another organisation's ids).
func (e *Engine) screen(run txRunner, actor Actor, op Operation) error {
	d, ok := screenActor(actor)
	if ok {
		return checkPurpose(actor)
	}
	req := &Request{Actor: actor, Operation: op, Organisation: actor.Organisation, Today: DateOf(e.clock.Now())}
	return run(func(Tx) error { return e.deny(req, d) })
}

// screenFor is screen in a transaction of the engine's (e.run(ctx)),
// made only when the actor is refused: Fire screens every command.
func (e *Engine) screenFor(ctx context.Context, actor Actor, op Operation) error {
	if _, ok := screenActor(actor); ok {
		return checkPurpose(actor)
	}
	return e.screen(e.run(ctx), actor, op)
}

// checkPurpose refuses an actor whose purpose is longer than
// MaxPurposeBytes: the purpose goes into the access log.
func checkPurpose(a Actor) error {
	if len(a.Purpose) <= MaxPurposeBytes {
		return nil
	}
	return &ValidationError{Subject: "actor", Problems: []FieldProblem{{Field: "purpose", Message: fmt.Sprintf("the actor's purpose is at most %d bytes", MaxPurposeBytes)}}}
}

// admit starts an engine call that runs the caller's function in the
// engine's own transaction: the function must be given (hasFn; call names
// the method in the error) and actor must pass the screen for op (a denial
// is logged). It returns the runner of the call's transaction.
func (e *Engine) admit(ctx context.Context, call string, hasFn bool, actor Actor, op Operation) (txRunner, error) {
	if !hasFn {
		return nil, fmt.Errorf("valmennus: %s: fn is nil", call)
	}
	run := e.run(ctx)
	return run, e.screen(run, actor, op)
}

// deny turns a denial of req into the *ForbiddenError every engine call
// returns for it, carrying its access-log entry. It is the only place a
// denial is made: whichever check refused (the screen, the policy, the
// event's or the model's roles), the transaction runners and read paths
// write its entry (recordDenial, recordDenialTx), so no denial goes
// unlogged.
func (e *Engine) deny(req *Request, d Decision) *ForbiddenError {
	if d.Rule == "" {
		d.Rule = "unnamed"
	}
	entry := e.accessEntry(req, d, "")
	fe := &ForbiddenError{ActorID: entry.ActorID, Operation: string(req.Operation) + describeTarget(req), Rule: d.Rule, Reason: d.Reason, access: &entry, obs: e.obs}
	if req.Organisation != req.Actor.Organisation || req.Actor.HasRole(RoleFunder) {
		// The id exists, in another organisation than the actor's: the
		// caller is to be told what a missing id tells them
		// (ForbiddenError.NotFound), whichever rule denied — isolation,
		// a funder's aggregate-only rule, a host policy's own. A funder
		// belongs to no education provider and sees only aggregates:
		// every case and participant is another organisation's to them,
		// whatever organisation their sign-on carries (none, or the
		// case's own — a single-provider host's cases have none either).
		switch {
		case req.Case != nil:
			fe.hidden = &NotFoundError{Kind: "case", ID: string(req.Case.ID)}
		case req.Participant != nil:
			fe.hidden = &NotFoundError{Kind: "participant", ID: string(req.Participant.ID)}
		}
	}
	return fe
}

func describeTarget(r *Request) string {
	switch {
	case r.Case != nil:
		return " on case " + string(r.Case.ID)
	case r.Participant != nil:
		return " on participant " + string(r.Participant.ID)
	case r.Organisation != "":
		return " in organisation " + string(r.Organisation)
	}
	return ""
}

func (e *Engine) accessEntry(r *Request, d Decision, subject string) AccessEntry {
	a := AccessEntry{At: e.clock.Now(), ActorID: r.Actor.ID, Roles: slices.Clone(r.Actor.Roles), Organisation: r.Organisation,
		Operation: r.Operation, Allowed: d.Allowed, Rule: d.Rule, Purpose: r.Actor.Purpose, Subject: subject}
	if r.Case != nil {
		a.CaseID, a.ParticipantID = r.Case.ID, r.Case.ParticipantID
	} else if r.Participant != nil {
		a.ParticipantID = r.Participant.ID
	}
	return a.Sanitized()
}

// recordDenial writes the access-log entry of a denial that ended a store
// transaction, in a transaction of its own: the denied request leaves no
// other trace. err is returned (joined with a failure to log).
func (e *Engine) recordDenial(ctx context.Context, err error) error {
	fe := unloggedDenial(err)
	if fe == nil {
		return err
	}
	fe.logged = true
	observeDenial(ctx, fe)
	// A cancelled request still leaves its entry.
	ctx = context.WithoutCancel(ctx)
	return joinLogFailure(err, e.store.Update(ctx, func(tx Tx) error { return tx.AppendAccess(ctx, *fe.access) }))
}

// DenialKeeper is an optional [Tx] interface: a transaction that keeps an
// access-log entry even when it rolls back, by writing it again in a
// transaction of its own right after the rollback. The engine hands it the
// entry of every denial made inside a transaction it does not own
// ([Engine.In]), so a host that rolls back on the error does not lose the
// entry. The memory, SQLite and PostgreSQL stores implement it for the
// transactions they run with Update; a transaction a host began itself on
// the database (sqlite.Store.Tx, postgres.Store.Tx) does not, and there the
// entry commits or rolls back with the host's transaction.
type DenialKeeper interface {
	KeepOnRollback(e AccessEntry)
}

// recordDenialTx writes a denial's entry into tx, and — when tx keeps
// entries across a rollback (DenialKeeper) — hands it over to be written
// again if tx rolls back.
func recordDenialTx(ctx context.Context, tx Tx, err error) error {
	fe := unloggedDenial(err)
	if fe == nil {
		return err
	}
	observeDenial(ctx, fe)
	if k, ok := tx.(DenialKeeper); ok {
		k.KeepOnRollback(*fe.access)
		// Kept by the transaction: recordDenial must not write it again
		// when tx is an engine transaction (Engine.Write) that rolls back.
		fe.logged = true
	}
	// Not marked logged otherwise: when tx is the engine's own it rolls
	// back, and recordDenial writes the entry again after it.
	return joinLogFailure(err, tx.AppendAccess(ctx, *fe.access))
}

// unloggedDenial returns the policy denial in err whose entry is not yet
// in the access log, or nil.
func unloggedDenial(err error) *ForbiddenError {
	if err == nil {
		// Before fe is declared: errors.As takes its address, which puts
		// it on the heap, and a command that succeeded needs none.
		return nil
	}
	var fe *ForbiddenError
	if !errors.As(err, &fe) {
		// A denial answered as a missing record (ForbiddenError.Conceal)
		// is not in the chain the caller sees; its entry is written all
		// the same.
		var c *concealedDenial
		if !errors.As(err, &c) {
			return nil
		}
		fe = c.denial
	}
	if fe.access == nil || fe.logged {
		return nil
	}
	return fe
}

func joinLogFailure(err, lerr error) error {
	if lerr != nil {
		return errors.Join(err, fmt.Errorf("valmennus: the access log could not record the denial: %w", lerr))
	}
	return err
}

// read runs fn after the policy allowed op on the case, in a read-only
// transaction, or — for operations the access log records when allowed —
// in a write transaction that appends the entry with the read, so no
// logged read happens without its entry.
func (e *Engine) readCase(ctx context.Context, actor Actor, op Operation, id CaseID, fn func(tx ReadTx, c *Case) error) error {
	if err := e.screenFor(ctx, actor, op); err != nil {
		return err
	}
	return e.readAs(ctx, op, func(tx ReadTx, log func(*Request, Decision, string) error) error {
		c, err := tx.Case(ctx, id)
		if err != nil {
			return err
		}
		req, d, err := e.authorize(ctx, tx, actor, op, &c, "", "", nil)
		if err != nil {
			return err
		}
		if err := log(req, d, ""); err != nil {
			return err
		}
		return fn(tx, &c)
	})
}

// readAs runs fn in a read-only transaction, or in a write transaction
// when op is one the access log records; log appends an allowed request's
// entry (a no-op for unlogged operations).
func (e *Engine) readAs(ctx context.Context, op Operation, fn func(tx ReadTx, log func(*Request, Decision, string) error) error) error {
	if op.logged() {
		return e.update(ctx, func(tx Tx) error {
			return fn(tx, func(r *Request, d Decision, subject string) error {
				return tx.AppendAccess(ctx, e.accessEntry(r, d, subject))
			})
		})
	}
	return e.view(ctx, func(tx ReadTx) error {
		return fn(tx, func(*Request, Decision, string) error { return nil })
	})
}

// authorizeOrganisation asks the policy about an operation on an
// organisation as a whole — figures (OpReadFigures), a listing — rather
// than on one case, in a transaction of its own. org is empty for a
// funder's aggregate across organisations.
func (e *Engine) authorizeOrganisation(ctx context.Context, actor Actor, op Operation, org OrganisationID) error {
	if err := e.screenFor(ctx, actor, op); err != nil {
		return err
	}
	return e.readAs(ctx, op, func(tx ReadTx, log func(*Request, Decision, string) error) error {
		req, d, err := e.authorize(ctx, tx, actor, op, nil, "", org, nil)
		if err != nil {
			return err
		}
		return log(req, d, "")
	})
}
