package telemetry_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/adapters/telemetry"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// fakeInspector answers a fixed health, remembering the instant it was
// asked for, how often, and whether its context had a deadline; block
// makes it wait for its context to end.
type fakeInspector struct {
	h        coaching.OutboxHealth
	err      error
	block    bool
	asked    atomic.Int64 // unix seconds of the latest now
	calls    atomic.Int64
	deadline atomic.Bool
}

func (f *fakeInspector) OutboxHealth(ctx context.Context, now time.Time) (coaching.OutboxHealth, error) {
	f.calls.Add(1)
	f.asked.Store(now.Unix())
	_, ok := ctx.Deadline()
	f.deadline.Store(ok)
	if f.block {
		<-ctx.Done()
		return coaching.OutboxHealth{}, ctx.Err()
	}
	h := f.h
	h.At = now
	return h, f.err
}

func floatGauge(t *testing.T, rm metricdata.ResourceMetrics, name string) float64 {
	t.Helper()
	g, ok := find(t, rm, name).Data.(metricdata.Gauge[float64])
	require.True(t, ok)
	require.Len(t, g.DataPoints, 1)
	return g.DataPoints[0].Value
}

// The outbox gauges report the inspector's health at the observer's
// clock, read at each collection under a deadline.
func TestOutboxGauges(t *testing.T) {
	now := ct.DefaultStart
	clock := ct.NewClock(now)
	f := &fakeInspector{h: coaching.OutboxHealth{Pending: 7, Claimed: 2, Due: 4, Retrying: 3, OldestDueAt: now.Add(-90 * time.Second),
		Dead: map[string]int{"email": 5, "webhook": 1}}}
	r := newRig(t, &telemetry.Options{Outbox: f, Clock: clock})
	rm := r.collect(t)
	assert.Equal(t, now.Unix(), f.asked.Load(), "read at the observer's clock")
	assert.True(t, f.deadline.Load(), "read under a deadline")
	assert.EqualValues(t, 7, count(t, rm, "valmennus.outbox.depth", map[string]string{"status": "pending"}))
	assert.EqualValues(t, 2, count(t, rm, "valmennus.outbox.depth", map[string]string{"status": "claimed"}))
	assert.EqualValues(t, 4, count(t, rm, "valmennus.outbox.due", nil))
	assert.EqualValues(t, 3, count(t, rm, "valmennus.outbox.retrying", nil))
	assert.EqualValues(t, 5, count(t, rm, "valmennus.outbox.dead", map[string]string{"channel": "email"}))
	assert.EqualValues(t, 1, count(t, rm, "valmennus.outbox.dead", map[string]string{"channel": "webhook"}))
	assert.InDelta(t, 90, floatGauge(t, rm, "valmennus.outbox.lag"), 1e-9)
	assert.Equal(t, "s", find(t, rm, "valmennus.outbox.lag").Unit)

	// The outbox drains: the next collection says so.
	f.h = coaching.OutboxHealth{}
	clock.Advance(time.Minute)
	rm = r.collect(t)
	assert.Equal(t, now.Add(time.Minute).Unix(), f.asked.Load())
	assert.Zero(t, count(t, rm, "valmennus.outbox.depth", nil))
	assert.Zero(t, floatGauge(t, rm, "valmennus.outbox.lag"))
}

// A collection within OutboxMinInterval (default 5 seconds on the
// observer's clock) of the last read of the outbox reports that read
// again instead of asking the store; the first one after it asks. A
// failed read is not reused, and a negative interval reads every time.
func TestOutboxGaugesCached(t *testing.T) {
	now := ct.DefaultStart
	clock := ct.NewClock(now)
	f := &fakeInspector{h: coaching.OutboxHealth{Pending: 3}}
	r := newRig(t, &telemetry.Options{Outbox: f, Clock: clock})
	assert.EqualValues(t, 3, count(t, r.collect(t), "valmennus.outbox.depth", map[string]string{"status": "pending"}))
	require.EqualValues(t, 1, f.calls.Load())

	f.h = coaching.OutboxHealth{Pending: 1}
	clock.Advance(telemetry.DefaultOutboxMinInterval - time.Millisecond)
	for range 10 {
		assert.EqualValues(t, 3, count(t, r.collect(t), "valmennus.outbox.depth", map[string]string{"status": "pending"}), "the read reused")
	}
	assert.EqualValues(t, 1, f.calls.Load(), "a scrape flood within the interval asks the store once")

	clock.Advance(time.Millisecond)
	assert.EqualValues(t, 1, count(t, r.collect(t), "valmennus.outbox.depth", map[string]string{"status": "pending"}))
	assert.EqualValues(t, 2, f.calls.Load(), "asked again once the interval is over")
	assert.Equal(t, clock.Now().Unix(), f.asked.Load())

	// A failure is not kept: the next collection asks again.
	f.err = errors.New("database is down")
	clock.Advance(telemetry.DefaultOutboxMinInterval)
	var rm metricdata.ResourceMetrics
	require.Error(t, r.reader.Collect(context.Background(), &rm))
	f.err = nil
	r.collect(t)
	assert.EqualValues(t, 4, f.calls.Load())

	// An explicit interval; and a negative one, no reuse at all.
	f2 := &fakeInspector{}
	r2 := newRig(t, &telemetry.Options{Outbox: f2, Clock: clock, OutboxMinInterval: time.Minute})
	r2.collect(t)
	clock.Advance(59 * time.Second)
	r2.collect(t)
	assert.EqualValues(t, 1, f2.calls.Load())
	clock.Advance(time.Second)
	r2.collect(t)
	assert.EqualValues(t, 2, f2.calls.Load())
	f3 := &fakeInspector{}
	r3 := newRig(t, &telemetry.Options{Outbox: f3, Clock: clock, OutboxMinInterval: -1})
	r3.collect(t)
	r3.collect(t)
	assert.EqualValues(t, 2, f3.calls.Load())
}

// A slow outbox is abandoned at OutboxTimeout, a failing one reported: the
// collection goes on without the outbox's gauges.
func TestOutboxGaugesBounded(t *testing.T) {
	f := &fakeInspector{block: true}
	r := newRig(t, &telemetry.Options{Outbox: f, OutboxTimeout: 20 * time.Millisecond})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var rm metricdata.ResourceMetrics
		_ = r.reader.Collect(context.Background(), &rm) // the callback's error is joined in
		for _, sm := range rm.ScopeMetrics {
			for _, m := range sm.Metrics {
				if m.Name == "valmennus.outbox.depth" {
					if g, ok := m.Data.(metricdata.Gauge[int64]); ok && len(g.DataPoints) > 0 {
						t.Errorf("depth observed from an outbox that never answered: %v", g.DataPoints)
					}
				}
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the collection waited for the outbox past its timeout")
	}

	f2 := &fakeInspector{err: errors.New("database is down")}
	r2 := newRig(t, &telemetry.Options{Outbox: f2})
	var rm metricdata.ResourceMetrics
	err := r2.reader.Collect(context.Background(), &rm)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "database is down")
}

// valmennus.channel.paused is 1 while a watched dispatcher is paused by a
// misconfigured send, then 0 again once the pause ends.
func TestChannelPausedGauge(t *testing.T) {
	r := newRig(t, nil)
	store := memory.New()
	clock := ct.NewClock(ct.DefaultStart)
	sender := &ct.Sender{}
	d, err := coaching.NewDispatcher(store, sender, &coaching.DispatcherOptions{Clock: clock, Observer: r.obs, Channel: "email", Pause: time.Minute})
	require.NoError(t, err)
	require.NoError(t, r.obs.WatchChannel("email", d))
	require.Error(t, r.obs.WatchChannel("bad\nname", d))
	require.Error(t, r.obs.WatchChannel("email", nil))
	paused := map[string]string{"channel": "email"}
	assert.Zero(t, count(t, r.collect(t), "valmennus.channel.paused", paused))

	require.NoError(t, store.Update(context.Background(), func(tx coaching.Tx) error {
		_, err := tx.Enqueue(context.Background(), coaching.Notice{ID: "n1", Kind: "test", Status: coaching.NoticePending,
			NotBefore: ct.DefaultStart, CreatedAt: ct.DefaultStart})
		return err
	}))
	sender.FailWith(coaching.Misconfigured(errors.New("535 authentication failed")))
	_, err = d.RunOnce(context.Background())
	require.ErrorIs(t, err, coaching.ErrChannelPaused)
	rm := r.collect(t)
	assert.EqualValues(t, 1, count(t, rm, "valmennus.channel.paused", paused))
	assert.EqualValues(t, 1, count(t, rm, "valmennus.notices", map[string]string{"kind": "test", "channel": "email", "outcome": "paused"}))
	assert.EqualValues(t, 1, count(t, rm, "valmennus.cycles", map[string]string{"kind": "dispatch", "channel": "email", "outcome": "paused"}))
	sends := byName(r.spans.GetSpans(), "valmennus.send")
	require.Len(t, sends, 1)
	o, _ := attr(sends[0].Attributes, "outcome")
	assert.Equal(t, "paused", o)

	clock.Advance(2 * time.Minute)
	assert.Zero(t, count(t, r.collect(t), "valmennus.channel.paused", paused))
}

// The outbox gauges on the memory store follow its notices: enqueued by a
// tick (pending, due), waiting (lag), failed once (retrying, not due
// during the backoff), delivered (depth back to 0), refused for good
// (dead, by channel).
func TestOutboxGaugesMemoryStore(t *testing.T) {
	r := newRig(t, nil)
	e := env(t, r)
	// Read at every collection: the clock does not always move between
	// them here.
	g := newRig(t, &telemetry.Options{Outbox: e.Store, Clock: e.Clock, OutboxMinInterval: -1})
	c := e.Enrol(t, coaching.ModelVALO, ct.Participant())
	_, err := e.Engine.Fire(context.Background(), ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()})
	require.NoError(t, err)
	rm := g.collect(t)
	assert.Zero(t, count(t, rm, "valmennus.outbox.depth", nil))

	e.Clock.AdvanceDays(40)
	n := int64(e.Tick(t).Notices)
	require.Positive(t, n)
	e.Clock.Advance(5 * time.Minute)
	rm = g.collect(t)
	assert.Equal(t, n, count(t, rm, "valmennus.outbox.depth", map[string]string{"status": "pending"}))
	assert.Zero(t, count(t, rm, "valmennus.outbox.depth", map[string]string{"status": "claimed"}))
	assert.Equal(t, n, count(t, rm, "valmennus.outbox.due", nil))
	assert.Zero(t, count(t, rm, "valmennus.outbox.retrying", nil))
	assert.InDelta(t, 300, floatGauge(t, rm, "valmennus.outbox.lag"), 1e-6, "due five minutes ago")

	e.Sender.FailWith(errors.New("connection refused"))
	e.Deliver(t)
	rm = g.collect(t)
	assert.Equal(t, n, count(t, rm, "valmennus.outbox.depth", nil))
	assert.Equal(t, n, count(t, rm, "valmennus.outbox.retrying", nil))
	assert.Zero(t, count(t, rm, "valmennus.outbox.due", nil), "waiting for the backoff")

	e.Sender.FailWith(nil)
	e.Clock.Advance(10 * time.Minute)
	e.Deliver(t)
	rm = g.collect(t)
	assert.Zero(t, count(t, rm, "valmennus.outbox.depth", nil))
	assert.Zero(t, count(t, rm, "valmennus.outbox.retrying", nil))
	assert.Zero(t, floatGauge(t, rm, "valmennus.outbox.lag"))

	require.NoError(t, e.Store.Update(context.Background(), func(tx coaching.Tx) error {
		_, err := tx.Enqueue(context.Background(), coaching.Notice{ID: "n1", Kind: "test", Status: coaching.NoticePending,
			NotBefore: e.Clock.Now(), CreatedAt: e.Clock.Now()})
		return err
	}))
	e.Sender.FailWith(coaching.Permanent(errors.New("550 no such user")))
	e.Deliver(t)
	rm = g.collect(t)
	assert.Zero(t, count(t, rm, "valmennus.outbox.depth", nil))
	assert.EqualValues(t, 1, count(t, rm, "valmennus.outbox.dead", map[string]string{"channel": "email"}))
}
