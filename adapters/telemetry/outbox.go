package telemetry

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/valmennus/valmennus/coaching"
)

var (
	statusPending = metric.WithAttributeSet(attribute.NewSet(attribute.String("status", string(coaching.NoticePending))))
	statusClaimed = metric.WithAttributeSet(attribute.NewSet(attribute.String("status", string(coaching.NoticeClaimed))))
)

// registerGauges registers the outbox's gauges (when o has an Outbox) and
// the channels' and the one callback that observes them.
func (obs *Observer) registerGauges(meter metric.Meter, o Options) error {
	var (
		insts []metric.Observable
		errs  error
	)
	gauge := func(name, unit, desc string) metric.Int64ObservableGauge {
		g, err := meter.Int64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		if err != nil && errs == nil {
			errs = err
		}
		insts = append(insts, g)
		return g
	}
	var depth, due, retrying, dead, paused metric.Int64ObservableGauge
	var lag metric.Float64ObservableGauge
	if o.Outbox != nil {
		depth = gauge("valmennus.outbox.depth", "{notice}", "Notices not yet delivered, by status (pending, claimed).")
		due = gauge("valmennus.outbox.due", "{notice}", "Notices a dispatcher would claim now.")
		retrying = gauge("valmennus.outbox.retrying", "{notice}", "Undelivered notices that have failed at least once.")
		dead = gauge("valmennus.outbox.dead", "{notice}", "Dead notices, by the channel that gave up on them.")
		var err error
		lag, err = meter.Float64ObservableGauge("valmennus.outbox.lag", metric.WithUnit("s"),
			metric.WithDescription("How long the longest-waiting due notice has waited."))
		if err != nil && errs == nil {
			errs = err
		}
		insts = append(insts, lag)
	}
	paused = gauge("valmennus.channel.paused", "", "1 while a channel is paused after a misconfigured send, else 0.")
	if errs != nil {
		return errs
	}
	reg, err := meter.RegisterCallback(func(ctx context.Context, ob metric.Observer) error {
		obs.mu.Lock()
		for ch, d := range obs.channels {
			v := int64(0)
			if d.Paused() != nil {
				v = 1
			}
			ob.ObserveInt64(paused, v, metric.WithAttributes(attribute.String("channel", ch)))
		}
		obs.mu.Unlock()
		if o.Outbox == nil {
			return nil
		}
		h, err := obs.outbox.read(ctx, o)
		if err != nil {
			// The SDK hands the error to the global error handler; the
			// outbox gauges are left out of this collection.
			return fmt.Errorf("telemetry: read the outbox's health: %w", err)
		}
		ob.ObserveInt64(depth, int64(h.Pending), statusPending)
		ob.ObserveInt64(depth, int64(h.Claimed), statusClaimed)
		ob.ObserveInt64(due, int64(h.Due))
		ob.ObserveInt64(retrying, int64(h.Retrying))
		ob.ObserveFloat64(lag, h.Lag().Seconds())
		for ch, n := range h.Dead {
			ob.ObserveInt64(dead, int64(n), metric.WithAttributes(attribute.String("channel", ch)))
		}
		return nil
	}, insts...)
	if err != nil {
		return err
	}
	obs.reg = reg
	return nil
}

// WatchChannel reports d in the gauge valmennus.channel.paused under the
// channel name channel (d's [coaching.DispatcherOptions.Channel]): 1 while
// d is paused after a misconfigured send ([coaching.Dispatcher.Paused]),
// else 0. A dispatcher is built with its observer, so it is watched
// after both are built; watching another dispatcher under the same name
// replaces the first. The name is a label: a fixed channel name such as
// "email", at most 64 printable ASCII characters, never an address.
func (obs *Observer) WatchChannel(channel string, d *coaching.Dispatcher) error {
	if d == nil {
		return fmt.Errorf("telemetry: WatchChannel: the dispatcher is nil")
	}
	if len(channel) > 64 || !printableASCII(channel) {
		return fmt.Errorf("telemetry: WatchChannel: %q is not a channel name of at most 64 printable ASCII characters", channel)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if obs.channels == nil {
		obs.channels = map[string]*coaching.Dispatcher{}
	}
	obs.channels[channel] = d
	return nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// outboxCache keeps the last successful read of the outbox for
// [Options.OutboxMinInterval].
type outboxCache struct {
	mu sync.Mutex // held across a read: concurrent collections share it
	at time.Time  // when h was read (Clock); zero when nothing is kept
	h  coaching.OutboxHealth
}

// read returns the outbox's health, read from o.Outbox unless the last
// read is younger than o.OutboxMinInterval. A clock that went back since
// the last read makes a new one.
func (c *outboxCache) read(ctx context.Context, o Options) (coaching.OutboxHealth, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := o.Clock.Now()
	if o.OutboxMinInterval > 0 && !c.at.IsZero() && !now.Before(c.at) && now.Sub(c.at) < o.OutboxMinInterval {
		return c.h, nil
	}
	ctx, cancel := context.WithTimeout(ctx, o.OutboxTimeout)
	defer cancel()
	h, err := o.Outbox.OutboxHealth(ctx, now)
	if err != nil {
		c.at = time.Time{}
		return coaching.OutboxHealth{}, err
	}
	c.at, c.h = now, h
	return h, nil
}
