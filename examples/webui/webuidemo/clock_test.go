package webuidemo

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// TestDemoClock: the clock starts in the past, only moves forward, runs
// on from where it was put, and is the system clock once released; Now
// may be read while it moves (run with -race).
func TestDemoClock(t *testing.T) {
	start := time.Now().AddDate(0, 0, -50)
	c := newDemoClock(start)
	assert.WithinDuration(t, start, c.Now(), time.Second)
	later := start.AddDate(0, 0, 10)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 1000 {
			_ = c.Now()
		}
	}()
	c.advance(later)
	wg.Wait()
	assert.WithinDuration(t, later, c.Now(), time.Second)
	c.advance(start)
	assert.False(t, c.Now().Before(later), "never backwards")
	c.release()
	assert.WithinDuration(t, time.Now(), c.Now(), time.Second)
}

// TestTimelineRunsInOrder: steps added in any order run in the order of
// their instants, those at the same instant in the order added, with the
// clock at each; a step later than the latest instant runs at it; a
// step's error stops the run, naming the step.
func TestTimelineRunsInOrder(t *testing.T) {
	now := time.Now()
	today := coaching.DateOf(now)
	c := newDemoClock(now.AddDate(0, 0, -10))
	tl := &timeline{today: today, latest: now}
	var got []string
	var at []time.Time
	add := func(day coaching.Date, hour int, name string) {
		tl.at(day, hour, 0, name, func(context.Context) error {
			got, at = append(got, name), append(at, c.Now())
			return nil
		})
	}
	add(today.AddDays(-1), 12, "c")
	add(today.AddDays(-3), 9, "a")
	add(today.AddDays(-1), 12, "d")
	add(today.AddDays(-2), 9, "b")
	add(today.AddDays(1), 9, "e") // tomorrow: at the latest instant
	require.NoError(t, tl.run(context.Background(), c))
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, got)
	assert.WithinDuration(t, today.AddDays(-3).At(9, 0), at[0], time.Second)
	assert.WithinDuration(t, now, at[4], time.Second)

	tl.at(today, 0, 0, "failing", func(context.Context) error { return assert.AnError })
	assert.ErrorContains(t, tl.run(context.Background(), c), "failing on "+today.String())
}
