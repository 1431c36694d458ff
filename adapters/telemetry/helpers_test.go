package telemetry_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/valmennus/valmennus/adapters/telemetry"
	"github.com/valmennus/valmennus/internal/telemetrytest"
)

// rig is an observer on SDK providers with in-memory readers.
type rig struct {
	obs    *telemetry.Observer
	reader *sdkmetric.ManualReader
	spans  *tracetest.InMemoryExporter
	tp     *sdktrace.TracerProvider
}

func newRig(t *testing.T, opts *telemetry.Options) *rig {
	t.Helper()
	r := &rig{reader: sdkmetric.NewManualReader(), spans: tracetest.NewInMemoryExporter()}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(r.spans), sdktrace.WithSampler(sdktrace.AlwaysSample()))
	t.Cleanup(func() {
		_ = mp.Shutdown(context.Background())
		_ = r.tp.Shutdown(context.Background())
	})
	o := telemetry.Options{}
	if opts != nil {
		o = *opts
	}
	o.MeterProvider, o.TracerProvider = mp, r.tp
	obs, err := telemetry.New(&o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = obs.Close() })
	r.obs = obs
	return r
}

func (r *rig) collect(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.reader.Collect(context.Background(), &rm))
	return rm
}

// find returns the metric named name, failing the test when there is none.
func find(t *testing.T, rm metricdata.ResourceMetrics, name string) metricdata.Metrics {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				return m
			}
		}
	}
	t.Fatalf("no metric %s", name)
	return metricdata.Metrics{}
}

// has reports whether set holds every attribute of want (key=value).
func has(set attribute.Set, want map[string]string) bool {
	for k, v := range want {
		got, ok := set.Value(attribute.Key(k))
		if !ok || got.Emit() != v {
			return false
		}
	}
	return true
}

// count sums the int64 points of the counter or gauge name whose
// attributes hold want.
func count(t *testing.T, rm metricdata.ResourceMetrics, name string, want map[string]string) int64 {
	t.Helper()
	m := find(t, rm, name)
	var n int64
	switch d := m.Data.(type) {
	case metricdata.Sum[int64]:
		for _, p := range d.DataPoints {
			if has(p.Attributes, want) {
				n += p.Value
			}
		}
	case metricdata.Gauge[int64]:
		for _, p := range d.DataPoints {
			if has(p.Attributes, want) {
				n += p.Value
			}
		}
	default:
		t.Fatalf("%s is a %T", name, m.Data)
	}
	return n
}

// histCount counts the measurements of the histogram name whose
// attributes hold want.
func histCount(t *testing.T, rm metricdata.ResourceMetrics, name string, want map[string]string) uint64 {
	t.Helper()
	d, ok := find(t, rm, name).Data.(metricdata.Histogram[float64])
	require.True(t, ok, "%s is a float64 histogram", name)
	var n uint64
	for _, p := range d.DataPoints {
		if has(p.Attributes, want) {
			n += p.Count
		}
	}
	return n
}

// requireNoPersonal fails when any text recorded (attributes, names,
// status texts, events, links, tracestates) contains any of values.
func requireNoPersonal(t *testing.T, rm metricdata.ResourceMetrics, spans tracetest.SpanStubs, values ...string) {
	t.Helper()
	telemetrytest.RequireNoPersonal(t, rm, spans, values...)
}

// byName returns the spans named name.
func byName(spans tracetest.SpanStubs, name string) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func attr(kvs []attribute.KeyValue, key string) (string, bool) {
	for _, kv := range kvs {
		if string(kv.Key) == key {
			return kv.Value.Emit(), true
		}
	}
	return "", false
}
