package telemetry_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/adapters/telemetry"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// Wiring the observer into an engine, a dispatcher and an HTTP server
// with the OpenTelemetry SDK alone. A production host gives the meter
// provider a periodic reader with an OTLP exporter and the tracer
// provider a batch span processor with one; here a manual reader and an
// in-memory exporter show what is recorded.
func Example() {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer mp.Shutdown(ctx)
	defer tp.Shutdown(ctx)

	store := memory.New()
	obs, err := telemetry.New(&telemetry.Options{MeterProvider: mp, TracerProvider: tp, Outbox: store})
	if err != nil {
		log.Fatal(err)
	}
	defer obs.Close()
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.VALO()}, Observer: obs})
	if err != nil {
		log.Fatal(err)
	}
	disp, err := coaching.NewDispatcher(store, &ct.Sender{}, &coaching.DispatcherOptions{Observer: obs, Channel: "email"})
	if err != nil {
		log.Fatal(err)
	}
	if err := obs.WatchChannel("email", disp); err != nil {
		log.Fatal(err)
	}
	var api http.Handler = http.NotFoundHandler() // the host's API
	_ = obs.Handler(api)                          // serve this: requests become server spans

	c, err := eng.Enrol(ctx, ct.Coach, coaching.EnrolParams{Model: coaching.ModelVALO, Participant: ct.Participant(),
		Team: []coaching.TeamMember{ct.TeamMember(ct.Coach, coaching.RoleCoach)}})
	if err != nil {
		log.Fatal(err)
	}
	m := coaching.CriterionMet
	if _, err := eng.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: coaching.EntryAssessment{
		Motivation: m, WorkingLifeSkills: m, AttendanceCommitment: m, WorkCommitment: m, GoalCommitment: m}}); err != nil {
		log.Fatal(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			if m.Name == "valmennus.transitions" {
				for _, p := range d.DataPoints {
					ev, _ := p.Attributes.Value("event")
					out, _ := p.Attributes.Value("outcome")
					fmt.Println(m.Name, ev.AsString(), out.AsString(), p.Value)
				}
			}
		case metricdata.Gauge[int64]:
			if m.Name == "valmennus.outbox.due" {
				fmt.Println(m.Name, d.DataPoints[0].Value)
			}
		}
	}
	for _, s := range spans.GetSpans() {
		fmt.Println(s.Name)
	}
	// Output:
	// valmennus.transitions admit ok 1
	// valmennus.outbox.due 0
	// valmennus.store.tx
	// valmennus.fire
}
