package telemetrytest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

const secret = "eetu@example.fi"

// record returns the spans of one trace whose every text is clean but
// for what dirty writes into the root span.
func record(t *testing.T, dirty func(root trace.Span, link *trace.Link)) tracetest.SpanStubs {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	tr := tp.Tracer("test")
	_, other := tr.Start(context.Background(), "other")
	other.End()
	ts, err := trace.ParseTraceState("vendor=clean")
	require.NoError(t, err)
	link := trace.Link{SpanContext: other.SpanContext().WithTraceState(ts), Attributes: []attribute.KeyValue{attribute.String("k", "clean")}}
	var root trace.Span
	if dirty == nil {
		_, root = tr.Start(context.Background(), "root", trace.WithLinks(link))
	} else {
		// The link is given at start: dirty may change it first.
		var l = link
		dirty(nil, &l)
		_, root = tr.Start(context.Background(), "root", trace.WithLinks(l))
		dirty(root, nil)
	}
	root.SetAttributes(attribute.String("kind", "absence"))
	root.AddEvent("clean", trace.WithAttributes(attribute.String("k", "clean")))
	root.End()
	return exp.GetSpans()
}

// metrics returns a collection with one data point of each known kind,
// clean but for the attribute value v on the kind named dirty.
func metrics(dirty, v string) metricdata.ResourceMetrics {
	attrs := func(kind string) attribute.Set {
		if kind == dirty {
			return attribute.NewSet(attribute.String("label", v))
		}
		return attribute.NewSet(attribute.String("label", "clean"))
	}
	ex := func(kind string) []attribute.KeyValue {
		if dirty == kind+" exemplar" {
			return []attribute.KeyValue{attribute.String("filtered", v)}
		}
		return nil
	}
	return metricdata.ResourceMetrics{
		Resource: resource.NewSchemaless(attribute.String("service.name", map[bool]string{true: v, false: "svc"}[dirty == "resource"])),
		ScopeMetrics: []metricdata.ScopeMetrics{{
			Scope: instrumentation.Scope{Name: "s", Attributes: attrs("scope")},
			Metrics: []metricdata.Metrics{
				{Name: "sum.int", Data: metricdata.Sum[int64]{DataPoints: []metricdata.DataPoint[int64]{{Attributes: attrs("sum.int"),
					Exemplars: []metricdata.Exemplar[int64]{{FilteredAttributes: ex("sum.int")}}}}}},
				{Name: "sum.float", Data: metricdata.Sum[float64]{DataPoints: []metricdata.DataPoint[float64]{{Attributes: attrs("sum.float")}}}},
				{Name: "gauge.int", Data: metricdata.Gauge[int64]{DataPoints: []metricdata.DataPoint[int64]{{Attributes: attrs("gauge.int")}}}},
				{Name: "gauge.float", Data: metricdata.Gauge[float64]{DataPoints: []metricdata.DataPoint[float64]{{Attributes: attrs("gauge.float")}}}},
				{Name: "hist.int", Data: metricdata.Histogram[int64]{DataPoints: []metricdata.HistogramDataPoint[int64]{{Attributes: attrs("hist.int")}}}},
				{Name: "hist.float", Data: metricdata.Histogram[float64]{DataPoints: []metricdata.HistogramDataPoint[float64]{{Attributes: attrs("hist.float"),
					Exemplars: []metricdata.Exemplar[float64]{{FilteredAttributes: ex("hist.float")}}}}}},
			},
		}},
	}
}

// Personal data is found wherever the SDK records text: the check names
// the place. Clean data passes.
func TestCheckFindsEveryPlace(t *testing.T) {
	require.NoError(t, Check(metrics("", ""), record(t, nil), secret))

	spans := map[string]func(root trace.Span, link *trace.Link){
		"name": func(root trace.Span, _ *trace.Link) {
			if root != nil {
				root.SetName("send to " + secret)
			}
		},
		"status": func(root trace.Span, _ *trace.Link) {
			if root != nil {
				root.SetStatus(codes.Error, "refused "+secret)
			}
		},
		"attribute to": func(root trace.Span, _ *trace.Link) {
			if root != nil {
				root.SetAttributes(attribute.String("to", secret))
			}
		},
		"event \"bounce " + secret: func(root trace.Span, _ *trace.Link) {
			if root != nil {
				root.AddEvent("bounce " + secret)
			}
		},
		"attribute rcpt": func(root trace.Span, _ *trace.Link) {
			if root != nil {
				root.AddEvent("bounce", trace.WithAttributes(attribute.String("rcpt", secret)))
			}
		},
		"link 0 attribute k": func(_ trace.Span, l *trace.Link) {
			if l != nil {
				l.Attributes = []attribute.KeyValue{attribute.String("k", secret)}
			}
		},
		"link 0 tracestate": func(_ trace.Span, l *trace.Link) {
			if l != nil {
				ts, _ := trace.ParseTraceState("vendor=eetu")
				l.SpanContext = l.SpanContext.WithTraceState(ts)
			}
		},
	}
	for where, dirty := range spans {
		personal := secret
		if strings.Contains(where, "tracestate") {
			personal = "eetu"
		}
		err := Check(metrics("", ""), record(t, dirty), personal)
		require.Error(t, err, where)
		assert.Contains(t, err.Error(), where)
	}
	for _, kind := range []string{"resource", "scope", "sum.int", "sum.float", "gauge.int", "gauge.float", "hist.int", "hist.float",
		"sum.int exemplar", "hist.float exemplar"} {
		err := Check(metrics(kind, "x "+secret), record(t, nil), secret)
		require.Error(t, err, kind)
		where := kind
		switch kind {
		case "sum.int exemplar", "hist.float exemplar":
			where = "metric " + strings.TrimSuffix(kind, " exemplar") + " exemplar"
		case "resource", "scope":
		default:
			where = "metric " + kind
		}
		assert.Contains(t, err.Error(), where)
	}
}

// Metric data of a kind the scan does not know, or nothing at all to
// scan, fails the check rather than passing unscanned.
func TestCheckRefusesWhatItCannotScan(t *testing.T) {
	rm := metricdata.ResourceMetrics{ScopeMetrics: []metricdata.ScopeMetrics{{Metrics: []metricdata.Metrics{
		{Name: "exp", Data: metricdata.ExponentialHistogram[float64]{}}}}}}
	err := Check(rm, nil, secret)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exp")
	require.Error(t, Check(metricdata.ResourceMetrics{}, nil, secret))
}

type fakeTB struct{ failed []string }

func (f *fakeTB) Helper()           {}
func (f *fakeTB) Fatal(args ...any) { f.failed = append(f.failed, fmt.Sprint(args...)) }

// RequireNoPersonal fails the test with the check's error.
func TestRequireNoPersonal(t *testing.T) {
	tb := &fakeTB{}
	RequireNoPersonal(tb, metrics("", ""), record(t, nil), secret)
	assert.Empty(t, tb.failed)
	RequireNoPersonal(tb, metrics("gauge.int", secret), record(t, nil), secret)
	require.Len(t, tb.failed, 1)
	assert.Contains(t, tb.failed[0], "metric gauge.int attribute label")
}
