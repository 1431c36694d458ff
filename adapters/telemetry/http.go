package telemetry

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/internal/httpstatus"
)

// knownMethods are the HTTP methods a span is named after; any other
// method, a caller's free text, is named "_OTHER" as OpenTelemetry's HTTP
// conventions ask.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true,
	http.MethodDelete: true, http.MethodConnect: true, http.MethodOptions: true, http.MethodTrace: true,
}

// Handler wraps next so that each request runs in a server span named
// "HTTP <METHOD>" — never after the path, which holds ids — with the
// attributes http.request.method and http.response.status_code (status
// Error for a 5xx answer). The trace context the request carries
// (extracted with the Propagator) is continued only with
// [Options.TrustIncomingTrace]: by default the span is a new root with a
// link to it (its tracestate dropped). The request's context carries the
// span and its propagation form ([coaching.WithTrace]: the traceparent
// only), so that a Fire the handler makes is the span's child and the
// notices it enqueues carry the trace to their sends.
func (o *Observer) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := r.Method
		if !knownMethods[method] {
			method = "_OTHER"
		}
		ctx := r.Context()
		start := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", method))}
		if o.trustIn {
			ctx = o.prop.Extract(ctx, propagation.HeaderCarrier(r.Header))
		} else {
			// A new root, whatever span ctx holds: the request's trace is
			// this process's to choose.
			start = append(start, trace.WithNewRoot())
			in := trace.SpanContextFromContext(o.prop.Extract(context.Background(), propagation.HeaderCarrier(r.Header)))
			if in.IsValid() {
				start = append(start, trace.WithLinks(trace.Link{SpanContext: in.WithTraceState(trace.TraceState{})}))
			}
		}
		ctx, span := o.tracer.Start(ctx, "HTTP "+method, start...)
		defer span.End()
		if t := formatTrace(ctx); t != "" {
			ctx = coaching.WithTrace(ctx, t)
		}
		sw := httpstatus.NewWriter(w)
		defer func() {
			status := sw.Status()
			if status == 0 {
				status = http.StatusOK // nothing written: net/http answers 200
			}
			span.SetAttributes(attribute.Int("http.response.status_code", status))
			if status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}
