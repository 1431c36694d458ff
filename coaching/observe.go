package coaching

import (
	"context"
	"errors"
	"time"
)

// Observer is the engine's and the dispatcher's port to a host's metrics
// and traces (an OpenTelemetry or Prometheus adapter lives outside the
// core). It is optional: set it in [Options.Observer] and
// [DispatcherOptions.Observer]; when it is nil the engine neither calls it
// nor reads a clock for it, and a Fire allocates nothing more.
//
// Every event carries labels of bounded cardinality only: model, event,
// state, rule, operation, notice kind, channel and outcome names, all of
// them names the code and the models define. No event ever carries a case,
// participant, actor, guardian or notice id, a name, an e-mail address or
// an identity code, so an adapter may turn every field into a metric label
// or span attribute as it is. An event the engine cannot name from its
// models (an unknown event or model a caller asked for) is labelled
// [LabelUnknown] rather than with the caller's text.
//
// Methods are called synchronously on the caller's goroutine (the
// dispatcher's from several at once): they must be safe for concurrent
// use, return quickly and never block on the network. Embed
// [NopObserver] in an implementation so that it keeps compiling when
// methods are added here.
type Observer interface {
	// Begin is called when a call the observer may wrap in a span starts
	// (see [Call] for the calls). The context it returns is the one the
	// call then runs with — its store transactions (StoreTx), its events
	// and its End get it — so an adapter can start a span here, put it in
	// the context, make the transaction's span its child and end it in
	// End. An adapter that propagates traces also puts the call's trace
	// context in the returned context with [WithTrace], so that the
	// notices the call enqueues carry it ([Notice.Trace]) to the send
	// that delivers them. Return ctx itself to do nothing.
	Begin(ctx context.Context, call Call) context.Context
	// End is called exactly once for every Begin, when the call returns,
	// with the context Begin returned and the call's outcome.
	End(ctx context.Context, call Call, outcome Outcome)
	// Transition is called once per Fire, whatever its outcome.
	Transition(ctx context.Context, e TransitionEvent)
	// Denial is called once per policy denial (each one also written to
	// the access log).
	Denial(ctx context.Context, e DenialEvent)
	// Notice is called when notices are enqueued by a transition or a
	// tick, and when a dispatcher records a send's outcome.
	Notice(ctx context.Context, e NoticeEvent)
	// Cycle is called at the end of every [Engine.Tick] and
	// [Dispatcher.RunOnce].
	Cycle(ctx context.Context, e CycleEvent)
	// StoreTx is called after every store transaction the engine runs of
	// its own (not those of a host's transaction, [Engine.In]).
	StoreTx(ctx context.Context, e TxEvent)
}

// Call is a call an [Observer] may wrap in a span.
type Call struct {
	// Name is one of the Call… constants.
	Name string
	// Trace, for CallSend, is the trace context the notice was enqueued
	// with ([Notice.Trace]; empty when it has none), so that an adapter
	// can make the send's span a child of (or link it to) the call that
	// caused the notice.
	Trace string
	// Kind, for CallSend, is the notice's kind.
	Kind string
	// Channel, for CallDispatch and CallSend, is the dispatcher's
	// [DispatcherOptions.Channel].
	Channel string
}

// The calls an [Observer] sees begin and end.
const (
	CallFire     = "fire"     // [Engine.Fire]
	CallRead     = "read"     // [Engine.Read]: a feature's policy-scoped read
	CallWrite    = "write"    // [Engine.Write]: a feature's policy-scoped write
	CallTick     = "tick"     // [Engine.Tick]
	CallDispatch = "dispatch" // [Dispatcher.RunOnce]
	CallSend     = "send"     // one notice's send within a dispatch
)

// fireCall is the [Call] of every Fire: a package variable, so that
// passing it allocates nothing.
var fireCall = Call{Name: CallFire}

// LabelUnknown labels what the engine cannot name from its models (an
// event or a model a caller named that does not exist), so that a label
// never holds a caller's free text.
const LabelUnknown = "unknown"

// Outcome is how an observed operation ended.
type Outcome string

// The outcomes an [Observer] sees.
const (
	OutcomeOK Outcome = "ok"
	// OutcomeConflict: an optimistic version check failed ([ErrConflict]).
	OutcomeConflict Outcome = "conflict"
	// OutcomeRulesRejected: the event's rules rejected it ([ErrRulesRejected]).
	OutcomeRulesRejected Outcome = "rules_rejected"
	// OutcomeForbidden: the policy or the event's roles denied it.
	OutcomeForbidden Outcome = "forbidden"
	// OutcomeInvalid: bad input — a failed validation, an event not
	// allowed from the state or unknown, a missing case, a reused
	// idempotency key.
	OutcomeInvalid Outcome = "invalid"
	// OutcomePaused: a send's channel is misconfigured ([Misconfigured]),
	// or a dispatch found its channel paused ([ErrChannelPaused]).
	OutcomePaused Outcome = "paused"
	// OutcomeError: anything else (the store failed, the context ended).
	OutcomeError Outcome = "error"
)

// OutcomeOf classifies err as an [Observer] reports it.
func OutcomeOf(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrConflict):
		return OutcomeConflict
	case errors.Is(err, ErrRulesRejected):
		return OutcomeRulesRejected
	case errors.Is(err, ErrForbidden):
		return OutcomeForbidden
	case errors.Is(err, ErrInvalid), errors.Is(err, ErrTransitionNotAllowed), errors.Is(err, ErrNotFound),
		errors.Is(err, ErrIdempotencyMismatch):
		return OutcomeInvalid
	case errors.Is(err, ErrChannelPaused):
		return OutcomePaused
	}
	return OutcomeError
}

// TransitionEvent is one Fire. Model, Event, From and To are names from
// the case's model. Model and Event are [LabelUnknown] when the call did
// not get as far as the case's model (a missing case, an actor the screen
// or the policy refused) or named an event the model lacks; From is empty
// when the model was not reached, To when the event has no edge from the
// case's state.
type TransitionEvent struct {
	Model   string
	Event   string
	From    string
	To      string
	Outcome Outcome
	// Rules are the names of the rules that rejected the transition (only
	// with OutcomeRulesRejected), one per rule.
	Rules []string
	// Replayed: an idempotency key answered the call with an earlier result.
	Replayed bool
	// Start is when the call started; Duration how long it took (the
	// process's monotonic clock, not the engine's Clock).
	Start    time.Time
	Duration time.Duration
}

// DenialEvent is one policy denial: the operation refused and the rule
// that refused it.
type DenialEvent struct {
	Operation Operation
	Rule      string
}

// NoticeOutcome is what happened to a notice.
type NoticeOutcome string

// The notice outcomes an [Observer] sees.
const (
	NoticeEnqueued NoticeOutcome = "enqueued"
	NoticeSentOK   NoticeOutcome = "sent"
	// NoticeRetried: the send failed and the notice waits for another try
	// (or was released unsent: its lease ran out, or the dispatcher stopped).
	NoticeRetried NoticeOutcome = "retried"
	NoticeDeadEnd NoticeOutcome = "dead"
	// NoticePaused: the channel is misconfigured ([Misconfigured]); the
	// notice is pending again, its attempt refunded, and the dispatcher
	// pauses the channel.
	NoticePaused NoticeOutcome = "paused"
)

// NoticeEvent is one notice's step. Channel is the dispatcher's
// [DispatcherOptions.Channel] (empty when enqueued: the outbox is shared).
type NoticeEvent struct {
	Kind    string
	Channel string
	Outcome NoticeOutcome
	// Latency, for a sent notice, is from its creation to its send (the
	// dispatcher's Clock); zero otherwise.
	Latency time.Duration
}

// CycleEvent is the end of one [Engine.Tick] ("tick") or
// [Dispatcher.RunOnce] ("dispatch"). Items is how many timers the tick
// handled or how many notices the round claimed.
type CycleEvent struct {
	Kind     string
	Channel  string // the dispatcher's channel; empty for a tick
	Items    int
	Outcome  Outcome
	Start    time.Time
	Duration time.Duration
}

// TxEvent is one store transaction the engine ran of its own. Write is
// false for a read-only one.
type TxEvent struct {
	Write    bool
	Outcome  Outcome
	Start    time.Time
	Duration time.Duration
}

// NopObserver does nothing. Embed it in an [Observer] to implement only
// some methods and to keep compiling when methods are added.
type NopObserver struct{}

func (NopObserver) Begin(ctx context.Context, _ Call) context.Context { return ctx }
func (NopObserver) End(context.Context, Call, Outcome)                {}
func (NopObserver) Transition(context.Context, TransitionEvent)       {}
func (NopObserver) Denial(context.Context, DenialEvent)               {}
func (NopObserver) Notice(context.Context, NoticeEvent)               {}
func (NopObserver) Cycle(context.Context, CycleEvent)                 {}
func (NopObserver) StoreTx(context.Context, TxEvent)                  {}

// observeFire reports one Fire to the engine's observer (set). p is the
// command's plan (nil when the call was refused before it had one); fresh
// is set when the call made a new transition (its notices were enqueued).
func (e *Engine) observeFire(ctx context.Context, p *plan, start time.Time, event string, res *FireResult, fresh bool, err error) {
	ev := TransitionEvent{Model: LabelUnknown, Event: LabelUnknown, Outcome: OutcomeOf(err), Start: start, Duration: time.Since(start)}
	if p != nil && p.m != nil {
		ev.Model = p.m.Name()
		if p.ev != nil {
			ev.Event = event // a name of the model's: load found it there
		}
		switch {
		case p.t.From != "": // prepare got as far as the transition
			ev.From = p.t.From
		case p.c != nil:
			ev.From = p.c.State // as loaded: a state of the model's
		}
		if p.st != nil {
			ev.To = p.st.to
		}
	}
	if ev.Outcome == OutcomeRulesRejected {
		ev.Rules = rejectingRules(err)
	}
	ev.Replayed = res != nil && res.Replayed
	e.obs.Transition(ctx, ev)
	defer e.obs.End(ctx, fireCall, ev.Outcome)
	if fresh {
		for i := range res.Notices {
			e.obs.Notice(ctx, NoticeEvent{Kind: res.Notices[i].Kind, Outcome: NoticeEnqueued})
		}
	}
}

// rejectingRules names the rules that rejected the transition in err. A
// function of its own: the target errors.As takes the address of moves to
// the heap, and a Fire that was not rejected needs none.
func rejectingRules(err error) []string {
	var rr *RulesRejectedError
	if !errors.As(err, &rr) {
		return nil
	}
	rules := make([]string, len(rr.Failures))
	for i, f := range rr.Failures {
		rules[i] = f.Rule
	}
	return rules
}

// observeDenial reports fe to the observer of the engine that made it,
// once however many runners see it.
func observeDenial(ctx context.Context, fe *ForbiddenError) {
	if fe.obs == nil || fe.observed || fe.access == nil {
		return
	}
	fe.observed = true
	fe.obs.Denial(ctx, DenialEvent{Operation: fe.access.Operation, Rule: fe.Rule})
}

// txDone reports a store transaction that started at start to the
// engine's observer (set).
func (e *Engine) txDone(ctx context.Context, write bool, start time.Time, err error) {
	e.obs.StoreTx(ctx, TxEvent{Write: write, Outcome: OutcomeOf(err), Start: start, Duration: time.Since(start)})
}

// MaxTraceBytes bounds a trace context carried with a notice
// ([Notice.Trace]): a W3C traceparent is 55 bytes, a tracestate at most
// 512.
const MaxTraceBytes = 600

type traceKey struct{}

// WithTrace returns ctx carrying trace, the propagation form of the trace
// the call in ctx belongs to: a W3C traceparent (adapters/telemetry puts
// only that there; a ";" and a tracestate may follow it). Notices enqueued under the returned context
// are stored with it ([Notice.Trace]) by the engine and by every outbox
// in this module. An empty trace, or one longer than [MaxTraceBytes] or
// holding other than printable ASCII, is ignored: ctx is returned as it
// is.
func WithTrace(ctx context.Context, trace string) context.Context {
	if trace == "" || len(trace) > MaxTraceBytes || !printableASCII(trace) {
		return ctx
	}
	return context.WithValue(ctx, traceKey{}, trace)
}

// TraceFrom returns the trace context [WithTrace] put in ctx, or "".
func TraceFrom(ctx context.Context) string {
	t, _ := ctx.Value(traceKey{}).(string)
	return t
}
