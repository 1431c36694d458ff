// Package telemetrytest scans what an OpenTelemetry SDK recorded for
// personal data, for the tests of adapters/telemetry and of the programs
// that use it. It is internal: test support, not part of the library's
// API.
package telemetrytest

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Text is one piece of recorded text and where it was found.
type Text struct {
	Where string // e.g. `span "HTTP POST" event "x" attribute k`
	Value string
}

// Texts returns every piece of text in rm and spans a person's data could
// hide in: the resource's and the scopes' attributes; every data point's
// attributes and its exemplars' filtered attributes; every span's name,
// status description, attributes and tracestate; its events' names and
// attributes; its links' attributes and tracestates. Metric data of a
// kind it does not know is an error, so that a new kind cannot go
// unscanned.
func Texts(rm metricdata.ResourceMetrics, spans tracetest.SpanStubs) ([]Text, error) {
	var (
		out  []Text
		errs []error
	)
	kvs := func(where string, s []attribute.KeyValue) {
		for _, kv := range s {
			out = append(out, Text{Where: where + " attribute " + string(kv.Key), Value: kv.Value.Emit()})
		}
	}
	if rm.Resource != nil {
		kvs("resource", rm.Resource.Attributes())
	}
	for _, sm := range rm.ScopeMetrics {
		scope := "scope " + sm.Scope.Name
		kvs(scope, sm.Scope.Attributes.ToSlice())
		for _, m := range sm.Metrics {
			where := "metric " + m.Name
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					kvs(where, p.Attributes.ToSlice())
					exemplars(where, p.Exemplars, kvs)
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					kvs(where, p.Attributes.ToSlice())
					exemplars(where, p.Exemplars, kvs)
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					kvs(where, p.Attributes.ToSlice())
					exemplars(where, p.Exemplars, kvs)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					kvs(where, p.Attributes.ToSlice())
					exemplars(where, p.Exemplars, kvs)
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					kvs(where, p.Attributes.ToSlice())
					exemplars(where, p.Exemplars, kvs)
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					kvs(where, p.Attributes.ToSlice())
					exemplars(where, p.Exemplars, kvs)
				}
			default:
				errs = append(errs, fmt.Errorf("telemetrytest: the metric %s holds %T, which is not scanned", m.Name, m.Data))
			}
		}
	}
	for _, s := range spans {
		where := fmt.Sprintf("span %q", s.Name)
		out = append(out, Text{Where: where + " name", Value: s.Name},
			Text{Where: where + " status", Value: s.Status.Description},
			Text{Where: where + " tracestate", Value: s.SpanContext.TraceState().String()})
		kvs(where, s.Attributes)
		for _, e := range s.Events {
			ew := fmt.Sprintf("%s event %q", where, e.Name)
			out = append(out, Text{Where: ew + " name", Value: e.Name})
			kvs(ew, e.Attributes)
		}
		for i, l := range s.Links {
			lw := fmt.Sprintf("%s link %d", where, i)
			out = append(out, Text{Where: lw + " tracestate", Value: l.SpanContext.TraceState().String()})
			kvs(lw, l.Attributes)
		}
	}
	return out, errors.Join(errs...)
}

func exemplars[N int64 | float64](where string, es []metricdata.Exemplar[N], kvs func(string, []attribute.KeyValue)) {
	for _, e := range es {
		kvs(where+" exemplar", e.FilteredAttributes)
	}
}

// Check returns an error naming the first place in rm and spans whose
// text contains one of personal (empty ones are skipped), or when
// there is nothing to scan, or metric data [Texts] does not know.
func Check(rm metricdata.ResourceMetrics, spans tracetest.SpanStubs, personal ...string) error {
	texts, err := Texts(rm, spans)
	if err != nil {
		return err
	}
	if len(texts) == 0 {
		return errors.New("telemetrytest: nothing recorded to scan")
	}
	for _, tx := range texts {
		for _, p := range personal {
			if p != "" && strings.Contains(tx.Value, p) {
				return fmt.Errorf("telemetrytest: %s is %q, which holds %q, a person's or a case's data", tx.Where, tx.Value, p)
			}
		}
	}
	return nil
}

// TB is the part of testing.TB [RequireNoPersonal] uses.
type TB interface {
	Helper()
	Fatal(args ...any)
}

// RequireNoPersonal fails t at once when [Check] finds personal data.
func RequireNoPersonal(t TB, rm metricdata.ResourceMetrics, spans tracetest.SpanStubs, personal ...string) {
	t.Helper()
	if err := Check(rm, spans, personal...); err != nil {
		t.Fatal(err)
	}
}
