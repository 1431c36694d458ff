package telemetry

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/valmennus/valmennus/coaching"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/valmennus/valmennus/adapters/telemetry"

// DefaultOutboxTimeout is the default of [Options.OutboxTimeout].
const DefaultOutboxTimeout = 2 * time.Second

// DefaultOutboxMinInterval is the default of [Options.OutboxMinInterval].
const DefaultOutboxMinInterval = 5 * time.Second

// Options configure [New]. A nil *Options is all defaults.
type Options struct {
	// MeterProvider records the metrics. Defaults to
	// otel.GetMeterProvider() (a no-op until the host sets a global one).
	MeterProvider metric.MeterProvider
	// TracerProvider records the spans. Defaults to
	// otel.GetTracerProvider() (a no-op until the host sets a global one).
	TracerProvider trace.TracerProvider
	// Propagator extracts an incoming HTTP request's trace context in
	// [Observer.Handler]. Defaults to propagation.TraceContext{}. The
	// propagation form notices carry ([coaching.WithTrace]) is always a
	// W3C traceparent, whatever the propagator: see [Observer.Begin].
	Propagator propagation.TextMapPropagator
	// TrustIncomingTrace makes [Observer.Handler] continue the trace an
	// incoming request carries, as OpenTelemetry does by default: the
	// request's span is the child of the caller's, and the caller's
	// sampled flag and tracestate apply. Set it only when every caller
	// is trusted: a service behind a proxy that drops or sets the trace
	// headers, or an internal listener. By default (false) the request's
	// span starts a new trace (a new root, sampled by the host's own
	// sampler) with a link to the incoming span context, its tracestate
	// dropped, so that an anonymous caller can neither choose the trace
	// ids the notices are stored with nor force spans to be sampled, and
	// its free text reaches no exporter.
	TrustIncomingTrace bool
	// Outbox, when set, is read at each metric collection for the outbox
	// gauges (valmennus.outbox.*). Optional: without it there are no
	// outbox gauges. Pass the store (the memory, sqlite and postgres
	// stores implement [coaching.OutboxInspector]).
	Outbox coaching.OutboxInspector
	// OutboxTimeout bounds each read of Outbox, so that a slow database
	// cannot stall a collection (the gauges are then left out of that
	// collection). Defaults to [DefaultOutboxTimeout], 2 seconds.
	OutboxTimeout time.Duration
	// OutboxMinInterval is how long a read of Outbox is reused: the
	// collections within it report the outbox gauges read at its start
	// (a few seconds stale) instead of reading the store again, so that
	// a flood of scrapes cannot become a flood of database queries.
	// Measured on Clock. Defaults to [DefaultOutboxMinInterval], 5
	// seconds (0 means the default); a negative value reads the store at
	// every collection. A failed read is not reused.
	OutboxMinInterval time.Duration
	// MinStoreTxSpan is the shortest store transaction that gets a span
	// of its own: one that took less is only recorded in the
	// valmennus.store.tx.duration histogram. A host on a fast store (the
	// memory store, a local SQLite) sets it, e.g. to a millisecond, so as
	// not to pay for a span per transaction (about a quarter of the
	// cost of a traced Fire on the memory store) while slow transactions
	// still show in their traces. Defaults to 0: every transaction gets
	// its span.
	MinStoreTxSpan time.Duration
	// Clock tells the instant Outbox is read at (what is due, the lag).
	// Defaults to [coaching.SystemClock]; give the engine's clock when it
	// is not the system's.
	Clock coaching.Clock
}

// Observer is a [coaching.Observer] recording into OpenTelemetry. Build it
// with [New]; it is safe for concurrent use. Pass it in
// [coaching.Options.Observer] and [coaching.DispatcherOptions.Observer].
type Observer struct {
	tracer   trace.Tracer
	prop     propagation.TextMapPropagator
	trustIn  bool
	minTxDur time.Duration
	outbox   outboxCache

	transitions, rejections, denials, notices, cycles, cycleItems metric.Int64ObservableCounter
	transitionDur, latency, cycleDur, txDur                       metric.Float64Histogram
	counts                                                        countList

	transitionC *labelCache[transitionKey, *transitionLabels]
	ruleC       *labelCache[ruleKey, *count]
	denialC     *labelCache[denialKey, *count]
	noticeC     *labelCache[noticeKey, *noticeLabels]
	cycleC      *labelCache[cycleKey, *cycleLabels]
	txC         *labelCache[txKey, *txLabels]
	callC       *labelCache[coaching.Call, *callLabels]
	outcomeC    *labelCache[coaching.Outcome, []attribute.KeyValue]

	regMu          sync.Mutex
	reg, countsReg metric.Registration // the gauges' and the counters' callbacks; regMu

	mu       sync.Mutex                      // guards channels
	channels map[string]*coaching.Dispatcher // WatchChannel's
}

var _ coaching.Observer = (*Observer)(nil)

// Duration histograms' bucket boundaries in seconds: from a memory-store
// Fire (tens of microseconds) to a slow database transaction.
var durationBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// latencyBuckets are a notice's delivery latency's, in seconds: from a
// notice sent at once to one that waited a day for its digest time.
var latencyBuckets = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400, 172800}

// New returns an observer recording into the providers of opts.
func New(opts *Options) (*Observer, error) {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.MeterProvider == nil {
		o.MeterProvider = otel.GetMeterProvider()
	}
	if o.TracerProvider == nil {
		o.TracerProvider = otel.GetTracerProvider()
	}
	if o.Propagator == nil {
		o.Propagator = propagation.TraceContext{}
	}
	if o.MinStoreTxSpan < 0 {
		return nil, fmt.Errorf("telemetry: New: MinStoreTxSpan %s is negative", o.MinStoreTxSpan)
	}
	if o.OutboxTimeout < 0 {
		return nil, fmt.Errorf("telemetry: New: OutboxTimeout %s is negative", o.OutboxTimeout)
	}
	if o.OutboxTimeout == 0 {
		o.OutboxTimeout = DefaultOutboxTimeout
	}
	if o.Clock == nil {
		o.Clock = coaching.SystemClock{}
	}
	if o.OutboxMinInterval == 0 {
		o.OutboxMinInterval = DefaultOutboxMinInterval
	}
	obs := &Observer{
		tracer:   o.TracerProvider.Tracer(ScopeName),
		prop:     o.Propagator,
		trustIn:  o.TrustIncomingTrace,
		minTxDur: o.MinStoreTxSpan,
	}
	meter := o.MeterProvider.Meter(ScopeName)
	var errs []error
	counter := func(name, unit, desc string) metric.Int64ObservableCounter {
		c, err := meter.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	histogram := func(name, desc string, buckets []float64) metric.Float64Histogram {
		h, err := meter.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc), metric.WithExplicitBucketBoundaries(buckets...))
		errs = append(errs, err)
		return h
	}
	obs.transitions = counter("valmennus.transitions", "{transition}", "Fires, by model, event, source and target state and outcome.")
	obs.rejections = counter("valmennus.rule.rejections", "{rejection}", "Rules that rejected a transition, one per rule.")
	obs.denials = counter("valmennus.policy.denials", "{denial}", "Policy denials, by operation and rule.")
	obs.notices = counter("valmennus.notices", "{notice}", "Notices enqueued, and the outcomes of their sends, by kind and channel.")
	obs.cycles = counter("valmennus.cycles", "{cycle}", "Ticks and dispatch rounds.")
	obs.cycleItems = counter("valmennus.cycle.items", "{item}", "Timers a tick handled and notices a dispatch round claimed.")
	obs.transitionDur = histogram("valmennus.transition.duration", "How long a Fire took.", durationBuckets)
	obs.latency = histogram("valmennus.notice.latency", "From a notice's creation to its send.", latencyBuckets)
	obs.cycleDur = histogram("valmennus.cycle.duration", "How long a tick or a dispatch round took.", durationBuckets)
	obs.txDur = histogram("valmennus.store.tx.duration", "How long a store transaction of the engine's took.", durationBuckets)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("telemetry: New: %w", err)
	}
	obs.transitionC = newLabelCache(obs.buildTransition, transitionKey{model: OverflowLabel, event: OverflowLabel, from: OverflowLabel, to: OverflowLabel, outcome: OverflowLabel})
	obs.ruleC = newLabelCache(func(k ruleKey) *count {
		return obs.counts.add(obs.rejections, attribute.String("model", k.model), attribute.String("event", k.event), attribute.String("rule", k.rule))
	}, ruleKey{OverflowLabel, OverflowLabel, OverflowLabel})
	obs.denialC = newLabelCache(func(k denialKey) *count {
		return obs.counts.add(obs.denials, attribute.String("operation", k.operation), attribute.String("rule", k.rule))
	}, denialKey{OverflowLabel, OverflowLabel})
	obs.noticeC = newLabelCache(obs.buildNotice, noticeKey{OverflowLabel, OverflowLabel, OverflowLabel})
	obs.cycleC = newLabelCache(obs.buildCycle, cycleKey{OverflowLabel, OverflowLabel, OverflowLabel})
	obs.txC = newLabelCache(buildTx, txKey{outcome: OverflowLabel})
	obs.callC = newLabelCache(buildCall, coaching.Call{Name: OverflowLabel, Kind: OverflowLabel, Channel: OverflowLabel})
	obs.outcomeC = newLabelCache(func(k coaching.Outcome) []attribute.KeyValue {
		return []attribute.KeyValue{attribute.String("outcome", string(k))}
	}, OverflowLabel)
	reg, err := meter.RegisterCallback(obs.counts.observe, obs.transitions, obs.rejections, obs.denials, obs.notices, obs.cycles, obs.cycleItems)
	if err != nil {
		return nil, fmt.Errorf("telemetry: New: %w", err)
	}
	obs.countsReg = reg
	if err := obs.registerGauges(meter, o); err != nil {
		return nil, fmt.Errorf("telemetry: New: %w", err)
	}
	return obs, nil
}

// Close stops the callbacks that report the gauges and the counters, so
// that a meter provider that outlives the observer no longer reads the
// outbox or the dispatchers, nor reports this observer's counts (which
// stop at the values they had). The spans and histograms keep working.
// It is safe to call more than once, and concurrently.
func (o *Observer) Close() error {
	// Not mu: a collection holds the SDK's lock while the gauges' callback
	// takes mu, and Unregister takes the SDK's lock.
	o.regMu.Lock()
	defer o.regMu.Unlock()
	var errs []error
	for _, r := range []*metric.Registration{&o.reg, &o.countsReg} {
		if *r != nil {
			errs = append(errs, (*r).Unregister())
			*r = nil
		}
	}
	return errors.Join(errs...)
}

// count is one counter's running total for one label tuple. The counters
// are observable: an event adds to its tuple's total with one atomic add,
// and a collection reports the totals (the SDK's synchronous counters
// would normalise the attribute set at every event, several times the
// cost of a memory-store Fire's bookkeeping).
type count struct {
	inst metric.Int64ObservableCounter
	opt  []metric.ObserveOption
	n    atomic.Int64
}

// countList is every count made so far, copy on write.
type countList struct {
	mu  sync.Mutex
	all atomic.Pointer[[]*count]
}

// add returns a new count of inst with the attributes kvs, reported from
// the next collection on.
func (l *countList) add(inst metric.Int64ObservableCounter, kvs ...attribute.KeyValue) *count {
	c := &count{inst: inst, opt: []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}}
	l.mu.Lock()
	defer l.mu.Unlock()
	var next []*count
	if cur := l.all.Load(); cur != nil {
		next = append(next, *cur...)
	}
	next = append(next, c)
	l.all.Store(&next)
	return c
}

// observe reports every count.
func (l *countList) observe(_ context.Context, ob metric.Observer) error {
	if cur := l.all.Load(); cur != nil {
		for _, c := range *cur {
			ob.ObserveInt64(c.inst, c.n.Load(), c.opt...)
		}
	}
	return nil
}

func recordOpts(kvs ...attribute.KeyValue) []metric.RecordOption {
	return []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}
}

type transitionKey struct {
	model, event, from, to string
	outcome                coaching.Outcome
	replayed               bool
}

type transitionLabels struct {
	count *count                // model, event, from, to, outcome
	dur   []metric.RecordOption // model, event, outcome
	span  []attribute.KeyValue  // model, event, from, to, outcome, replayed
}

func (o *Observer) buildTransition(k transitionKey) *transitionLabels {
	model, event := attribute.String("model", k.model), attribute.String("event", k.event)
	from, to, outcome := attribute.String("from", k.from), attribute.String("to", k.to), attribute.String("outcome", string(k.outcome))
	return &transitionLabels{
		count: o.counts.add(o.transitions, model, event, from, to, outcome),
		dur:   recordOpts(model, event, outcome),
		span:  []attribute.KeyValue{model, event, from, to, outcome, attribute.Bool("replayed", k.replayed)},
	}
}

type ruleKey struct{ model, event, rule string }

type denialKey struct {
	operation string
	rule      string
}

type noticeKey struct {
	kind, channel string
	outcome       coaching.NoticeOutcome
}

type noticeLabels struct {
	count   *count                // kind, channel, outcome
	latency []metric.RecordOption // kind, channel
}

func (o *Observer) buildNotice(k noticeKey) *noticeLabels {
	kind, channel := attribute.String("kind", k.kind), attribute.String("channel", k.channel)
	return &noticeLabels{
		count:   o.counts.add(o.notices, kind, channel, attribute.String("outcome", string(k.outcome))),
		latency: recordOpts(kind, channel),
	}
}

type cycleKey struct {
	kind, channel string
	outcome       coaching.Outcome
}

type cycleLabels struct {
	count, items *count
	dur          []metric.RecordOption
}

func (o *Observer) buildCycle(k cycleKey) *cycleLabels {
	kvs := []attribute.KeyValue{attribute.String("kind", k.kind), attribute.String("channel", k.channel), attribute.String("outcome", string(k.outcome))}
	return &cycleLabels{count: o.counts.add(o.cycles, kvs...), items: o.counts.add(o.cycleItems, kvs...), dur: recordOpts(kvs...)}
}

type txKey struct {
	write   bool
	outcome coaching.Outcome
}

type txLabels struct {
	dur  []metric.RecordOption
	span trace.SpanStartOption // the span's attributes
}

func buildTx(k txKey) *txLabels {
	write, outcome := attribute.Bool("write", k.write), attribute.String("outcome", string(k.outcome))
	return &txLabels{dur: recordOpts(write, outcome), span: trace.WithAttributes(write, outcome)}
}

// callLabels are what a call's span starts with.
type callLabels struct {
	name  string
	start []trace.SpanStartOption
}

func buildCall(c coaching.Call) *callLabels {
	var kvs []attribute.KeyValue
	if c.Kind != "" {
		kvs = append(kvs, attribute.String("kind", c.Kind))
	}
	if c.Channel != "" {
		kvs = append(kvs, attribute.String("channel", c.Channel))
	}
	start := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal)}
	if len(kvs) > 0 {
		start = append(start, trace.WithAttributes(kvs...))
	}
	return &callLabels{name: "valmennus." + c.Name, start: start}
}

// Begin starts the call's span, a child of the span in ctx (for a send,
// of the trace the notice was enqueued under, linked to the dispatch
// round's span in ctx), and puts the span and its propagation form
// ([coaching.WithTrace]: its W3C traceparent only, never a tracestate,
// which is free text) in the returned context.
func (o *Observer) Begin(ctx context.Context, call coaching.Call) context.Context {
	key := call
	key.Trace = "" // the trace is per notice: not a label
	l := o.callC.get(key)
	start := l.start
	parent := ctx
	if call.Name == coaching.CallSend {
		if sc := parseTrace(call.Trace); sc.IsValid() {
			if round := trace.SpanContextFromContext(ctx); round.IsValid() {
				start = append(start[:len(start):len(start)], trace.WithLinks(trace.Link{SpanContext: round}))
			}
			parent = trace.ContextWithRemoteSpanContext(ctx, sc)
		}
	}
	ctx, _ = o.tracer.Start(parent, l.name, start...)
	if t := formatTrace(ctx); t != "" {
		ctx = coaching.WithTrace(ctx, t)
	}
	return ctx
}

// End records the call's outcome on its span (status Error for
// [coaching.OutcomeError]) and ends it.
func (o *Observer) End(ctx context.Context, call coaching.Call, outcome coaching.Outcome) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if call.Name != coaching.CallFire {
		// A fire span has its outcome from Transition, which the engine
		// reports before End: setting it again would only make the SDK
		// deduplicate the span's attributes.
		span.SetAttributes(o.outcomeC.get(outcome)...)
	}
	if outcome == coaching.OutcomeError {
		span.SetStatus(codes.Error, string(outcome))
	}
	span.End()
}

// Transition counts the Fire, records its duration and the rules that
// rejected it, and labels the fire span with it.
func (o *Observer) Transition(ctx context.Context, e coaching.TransitionEvent) {
	l := o.transitionC.get(transitionKey{model: e.Model, event: e.Event, from: e.From, to: e.To, outcome: e.Outcome, replayed: e.Replayed})
	l.count.n.Add(1)
	o.transitionDur.Record(ctx, e.Duration.Seconds(), l.dur...)
	for _, r := range e.Rules {
		o.ruleC.get(ruleKey{model: e.Model, event: e.Event, rule: r}).n.Add(1)
	}
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(l.span...)
	}
}

// Denial counts the policy denial.
func (o *Observer) Denial(ctx context.Context, e coaching.DenialEvent) {
	o.denialC.get(denialKey{operation: string(e.Operation), rule: e.Rule}).n.Add(1)
}

// Notice counts the notice's step and records a sent one's latency.
func (o *Observer) Notice(ctx context.Context, e coaching.NoticeEvent) {
	l := o.noticeC.get(noticeKey{kind: e.Kind, channel: e.Channel, outcome: e.Outcome})
	l.count.n.Add(1)
	if e.Outcome == coaching.NoticeSentOK {
		o.latency.Record(ctx, e.Latency.Seconds(), l.latency...)
	}
}

// Cycle counts the tick or dispatch round, its items and its duration.
func (o *Observer) Cycle(ctx context.Context, e coaching.CycleEvent) {
	l := o.cycleC.get(cycleKey{kind: e.Kind, channel: e.Channel, outcome: e.Outcome})
	l.count.n.Add(1)
	l.items.n.Add(int64(max(e.Items, 0)))
	o.cycleDur.Record(ctx, e.Duration.Seconds(), l.dur...)
}

// StoreTx records the transaction's duration and, under a call's span,
// a child span valmennus.store.tx with the transaction's own start and
// end.
func (o *Observer) StoreTx(ctx context.Context, e coaching.TxEvent) {
	l := o.txC.get(txKey{write: e.Write, outcome: e.Outcome})
	o.txDur.Record(ctx, e.Duration.Seconds(), l.dur...)
	if e.Duration < o.minTxDur || !trace.SpanFromContext(ctx).IsRecording() {
		// Too short to be worth a span; or no call span, or one not
		// sampled: no orphan transaction spans.
		return
	}
	_, span := o.tracer.Start(ctx, "valmennus.store.tx", l.span, trace.WithTimestamp(e.Start))
	if e.Outcome == coaching.OutcomeError {
		span.SetStatus(codes.Error, string(e.Outcome))
	}
	span.End(trace.WithTimestamp(e.Start.Add(e.Duration)))
}
