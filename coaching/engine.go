package coaching

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure an [Engine]. The zero value of every field is a
// documented default.
type Options struct {
	// Models the engine runs. Cases name their model; at least one is
	// required and names must be unique.
	Models []*Model
	// Clock tells the time. Defaults to [SystemClock].
	Clock Clock
	// Logger receives operational logs (never personal data). Defaults to a
	// logger that discards everything.
	Logger *slog.Logger
	// NewID generates ids for participants, cases and guardians that come
	// without one. Defaults to 26 random base32 characters (128 bits).
	NewID func() string
	// TickBatch is how many due timers [Engine.Tick] handles per store
	// round trip. Defaults to 100.
	TickBatch int
	// TimerHandlers handle the due timers of kinds that packages or the
	// host set (e.g. pathway's follow-up checkpoints,
	// pathway.TimerHandlers; a referral's follow-up,
	// referral.TimerHandlers), by kind.
	TimerHandlers map[string]TimerHandler
	// Documents are the families of case documents the features keep and
	// the policy guards (e.g. referral.Documents()), so that their audit
	// entries and notices are shown only as the documents are (see
	// [DocumentKind]). The kernel's welfare records ("welfare_") are
	// always guarded. Pass the kinds of every feature whose documents the
	// store keeps.
	Documents []DocumentKind
	// Policy decides who may read and do what. Defaults to
	// [DefaultPolicy]; wrap it to add rules, since replacing it drops the
	// organisation, guardian and welfare rules the default enforces.
	Policy Policy
	// Texts are the notice texts the engine and the packages that read
	// them from it (hoks's survey invitations) send. Defaults to
	// [DefaultTexts]; override a kind and language with [Texts.Set].
	Texts *Texts
	// SystemKey, when set, lets code holding the same key run system
	// actions as the engine's own actor ([Engine.System]: coaching/erasure's
	// retention run). Without it no code can.
	SystemKey *SystemKey
	// Observer receives the engine's metrics and trace events
	// (transitions, denials, notices enqueued, ticks, store transactions;
	// see [Observer] for the labels). Optional: nil costs nothing.
	Observer Observer
}

// Engine runs coaching cases through their models. It is safe for
// concurrent use; it starts no goroutines.
type Engine struct {
	store     Store
	models    map[string]*Model
	clock     Clock
	log       *slog.Logger
	newID     func() string
	tickBatch int
	handlers  map[string]TimerHandler
	docs      []DocumentKind
	policy    Policy
	// ownPolicy is set when policy is the engine's own DefaultPolicy
	// (Options.Policy nil), which keeps no pointer to the requests it
	// decides on; Fire then reuses its plans (see plan.private).
	ownPolicy bool
	texts     *Texts
	sysKey    *SystemKey
	obs       Observer // nil: nothing observed (Options.Observer)
	// system is set on the value [Engine.System] returns: the rule that
	// allows the engine's own actor every operation without the policy.
	system string

	// bound and host are set on the value [Engine.In] returns: every
	// command then runs in the host's transaction.
	bound bool
	host  Tx
}

// New returns an engine over store.
func New(store Store, opts *Options) (*Engine, error) {
	if store == nil {
		return nil, errors.New("valmennus: New: store is nil")
	}
	if opts == nil {
		opts = &Options{}
	}
	e := &Engine{
		store:     store,
		models:    make(map[string]*Model, len(opts.Models)),
		clock:     opts.Clock,
		log:       opts.Logger,
		newID:     opts.NewID,
		tickBatch: opts.TickBatch,
		handlers:  make(map[string]TimerHandler, len(opts.TimerHandlers)),
	}
	docs, err := documentKinds(opts.Documents)
	if err != nil {
		return nil, err
	}
	e.docs = docs
	for kind, h := range opts.TimerHandlers {
		if kind == TimerPhaseDeadline {
			return nil, fmt.Errorf("valmennus: New: the timer kind %q is the engine's own", kind)
		}
		if h == nil {
			return nil, fmt.Errorf("valmennus: New: the handler of timer kind %q is nil", kind)
		}
		e.handlers[kind] = h
	}
	if len(opts.Models) == 0 {
		return nil, errors.New("valmennus: New: Options.Models is empty; pass at least one model (e.g. coaching.VALO())")
	}
	for i, m := range opts.Models {
		if m == nil {
			return nil, fmt.Errorf("valmennus: New: Options.Models[%d] is nil", i)
		}
		if _, dup := e.models[m.Name()]; dup {
			return nil, fmt.Errorf("valmennus: New: two models are named %q", m.Name())
		}
		e.models[m.Name()] = m
	}
	if e.clock == nil {
		e.clock = SystemClock{}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.newID == nil {
		e.newID = rand.Text
	}
	if e.tickBatch <= 0 {
		e.tickBatch = 100
	}
	e.policy = opts.Policy
	if e.policy == nil {
		e.policy, e.ownPolicy = DefaultPolicy(), true
	}
	e.sysKey = opts.SystemKey
	e.obs = opts.Observer
	e.texts = opts.Texts
	if e.texts == nil {
		e.texts = DefaultTexts() // its own: a host changing it changes no other engine
	}
	return e, nil
}

// Texts returns the notice texts the engine sends ([Options.Texts]).
// Packages built on the engine render their notices from it. Changing the
// returned catalogue is not safe while the engine runs: set texts before
// New.
func (e *Engine) Texts() *Texts { return e.texts }

// In returns the engine bound to tx, a write transaction the host holds
// (from its store adapter, around its own writes): every command and read
// on the returned engine — and on the packages built over it, given the
// bound engine — runs inside tx and commits or rolls back with it. The
// host commits; the bound engine must not be used after that. The engine
// itself is unchanged and may be used alongside.
//
//	err := store.Update(ctx, func(tx coaching.Tx) error {
//		// the host's own writes through tx …
//		_, err := eng.In(tx).Fire(ctx, actor, id, "admit", opts)
//		return err
//	})
//
// A denial inside tx is written into tx, and after a rollback again in a
// transaction of its own when the store supports it ([DenialKeeper]: the
// memory, SQLite and PostgreSQL stores do for transactions they run with
// Update), so a host's rollback does not lose it.
//
// Tick runs its own transactions, one per timer, and ChangeParticipant
// lists the participant's cases outside a transaction;
// on a bound engine they return an error.
func (e *Engine) In(tx Tx) *Engine {
	b := *e
	b.bound, b.host = true, tx
	return &b
}

// errNilTx: In was given no transaction.
var errNilTx = errors.New("valmennus: the engine is bound to a nil transaction (Engine.In(nil))")

// errBound: an operation that runs its own transactions was called on a
// bound engine.
var errBound = errors.New("valmennus: this operation runs its own transactions; call it on the engine, not on Engine.In(tx)")

// update runs fn in a write transaction — the bound host transaction, or a
// store transaction of the engine's own — and writes the access-log entry
// of a policy denial that ends fn: after the rollback of the engine's own
// transaction, or into the host's (see recordDenial, recordDenialTx).
func (e *Engine) update(ctx context.Context, fn func(tx Tx) error) error {
	if e.bound {
		if e.host == nil {
			return errNilTx
		}
		return recordDenialTx(ctx, e.host, fn(e.host))
	}
	if e.obs != nil {
		start := time.Now()
		err := e.store.Update(ctx, fn)
		e.txDone(ctx, true, start, err)
		return e.recordDenial(ctx, err)
	}
	return e.recordDenial(ctx, e.store.Update(ctx, fn))
}

// view runs fn in a read transaction (the bound one, or the store's), with
// denials logged as update does.
func (e *Engine) view(ctx context.Context, fn func(tx ReadTx) error) error {
	if e.bound {
		if e.host == nil {
			return errNilTx
		}
		return recordDenialTx(ctx, e.host, fn(e.host))
	}
	if e.obs != nil {
		start := time.Now()
		err := e.store.View(ctx, fn)
		e.txDone(ctx, false, start, err)
		return e.recordDenial(ctx, err)
	}
	return e.recordDenial(ctx, e.store.View(ctx, fn))
}

// Clock returns the engine's clock.
func (e *Engine) Clock() Clock { return e.clock }

// Model returns the model with the given name.
func (e *Engine) Model(name string) (*Model, bool) {
	m, ok := e.models[name]
	return m, ok
}

// txRunner runs fn in a write transaction. Every state-changing call is
// written once against it: [Engine.run] gives the engine's (its own
// transaction, or the host's on a bound engine), inTx a transaction a
// command already runs in (a command nested in another).
type txRunner func(fn func(tx Tx) error) error

// run returns the runner of the engine's commands (see update).
func (e *Engine) run(ctx context.Context) txRunner {
	return func(fn func(tx Tx) error) error { return e.update(ctx, fn) }
}

func inTx(ctx context.Context, tx Tx) txRunner {
	return func(fn func(tx Tx) error) error {
		if tx == nil {
			return errors.New("valmennus: the transaction is nil")
		}
		return recordDenialTx(ctx, tx, fn(tx))
	}
}

// EnrolParams are the arguments of [Engine.Enrol].
type EnrolParams struct {
	// Model names the model of the new case.
	Model string `json:"model"`
	// Participant is stored as a new participant. Leave its ID empty to
	// have one generated. Ignored when ExistingParticipant is set.
	Participant Participant `json:"participant,omitzero"`
	// ExistingParticipant opens the case for a participant already stored
	// in the enrolling actor's organisation ([Actor.Organisation]; the
	// engine's own actor: the organisation set on it). Participant ids are
	// scoped per organisation ([ReadTx.Participant]): the policy is asked
	// about enrolling in the actor's organisation first, then the
	// participant is looked up there, so an id of another organisation is
	// answered exactly as one that does not exist — the same
	// *NotFoundError, and, as for any participant not found, no access-log
	// entry (no participant was read and none was refused) — and a denied
	// actor gets the same *ForbiddenError whether the id exists or not.
	ExistingParticipant ParticipantID `json:"existing_participant,omitempty"`
	// CaseID is the new case's id; generated when empty. A host-given id
	// is scoped to the case's organisation by construction: it is the
	// organisation's id, a colon and an id of the host's own without a
	// colon ("school-1:case-1"; [OrganisationCaseID] builds it), and for a
	// case of no organisation an id without a colon. Case ids are unique
	// across organisations, and so no organisation can take, or learn of,
	// another's: a *DuplicateError for a host-given id always means a case
	// of the enrolling organisation's own. Any other id is a
	// *ValidationError naming case_id.
	CaseID CaseID `json:"case_id,omitempty"`
	// Team is the initial support team.
	Team []TeamMember `json:"team,omitempty"`
	// Records are stored on the new case with its opening, by the
	// enrolling actor, validated as [CaseChange.AddRecord] validates them (an
	// importer's enrolment details, a warm handover received with the
	// student). They need no further permission than the enrolment.
	Records []RecordInput `json:"records,omitempty"`
	// Reason is recorded in the opening audit entry (e.g. "SIS import,
	// line 12").
	Reason string `json:"reason,omitempty"`
}

// RecordInput is a named record given at enrolment.
type RecordInput struct {
	Name string `json:"name"`
	// Payload is a value of the record's declared type, or its JSON.
	Payload any `json:"payload"`
}

// Enrol stores the participant (unless existing) and opens a case in the
// model's initial state, in one transaction, with the case's first audit
// entry and its first phase deadline.
func (e *Engine) Enrol(ctx context.Context, actor Actor, p EnrolParams) (Case, error) {
	return e.enrol(ctx, e.run(ctx), actor, p)
}

func (e *Engine) enrol(ctx context.Context, run txRunner, actor Actor, p EnrolParams) (Case, error) {
	m, ok := e.models[p.Model]
	if !ok {
		return Case{}, &ValidationError{Subject: "enrolment", Problems: []FieldProblem{{Field: "model", Message: fmt.Sprintf("unknown model %q", p.Model)}}}
	}
	if err := e.screen(run, actor, OpEnrol); err != nil {
		return Case{}, err
	}
	now := e.clock.Now()
	pr := problems{subject: "enrolment"}
	part := p.Participant.clone()
	if p.ExistingParticipant == "" {
		if part.ID == "" {
			part.ID = ParticipantID(e.newID())
		}
		for i := range part.Guardians {
			if part.Guardians[i].ID == "" {
				part.Guardians[i].ID = e.newID()
			}
		}
		pr.merge("participant", part.Validate(DateOf(now)))
	}
	org := part.Organisation
	if p.ExistingParticipant != "" {
		// Looked up in the actor's organisation only.
		org = actor.Organisation
	}
	pr.merge("", validateTeam(p.Team))
	checkText(&pr, "case_id", string(p.CaseID), 200)
	if p.CaseID != "" {
		if msg := caseIDProblem(p.CaseID, org); msg != "" {
			pr.add("case_id", "%s", msg)
		}
	}
	checkMultiline(&pr, "reason", p.Reason, 4000)
	records := make([]Record, 0, len(p.Records))
	for i, r := range p.Records {
		path := fmt.Sprintf("records[%d]", i)
		if !validName(r.Name) {
			pr.add(path+".name", "must be a lower-case identifier, got %q", r.Name)
			continue
		}
		if ev, ok := m.eventRecords[r.Name]; ok {
			// A destination or an entry assessment is what its event says
			// happened; written at enrolment it would be a fact without
			// its transition.
			pr.add(path+".name", "record %q is written by the event %s, not at enrolment", r.Name, ev)
			continue
		}
		raw, err := recordData(m, r.Name, r.Payload)
		if err != nil {
			pr.merge(path, err)
			continue
		}
		records = append(records, Record{Name: r.Name, At: now, By: actor.ID, Seq: 1, Data: raw})
	}
	if err := pr.err(); err != nil {
		return Case{}, err
	}
	c := Case{
		ID:      p.CaseID,
		Model:   m.Name(),
		State:   m.spec.Initial,
		Version: 1,
		Team:    append([]TeamMember(nil), p.Team...),
	}
	if c.ID == "" {
		c.ID = CaseID(e.newID())
	}
	c.OpenedAt = now
	c.Phase = PhaseClock{State: c.State, EnteredAt: now, EntrySeq: 1}
	var timers []Timer
	if st := m.states[c.State]; !st.Deadline.IsZero() {
		c.Phase.DueAt = st.Deadline.After(now)
		timers = append(timers, deadlineTimer(&c))
	}
	entry := AuditEntry{CaseID: c.ID, Seq: 1, At: now, Kind: AuditOpened, ActorID: actor.ID, Roles: auditRoles(actor.Roles), To: c.State, Reason: p.Reason}
	if len(records) > 0 {
		names := make([]string, len(records))
		for i, r := range records {
			names[i] = r.Name
		}
		// The opening entry names the records it brought (never their
		// data, which is in the case's records).
		b, err := json.Marshal(map[string][]string{"records": names})
		if err != nil {
			return Case{}, err
		}
		entry.Payload = b
	}
	err := run(func(tx Tx) error {
		// Asked before anything is read or written: a denied enrolment
		// inside a host's transaction leaves only its access-log entry
		// there, and its answer does not depend on which ids exist.
		if err := e.authorizeEnrol(ctx, tx, actor, m, org); err != nil {
			return err
		}
		if p.ExistingParticipant != "" {
			existing, err := tx.Participant(ctx, org, p.ExistingParticipant)
			if isNotFound(err) {
				// One answer for "not in this organisation", whatever
				// the store's error said.
				return &NotFoundError{Kind: "participant", ID: string(p.ExistingParticipant)}
			}
			if err != nil {
				return err
			}
			part = existing
		} else {
			if err := tx.InsertParticipant(ctx, part); err != nil {
				return err
			}
		}
		c.ParticipantID = part.ID
		c.Organisation = part.Organisation
		if err := tx.InsertCase(ctx, c); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, entry); err != nil {
			return err
		}
		if len(records) > 0 {
			if err := tx.AppendRecords(ctx, c.ID, records); err != nil {
				return err
			}
		}
		for _, t := range timers {
			if err := tx.PutTimer(ctx, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Case{}, err
	}
	e.log.LogAttrs(ctx, slog.LevelInfo, "case opened", slog.String("case_id", string(c.ID)), slog.String("model", c.Model))
	return c.Clone(), nil
}

// OrganisationCaseID returns the case id a host gives a case of org
// ([EnrolParams.CaseID]): org, a colon and local ("school-1:case-1"), or
// local alone for a case of no organisation. local must not contain a
// colon; Enrol refuses the id otherwise.
func OrganisationCaseID(org OrganisationID, local string) CaseID {
	if org == "" {
		return CaseID(local)
	}
	return CaseID(string(org) + ":" + local)
}

// caseIDProblem says what is wrong with a host-given case id for a case of
// org, or "". The organisation is the part before the id's last colon, so
// an organisation id may itself contain colons (an "urn:oid:…") and still
// no id of one organisation is an id of another.
func caseIDProblem(id CaseID, org OrganisationID) string {
	i := strings.LastIndexByte(string(id), ':')
	switch {
	case org == "" && i >= 0:
		return fmt.Sprintf("a case of no organisation has an id without a colon (%q), or leave case_id empty to have one generated", "case-1")
	case org == "":
		return ""
	case i < 0 || OrganisationID(id[:i]) != org:
		return fmt.Sprintf("must begin with the case's organisation and a colon (%q), or leave case_id empty to have one generated", string(OrganisationCaseID(org, "case-1")))
	case i == len(id)-1:
		return fmt.Sprintf("needs an id after %q", string(org)+":")
	}
	return ""
}

func validateTeam(team []TeamMember) error {
	pr := problems{subject: "team"}
	seen := map[[2]string]bool{}
	for i, m := range team {
		pr.merge(fmt.Sprintf("team[%d]", i), m.validate())
		k := [2]string{m.ActorID, string(m.Role)}
		if seen[k] {
			pr.add(fmt.Sprintf("team[%d]", i), "%s is already on the team as %s", m.ActorID, m.Role)
		}
		seen[k] = true
	}
	return pr.err()
}

func (m TeamMember) validate() error {
	pr := problems{subject: "team member"}
	if strings.TrimSpace(m.ActorID) == "" {
		pr.add("actor_id", "required")
	}
	checkText(&pr, "actor_id", m.ActorID, 200)
	if !m.Role.known() || m.Role == RoleSystem || m.Role == RoleStudent {
		pr.add("role", "unknown team role %q", m.Role)
	}
	checkName(&pr, "name", m.Name)
	if m.Language != "" && !m.Language.Valid() {
		pr.add("language", "must be fi, sv or en")
	}
	m.Contact.validate(&pr, "contact")
	return pr.err()
}

// authorizeEnrol asks the policy whether actor may enrol in org, and
// checks that they hold one of the model's opener roles; either denial
// carries its access-log entry.
func (e *Engine) authorizeEnrol(ctx context.Context, tx ReadTx, actor Actor, m *Model, org OrganisationID) error {
	req, _, err := e.authorize(ctx, tx, actor, OpEnrol, nil, "", org, nil)
	if err != nil {
		return err
	}
	if !anyRole(actor, m.spec.Openers) {
		return e.deny(req, Deny(RuleModelOpeners, "opening a case in model %s needs one of the roles %s", m.Name(), joinRoles(m.spec.Openers)))
	}
	return nil
}

func anyRole(a Actor, allowed []Role) bool {
	for _, r := range allowed {
		if a.HasRole(r) {
			return true
		}
	}
	return false
}

func joinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// FireOptions are the optional arguments of [Engine.Fire]. A nil
// *FireOptions means none.
type FireOptions struct {
	// Reason is the written reason, required by some events (discontinue).
	Reason string
	// Payload is the event's structured data: a value or pointer of the
	// event's declared payload type, or JSON bytes (json.RawMessage).
	Payload any
	// IdempotencyKey makes the command safe to repeat: a second Fire with
	// the same key on the same case returns the first result without a
	// second transition. Reusing a key for a different event or payload is
	// an error wrapping [ErrIdempotencyMismatch].
	IdempotencyKey string
	// ExpectedVersion, when non-zero, must equal the case's version or the
	// command fails with a *ConflictError before anything is checked.
	ExpectedVersion int64
}

// FireResult is the outcome of [Engine.Fire].
type FireResult struct {
	// Case is the case after the transition (for a replay: as it is now).
	Case Case
	// Entry is the audit entry the transition wrote.
	Entry AuditEntry
	// Notices are the notices enqueued with the transition (none on replay).
	Notices []Notice
	// Replayed is true when an idempotency key matched an earlier command.
	Replayed bool
}

// errCommandTaken aborts a transaction whose idempotency key another
// identical command took meanwhile.
var errCommandTaken = errors.New("valmennus: idempotency key taken during the transaction")

// noFireOptions stands for a nil *FireOptions. Fire only reads its options,
// so every call may share it.
var noFireOptions FireOptions

// Fire fires event on the case in one store transaction: it loads the
// case, checks that the policy and the actor's roles allow the event,
// validates the payload, runs every rule, and transitions with
// looplab/fsm; then it saves the case with an optimistic version check,
// appends the audit entry, moves the phase-deadline timer and enqueues the
// event's notices. If another change committed first, Fire returns a
// *ConflictError and changes nothing.
func (e *Engine) Fire(ctx context.Context, actor Actor, id CaseID, event string, opts *FireOptions) (*FireResult, error) {
	if opts == nil {
		opts = &noFireOptions
	}
	var start time.Time
	if e.obs != nil {
		start = time.Now()
		ctx = e.obs.Begin(ctx, fireCall)
	}
	if err := e.screenFor(ctx, actor, OpFireEvent); err != nil {
		if e.obs != nil {
			e.observeFire(ctx, nil, start, event, nil, false, err)
		}
		return nil, err
	}
	p := plans.Get().(*plan)
	p.in = fireInput{e: e, ctx: ctx, id: id, event: event, opts: opts}
	p.t.Actor = actor
	err := e.update(ctx, p.runFn)
	var res *FireResult
	fresh := false
	switch {
	case errors.Is(err, errCommandTaken) && e.bound:
		// The host's transaction cannot be retried from here.
		err = &ConflictError{CaseID: id, Expected: p.version}
	case errors.Is(err, errCommandTaken):
		res, err = e.replayByKey(ctx, id, event, opts)
	case err != nil:
	case p.replayed != nil:
		res = p.replayed
	default:
		e.logTransition(ctx, p)
		res, fresh = p.res, true
	}
	if e.obs != nil {
		e.observeFire(ctx, p, start, event, res, fresh, err)
	}
	if fresh && p.private() {
		p.reset()
		plans.Put(p)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// plans are the plans of Fire commands that ended with no pointer into
// them held outside the engine (plan.private), cleared for the next one:
// a plan is most of the bytes a Fire allocates, and the collector's work
// grows with them.
var plans = sync.Pool{New: func() any {
	p := new(plan)
	p.runFn = p.run // bound once: a method value costs an allocation
	return p
}}

// private reports whether only the engine ever saw pointers into p, so
// that it may be reused once its result is copied out: its Transition and
// its Request were handed to no rule, effect or host policy (the default
// policy keeps no pointer to a request), and the store got values only
// (no record slice backed by p.rec).
func (p *plan) private() bool {
	e := p.in.e
	return e != nil && e.ownPolicy && p.ev != nil && len(p.ev.rules) == 0 && len(p.ev.spec.Effects) == 0 && p.record == nil
}

// reset clears p for another command, keeping its bound run.
func (p *plan) reset() {
	*p = plan{runFn: p.runFn}
}

// run is Fire's transaction: the plan is computed and written in tx, or
// (a repeated idempotency key) the earlier result is read into
// p.replayed. A store that runs it again (a retried transaction) gets a
// fresh plan of the same command.
func (p *plan) run(tx Tx) error {
	if p.ran {
		in, actor := p.in, p.t.Actor
		p.reset()
		p.in, p.t.Actor = in, actor
	}
	p.ran = true
	in := &p.in
	e, ctx, actor := in.e, in.ctx, p.t.Actor
	p.t.tx = tx
	if err := e.load(ctx, tx, p, actor, in.id, in.event, in.opts.IdempotencyKey); err != nil {
		return err
	}
	if p.hasCmd {
		var err error
		p.replayed, err = e.replay(ctx, tx, *p.c, p.cmd, in.event, in.opts)
		return err
	}
	if err := e.prepare(ctx, p, actor, in.event, in.opts); err != nil {
		return err
	}
	return p.commit(ctx, tx)
}

func (e *Engine) logTransition(ctx context.Context, p *plan) {
	if e.log.Enabled(ctx, slog.LevelInfo) {
		e.log.LogAttrs(ctx, slog.LevelInfo, "case transition",
			slog.String("case_id", string(p.res.Case.ID)), slog.String("event", p.res.Entry.Event),
			slog.String("from", p.res.Entry.From), slog.String("to", p.res.Entry.To), slog.Int64("version", p.res.Case.Version))
	}
}

func fingerprint(event string, opts *FireOptions) string {
	h := fnv.New64a()
	_, _ = io.WriteString(h, event)
	_, _ = h.Write([]byte{0})
	_, _ = io.WriteString(h, opts.Reason)
	_, _ = h.Write([]byte{0})
	switch p := opts.Payload.(type) {
	case nil:
	case json.RawMessage:
		_, _ = h.Write(p)
	case []byte:
		_, _ = h.Write(p)
	default:
		b, _ := json.Marshal(p)
		_, _ = h.Write(b)
	}
	return event + ":" + strconv.FormatUint(h.Sum64(), 16)
}

func (e *Engine) replayByKey(ctx context.Context, id CaseID, event string, opts *FireOptions) (*FireResult, error) {
	p := &plan{}
	var res *FireResult
	err := e.view(ctx, func(tx ReadTx) error {
		if err := p.load(ctx, tx, id, opts.IdempotencyKey); err != nil {
			return err
		}
		if !p.hasCmd {
			return &NotFoundError{Kind: "command", ID: string(id) + "/" + opts.IdempotencyKey}
		}
		var err error
		res, err = e.replay(ctx, tx, p.t.Case, p.cmd, event, opts)
		return err
	})
	return res, err
}

// replay answers a repeated command from its record, reading through r.
func (e *Engine) replay(ctx context.Context, r ReadTx, c Case, cmd CommandRecord, event string, opts *FireOptions) (*FireResult, error) {
	if fp := fingerprint(event, opts); fp != cmd.Fingerprint {
		return nil, fmt.Errorf("%w: key %q on case %q was used for %q", ErrIdempotencyMismatch, opts.IdempotencyKey, c.ID, strings.SplitN(cmd.Fingerprint, ":", 2)[0])
	}
	var res *FireResult
	read := func(tx ReadTx) error {
		entries, err := tx.AuditTrail(ctx, c.ID, cmd.Seq-1)
		if err != nil {
			return err
		}
		if len(entries) == 0 || entries[0].Seq != cmd.Seq {
			return fmt.Errorf("valmennus: audit entry %d of case %q missing for idempotency key %q", cmd.Seq, c.ID, cmd.Key)
		}
		res = &FireResult{Case: c, Entry: entries[0], Replayed: true}
		return nil
	}
	if err := read(r); err != nil {
		return nil, err
	}
	return res, nil
}

// plan is one command: its arguments, the case as loaded, the transition
// the rules see, the policy's request, and every write, in one value
// (Fire is the hot path): taken from the plans pool and put back when no
// one else saw it, else one allocation per command.
type plan struct {
	in    fireInput
	runFn func(Tx) error // p.run
	// ran is set once run has started on the plan: a second run (a
	// retried transaction) starts again from in.
	ran bool
	// t.Actor fires. t.Case is the case as loaded when anyone but the
	// engine may see it (rules, effects, a replay, an error); a command
	// that no one else sees (see inResult) keeps only its Phase.State,
	// which the engine's own check reads (step.check).
	t Transition
	// c is the case as loaded until prepare changes it: &t.Case, or
	// &res.Case when the case was loaded straight into the result
	// (inResult); version is its version.
	c       *Case
	version int64
	req     Request // the policy's request (authorizeIn)
	f       firing
	// m and ev are the case's model and the event, as load found them
	// (nil when unknown: prepare reports it); st is the event's edge from
	// the case's state (nil when the event does not leave it).
	m      *Model
	ev     *compiledEvent
	st     *step
	cmd    CommandRecord
	hasCmd bool
	// res carries the case after the transition and its audit entry: the
	// result Fire returns, written in place (prepare allocates it).
	res         *FireResult
	record      []Record // the event's record (rec), when its payload is one
	rec         [1]Record
	putTimer    Timer
	deleteTimer string
	timers      []Timer // from effects
	// writes are the effects' feature writes (nil when none: no cost).
	writes []FeatureWrite
	// replayed is the earlier result of a repeated idempotency key.
	replayed *FireResult
}

// fireInput are the arguments of one Fire but the actor, which is kept in
// the plan's Transition (t.Actor) only.
type fireInput struct {
	e     *Engine
	ctx   context.Context
	id    CaseID
	event string
	opts  *FireOptions
}

// load reads the case and the command with the key, after the policy
// allowed the actor to fire events on the case and the actor holds one of
// the event's roles (a replay is a fire too: it returns the case). Either
// denial carries its access-log entry.
//
// With the engine's own policy, which keeps no pointer to its request, the
// case is read straight into the result (see inResult); else into t.Case.
func (e *Engine) load(ctx context.Context, tx ReadTx, p *plan, actor Actor, id CaseID, event, key string) error {
	p.c = &p.t.Case
	if e.ownPolicy && !fireCopiesLoaded {
		p.res = new(FireResult)
		p.c = &p.res.Case
	}
	if err := p.loadInto(ctx, tx, p.c, id, key); err != nil {
		return err
	}
	c := p.c
	p.version = c.Version
	req, _, err := e.authorizeIn(ctx, tx, &p.req, actor, OpFireEvent, c, "", "", nil)
	if err != nil {
		return err
	}
	if m, ok := e.models[c.Model]; ok {
		p.m = m
		if st := m.steps[edgeKey{event, c.State}]; st != nil {
			p.st, p.ev = st, st.ev
		} else {
			p.ev = m.events[event]
		}
		if ev := p.ev; ev != nil {
			if !anyRole(actor, ev.spec.Roles) {
				return e.deny(req, Deny(RuleEventRoles, "the event %s needs one of the roles %s", event, joinRoles(ev.spec.Roles)))
			}
		}
	}
	if c != &p.t.Case {
		if p.inResult() {
			p.t.Case.Phase.State = c.Phase.State
		} else {
			p.t.Case = *c
			p.c = &p.t.Case
		}
	}
	return nil
}

// fireCopiesLoaded, set by tests only, makes every Fire load the case into
// its Transition and copy it into the result, as when someone else may see
// the Transition (TestFireInResultAgreesWithTheCopy).
var fireCopiesLoaded = false

// inResult reports whether the case, loaded into the result, may be
// changed there in place with no copy kept as loaded: no rule or effect
// sees the Transition (whose Case would be the loaded case), the command
// is no replay, and the event leaves the case's state (else prepare
// reports the case as loaded). Only prepare's locals then keep what it
// needs of the case as loaded.
func (p *plan) inResult() bool {
	return p.st != nil && len(p.ev.rules) == 0 && len(p.ev.spec.Effects) == 0 && !p.hasCmd
}

func (p *plan) load(ctx context.Context, tx ReadTx, id CaseID, key string) error {
	p.c = &p.t.Case
	return p.loadInto(ctx, tx, p.c, id, key)
}

// loadInto reads the case into c and the command with the key into p.
func (p *plan) loadInto(ctx context.Context, tx ReadTx, c *Case, id CaseID, key string) error {
	var err error
	if *c, err = tx.Case(ctx, id); err != nil {
		return err
	}
	if key != "" {
		cmd, err := tx.Command(ctx, id, key)
		switch {
		case err == nil:
			p.cmd, p.hasCmd = cmd, true
		case !errors.Is(err, ErrNotFound):
			return err
		}
	}
	return nil
}

func (p *plan) commit(ctx context.Context, tx Tx) error {
	if p.cmd.Key != "" {
		if err := tx.PutCommand(ctx, p.cmd); err != nil {
			if errors.Is(err, ErrDuplicate) {
				return errCommandTaken
			}
			return err
		}
	}
	if err := updateCase(ctx, tx, p.res.Case, p.version, !p.in.e.bound); err != nil {
		return err
	}
	if err := tx.AppendAudit(ctx, p.res.Entry); err != nil {
		return err
	}
	if len(p.record) > 0 {
		if err := tx.AppendRecords(ctx, p.res.Case.ID, p.record); err != nil {
			return err
		}
	}
	if p.deleteTimer != "" {
		if err := dropTimer(ctx, tx, p.deleteTimer); err != nil {
			return err
		}
	}
	if p.putTimer.Key != "" {
		if err := tx.PutTimer(ctx, p.putTimer); err != nil {
			return err
		}
	}
	for _, t := range p.timers {
		if err := tx.PutTimer(ctx, t); err != nil {
			return err
		}
	}
	if err := enqueueAll(ctx, tx, p.res.Notices); err != nil {
		return err
	}
	if len(p.writes) > 0 {
		return runWrites(ctx, tx, p.writes)
	}
	return nil
}

// prepare checks the command against the loaded case and computes every
// write. The stored results go into p.
func (e *Engine) prepare(ctx context.Context, p *plan, actor Actor, event string, opts *FireOptions) error {
	c := p.c
	m := p.m // looked up by load
	if m == nil {
		return fmt.Errorf("valmennus: case %q uses model %q, which this engine was not given", c.ID, c.Model)
	}
	if opts.ExpectedVersion != 0 && opts.ExpectedVersion != c.Version {
		return &ConflictError{CaseID: c.ID, Expected: opts.ExpectedVersion, Current: c.Version}
	}
	ev := p.ev
	if ev == nil {
		return &TransitionError{Event: event, State: c.State, Allowed: m.EventsFrom(c.State), Unknown: true}
	}
	st := p.st
	if st == nil {
		return &TransitionError{Event: event, State: c.State, Allowed: m.EventsFrom(c.State)}
	}
	to := st.to
	var pr problems
	if ev.spec.RequireReason && strings.TrimSpace(opts.Reason) == "" {
		pr.add("reason", "required for event %s", event)
	}
	checkMultiline(&pr, "reason", opts.Reason, 4000)
	checkText(&pr, "idempotency_key", opts.IdempotencyKey, 200)
	payload, raw, perr := decodePayload(ev, opts.Payload)
	pr.merge("", perr)
	if len(pr.list) > 0 {
		pr.subject = "event " + event
		return pr.err()
	}
	now := e.clock.Now()
	t := &p.t
	t.Event, t.From, t.To, t.Actor, t.Reason, t.Payload, t.Now, t.engine = event, c.State, to, actor, opts.Reason, payload, now, e
	p.f = firing{t: t, st: st}
	if err := m.fire(ctx, &p.f); err != nil {
		return err
	}

	// The loaded case is this command's private copy, so next may share its
	// team. It carries no records (see Case.Records): the event's record is
	// appended beside the row. When it was loaded into the result
	// (inResult), next is c, changed in place: from here on, what is needed
	// of the case as loaded is read from version, state and phase.
	if p.res == nil {
		p.res = new(FireResult)
	}
	next := &p.res.Case
	version, state, phase, id := c.Version, c.State, c.Phase, c.ID
	if next != c {
		*next = *c
	}
	next.Version = version + 1
	next.State = to
	seq := next.Version
	next.History = nil // the audit entry is the history (see Case.History)
	next.Records = nil // appended beside the row (see Case.Records)
	from, dest := st.src, st.dst
	// oldKey is the timer of the phase the case leaves, if it has one;
	// built only where the timer is dropped (a resume keeps the phase).
	oldKey := func() string {
		if !phase.DueAt.IsZero() && phase.OverdueAt.IsZero() {
			return deadlineKey(id, phase.EntrySeq)
		}
		return ""
	}
	switch {
	case dest.Kind == Hold:
		next.Phase.PausedAt = now
		p.deleteTimer = oldKey()
	case dest.Kind == Active && from.Kind == Hold && to == phase.State:
		next.Phase.PausedFor += wallClock(now).Sub(wallClock(phase.PausedAt))
		next.Phase.PausedAt = time.Time{}
		if !next.Phase.DueAt.IsZero() {
			next.Phase.DueAt = fromWallClock(wallClock(dest.Deadline.After(next.Phase.EnteredAt)).Add(next.Phase.PausedFor))
			if next.Phase.OverdueAt.IsZero() {
				p.putTimer = deadlineTimer(next)
			}
		}
	default:
		p.deleteTimer = oldKey()
		next.Phase = PhaseClock{State: to, EnteredAt: now, EntrySeq: seq}
		if dest.Kind == Terminal {
			next.ClosedAt = now
		} else if !dest.Deadline.IsZero() {
			next.Phase.DueAt = dest.Deadline.After(now)
			p.putTimer = deadlineTimer(next)
		}
	}
	if raw != nil {
		p.rec[0] = Record{Name: ev.record, At: now, By: actor.ID, Seq: seq, Data: raw}
		p.record = p.rec[:]
	}
	p.res.Entry = AuditEntry{CaseID: id, Seq: seq, At: now, Kind: AuditTransition, ActorID: actor.ID, Roles: auditRoles(actor.Roles),
		Event: event, From: state, To: to, Reason: opts.Reason, Payload: raw, IdempotencyKey: opts.IdempotencyKey}
	if opts.IdempotencyKey != "" {
		p.cmd = CommandRecord{CaseID: id, Key: opts.IdempotencyKey, Fingerprint: fingerprint(event, opts), Seq: seq, At: now}
	}
	if len(ev.spec.Notify) > 0 {
		p.res.Notices = e.transitionNotices(m, *next, p.res.Entry, ev.spec.Notify, actor.ID)
	}
	for _, eff := range ev.spec.Effects {
		w, err := eff.Apply(ctx, t, *next)
		if err != nil {
			return fmt.Errorf("valmennus: effect %s of event %s: %w", eff.Name(), event, err)
		}
		p.timers = append(p.timers, w.Timers...)
		if len(w.Writes) > 0 {
			p.writes = append(p.writes, w.Writes...)
		}
		p.res.Notices = append(p.res.Notices, w.Notices...)
	}
	return nil
}

// fire runs the transition on the model's [Machine]. Rules run in the
// machine's before_event callback through the firing guard, with the
// caller's context; looplab itself gets a context that cannot be cancelled,
// because a cancellation inside Event would wedge the machine for good.
//
// An event without rules needs no callback: the engine's own checks (which
// read only the transition, and the edge is already known to exist) run
// first, and the step on a machine without callbacks, which costs looplab
// no callback lookups. The outcome is the same as through the guard
// (TestFireWithoutRulesAgreesWithTheGuardedPath).
func (m *Model) fire(ctx context.Context, f *firing) error {
	if len(f.st.ev.rules) == 0 {
		return m.fireUnguarded(ctx, f)
	}
	return m.fireGuarded(ctx, f)
}

// fireGuarded runs the step with f as the machine's guard.
func (m *Model) fireGuarded(ctx context.Context, f *firing) error {
	_, err := m.machine.Fire(ctx, f.t.From, f.t.Event, f)
	return err
}

// fireUnguarded runs f's checks, then the step on a machine without
// callbacks.
func (m *Model) fireUnguarded(ctx context.Context, f *firing) error {
	if rej := f.st.check(ctx, f.t); rej != nil {
		return rej
	}
	_, err := m.machine.Fire(ctx, f.t.From, f.t.Event, nil)
	return err
}

// Case returns a case, if the policy lets actor read it.
// Its History is read from the audit trail, its Records from the case's
// records.
func (e *Engine) Case(ctx context.Context, actor Actor, id CaseID) (Case, error) {
	var out Case
	err := e.readCase(ctx, actor, OpReadCase, id, func(tx ReadTx, c *Case) error {
		trail, err := tx.AuditTrail(ctx, id, 0)
		if err != nil {
			return err
		}
		records, err := tx.Records(ctx, id, RecordQuery{})
		if err != nil {
			return err
		}
		out = *c
		out.History = historyOf(trail)
		if len(records) > 0 {
			out.Records = records
		}
		return nil
	})
	return out, err
}

// historyOf returns the phases entered, from the audit entries that moved
// the case (its opening and its transitions).
func historyOf(trail []AuditEntry) []PhaseEntry {
	var out []PhaseEntry
	for _, a := range trail {
		// A transition moves the case (models have no self-loops), so an
		// entry that stays in its state is not a phase entered.
		if a.To != "" && (a.Kind == AuditOpened || a.Kind == AuditTransition && a.From != a.To) {
			out = append(out, PhaseEntry{State: a.To, At: a.At, Seq: a.Seq})
		}
	}
	return out
}

func deadlineKey(id CaseID, entrySeq int64) string {
	return "deadline:" + string(id) + ":" + strconv.FormatInt(entrySeq, 10)
}

func deadlineTimer(c *Case) Timer {
	return Timer{Key: deadlineKey(c.ID, c.Phase.EntrySeq), CaseID: c.ID, Kind: TimerPhaseDeadline, DueAt: c.Phase.DueAt, Ref: c.Phase.EntrySeq}
}
