// Package telemetry is the OpenTelemetry adapter of the core's observer
// port, [coaching.Observer]: it turns the engine's and the dispatchers'
// events into OpenTelemetry metrics and spans, and offers an HTTP
// middleware that joins a request's trace, so that a Fire under a request,
// the notices it enqueues and their sends, possibly minutes later in
// another process, belong to one trace. The core never imports
// OpenTelemetry; only this package does.
//
// # Getting started
//
//	obs, err := telemetry.New(&telemetry.Options{MeterProvider: mp, TracerProvider: tp, Outbox: store})
//	eng, err := coaching.New(store, &coaching.Options{Observer: obs, ...})
//	disp, err := coaching.NewDispatcher(store, sender, &coaching.DispatcherOptions{Observer: obs, Channel: "email"})
//	http.ListenAndServe(addr, obs.Handler(api))
//
// The host owns the providers and their exporters (OTLP, Prometheus,
// stdout); this package only records into them.
//
// # Spans
//
// Every call the core begins gets a span: valmennus.fire, valmennus.read,
// valmennus.write, valmennus.tick, valmennus.dispatch and valmennus.send,
// a child of whatever span the call's context holds. Each store
// transaction the engine runs of its own is a child span
// valmennus.store.tx with the transaction's own start and end. The fire
// span carries the attributes model, event, from, to, outcome and
// replayed; a send span carries kind, channel and outcome. A call's span
// status is Error when its outcome is [coaching.OutcomeError] (the store
// failed, the context ended); refusals (rules, policy, conflicts, bad
// input) are answers, not errors, and only show in the outcome attribute.
//
// A call's trace context is put in its context with [coaching.WithTrace]
// as a W3C traceparent (00-trace id-span id-flags, hex), so the notices
// it enqueues carry it; the send span of such a notice is a child of that
// trace, with a link to the dispatch round that sent it. The tracestate
// is never stored with a notice: it is free text of whoever started the
// trace, and stays in the process's span context.
//
// # Incoming traces
//
// [Observer.Handler] does not, by default, continue the trace context an
// HTTP request carries: the request's span is a new root, sampled by the
// host's sampler, with a link to the incoming span context (its
// tracestate dropped). A caller of a public API is anonymous until signed
// on, and continuing its trace would let it choose the trace ids the
// notices are stored with (and the API returns), force its requests to
// be sampled, and put its tracestate into the process. OpenTelemetry's
// usual practice, continuing the incoming trace, is
// [Options.TrustIncomingTrace]: for a listener only trusted callers
// reach, such as a service behind a proxy that sets or drops the trace
// headers.
//
// # Metrics
//
// Counters: valmennus.transitions (model, event, from, to, outcome),
// valmennus.rule.rejections (model, event, rule), valmennus.policy.denials
// (operation, rule), valmennus.notices (kind, channel, outcome: enqueued,
// sent, retried, dead, paused), valmennus.cycles and valmennus.cycle.items
// (kind, channel, outcome). Histograms in seconds:
// valmennus.transition.duration (model, event, outcome),
// valmennus.notice.latency (kind, channel: from a notice's creation to its
// send), valmennus.cycle.duration (kind, channel, outcome) and
// valmennus.store.tx.duration (write, outcome; a failed version check is
// outcome=conflict). Gauges, read at each collection when
// [Options.Outbox] is set: valmennus.outbox.depth (status=pending|claimed),
// valmennus.outbox.due, valmennus.outbox.retrying, valmennus.outbox.lag
// (seconds) and valmennus.outbox.dead (channel) — one read of the outbox
// serves the collections of [Options.OutboxMinInterval] (5 seconds), so
// that frequent scrapes do not query the store each time; and, for the
// dispatchers given to [Observer.WatchChannel], valmennus.channel.paused
// (channel; 1 while paused, else 0).
//
// # Personal data
//
// No attribute ever holds a case, participant, actor or notice id, a
// name, an e-mail address or an identity code: the attributes are the
// events' fields, which the core guarantees are bounded labels, the
// call's kind and channel, and an HTTP request's method and status code
// (never its path, which holds ids).
//
// # Cost
//
// The attribute sets of each distinct label tuple are built once and
// cached, so recording a metric allocates nothing; the spans cost what the
// host's TracerProvider makes them cost (sample less to pay less).
package telemetry
