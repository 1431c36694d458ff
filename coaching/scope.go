package coaching

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Scope is a policy-scoped transaction for a package built on the engine
// (a feature such as coaching/session): the actor was screened when it
// opened, every case or organisation the package touches is asked of the
// policy first (Case, Organisation), every refusal — the policy's or the
// package's own (Deny) — is one access-log entry, and a read the access
// log records is logged before the scope's results are handed back. The
// package reaches its own stored data through the transaction (ReadTx, Tx),
// asserted to the small store interface it declares beside itself. A scope
// is valid only inside the function it was given to; it runs in the host's
// transaction on a bound engine ([Engine.In]).
type Scope struct {
	e       *Engine
	ctx     context.Context
	actor   Actor
	now     time.Time
	tx      ReadTx
	w       Tx
	pending []AccessEntry
	// enqueued are the kinds of the notices Enqueue added, reported to
	// the observer once the scope's transaction committed.
	enqueued []string
}

// Read runs fn in a read-only policy-scoped transaction for actor.
func (e *Engine) Read(ctx context.Context, actor Actor, fn func(s *Scope) error) error {
	return e.scope(ctx, actor, false, fn)
}

// Write runs fn in a policy-scoped write transaction for actor: fn's
// writes through s.Tx() commit together, or none does.
func (e *Engine) Write(ctx context.Context, actor Actor, fn func(s *Scope) error) error {
	return e.scope(ctx, actor, true, fn)
}

func (e *Engine) scope(ctx context.Context, actor Actor, write bool, fn func(s *Scope) error) error {
	if fn == nil {
		return errors.New("valmennus: a scope needs a function")
	}
	if e.obs != nil {
		call := Call{Name: CallRead}
		if write {
			call.Name = CallWrite
		}
		ctx = e.obs.Begin(ctx, call)
		err := e.runScope(ctx, actor, write, fn)
		e.obs.End(ctx, call, OutcomeOf(err))
		return err
	}
	return e.runScope(ctx, actor, write, fn)
}

// runScope is scope, unobserved.
func (e *Engine) runScope(ctx context.Context, actor Actor, write bool, fn func(s *Scope) error) error {
	if err := e.screen(e.run(ctx), actor, OpReadCase); err != nil {
		return err
	}
	s := &Scope{e: e, ctx: ctx, actor: actor, now: e.clock.Now()}
	var err error
	if write {
		err = e.update(ctx, func(tx Tx) error {
			s.tx, s.w = tx, tx
			return fn(s)
		})
	} else {
		err = e.view(ctx, func(tx ReadTx) error {
			s.tx = tx
			return fn(s)
		})
	}
	if err != nil {
		return err
	}
	if e.obs != nil {
		for _, k := range s.enqueued {
			e.obs.Notice(ctx, NoticeEvent{Kind: k, Outcome: NoticeEnqueued})
		}
	}
	return e.appendPending(ctx, s.pending)
}

// Enqueue adds n to the outbox in the scope's write transaction, as
// [Tx.Enqueue] does (inserted is false when a notice with its id is there
// already), with the scope's context, so that the notice carries the
// call's trace ([Notice.Trace]), and reports it to the engine's observer
// as enqueued once the transaction commits — on an engine bound to a
// host's transaction ([Engine.In]), when the scope's function returns,
// since the host commits later (or rolls back, and the count is then one
// too many). A feature enqueues its
// notices through it rather than through Tx directly. In a read scope it
// is an error.
func (s *Scope) Enqueue(n Notice) (inserted bool, err error) {
	if s.w == nil {
		return false, errors.New("valmennus: a read scope cannot enqueue a notice")
	}
	inserted, err = s.w.Enqueue(s.ctx, n)
	if inserted && s.e.obs != nil {
		s.enqueued = append(s.enqueued, n.Kind)
	}
	return inserted, err
}

// Actor returns the scope's actor.
func (s *Scope) Actor() Actor { return s.actor }

// Context returns the context the scope was opened with, for the
// package's own store calls in a function that is handed only the scope
// (session.RecordIn).
func (s *Scope) Context() context.Context { return s.ctx }

// Now returns the time the scope opened (the engine's clock).
func (s *Scope) Now() time.Time { return s.now }

// NewID returns a new id from the engine's generator (Options.NewID).
func (s *Scope) NewID() string { return s.e.newID() }

// ReadTx returns the scope's transaction for the package's own reads.
func (s *Scope) ReadTx() ReadTx { return s.tx }

// Tx returns the scope's transaction for the package's own writes; nil in
// a read scope. Kernel state (cases, audit) changes through the engine's
// commands and [Engine.ChangeCase], never directly.
func (s *Scope) Tx() Tx { return s.w }

// Case reads case id after the policy allowed op on it. A refusal is a
// *ForbiddenError whose entry is logged; a case that does not exist is a
// *NotFoundError.
func (s *Scope) Case(op Operation, id CaseID) (Case, error) {
	c, err := s.tx.Case(s.ctx, id)
	if err != nil {
		return Case{}, err
	}
	req, d, err := s.e.authorize(s.ctx, s.tx, s.actor, op, &c, "", "", nil)
	if err != nil {
		return Case{}, err
	}
	if op.logged() {
		if err := s.log(s.e.accessEntry(req, d, "")); err != nil {
			return Case{}, err
		}
	}
	return c, nil
}

// Organisation asks the policy whether the scope's actor may do op on
// organisation org as a whole (figures, listings).
func (s *Scope) Organisation(op Operation, org OrganisationID) error {
	req, d, err := s.e.authorize(s.ctx, s.tx, s.actor, op, nil, "", org, nil)
	if err != nil {
		return err
	}
	if op.logged() {
		return s.log(s.e.accessEntry(req, d, ""))
	}
	return nil
}

// MayRead reports whether the policy allows the scope's actor op on c,
// without failing or logging: for filtering what a listing shows (an
// individual session with welfare staff is listed only to those who may
// read the student's welfare records).
func (s *Scope) MayRead(op Operation, c Case) bool {
	_, _, err := s.e.authorize(s.ctx, s.tx, s.actor, op, &c, "", "", nil)
	return err == nil
}

// Deny refuses the scope's actor op by a package's own rule (e.g. only
// staff record sessions), as the policy refuses: the returned
// *ForbiddenError carries its access-log entry, written when the scope
// ends as every denial is.
func (s *Scope) Deny(op Operation, rule, reason string) error {
	req := &Request{Actor: s.actor, Operation: op, Organisation: s.actor.Organisation, Today: DateOf(s.now)}
	return s.e.deny(req, Deny(rule, "%s", reason))
}

// DenyCase is [Scope.Deny] for a refusal about case c: a feature's own
// rule (who may decide a request, whose thread it is) refusing the
// scope's actor op on the case, its access-log entry naming the case and
// its participant.
func (s *Scope) DenyCase(op Operation, c Case, rule, reason string) error {
	req := &Request{Actor: s.actor, Operation: op, Organisation: c.Organisation, Case: &c, Today: DateOf(s.now)}
	return s.e.deny(req, Deny(rule, "%s", reason))
}

// log writes an allowed read's access-log entry: into a write scope's
// transaction, or after a read scope's, before it returns.
func (s *Scope) log(a AccessEntry) error {
	if s.w != nil {
		return s.w.AppendAccess(s.ctx, a)
	}
	s.pending = append(s.pending, a)
	return nil
}

// Participant returns participant id, if the policy allows the scope's
// actor op on them without a case in view (read_participant: the default
// lets the head of studies and the student themself; a support-team member
// reads through [CaseView.Participant]). The identity code is withheld
// (see [IdentityCode.Withheld]); read it with [Scope.IdentityCode], which
// the access log records. id names a participant of the actor's
// organisation (ids are scoped per organisation): an unknown participant,
// or one of another organisation, is a *NotFoundError.
func (s *Scope) Participant(op Operation, id ParticipantID) (Participant, error) {
	req, d, err := s.e.authorize(s.ctx, s.tx, s.actor, op, nil, id, s.actor.Organisation, nil)
	if err != nil {
		return Participant{}, err
	}
	if req.Participant == nil {
		return Participant{}, &NotFoundError{Kind: "participant", ID: string(id)}
	}
	if op.logged() {
		if err := s.log(s.e.accessEntry(req, d, "")); err != nil {
			return Participant{}, err
		}
	}
	p := req.Participant.clone()
	p.IdentityCode = p.IdentityCode.withheld()
	return p, nil
}

// IdentityCode returns participant id's identity code, if the policy's
// read_identity_code rule allows the scope's actor. Every call, allowed or
// denied, is written to the access log with the actor's purpose. id names
// a participant of the actor's organisation, as for [Scope.Participant].
func (s *Scope) IdentityCode(id ParticipantID) (IdentityCode, error) {
	req, d, err := s.e.authorize(s.ctx, s.tx, s.actor, OpReadIdentityCode, nil, id, s.actor.Organisation, nil)
	if err != nil {
		return IdentityCode{}, err
	}
	if req.Participant == nil {
		return IdentityCode{}, &NotFoundError{Kind: "participant", ID: string(id)}
	}
	if err := s.log(s.e.accessEntry(req, d, "identity_code")); err != nil {
		return IdentityCode{}, err
	}
	return req.Participant.IdentityCode, nil
}

// MayEnrol asks, before anything is read or written, what [Engine.Enrol]
// asks on every enrolment: the policy lets the scope's actor enrol
// participants of org, and the actor holds one of model's opener roles.
// Importers use it to refuse a whole batch at once. A denial is a
// *ForbiddenError carrying its access-log entry; an unknown model is a
// *ValidationError.
func (s *Scope) MayEnrol(model string, org OrganisationID) error {
	m, ok := s.e.models[model]
	if !ok {
		return &ValidationError{Subject: "enrolment", Problems: []FieldProblem{{Field: "model", Message: fmt.Sprintf("unknown model %q", model)}}}
	}
	return s.e.authorizeEnrol(s.ctx, s.tx, s.actor, m, org)
}

// Enrolled reports which of ids are participants already stored in
// organisation org, after the policy allowed the scope's actor to enrol
// there (an importer checks its rows before enrolling them). Participants
// of other organisations are not reported.
func (s *Scope) Enrolled(org OrganisationID, ids []ParticipantID) (map[ParticipantID]bool, error) {
	if _, _, err := s.e.authorize(s.ctx, s.tx, s.actor, OpEnrol, nil, "", org, nil); err != nil {
		return nil, err
	}
	out := map[ParticipantID]bool{}
	for _, id := range ids {
		_, err := s.tx.Participant(s.ctx, org, id)
		switch {
		case err == nil:
			out[id] = true
		case !isNotFound(err):
			return nil, err
		}
	}
	return out, nil
}

// AccessLog returns the access log of the scope's actor's organisation,
// filtered by q (q.Organisation is set to the actor's), if the policy's
// read_access_log rule allows it (the default: the head of studies).
func (s *Scope) AccessLog(q AccessQuery) ([]AccessEntry, error) {
	if err := s.Organisation(OpReadAccessLog, s.actor.Organisation); err != nil {
		return nil, err
	}
	q.Organisation = s.actor.Organisation
	return s.tx.AccessLog(s.ctx, q)
}

// SaveDocument stores a new version of case id's document for the
// package, as [CaseChange.SaveDocument] does — in the scope's transaction,
// after the policy's change_case rule allowed the scope's actor on the
// case, with a new case version, its audit entry and the change's notices
// and timers — except that it writes the kinds a [DocumentKind] reserves
// to its feature, and a guarded document the actor may not read back (a
// teacher proposing a referral records its reason for the welfare staff
// alone). Which actor may write which of its documents is the package's
// to decide. A read scope saves nothing.
func (s *Scope) SaveDocument(id CaseID, ch DocumentChange) (Document, error) {
	if s.w == nil {
		return Document{}, errors.New("valmennus: a read scope saves no document (Engine.Write opens one that does)")
	}
	return s.e.saveDocument(s.ctx, inTx(s.ctx, s.w), s.actor, id, ch, true)
}

// Guard reads case id after the policy allowed the scope's actor to know
// of the case's document of kind — by the operation its registered
// [DocumentKind] guards it with, asked with the document's facts: the very
// question the audit trail and the notices ask before they show what
// concerns the document, so a package that shows its document after Guard
// shows it exactly as the kernel shows its traces. A refusal is a
// *ForbiddenError whose entry is logged; a document the family's Facts
// cannot find is a *NotFoundError; a kind no registered family covers is
// an error (the host did not pass the package's kinds in
// Options.Documents), so a package's documents are never shown unguarded.
func (s *Scope) Guard(id CaseID, kind string) (Case, error) {
	fam := s.e.documentKind(kind)
	if fam == nil {
		return Case{}, errUnguarded(kind)
	}
	c, err := s.tx.Case(s.ctx, id)
	if err != nil {
		return Case{}, err
	}
	req, d, err := s.e.askGuard(s.ctx, s.tx, s.actor, &c, fam, kind)
	if err != nil {
		return Case{}, err
	}
	if req.Operation.logged() {
		if err := s.log(s.e.accessEntry(req, d, kind)); err != nil {
			return Case{}, err
		}
	}
	return c, nil
}

// Reveal reports whether the policy allows the scope's actor op on c (a
// case the scope read, by Case or Guard), for a part of what the package
// shows that only some readers see (a referral's reason, shown to the
// welfare staff): a refusal is no denial of what the actor asked for, so
// it is neither an error nor an access-log entry. An allowed operation the
// access log records (read_welfare) is logged with subject, which names
// what was read.
func (s *Scope) Reveal(op Operation, c Case, subject string) (bool, error) {
	req, d, err := s.e.authorize(s.ctx, s.tx, s.actor, op, &c, "", "", nil)
	var fe *ForbiddenError
	switch {
	case errors.As(err, &fe):
		return false, nil
	case err != nil:
		return false, err
	}
	if op.logged() {
		if err := s.log(s.e.accessEntry(req, d, subject)); err != nil {
			return false, err
		}
	}
	return true, nil
}

// ChangeCase is [Engine.ChangeCase] inside the scope's write transaction:
// the policy is asked for op on case id, and what fn records through the
// change — one audit entry (of a kind that is not the engine's own),
// records, notices, timers — is written with a new case version, by the
// scope's actor, together with the package's own writes. A feature uses
// it when what it stores must show in the case's audit trail (attendance's
// risk flags). In a read scope it is an error.
func (s *Scope) ChangeCase(op Operation, id CaseID, fn func(ch *CaseChange) error) (Case, error) {
	if s.w == nil {
		return Case{}, errors.New("valmennus: ChangeCase in a read scope")
	}
	if fn == nil {
		return Case{}, errors.New("valmennus: ChangeCase: fn is nil")
	}
	return s.e.changeCase(s.ctx, s.w, s.actor, op, id, fn)
}
