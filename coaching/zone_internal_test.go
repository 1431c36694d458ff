package coaching

import (
	"math/rand/v2"
	"testing"
	"time"
)

// The wall-clock helpers as package time computes them, which zone.go's
// must match exactly (the same instant, nanosecond and location).
func wallClockByTime(t time.Time) time.Time {
	l := t.In(Helsinki)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

func fromWallClockByTime(w time.Time) time.Time {
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), Helsinki)
}

// TestWallClockAgreesWithPackageTime compares wallClock, fromWallClock,
// DateOf and Period.After with package time's own arithmetic on instants
// every 20 minutes around every daylight-saving change from 1900 to 2100
// (which covers the readings a change skips or repeats), on random
// instants of years 1–9999, and in a random order, so that the cached
// periods are hit and missed.
func TestWallClockAgreesWithPackageTime(t *testing.T) {
	var instants []time.Time
	changes := 0
	for at := time.Date(1900, 1, 1, 0, 0, 0, 0, Helsinki); at.Year() < 2100; changes++ {
		_, end := at.ZoneBounds()
		if end.IsZero() {
			t.Fatalf("Helsinki's zone has no change after %v", at)
		}
		if !end.After(at) {
			// Package time's rule-based periods (after the zone's last
			// listed change) can end where they were asked: 2040-12-31.
			at = at.Add(time.Hour)
			continue
		}
		for i := -26 * 3; i <= 26*3; i++ {
			instants = append(instants, end.Add(time.Duration(i)*20*time.Minute+time.Duration(i)*time.Second))
		}
		at = end
	}
	for y := 2030; y <= 2100; y++ {
		// Package time's rule-based periods end at the turn of a year,
		// one day early in leap years (see above).
		for _, d := range []time.Time{time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)} {
			for i := -180; i <= 180; i += 7 {
				instants = append(instants, d.Add(time.Duration(i)*time.Minute), d.Add(time.Duration(i)*time.Second))
			}
		}
	}
	if changes < 200 {
		t.Fatalf("only %d changes of offset from 1900 to 2100", changes)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	lo, hi := time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC).Unix(), time.Date(9999, 12, 30, 0, 0, 0, 0, time.UTC).Unix()
	for range 50000 {
		instants = append(instants, time.Unix(lo+rng.Int64N(hi-lo), rng.Int64N(1e9)))
	}
	instants = append(instants, time.Date(2026, 9, 1, 9, 0, 0, 0, Helsinki), time.Now())
	rng.Shuffle(len(instants), func(i, j int) { instants[i], instants[j] = instants[j], instants[i] })
	periods := []Period{{}, Months(1), Months(2), Months(10), Days(1), Days(-1), {Months: 1, Days: 15}, Months(-3)}
	for i, in := range instants {
		if i%3 == 1 {
			in = in.In(Helsinki) // the location does not matter
		}
		if got, want := wallClock(in), wallClockByTime(in); got != want {
			t.Fatalf("wallClock(%v) = %#v, package time says %#v", in, got, want)
		}
		w := in.UTC() // as a wall-clock reading
		if got, want := fromWallClock(w), fromWallClockByTime(w); got != want {
			t.Fatalf("fromWallClock(%v) = %#v, package time says %#v", w, got, want)
		}
		y, m, d := in.In(Helsinki).Date()
		if got, want := DateOf(in), (Date{Year: y, Month: m, Day: d}); got != want {
			t.Fatalf("DateOf(%v) = %v, package time says %v", in, got, want)
		}
		p := periods[i%len(periods)]
		if got, want := p.After(in), in.In(Helsinki).AddDate(0, p.Months, p.Days); got != want {
			t.Fatalf("%v.After(%v) = %#v, package time says %#v", p, in, got, want)
		}
	}
}
