package coaching

import (
	"cmp"
	"fmt"
	"strconv"
	"time"
	_ "time/tzdata" // "same day" must mean Helsinki even on hosts without system zoneinfo
)

// Helsinki is the Europe/Helsinki location. Every rule that speaks of a day
// (same-day notices, ages, deadlines counted in months) is evaluated in it,
// never in the server's time zone.
var Helsinki = mustLoadHelsinki()

func mustLoadHelsinki() *time.Location {
	loc, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		// time/tzdata is linked in, so this cannot fail at run time.
		panic("valmennus: Europe/Helsinki time zone missing: " + err.Error())
	}
	return loc
}

// Date is a civil date (a day on the Finnish calendar) with no time of day
// and no time zone. The zero Date means "not set".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date y-m-d. It does not normalise: use [ParseDate] or
// [Date.Valid] to check input.
func NewDate(y int, m time.Month, d int) Date { return Date{Year: y, Month: m, Day: d} }

// DateOf returns the civil date of instant t in Helsinki.
func DateOf(t time.Time) Date {
	y, m, d := wallClock(t).Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate parses an ISO 8601 calendar date (YYYY-MM-DD) and rejects
// impossible dates such as 2025-02-30.
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	for i := 0; i < 10; i++ {
		if i != 4 && i != 7 && (s[i] < '0' || s[i] > '9') {
			return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
		}
	}
	y, err1 := strconv.Atoi(s[0:4])
	m, err2 := strconv.Atoi(s[5:7])
	d, err3 := strconv.Atoi(s[8:10])
	if err1 != nil || err2 != nil || err3 != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	dt := Date{Year: y, Month: time.Month(m), Day: d}
	if !dt.Valid() {
		return Date{}, fmt.Errorf("date %q does not exist", s)
	}
	return dt, nil
}

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d == Date{} }

// Valid reports whether the date exists on the calendar (years 1–9999).
func (d Date) Valid() bool {
	if d.Year < 1 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 {
		return false
	}
	return d.Day <= daysIn(d.Month, d.Year)
}

// daysIn is the number of days in month m (1–12) of year in the
// proleptic Gregorian calendar, as package time counts them, without
// normalising a time.Time: the figures ask it for every case.
func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// String formats the date as YYYY-MM-DD.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Start returns the first instant of the date in Helsinki. Days are 23 or 25
// hours long on DST change days, so never add 24h to move a day.
func (d Date) Start() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Helsinki)
}

// At returns the instant of the given wall-clock time on the date in
// Helsinki. A wall time that does not exist (the spring-forward hour) is
// normalised forward by Go's rules.
func (d Date) At(hour, minute int) time.Time {
	return time.Date(d.Year, d.Month, d.Day, hour, minute, 0, 0, Helsinki)
}

// AddDays returns the date n calendar days later (earlier for negative n).
func (d Date) AddDays(n int) Date {
	t := time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC)
	y, m, dd := t.Date()
	return Date{Year: y, Month: m, Day: dd}
}

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// Compare returns -1, 0 or +1.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return cmp.Compare(d.Year, o.Year)
	case d.Month != o.Month:
		return cmp.Compare(d.Month, o.Month)
	default:
		return cmp.Compare(d.Day, o.Day)
	}
}

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// AgeOn returns the age in whole years of someone born on d, on date on.
// Someone born on 29 February has their birthday on 28 February in common
// years: when a month has no matching day, a period counted in years ends on
// the month's last day (the rule of the Finnish Act on the Calculation of
// Statutory Time Limits, 150/1930 §3). The law is not explicit for ages, so
// this is a documented choice of the library.
func (d Date) AgeOn(on Date) int {
	bMonth, bDay := d.Month, d.Day
	if bMonth == time.February && bDay == 29 && daysIn(time.February, on.Year) == 28 {
		bDay = 28
	}
	age := on.Year - d.Year
	if on.Month < bMonth || (on.Month == bMonth && on.Day < bDay) {
		age--
	}
	return age
}

// MarshalText implements encoding.TextMarshaler (YYYY-MM-DD, empty when unset).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; an empty text is the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Period is a calendar duration: months and days are added in Helsinki
// civil time, so "2 months" from 31 January is the end of March's
// normalisation, exactly as [time.Time.AddDate] defines it.
type Period struct {
	Months int `json:"months,omitempty"`
	Days   int `json:"days,omitempty"`
}

// Months returns a period of n months.
func Months(n int) Period { return Period{Months: n} }

// Days returns a period of n days.
func Days(n int) Period { return Period{Days: n} }

// IsZero reports whether the period is empty (no deadline).
func (p Period) IsZero() bool { return p.Months == 0 && p.Days == 0 }

// AddTo returns the civil date p after d: months first (a day past the
// end of the month is clamped to its last day: 31 January + 1 month is 28
// or 29 February), then days.
func (p Period) AddTo(d Date) Date {
	m := int(d.Month) - 1 + p.Months
	y := d.Year + m/12
	m %= 12
	if m < 0 {
		m += 12
		y--
	}
	month := time.Month(m + 1)
	last := time.Date(y, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return Date{Year: y, Month: month, Day: min(d.Day, last)}.AddDays(p.Days)
}

// After returns t plus the period, computed on the Helsinki calendar.
func (p Period) After(t time.Time) time.Time {
	// t.In(Helsinki).AddDate(0, p.Months, p.Days), on the wall clock.
	w := wallClock(t)
	y, m, d := w.Date()
	hh, mm, ss := w.Clock()
	return fromWallClock(time.Date(y, m+time.Month(p.Months), d+p.Days, hh, mm, ss, w.Nanosecond(), time.UTC))
}

// String writes the period in English, e.g. "2 months".
func (p Period) String() string {
	switch {
	case p.Months != 0 && p.Days != 0:
		return fmt.Sprintf("%d months %d days", p.Months, p.Days)
	case p.Months != 0:
		return fmt.Sprintf("%d months", p.Months)
	case p.Days != 0:
		return fmt.Sprintf("%d days", p.Days)
	}
	return "none"
}

// Clock tells the time. The engine never calls time.Now directly, so hosts
// and tests control time by passing their own Clock.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to [Clock].
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }
