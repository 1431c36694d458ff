package telemetry

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// The keys of the W3C Trace Context headers, the only ones the
// propagation form of a notice's trace keeps.
const (
	traceparentKey = "traceparent"
	tracestateKey  = "tracestate"
)

// traceCarrier is a [propagation.TextMapCarrier] holding only the W3C
// trace context: what [coaching.WithTrace] carries.
type traceCarrier struct {
	parent, state string
}

func (c *traceCarrier) Get(key string) string {
	switch key {
	case traceparentKey:
		return c.parent
	case tracestateKey:
		return c.state
	}
	return ""
}

func (c *traceCarrier) Set(key, value string) {
	switch key {
	case traceparentKey:
		c.parent = value
	case tracestateKey:
		c.state = value
	}
}

func (c *traceCarrier) Keys() []string { return []string{traceparentKey, tracestateKey} }

// formatTrace returns the propagation form of the span context in ctx
// ("" when it has none): the traceparent the propagator injects,
// followed by ";" and the tracestate when there is one.
func formatTrace(ctx context.Context, p propagation.TextMapPropagator) string {
	var c traceCarrier
	p.Inject(ctx, &c)
	if c.parent == "" {
		return ""
	}
	if c.state == "" {
		return c.parent
	}
	return c.parent + ";" + c.state
}

// parseTrace returns the span context of a propagation form
// [formatTrace] made; an invalid one when s is empty or malformed.
func parseTrace(s string, p propagation.TextMapPropagator) trace.SpanContext {
	if s == "" {
		return trace.SpanContext{}
	}
	var c traceCarrier
	c.parent, c.state, _ = strings.Cut(s, ";")
	return trace.SpanContextFromContext(p.Extract(context.Background(), &c))
}
