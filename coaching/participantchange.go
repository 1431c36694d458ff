package coaching

import (
	"context"
	"errors"
	"time"
)

// ParticipantChange is a policy-scoped change of one participant and of
// each of their cases, for packages built on the engine: coaching/consent
// records a consent to guardian notices, coaching/erasure erases, an
// importer updates what a student information system says. The policy
// allowed the operation it was opened with ([Engine.ChangeParticipant]);
// the participant as the function leaves it ([ParticipantChange.Update])
// and one audited change of each case ([ParticipantChange.EachCase]) are
// written in one transaction, or nothing is. A change is valid only inside
// the function it was given to.
type ParticipantChange struct {
	e       *Engine
	ctx     context.Context
	tx      Tx
	actor   Actor
	op      Operation
	now     time.Time
	rule    string
	p       Participant // as stored
	next    *Participant
	cases   []Case
	changes []*CaseChange
	each    bool
}

// ChangeParticipant opens a policy-scoped change of participant id for
// actor under op (e.g. OpRecordConsent, OpErase, or a package's own
// operation the policy knows) and runs fn with it in one transaction.
//
// Participant ids are scoped per organisation ([ReadTx.Participant]): id
// names a participant of the actor's organisation ([Actor.Organisation];
// a system action sets the organisation on the engine's own actor). A
// participant of another organisation is not found — the same
// *NotFoundError as an id no organisation has — and nothing of theirs is
// read, changed or logged.
//
// The policy is asked about op on the participant and, when it refuses
// that, on each of the participant's cases in turn: staff whose standing
// comes from a case's support team are allowed by the case, the student
// themself or the head of studies by the participant. The first allowing
// decision is the change's ([ParticipantChange.Rule]); when none allows,
// the participant-level denial is returned and written to the access log.
// An allowed operation the access log records (erase) is logged in the
// same transaction. An unknown participant is a *NotFoundError.
//
// When fn returns nil, the participant as fn left it and the change of
// each case fn recorded are written; an error from fn rolls everything
// back. It returns the participant after the change, the identity code
// withheld.
//
// The participant's cases are listed before the transaction (stores
// stream cases outside transactions) and read again inside it, so a bound
// engine ([Engine.In]) cannot run it (an error), and a case opened for the
// participant while the change runs is not part of it.
func (e *Engine) ChangeParticipant(ctx context.Context, actor Actor, op Operation, id ParticipantID, fn func(ch *ParticipantChange) error) (Participant, error) {
	run, err := e.admit(ctx, "ChangeParticipant", fn != nil, actor, op)
	if err != nil {
		return Participant{}, err
	}
	if id == "" {
		return Participant{}, &ValidationError{Subject: string(op), Problems: []FieldProblem{{Field: "participant_id", Message: "required"}}}
	}
	ids, err := e.caseIDsOf(ctx, actor.Organisation, id)
	if err != nil {
		return Participant{}, err
	}
	var out Participant
	err = run(func(tx Tx) error {
		cases := make([]Case, 0, len(ids))
		for _, cid := range ids {
			c, err := tx.Case(ctx, cid)
			if err != nil {
				return err
			}
			if c.ParticipantID == id && c.Organisation == actor.Organisation {
				cases = append(cases, c)
			}
		}
		req, d, err := e.authorizeParticipant(ctx, tx, actor, op, id, cases)
		if err != nil {
			return err
		}
		if op.logged() {
			if err := tx.AppendAccess(ctx, e.accessEntry(req, d, "")); err != nil {
				return err
			}
		}
		p, err := tx.Participant(ctx, actor.Organisation, id)
		if err != nil {
			return err
		}
		ch := &ParticipantChange{e: e, ctx: ctx, tx: tx, actor: actor, op: op, now: e.clock.Now(), rule: d.Rule, p: p, cases: cases}
		if err := fn(ch); err != nil {
			return err
		}
		if ch.next != nil {
			if err := tx.UpdateParticipant(ctx, *ch.next); err != nil {
				return err
			}
			p = *ch.next
		}
		for _, cc := range ch.changes {
			if _, err := cc.commit(); err != nil {
				return err
			}
		}
		out = p.clone()
		out.IdentityCode = out.IdentityCode.withheld()
		return nil
	})
	if err != nil {
		return Participant{}, err
	}
	return out, nil
}

// authorizeParticipant asks the policy about op on participant id, then —
// if it refused — on each of the participant's cases, and returns the
// first allowing request and decision. With none allowing it returns the
// participant-level denial, which carries its access-log entry; the
// case-level refusals asked after it are not logged (the request was one).
func (e *Engine) authorizeParticipant(ctx context.Context, tx ReadTx, actor Actor, op Operation, id ParticipantID, cases []Case) (*Request, Decision, error) {
	req, d, err := e.authorize(ctx, tx, actor, op, nil, id, actor.Organisation, nil)
	if err == nil {
		return req, d, nil
	}
	if isNotFound(err) {
		return nil, Decision{}, &NotFoundError{Kind: "participant", ID: string(id)}
	}
	var fe *ForbiddenError
	if !errors.As(err, &fe) {
		return nil, Decision{}, err
	}
	for i := range cases {
		creq, cd, cerr := e.authorize(ctx, tx, actor, op, &cases[i], "", "", nil)
		if cerr == nil {
			return creq, cd, nil
		}
		if !errors.As(cerr, new(*ForbiddenError)) {
			return nil, Decision{}, cerr
		}
	}
	return nil, Decision{}, err
}

// caseIDsOf lists the cases of participant id of organisation org. Cases
// are streamed outside transactions, so a bound engine cannot list them
// inside the host's.
func (e *Engine) caseIDsOf(ctx context.Context, org OrganisationID, id ParticipantID) ([]CaseID, error) {
	if e.bound {
		return nil, errBound
	}
	var ids []CaseID
	for c, err := range e.store.Cases(ctx, CaseQuery{Participant: id, Organisation: org}) {
		if err != nil {
			return nil, err
		}
		ids = append(ids, c.ID)
	}
	return ids, nil
}

// Participant returns the participant as stored when the change opened,
// the identity code withheld (a package that must show it reads it
// through [Engine.IdentityCode], which the access log records).
func (ch *ParticipantChange) Participant() Participant {
	p := ch.p.clone()
	p.IdentityCode = p.IdentityCode.withheld()
	return p
}

// Cases returns the participant's cases as read in the change's
// transaction, in id order. They are read-only snapshots (see [ReadTx]).
func (ch *ParticipantChange) Cases() []Case { return append([]Case(nil), ch.cases...) }

// Rule names the policy rule that allowed the change (e.g. student_self
// when the student changes their own data).
func (ch *ParticipantChange) Rule() string { return ch.rule }

// Actor returns the actor the change was opened for.
func (ch *ParticipantChange) Actor() Actor { return ch.actor }

// Now is the time of the change (the engine's clock, read once).
func (ch *ParticipantChange) Now() time.Time { return ch.now }

// Tx returns the change's transaction, for the package's own port (see
// [CaseChange.Tx]). The participant and the cases change through the
// change's methods.
func (ch *ParticipantChange) Tx() Tx { return ch.tx }

// Update replaces the participant when the change commits. The id and the
// organisation stay (the policy allowed the change there); a withheld
// identity code, as [ParticipantChange.Participant] returns it, keeps the
// stored code, a zero one removes it. The participant is validated as
// at enrolment ([Participant.Validate]) unless the change erases it:
// ErasedOn is set only by a change opened under OpErase, and an erased
// participant is not changed again. Calling Update again replaces the
// earlier value. A refusal is a *ValidationError.
func (ch *ParticipantChange) Update(p Participant) error {
	pr := problems{subject: "participant"}
	stored := ch.p
	if p.ID != stored.ID {
		pr.add("id", "a change keeps the participant's id %q", stored.ID)
	}
	if p.Organisation != stored.Organisation {
		pr.add("organisation", "a change keeps the participant's organisation %q", stored.Organisation)
	}
	if !stored.ErasedOn.IsZero() {
		pr.add("erased_on", "the participant's personal data was erased on %s: it is not changed again", stored.ErasedOn)
	}
	next := p.clone()
	if next.IdentityCode.Withheld() {
		next.IdentityCode = stored.IdentityCode
	}
	switch {
	case next.ErasedOn.IsZero():
		pr.merge("", next.Validate(DateOf(ch.now)))
	case ch.op != OpErase:
		pr.add("erased_on", "set only by a change opened under %s", OpErase)
	case !next.ErasedOn.Valid():
		pr.add("erased_on", "not a calendar date")
	}
	if err := pr.err(); err != nil {
		return err
	}
	ch.next = &next
	return nil
}

// EachCase runs fn once for each of the participant's cases with a change
// of that case under the participant change's operation (the policy
// allowed it for the participant): what fn records through it — one audit
// entry, records, notices, timers, or an erasure ([CaseChange.Erase]) —
// is written with a new case version when the participant change commits,
// after the participant. An error from fn is returned (and rolls the whole
// change back). EachCase may be called once per change.
func (ch *ParticipantChange) EachCase(fn func(cc *CaseChange) error) error {
	if fn == nil {
		return errors.New("valmennus: ParticipantChange.EachCase: fn is nil")
	}
	if ch.each {
		return errors.New("valmennus: ParticipantChange.EachCase: called twice (each case changes once per change)")
	}
	ch.each = true
	for _, c := range ch.cases {
		cc := ch.e.newCaseChange(ch.ctx, ch.tx, ch.actor, ch.op, c, ch.now)
		if err := fn(cc); err != nil {
			return err
		}
		ch.changes = append(ch.changes, cc)
	}
	return nil
}
