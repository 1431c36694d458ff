package webuidemo

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// demoClock is the demo's [coaching.Clock], which the engine and the web
// interface run on: the system clock plus an offset. While [New] builds
// the cohort, the offset puts the clock at each step of the cohort's past
// in turn (a timeline), so that every record is made at its date through
// the services' real commands, which date them by the clock and refuse
// what would be in the future (or, for a planned item, in the past). When
// the cohort is built the offset is 0 and the demo runs on the system
// clock; with [Options].Now set, the clock stays where the building left
// it, on that day, and runs on from there.
//
// The clock never runs backwards (advance only moves it forward), so the
// engine's records are in the order of their instants. It is safe for
// concurrent use: the offset is read and written atomically.
type demoClock struct {
	offset atomic.Int64 // nanoseconds added to the system clock
}

// newDemoClock returns a clock at start, which must be before every step
// of the cohort's past: the engine is made on it, before anything is
// recorded.
func newDemoClock(start time.Time) *demoClock {
	c := &demoClock{}
	c.offset.Store(int64(time.Until(start)))
	return c
}

// Now returns the system clock's time plus the offset.
func (c *demoClock) Now() time.Time {
	return time.Now().Add(time.Duration(c.offset.Load()))
}

// advance moves the clock forward to t; a t not after the clock's now
// leaves the clock as it is.
func (c *demoClock) advance(t time.Time) {
	if d := time.Until(t); d > time.Duration(c.offset.Load()) {
		c.offset.Store(int64(d))
	}
}

// release sets the offset to 0: the system clock's time. New calls it
// last, when every step was at or before the system clock's now, so it
// moves the clock forward too.
func (c *demoClock) release() { c.offset.Store(0) }

// step is one dated thing the cohort's past holds: an enrolment, a day's
// attendance, a session, an approval.
type step struct {
	at   time.Time
	what string
	do   func(ctx context.Context) error
}

// timeline collects the steps of the cohort's past in any order and runs
// them in the order of their instants (steps at the same instant in the
// order added), with the clock at each.
type timeline struct {
	// today is the demo's today; latest is the latest instant a step may
	// be at (Options.Now): a step dated later in today is moved to it.
	today  coaching.Date
	latest time.Time
	steps  []step
}

// at adds a step on day at hour:minute (Helsinki), or at t.latest if that
// is earlier.
func (t *timeline) at(day coaching.Date, hour, minute int, what string, do func(ctx context.Context) error) {
	at := day.At(hour, minute)
	if at.After(t.latest) {
		at = t.latest
	}
	t.steps = append(t.steps, step{at: at, what: what, do: do})
}

// run runs the steps in order with c at each step's instant. A step's
// error stops it, wrapped with what the step was.
func (t *timeline) run(ctx context.Context, c *demoClock) error {
	slices.SortStableFunc(t.steps, func(a, b step) int { return a.at.Compare(b.at) })
	for _, s := range t.steps {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.advance(s.at)
		if err := s.do(ctx); err != nil {
			return fmt.Errorf("webuidemo: %s on %s: %w", s.what, coaching.DateOf(s.at), err)
		}
	}
	return nil
}

// weekdayFrom is day, or the Monday after it when it is a Saturday or a
// Sunday: a school day.
func weekdayFrom(day coaching.Date) coaching.Date {
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDays(1)
	}
	return day
}

// weekdayBefore is day, or the Friday before it when it is a Saturday or
// a Sunday.
func weekdayBefore(day coaching.Date) coaching.Date {
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDays(-1)
	}
	return day
}
