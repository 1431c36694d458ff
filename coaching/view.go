package coaching

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"reflect"
	"slices"
	"time"
)

// This file is how packages built on the engine (hoks, sis, outcomes) and
// hosts read what the engine's own calls do not return, without going
// around the policy: there is no accessor for the raw store. Each read is
// opened for an actor and an operation the policy knows, in one
// transaction (the bound one on Engine.In(tx)), and each read inside asks
// the policy for its own operation.

// CaseView is a policy-scoped read of one case. The policy allowed the
// operation the view was opened with ([Engine.ReadCase]); every method
// asks the policy again for what it reads when that differs (a welfare
// document needs read_welfare, the participant read_participant), and a
// read the access log records is logged in the same transaction. A view is
// valid only inside the function it was given to.
type CaseView struct {
	e     *Engine
	ctx   context.Context
	tx    ReadTx
	w     Tx // nil in a read-only transaction
	actor Actor
	op    Operation // the operation the policy allowed when the view opened
	c     Case
	// pending are the access-log entries of logged reads in a read-only
	// transaction, written right after it, before ReadCase returns.
	pending []AccessEntry
}

// ReadCase opens a policy-scoped view of case id for actor under op (e.g.
// OpReadHOKS) and runs fn with it in one transaction. A denial is written to
// the access log and returned as a *ForbiddenError; fn's error is returned
// as it is.
func (e *Engine) ReadCase(ctx context.Context, actor Actor, op Operation, id CaseID, fn func(v *CaseView) error) error {
	if fn == nil {
		return errors.New("valmennus: ReadCase: fn is nil")
	}
	var pending []AccessEntry
	err := e.readCase(ctx, actor, op, id, func(tx ReadTx, c *Case) error {
		v := &CaseView{e: e, ctx: ctx, tx: tx, actor: actor, op: op, c: *c}
		if op.logged() {
			v.w = tx.(Tx) // readCase runs a logged operation in a write transaction
		}
		err := fn(v)
		pending = v.pending
		return err
	})
	if err != nil {
		return err
	}
	return e.appendPending(ctx, pending)
}

// appendPending writes the entries of logged reads made in a read-only
// transaction, right after it and before their results are handed back.
func (e *Engine) appendPending(ctx context.Context, pending []AccessEntry) error {
	if len(pending) == 0 {
		return nil
	}
	return e.update(ctx, func(tx Tx) error {
		for _, a := range pending {
			if err := tx.AppendAccess(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
}

// Case returns the case the view was opened on (its row: no history, no
// records; see [Case.Records]).
func (v *CaseView) Case() Case { return v.c }

// Records returns the case's records that q selects, oldest first, as
// stored (in a [CaseChange], the records it adds are not among them until
// it is written). They are part of the case the operation the view was
// opened with allowed.
func (v *CaseView) Records(q RecordQuery) ([]Record, error) {
	return v.tx.Records(v.ctx, v.c.ID, q)
}

// ask asks the policy whether the view's actor may do op on the case,
// logging an allowed read the access log records. The operation the view
// was opened with is not asked again: the policy allowed it, and its entry
// is logged already.
func (v *CaseView) ask(op Operation, subject string) (*Request, error) {
	if op == v.op {
		return nil, nil
	}
	req, d, err := v.e.authorize(v.ctx, v.tx, v.actor, op, &v.c, "", "", nil)
	if err != nil {
		return nil, err
	}
	if err := v.logRead(req, d, subject); err != nil {
		return nil, err
	}
	return req, nil
}

// logRead writes the entry of an allowed read the access log records:
// into the view's write transaction, or after its read-only one.
func (v *CaseView) logRead(req *Request, d Decision, subject string) error {
	if !req.Operation.logged() {
		return nil
	}
	entry := v.e.accessEntry(req, d, subject)
	if v.w == nil {
		v.pending = append(v.pending, entry)
		return nil
	}
	return v.w.AppendAccess(v.ctx, entry)
}

// Document returns version n of the case's document of kind (0: the
// latest). The operation the view was opened with covers the case's
// documents (a HOKS read under read_hoks or read_hoks_summary); welfare
// information (see [DocumentKind]) needs read_welfare as well, and that
// read is logged; the documents of another guarded family need its guard,
// asked with the document's facts.
func (v *CaseView) Document(kind string, n int64) (Document, error) {
	if err := v.welfareDocument(kind); err != nil {
		return Document{}, err
	}
	return v.tx.Document(v.ctx, v.c.ID, kind, n)
}

// Documents returns every version of the case's document of kind, oldest
// first, under the rule of [CaseView.Document].
func (v *CaseView) Documents(kind string) ([]Document, error) {
	if err := v.welfareDocument(kind); err != nil {
		return nil, err
	}
	return v.tx.Documents(v.ctx, v.c.ID, kind)
}

func (v *CaseView) welfareDocument(kind string) error {
	fam := v.e.documentKind(kind)
	switch {
	case fam == nil:
		return nil
	case fam.Private:
		req := &Request{Actor: v.actor, Operation: v.op, Organisation: v.c.Organisation, Case: &v.c, Today: DateOf(v.e.clock.Now())}
		return v.e.deny(req, Deny(RuleFeatureDocument, "documents of the family %s are read through the commands of the feature that keeps them", fam.Prefix))
	case fam.Welfare:
		_, err := v.ask(OpReadWelfare, kind)
		return err
	}
	req, d, err := v.e.askGuard(v.ctx, v.tx, v.actor, &v.c, fam, kind)
	if err != nil {
		return err
	}
	return v.logRead(req, d, kind)
}

// Participant returns the case's participant, if the policy's
// read_participant rule allows the view's actor (the default adds the
// case's support team to those who may read a participant without a case
// in view, [Scope.Participant]). The identity code is withheld (see
// [IdentityCode.Withheld]). A case whose participant is not stored gives
// a *NotFoundError.
func (v *CaseView) Participant() (Participant, error) {
	if _, err := v.ask(OpReadParticipant, ""); err != nil {
		return Participant{}, err
	}
	stored, err := v.tx.Participant(v.ctx, v.c.Organisation, v.c.ParticipantID)
	if err != nil {
		return Participant{}, err
	}
	p := stored.clone()
	p.IdentityCode = p.IdentityCode.withheld()
	return p, nil
}

// Available returns the events the view's actor's roles allow from the
// case's current state, sorted, if the policy allows the actor fire_event
// on the case. Rules are checked when an event is fired (they may need its
// payload).
func (v *CaseView) Available() ([]string, error) {
	if _, err := v.ask(OpFireEvent, ""); err != nil {
		return nil, err
	}
	c := &v.c
	m, ok := v.e.models[c.Model]
	if !ok {
		return nil, fmt.Errorf("valmennus: case %q uses model %q, which this engine was not given", c.ID, c.Model)
	}
	var out []string
	for _, name := range m.fromMap[c.State] {
		ev := m.events[name]
		if !anyRole(v.actor, ev.spec.Roles) {
			continue
		}
		to := m.edges[edgeKey{name, c.State}]
		if m.states[c.State].Kind == Hold && m.states[to].Kind == Active && to != c.Phase.State {
			continue
		}
		out = append(out, name)
	}
	return out, nil
}

// Notices returns the notices about the case, if the policy lets the view's
// actor read them (read_notices): staff see every notice of the case,
// anyone else (a guardian, the student) only the notices addressed to
// them — a student with a self relation to the case's participant also
// those addressed to the participant id in the student role. A notice about a guarded document (a welfare record, a feature's
// registered [DocumentKind]) is shown only to those who may know of that
// document. The outbox is read in the view's transaction.
func (v *CaseView) Notices() ([]Notice, error) {
	if _, err := v.ask(OpReadNotices, ""); err != nil {
		return nil, err
	}
	all, err := v.tx.Notices(v.ctx, NoticeQuery{CaseID: v.c.ID})
	if err != nil {
		return nil, err
	}
	if !anyRole(v.actor, staffRoles) && !v.actor.IsEngine() {
		// A student is also written to under the case's participant id
		// (the features that address the student as the participant).
		student := v.actor.HasRole(RoleStudent) && v.c.ParticipantID != "" && slices.ContainsFunc(v.actor.Relations, func(r Relation) bool {
			return r.Kind == RelationSelf && r.Participant == v.c.ParticipantID
		})
		own := all[:0:0]
		for _, n := range all {
			if n.Recipient.ID == v.actor.ID || student && n.Recipient.Role == RoleStudent && n.Recipient.ID == string(v.c.ParticipantID) {
				own = append(own, n)
			}
		}
		all = own
	}
	return v.e.welfareFilter(v.tx, v.actor, &v.c).notices(v.ctx, all)
}

// AuditTrail returns the case's audit trail in order, if the policy lets
// the view's actor read the case (read_case). Entries about a guarded
// document (a welfare record's versions, the changes of a feature's
// document such as a referral, see [DocumentKind]) are left out unless the
// actor may know of that document, by the rule that guards it; their
// sequence numbers are missing from what the actor sees.
func (v *CaseView) AuditTrail() ([]AuditEntry, error) {
	if _, err := v.ask(OpReadCase, ""); err != nil {
		return nil, err
	}
	all, err := v.tx.AuditTrail(v.ctx, v.c.ID, 0)
	if err != nil {
		return nil, err
	}
	return v.e.welfareFilter(v.tx, v.actor, &v.c).auditEntries(v.ctx, all)
}

// FigureSource is what outcome figures are read from once the policy
// allowed them ([Engine.Figures]): the cases a query names, each with its
// participant.
type FigureSource struct {
	store Store
	q     CaseQuery
}

// Figures asks the policy's read_figures rule whether actor may read the
// figures of q.Organisation (empty: across organisations, a funder's
// aggregate) and returns the source to read them from. An actor of one
// organisation who names none gets their own.
func (e *Engine) Figures(ctx context.Context, actor Actor, q CaseQuery) (*FigureSource, error) {
	if e.bound {
		return nil, errBound
	}
	if q.Organisation == "" && !actor.HasRole(RoleFunder) {
		q.Organisation = actor.Organisation
	}
	if err := e.authorizeOrganisation(ctx, actor, OpReadFigures, q.Organisation); err != nil {
		return nil, err
	}
	return &FigureSource{store: e.store, q: q}, nil
}

// Query returns the query the figures were allowed for.
func (f *FigureSource) Query() CaseQuery { return f.q }

// Rows streams the cases of the query, in ascending id order, each with its
// records and its participant (HasParticipant is false for a case whose
// participant was never stored). A row is reused: it is valid until the
// next iteration.
func (f *FigureSource) Rows(ctx context.Context) iter.Seq2[*CaseRow, error] {
	if s, ok := f.store.(CaseStreamer); ok {
		return s.CasesWithParticipants(ctx, f.q)
	}
	return func(yield func(*CaseRow, error) bool) {
		var (
			row CaseRow
			c   Case
			p   Participant
		)
		for got, err := range f.store.Cases(ctx, f.q) {
			if err != nil {
				yield(nil, err)
				return
			}
			c = got
			var perr error
			err := f.store.View(ctx, func(tx ReadTx) error {
				records, err := tx.Records(ctx, c.ID, RecordQuery{})
				if err != nil {
					return err
				}
				c.Records = nil
				if len(records) > 0 {
					c.Records = records
				}
				p, perr = tx.Participant(ctx, c.Organisation, c.ParticipantID)
				return nil
			})
			if err == nil && perr != nil && !isNotFound(perr) {
				err = perr
			}
			if err != nil {
				yield(nil, err)
				return
			}
			row = CaseRow{Case: &c, Participant: &p, HasParticipant: perr == nil}
			if !yield(&row, nil) {
				return
			}
		}
	}
}

// storeType is the kernel's store port.
var storeType = reflect.TypeFor[Store]()

// sharesStoreMethods reports whether the interface t has a method of the
// kernel's store port (View, Update, Cases, the outbox …): a figures port
// must be a narrow read of its own, never a way back to the raw store.
func sharesStoreMethods(t reflect.Type) bool {
	for i := range t.NumMethod() {
		if _, ok := storeType.MethodByName(t.Method(i).Name); ok {
			return true
		}
	}
	return false
}

// Port sets target — a pointer to an interface type a package declares for
// a narrower figures read (e.g. one that streams only the columns its
// aggregators need) — to the store, and reports whether the store
// implements it, as errors.As does. An interface that has any method of
// the kernel's store port (View, Update, Cases, …) is refused, so a port
// is asked for as a narrow read of its own; the value set is the store
// itself, though, so Port — like the transaction a Scope or a CaseChange
// hands out for a feature's own port — relies on the package being
// trusted code of the host's build: the package must read only what Query
// names (the policy allowed that, not more).
func (f *FigureSource) Port(target any) bool {
	v := reflect.ValueOf(target)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Interface {
		return false
	}
	t := v.Elem().Type()
	if !reflect.TypeOf(f.store).Implements(t) || sharesStoreMethods(t) {
		return false
	}
	v.Elem().Set(reflect.ValueOf(f.store))
	return true
}

// CaseChange is a policy-scoped change of one case, for packages built on
// the engine: the policy allowed the operation it was opened with
// ([Engine.ChangeCase]); what the function records through it — one audit
// entry, records, notices, timers — is written, with a new case version,
// in the same transaction, or nothing is. A change is valid only inside
// the function it was given to.
type CaseChange struct {
	CaseView
	tx      Tx
	now     time.Time
	audit   *AuditEntry
	records []Record
	notices []Notice
	timers  []Timer
	// erased holds the records an erasure keeps (CaseChange.Erase); nil
	// when the change is no erasure. hadRecords: the case had records to
	// replace.
	erased     *[]Record
	hadRecords bool
	// own is the audit entry the kernel's own change methods (SaveDocument,
	// ChangeTeam) recorded; ChangeCase writes it even when its kind is one
	// of the engine's, and refuses a change whose entry replaced it.
	own *AuditEntry
	// doc is the document version SaveDocument stores with the change.
	doc *Document
	// team is the case's team after ChangeTeam, nil when unchanged.
	team []TeamMember
}

// Tx returns the change's transaction, for the package's own port: a
// feature package declares the store methods it needs as an interface
// beside itself and asserts the transaction to it (adapters implement
// it); the policy already allowed the change. Kernel writes go through the
// change's methods, so that the case's version and audit trail stay whole.
func (ch *CaseChange) Tx() Tx { return ch.tx }

// Now is the time of the change (the engine's clock, read once).
func (ch *CaseChange) Now() time.Time { return ch.now }

// Audit records the change in the case's audit trail as one entry of kind
// with the event name, the reason and a JSON payload (may be nil). A
// change writes at most one entry; calling it again replaces it. The
// kernel's own kinds (opened, transition, overdue, team, erased, timer)
// are refused: they record what only the engine does, and the phase
// history is read from them.
func (ch *CaseChange) Audit(kind AuditKind, event, reason string, payload json.RawMessage) {
	ch.audit = &AuditEntry{Kind: kind, Event: event, Reason: reason, Payload: slices.Clone(payload)}
}

// AddRecord stores a record on the case with the change, validated as
// every write path validates records (its declared type, its tags, its own
// Validate); the change's audit entry is the caller's ([CaseChange.Audit]),
// or use [CaseChange.Record], which records the record's own.
func (ch *CaseChange) AddRecord(name string, payload any) error {
	if !validName(name) {
		return &ValidationError{Subject: "record", Problems: []FieldProblem{{Field: "name", Message: fmt.Sprintf("must be a lower-case identifier, got %q", name)}}}
	}
	raw, err := recordData(ch.e.models[ch.c.Model], name, payload)
	if err != nil {
		return err
	}
	ch.records = append(ch.records, Record{Name: name, At: ch.now, By: ch.actor.ID, Data: raw})
	return nil
}

// Notify enqueues notices with the change.
func (ch *CaseChange) Notify(ns ...Notice) { ch.notices = append(ch.notices, ns...) }

// SetTimer sets timers with the change (their handlers are the engine's
// Options.TimerHandlers).
func (ch *CaseChange) SetTimer(ts ...Timer) { ch.timers = append(ch.timers, ts...) }

// kernelAuditKinds are the audit kinds only the engine writes.
var kernelAuditKinds = []AuditKind{AuditOpened, AuditTransition, AuditOverdue, AuditTeam, AuditErased, AuditTimer}

// ChangeCase opens a policy-scoped change of case id for actor under op
// (e.g. OpChangeCase, or a package's own operation the policy knows) and
// runs fn with it, in one transaction (the host's on a bound engine). When
// fn returns nil and recorded anything, the case gets a new version (an
// optimistic check against concurrent changes), the audit entry (one is
// required when anything is recorded), the records, notices and timers, in
// the same transaction. A denial is written to the access log, and so is
// an allowed operation the access log records (erase); an error from fn
// rolls everything back. It returns the case after the change (its row:
// the records it added are not on it, see [Case.Records]).
func (e *Engine) ChangeCase(ctx context.Context, actor Actor, op Operation, id CaseID, fn func(ch *CaseChange) error) (Case, error) {
	run, err := e.admit(ctx, "ChangeCase", fn != nil, actor, op)
	if err != nil {
		return Case{}, err
	}
	var out Case
	err = run(func(tx Tx) error {
		var err error
		out, err = e.changeCase(ctx, tx, actor, op, id, fn)
		return err
	})
	if err != nil {
		return Case{}, err
	}
	return out, nil
}

// changeCase is ChangeCase in tx (Scope.ChangeCase runs it in a scope's
// transaction): it returns the case after the change.
func (e *Engine) changeCase(ctx context.Context, tx Tx, actor Actor, op Operation, id CaseID, fn func(ch *CaseChange) error) (Case, error) {
	c, err := tx.Case(ctx, id)
	if err != nil {
		return Case{}, err
	}
	if _, ok := e.models[c.Model]; !ok {
		return Case{}, fmt.Errorf("valmennus: case %q uses model %q, which this engine was not given", c.ID, c.Model)
	}
	req, d, err := e.authorize(ctx, tx, actor, op, &c, "", "", nil)
	if err != nil {
		return Case{}, err
	}
	if op.logged() {
		if err := tx.AppendAccess(ctx, e.accessEntry(req, d, "")); err != nil {
			return Case{}, err
		}
	}
	ch := e.newCaseChange(ctx, tx, actor, op, c, e.clock.Now())
	if err := fn(ch); err != nil {
		return Case{}, err
	}
	return ch.commit()
}

func (e *Engine) newCaseChange(ctx context.Context, tx Tx, actor Actor, op Operation, c Case, now time.Time) *CaseChange {
	return &CaseChange{CaseView: CaseView{e: e, ctx: ctx, tx: tx, w: tx, actor: actor, op: op, c: c}, tx: tx, now: now}
}

// commit writes what the change recorded, after its function returned nil:
// a new case version with the audit entry, the records, notices and
// timers — or, for an erasure, the purge, the case without what it drops
// and the erasure's entry. A change that recorded nothing writes nothing
// and returns the case as it was read.
func (ch *CaseChange) commit() (Case, error) {
	ctx, tx, c, actor := ch.ctx, ch.tx, ch.c, ch.actor
	if ch.erased != nil {
		return ch.commitErasure()
	}
	if ch.own != nil && ch.audit != ch.own {
		return Case{}, &ValidationError{Subject: "change", Problems: []FieldProblem{{Field: "audit",
			Message: fmt.Sprintf("the change's %s entry (%s) was replaced; a change records one audit entry", ch.own.Kind, ch.own.Event)}}}
	}
	if ch.audit != nil && ch.audit != ch.own && slices.Contains(kernelAuditKinds, ch.audit.Kind) {
		return Case{}, &ValidationError{Subject: "change", Problems: []FieldProblem{{Field: "audit.kind",
			Message: fmt.Sprintf("%q is the engine's own audit kind", ch.audit.Kind)}}}
	}
	if ch.audit == nil {
		if len(ch.records)+len(ch.notices)+len(ch.timers) > 0 {
			return Case{}, errors.New("valmennus: ChangeCase: a change that records anything needs its audit entry (CaseChange.Audit)")
		}
		return c, nil
	}
	next := c
	next.Version++
	next.History, next.Records = nil, nil // neither is the row's (Case.Records)
	if ch.team != nil {
		next.Team = ch.team
	}
	for i := range ch.records {
		ch.records[i].Seq = next.Version
	}
	entry := *ch.audit
	entry.CaseID, entry.Seq, entry.At, entry.ActorID, entry.Roles = c.ID, next.Version, ch.now, actor.ID, auditRoles(actor.Roles)
	entry.From, entry.To = c.State, c.State
	if err := tx.UpdateCase(ctx, next, c.Version); err != nil {
		return Case{}, err
	}
	if err := tx.AppendAudit(ctx, entry); err != nil {
		return Case{}, err
	}
	if ch.doc != nil {
		if err := tx.PutDocument(ctx, *ch.doc); err != nil {
			return Case{}, err
		}
	}
	if len(ch.records) > 0 {
		if err := tx.AppendRecords(ctx, c.ID, ch.records); err != nil {
			return Case{}, err
		}
	}
	if err := enqueueAll(ctx, tx, ch.notices); err != nil {
		return Case{}, err
	}
	for _, t := range ch.timers {
		if err := tx.PutTimer(ctx, t); err != nil {
			return Case{}, err
		}
	}
	return next, nil
}
