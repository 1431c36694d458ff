package telemetry

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// traceparentKey is the W3C Trace Context header a notice's trace is
// read back through.
const traceparentKey = "traceparent"

// parentCarrier is a [propagation.TextMapCarrier] holding only a W3C
// traceparent.
type parentCarrier string

func (c *parentCarrier) Get(key string) string {
	if key == traceparentKey {
		return string(*c)
	}
	return ""
}

func (c *parentCarrier) Set(key, value string) {
	if key == traceparentKey {
		*c = parentCarrier(value)
	}
}

func (c *parentCarrier) Keys() []string { return []string{traceparentKey} }

// formatTrace returns the propagation form of the span context in ctx
// ("" when it has none valid): its W3C traceparent, version 00, built
// here from the span context's ids and flags, so that it is always
// "00-<32 hex>-<16 hex>-<2 hex>" whatever the propagator. The tracestate
// is left out: it is text whoever started the trace chose (a caller of
// the API, when its trace is continued), and the propagation form is
// stored with the notices and returned by the API. It stays in the
// in-process span context.
func formatTrace(ctx context.Context) string {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return ""
	}
	var b strings.Builder
	b.Grow(55)
	b.WriteString("00-")
	b.WriteString(sc.TraceID().String())
	b.WriteByte('-')
	b.WriteString(sc.SpanID().String())
	b.WriteByte('-')
	b.WriteString((sc.TraceFlags() & trace.FlagsSampled).String())
	return b.String()
}

// parseTrace returns the span context of a propagation form: a W3C
// traceparent, anything after a ";" ignored (the tracestate older
// versions stored with it). It is invalid when s is empty or malformed.
func parseTrace(s string) trace.SpanContext {
	if s == "" {
		return trace.SpanContext{}
	}
	parent, _, _ := strings.Cut(s, ";")
	c := parentCarrier(parent)
	return trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), &c))
}
