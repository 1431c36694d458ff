package coaching

import (
	"math"
	"sync/atomic"
	"time"
)

// Helsinki's wall clock, without package time's zone lookup per call: the
// engine reads it several times per command (the request's date, the
// paused time, the moved deadline), and time.Location caches only the
// period of the instant it was loaded at, so every other instant (a
// deadline months ahead, a case paused last season, a test's clock) pays a
// search of the zone's transitions. Here the offset comes from the last
// two periods looked up, which are the summer's and the winter's of the
// instants at hand. The results are package time's, to the nanosecond
// and the location (TestWallClockAgreesWithPackageTime).

// zoneSpan is a period of constant offset from UTC: [start, end) in Unix
// seconds.
type zoneSpan struct {
	start, end int64
	offset     int64
}

var (
	helsinkiSpans [2]atomic.Pointer[zoneSpan]
	helsinkiNext  atomic.Uint32
)

// helsinkiSpan returns the period of Helsinki's zone that holds the Unix
// second sec.
func helsinkiSpan(sec int64) *zoneSpan {
	for i := range helsinkiSpans {
		if z := helsinkiSpans[i].Load(); z != nil && z.start <= sec && sec < z.end {
			return z
		}
	}
	t := time.Unix(sec, 0).In(Helsinki)
	_, off := t.Zone()
	start, end := t.ZoneBounds()
	z := &zoneSpan{start: math.MinInt64, end: math.MaxInt64, offset: int64(off)}
	if !start.IsZero() {
		z.start = start.Unix()
	}
	if !end.IsZero() {
		z.end = end.Unix()
	}
	helsinkiSpans[helsinkiNext.Add(1)%uint32(len(helsinkiSpans))].Store(z)
	return z
}

// wallClock returns t's Helsinki wall-clock reading as a UTC instant, so
// that pauses are measured on the calendar: a pause from 09:00 to 09:00
// over a daylight-saving change is a whole number of days, and the
// deadline it moves stays at the same time of day.
func wallClock(t time.Time) time.Time {
	sec := t.Unix()
	return time.Unix(sec+helsinkiSpan(sec).offset, int64(t.Nanosecond())).UTC()
}

// fromWallClock is the inverse of wallClock: the Helsinki instant whose
// wall clock reads w's UTC date and time, as
// time.Date(w's fields…, Helsinki) finds it (a reading that does not
// exist, or exists twice, around a daylight-saving change resolves as
// package time resolves it).
func fromWallClock(w time.Time) time.Time {
	if w.Location() != time.UTC {
		return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), Helsinki)
	}
	// time.Date's own steps: the offset of the period that holds the
	// reading taken as UTC, unless the instant it gives falls outside
	// that period, then the offset of the period the instant is in.
	unix := w.Unix()
	z := helsinkiSpan(unix)
	if off := z.offset; off != 0 {
		if utc := unix - off; utc < z.start || utc >= z.end {
			off = helsinkiSpan(utc).offset
		}
		unix -= off
	}
	return time.Unix(unix, int64(w.Nanosecond())).In(Helsinki)
}
