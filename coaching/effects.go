package coaching

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Effect adds writes to a transition: timers to set and notices to send,
// computed from the transition and the case it produces and written in the
// same transaction as the transition. Packages contribute effects to models
// (pathway sets the follow-up checkpoints when a case closes). Apply must
// not change anything itself; it may run again when a conflict is retried.
// next carries neither history nor records (see [Case.Records]): the
// event's own record is its payload (Transition.Payload), and an effect
// that needs stored records reads them with [Transition.Records].
type Effect interface {
	Name() string
	Apply(ctx context.Context, t *Transition, next Case) (EffectWrites, error)
}

// EffectWrites are what an [Effect] adds to a transition.
type EffectWrites struct {
	Timers  []Timer
	Notices []Notice
	// Writes are a feature package's own writes (see [FeatureWrite]),
	// run after the transition's in the same transaction.
	Writes []FeatureWrite
}

// FeatureWrite is an extension point: a feature package's write to its
// own store port, added to a kernel transaction by an [Effect]
// (EffectWrites.Writes, with the transition's commit) or a [TimerHandler]
// (TimerResult.Writes, with the timer's). It runs after the kernel's own
// writes of that transaction, in the order given, with the transaction
// itself: it asserts tx to the port it needs (caseload.Store) and writes
// nothing to kernel state (cases, audit) directly. An error fails the
// whole transaction, so nothing of the transition or the timer is
// written; a write may run again when a conflicting transaction is
// retried, so it should be idempotent or tolerate its own duplicate.
type FeatureWrite func(ctx context.Context, tx Tx) error

// runWrites runs feature writes in tx, in order.
func runWrites(ctx context.Context, tx Tx, ws []FeatureWrite) error {
	for _, w := range ws {
		if w == nil {
			continue
		}
		if err := w(ctx, tx); err != nil {
			return fmt.Errorf("valmennus: feature write: %w", err)
		}
	}
	return nil
}

// EffectFunc is the function form of an effect.
type EffectFunc func(ctx context.Context, t *Transition, next Case) (EffectWrites, error)

type namedEffect struct {
	name string
	fn   EffectFunc
}

func (e namedEffect) Name() string { return e.name }
func (e namedEffect) Apply(ctx context.Context, t *Transition, next Case) (EffectWrites, error) {
	return e.fn(ctx, t, next)
}

// NewEffect returns an Effect with the given name.
func NewEffect(name string, fn EffectFunc) Effect { return namedEffect{name: name, fn: fn} }

// AddEffects appends effects to the named events, reporting an error for an
// event that does not exist.
func (s *ModelSpec) AddEffects(effects []Effect, events ...string) error {
	for _, ev := range events {
		found := false
		for i := range s.Events {
			if s.Events[i].Name == ev {
				s.Events[i].Effects = append(slices.Clone(s.Events[i].Effects), effects...)
				found = true
			}
		}
		if !found {
			return &NotFoundError{Kind: "event", ID: ev}
		}
	}
	return nil
}

// SetPayload makes the named events carry a payload of the given struct
// type, stored as the record name; required makes the payload mandatory.
// Packages use it to attach their facts to a model's events (pathway
// attaches the destination to the closing events).
func (s *ModelSpec) SetPayload(payload any, record string, required bool, events ...string) error {
	for _, ev := range events {
		found := false
		for i := range s.Events {
			if s.Events[i].Name == ev {
				s.Events[i].Payload, s.Events[i].Record, s.Events[i].RequirePayload = payload, record, required
				found = true
			}
		}
		if !found {
			return &NotFoundError{Kind: "event", ID: ev}
		}
	}
	return nil
}

// TimerHandler handles due timers of a kind that a package or the host
// sets (the engine handles its own phase deadlines). It runs inside the
// tick's transaction, once per timer, reads through tx (never through the
// engine, whose store is busy with the transaction), and returns what to
// write. c is the case row, without records: a handler reads the records it
// needs with tx.Records. A timer whose kind has no handler is dropped and logged.
type TimerHandler interface {
	HandleTimer(ctx context.Context, tx ReadTx, c Case, t Timer, now time.Time) (TimerResult, error)
}

// TimerHandlerFunc is the function form of a TimerHandler.
type TimerHandlerFunc func(ctx context.Context, tx ReadTx, c Case, t Timer, now time.Time) (TimerResult, error)

// HandleTimer calls f.
func (f TimerHandlerFunc) HandleTimer(ctx context.Context, tx ReadTx, c Case, t Timer, now time.Time) (TimerResult, error) {
	return f(ctx, tx, c, t, now)
}

// TimerResult is what a [TimerHandler] writes.
type TimerResult struct {
	Notices []Notice
	// Audit, when set, records the timer in the case's audit trail as an
	// entry of kind AuditTimer with this event name (a new case version).
	Audit string
	// Document names the case document the timer concerns, if any (e.g.
	// a referral's, "referral_ab12"). When it is a guarded document (see
	// [DocumentKind]), the audit entry and the notices are shown only to
	// those who may know of that document: the notices are marked with it
	// ([NoticeDataDocument]).
	Document string
	// Writes are a feature package's own writes (see [FeatureWrite]), run
	// after the timer's in the same transaction (caseload raises an alert
	// when a referral's follow-up falls due).
	Writes []FeatureWrite
}

// Audit kinds for records and package timers.
const (
	AuditRecord AuditKind = "record"
	AuditTimer  AuditKind = "timer"
)

// Record stores a named, structured record on the case — open or closed —
// as the change's one audited step: [CaseChange.AddRecord] and an audit
// entry of kind [AuditRecord] (event record:<name>, the record as its
// payload, reason). A follow-up checkpoint's result, a warm handover. Open
// the change under OpChangeCase: the policy's change_case rule decides who
// may (the default: the case's support team and the head of studies). A
// change records one audit entry: a later Audit replaces this one.
func (ch *CaseChange) Record(name string, payload any, reason string) error {
	pr := problems{subject: "record"}
	if !validName(name) {
		pr.add("name", "must be a lower-case identifier, got %q", name)
	}
	checkMultiline(&pr, "reason", reason, 4000)
	if payload == nil {
		pr.add("payload", "required")
	}
	if err := pr.err(); err != nil {
		return err
	}
	if err := ch.AddRecord(name, payload); err != nil {
		return err
	}
	ch.Audit(AuditRecord, "record:"+name, reason, ch.records[len(ch.records)-1].Data)
	return nil
}

// recordData validates a record's payload as model m declares it and
// returns its JSON. A declared record (see [ModelSpec.Records]) must be a
// value, a pointer or JSON of its type; any record whose value is a struct
// is checked with [CheckPayload] — its tags and its own Validate — so that
// no write path stores a record that contradicts its own rules.
func recordData(m *Model, name string, payload any) (json.RawMessage, error) {
	subject := "record " + name
	if payload == nil {
		return nil, &ValidationError{Subject: subject, Problems: []FieldProblem{{Field: "payload", Message: "required"}}}
	}
	if m != nil {
		if t, ok := m.records[name]; ok {
			v, err := coercePayload(subject, t, payload)
			if err != nil {
				return nil, err
			}
			payload = v
		}
	}
	pr := problems{subject: subject}
	switch payload.(type) {
	case json.RawMessage, []byte:
	default:
		pr.merge("payload", CheckPayload(subject, payload))
	}
	b, err := json.Marshal(payload)
	switch {
	case err != nil:
		pr.add("payload", "cannot be encoded as JSON: %v", err)
	case len(b) > maxPayloadBytes:
		pr.add("payload", "larger than %d bytes", maxPayloadBytes)
	}
	if err := pr.err(); err != nil {
		return nil, err
	}
	return b, nil
}

// errNoHandler marks a timer kind nobody handles.
var errNoHandler = errors.New("no handler for the timer kind")
