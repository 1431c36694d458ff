package telemetry_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tnoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/adapters/telemetry"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/internal/benchkit"
)

// discard is a span exporter that drops what it is given: the benchmark
// measures recording, not exporting.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

func benchEngine(tb testing.TB, obs coaching.Observer) *coaching.Engine {
	return benchEngineOn(tb, memory.New(), obs)
}

func benchEngineOn(tb testing.TB, store coaching.Store, obs coaching.Observer) *coaching.Engine {
	now := time.Date(2026, 9, 1, 9, 0, 0, 0, coaching.Helsinki)
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.VALO()},
		Clock: coaching.ClockFunc(func() time.Time { return now }), Observer: obs})
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

var benchCoach = coaching.Actor{ID: "coach-1", Roles: []coaching.Role{coaching.RoleCoach}}

// benchCase opens a VALO case and drives it to skill acquisition.
func benchCase(tb testing.TB, eng *coaching.Engine, i int) coaching.CaseID {
	ctx := context.Background()
	months := 14
	c, err := eng.Enrol(ctx, benchCoach, coaching.EnrolParams{Model: coaching.ModelVALO,
		Participant: coaching.Participant{GivenNames: "Aino", FamilyName: fmt.Sprintf("Virtanen %d", i),
			BirthDate: coaching.NewDate(1990, 5, 17), Language: coaching.Finnish, Contact: coaching.Contact{Email: "aino.virtanen@example.fi"},
			Background: coaching.Background{Gender: coaching.GenderFemale, EducationLevel: coaching.EducationBasic, UnemployedMonths: &months}},
		Team: []coaching.TeamMember{{ActorID: "coach-1", Role: coaching.RoleCoach, Name: "Maija Kares"}}})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := eng.Fire(ctx, benchCoach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()}); err != nil {
		tb.Fatal(err)
	}
	if _, err := eng.Fire(ctx, benchCoach, c.ID, coaching.ValoStartAcquisition, &coaching.FireOptions{Payload: coaching.InductionFindings{
		FieldSuitability: "good", WorkingLifeSkills: "good", CurrentCompetence: "basic"}}); err != nil {
		tb.Fatal(err)
	}
	return c.ID
}

// BenchmarkFireTelemetry is Fire on the memory store (pause / resume on
// VALO cases, as coaching's BenchmarkFireObserved) on two engines in the
// same run, one with no observer and one with this package's Observer on
// an SDK meter provider (manual reader) and an SDK tracer provider
// (every span sampled, a batch span processor into an exporter that
// discards), interleaved in blocks so that both see the same machine
// state. It reports each one's ns per Fire and their ratio
// (telemetry/none; the target of issue 17 is at most 1.15).
func BenchmarkFireTelemetry(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(discard{}))
	defer tp.Shutdown(context.Background())
	benchFire(b, tp)
}

// BenchmarkFireTelemetrySampled is BenchmarkFireTelemetry with one trace
// in a hundred sampled (ParentBased(TraceIDRatioBased(0.01))), as a busy
// host would configure it: the other Fires still get a span context to
// propagate, but no recorded span.
func BenchmarkFireTelemetrySampled(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(0.01))), sdktrace.WithBatcher(discard{}))
	defer tp.Shutdown(context.Background())
	benchFire(b, tp)
}

// BenchmarkFireTelemetryMetrics is BenchmarkFireTelemetry with metrics
// only (a no-op tracer provider): what the adapter itself costs, apart
// from the SDK's spans.
func BenchmarkFireTelemetryMetrics(b *testing.B) {
	benchFire(b, tnoop.NewTracerProvider())
}

// BenchmarkFireTelemetryMinTx is BenchmarkFireTelemetry with
// MinStoreTxSpan at a millisecond: the memory store's transactions get
// no spans of their own.
func BenchmarkFireTelemetryMinTx(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(discard{}))
	defer tp.Shutdown(context.Background())
	benchFire(b, tp, time.Millisecond)
}

// BenchmarkFireTelemetrySQLite is BenchmarkFireTelemetry (every span
// sampled) on the SQLite store, a Fire that commits to a file: what the
// adapter costs beside a durable write rather than beside a map update.
func BenchmarkFireTelemetrySQLite(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()), sdktrace.WithBatcher(discard{}))
	defer tp.Shutdown(context.Background())
	obs := newBenchObserver(b, tp)
	engs := [2]*coaching.Engine{benchEngineOn(b, openSQLite(b), nil), benchEngineOn(b, openSQLite(b), obs)}
	benchkit.FirePair(b, engs, [2]string{"none", "telemetry"}, benchCoach, func(eng *coaching.Engine, i int) coaching.CaseID {
		return benchCase(b, eng, i)
	})
}

func openSQLite(b *testing.B) *sqlite.Store {
	s, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), &sqlite.Options{Migrate: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// newBenchObserver is the adapter on an SDK meter provider with a manual
// reader and on tp.
func newBenchObserver(b *testing.B, tp trace.TracerProvider, minTx ...time.Duration) *telemetry.Observer {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	opts := &telemetry.Options{MeterProvider: mp, TracerProvider: tp}
	if len(minTx) > 0 {
		opts.MinStoreTxSpan = minTx[0]
	}
	obs, err := telemetry.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	return obs
}

func benchFire(b *testing.B, tp trace.TracerProvider, minTx ...time.Duration) {
	obs := newBenchObserver(b, tp, minTx...)
	engs := [2]*coaching.Engine{benchEngine(b, nil), benchEngine(b, obs)}
	benchkit.FirePair(b, engs, [2]string{"none", "telemetry"}, benchCoach, func(eng *coaching.Engine, i int) coaching.CaseID {
		return benchCase(b, eng, i)
	})
}
