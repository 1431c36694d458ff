package telemetry_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	tnoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/valmennus/valmennus/adapters/telemetry"
	"github.com/valmennus/valmennus/coaching"
)

// Recording an event's metrics allocates nothing once its label tuple was
// seen: the attribute sets are cached, never built per event.
func TestMetricsAllocateNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation changes what allocates")
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer mp.Shutdown(context.Background())
	obs, err := telemetry.New(&telemetry.Options{MeterProvider: mp, TracerProvider: tnoop.NewTracerProvider()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Now()
	rules := []string{"entry_criteria_met"}
	allocs := testing.AllocsPerRun(500, func() {
		obs.Transition(ctx, coaching.TransitionEvent{Model: "valo", Event: "admit", From: "recruitment", To: "induction",
			Outcome: coaching.OutcomeRulesRejected, Rules: rules, Start: now, Duration: time.Millisecond})
		obs.Denial(ctx, coaching.DenialEvent{Operation: coaching.OpFireEvent, Rule: "event_roles"})
		obs.Notice(ctx, coaching.NoticeEvent{Kind: "absence", Channel: "email", Outcome: coaching.NoticeSentOK, Latency: time.Minute})
		obs.Cycle(ctx, coaching.CycleEvent{Kind: "dispatch", Channel: "email", Items: 3, Outcome: coaching.OutcomeOK, Start: now, Duration: time.Millisecond})
		obs.StoreTx(ctx, coaching.TxEvent{Write: true, Outcome: coaching.OutcomeConflict, Start: now, Duration: time.Millisecond})
	})
	if allocs != 0 {
		t.Fatalf("recording the metrics of five events allocates %.1f times", allocs)
	}
}

// Past 1000 distinct label tuples of a kind, events are counted under one
// overflow tuple: the metrics' cardinality stays bounded, and nothing is
// lost from the totals.
func TestLabelOverflow(t *testing.T) {
	r := newRig(t, nil)
	ctx := context.Background()
	const n = 1000 + 10
	for i := range n {
		r.obs.Denial(ctx, coaching.DenialEvent{Operation: coaching.OpFireEvent, Rule: fmt.Sprintf("rule_%d", i)})
	}
	r.obs.Denial(ctx, coaching.DenialEvent{Operation: coaching.OpFireEvent, Rule: "rule_0"})
	rm := r.collect(t)
	assert.EqualValues(t, n+1, count(t, rm, "valmennus.policy.denials", nil))
	assert.EqualValues(t, 10, count(t, rm, "valmennus.policy.denials", map[string]string{"rule": telemetry.OverflowLabel, "operation": telemetry.OverflowLabel}))
	assert.EqualValues(t, 2, count(t, rm, "valmennus.policy.denials", map[string]string{"rule": "rule_0"}))
	points := find(t, rm, "valmennus.policy.denials").Data.(metricdata.Sum[int64]).DataPoints
	assert.Equal(t, 1000+1, len(points))
}
