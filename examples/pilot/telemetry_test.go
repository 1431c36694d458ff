package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/adapters/telemetry"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/internal/telemetrytest"
)

// refuseOne is a sender that refuses the first absence digest it is given
// as permanently undeliverable and passes every other notice on.
type refuseOne struct {
	next    coaching.Sender
	mu      sync.Mutex
	refused string // the refused notice's id
}

func (s *refuseOne) Send(ctx context.Context, n coaching.Notice) error {
	s.mu.Lock()
	refuse := s.refused == "" && n.Kind == coaching.NoticeKindAbsence
	if refuse {
		s.refused = n.ID
	}
	s.mu.Unlock()
	if refuse {
		return coaching.Permanent(errors.New("550 mailbox unavailable"))
	}
	return s.next.Send(ctx, n)
}

// The term under the OpenTelemetry adapter (issue 17's done-when): the
// transitions counted by event are the ones the audit trails record, the
// notices counted sent are the digests the SMTP server received, the one
// notice the sender refused permanently is counted dead, the outbox's
// depth gauge is back to 0 at the end of the term, and no attribute
// of any data point or span holds a student's or a guardian's id, name,
// e-mail address or identity code.
func TestTermTelemetry(t *testing.T) {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer mp.Shutdown(ctx)
	defer tp.Shutdown(ctx)
	refuser := &refuseOne{}
	hooks := &simHooks{
		observer: func(store *memory.Store, clock coaching.Clock) (coaching.Observer, error) {
			return telemetry.New(&telemetry.Options{MeterProvider: mp, TracerProvider: tp, Outbox: store, Clock: clock})
		},
		sender: func(next coaching.Sender) coaching.Sender {
			refuser.next = next
			return refuser
		},
	}
	sim, err := simulateWith(ctx, Seed, hooks)
	require.NotNil(t, sim, "the term ran: %v", err)
	require.NotEmpty(t, refuser.refused, "the sender refused a digest")
	// The term's own check finds exactly the refused notice undelivered.
	require.Error(t, err)
	assert.Equal(t, 1, strings.Count(err.Error(), "was not delivered"), "%v", err)
	assert.Contains(t, err.Error(), "notice "+refuser.refused+" was not delivered (dead")

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(ctx, &rm))

	// Transitions by event, counted independently from the audit trails.
	audited := map[string]int64{}
	for c, err := range sim.store.Cases(ctx, coaching.CaseQuery{}) {
		require.NoError(t, err)
		require.NoError(t, sim.store.View(ctx, func(tx coaching.ReadTx) error {
			trail, err := tx.AuditTrail(ctx, c.ID, 0)
			for _, e := range trail {
				if e.Kind == coaching.AuditTransition {
					audited[e.Event]++
				}
			}
			return err
		}))
	}
	require.NotEmpty(t, audited)
	counted := map[string]int64{}
	for _, p := range sumPoints(t, rm, "valmennus.transitions") {
		if value(p.Attributes, "outcome") == string(coaching.OutcomeOK) {
			counted[value(p.Attributes, "event")] += p.Value
		}
	}
	assert.Equal(t, audited, counted, "transitions by event")

	var sent, dead int64
	for _, p := range sumPoints(t, rm, "valmennus.notices") {
		switch value(p.Attributes, "outcome") {
		case string(coaching.NoticeSentOK):
			assert.Equal(t, "email", value(p.Attributes, "channel"))
			sent += p.Value
		case string(coaching.NoticeDeadEnd):
			assert.Equal(t, coaching.NoticeKindAbsence, value(p.Attributes, "kind"))
			dead += p.Value
		}
	}
	require.Positive(t, len(sim.received))
	assert.EqualValues(t, len(sim.received), sent, "notices counted sent = messages the SMTP server received")
	assert.EqualValues(t, 1, dead, "the refused notice is counted dead")

	// The outbox is drained at the end of the term: nothing pending or
	// claimed, the refused notice dead on the e-mail channel.
	depth := gaugePoints(t, rm, "valmennus.outbox.depth")
	require.Len(t, depth, 2, "pending and claimed")
	for _, p := range depth {
		assert.Zero(t, p.Value, "outbox depth, %s", value(p.Attributes, "status"))
	}
	deadGauge := gaugePoints(t, rm, "valmennus.outbox.dead")
	require.Len(t, deadGauge, 1)
	assert.Equal(t, "email", value(deadGauge[0].Attributes, "channel"))
	assert.EqualValues(t, 1, deadGauge[0].Value)

	// Nothing personal anywhere the SDK recorded text: attribute values,
	// span names, status texts, events, links, tracestates.
	var personal []string
	for _, st := range sim.class {
		p := st.Participant
		personal = append(personal, string(st.CaseID), string(p.ID), p.GivenNames, p.FamilyName, p.Contact.Email, p.Contact.Phone,
			p.IdentityCode.Reveal())
		for _, g := range p.Guardians {
			personal = append(personal, g.ID, g.SignOn, g.Name, g.Contact.Email, g.Contact.Phone)
		}
	}
	for _, s := range []staff{tutor, coach, snt, cur, nurse, teacherConstruction, teacherSurface} {
		personal = append(personal, s.ID, s.Name)
	}
	telemetrytest.RequireNoPersonal(t, rm, spans.GetSpans(), personal...)
}

func sumPoints(t *testing.T, rm metricdata.ResourceMetrics, name string) []metricdata.DataPoint[int64] {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				s, ok := m.Data.(metricdata.Sum[int64])
				require.True(t, ok, "%s is an int64 sum", name)
				return s.DataPoints
			}
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}

func gaugePoints(t *testing.T, rm metricdata.ResourceMetrics, name string) []metricdata.DataPoint[int64] {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				g, ok := m.Data.(metricdata.Gauge[int64])
				require.True(t, ok, "%s is an int64 gauge", name)
				return g.DataPoints
			}
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}

func value(s attribute.Set, key string) string {
	v, _ := s.Value(attribute.Key(key))
	return v.Emit()
}
