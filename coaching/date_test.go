package coaching_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

func d(y int, m time.Month, day int) coaching.Date { return coaching.NewDate(y, m, day) }

func TestParseDate(t *testing.T) {
	valid := []struct {
		in   string
		want coaching.Date
	}{
		{"2026-09-15", d(2026, time.September, 15)},
		{"2024-02-29", d(2024, time.February, 29)},
		{"2000-02-29", d(2000, time.February, 29)},
		{"1999-12-31", d(1999, time.December, 31)},
		{"0001-01-01", d(1, time.January, 1)},
		{"9999-12-31", d(9999, time.December, 31)},
	}
	for _, tt := range valid {
		t.Run(tt.in, func(t *testing.T) {
			got, err := coaching.ParseDate(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			assert.True(t, got.Valid())
			assert.Equal(t, tt.in, got.String(), "round trip")
		})
	}

	invalid := []string{
		"",
		"2025-02-29", // not a leap year
		"1900-02-29", // not a leap year (century)
		"2025-13-01",
		"2025-00-10",
		"2025-04-31",
		"2025-01-00",
		"2025-01-32",
		"0000-01-01",
		"garbage",
		"2025/01/01",
		"2025-1-01",
		"2025-01-1",
		"25-01-01",
		"2025-01-01T00:00:00Z",
		" 2025-01-01",
		"2025-01-01 ",
		"abcd-ef-gh",
		"2025-+1-01", // a sign is not a digit
		"2025-01-+1",
		"+025-01-01",
		"-025-01-01",
		"2025-٠١-01", // non-ASCII digits
	}
	for _, in := range invalid {
		t.Run("invalid "+in, func(t *testing.T) {
			got, err := coaching.ParseDate(in)
			assert.Error(t, err, "ParseDate(%q) = %v, want an error", in, got)
			assert.True(t, got.IsZero(), "a rejected date gives the zero Date")
		})
	}
}

func TestDateValidAndZero(t *testing.T) {
	tests := []struct {
		date  coaching.Date
		valid bool
	}{
		{d(2024, time.February, 29), true},
		{d(2025, time.February, 29), false},
		{d(2025, time.February, 28), true},
		{d(2025, 0, 1), false},
		{d(2025, 13, 1), false},
		{d(2025, time.June, 31), false},
		{d(2025, time.June, 0), false},
		{d(0, time.June, 1), false},
		{d(10000, time.June, 1), false},
		{coaching.Date{}, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.valid, tt.date.Valid(), "%#v", tt.date)
	}
	assert.True(t, coaching.Date{}.IsZero())
	assert.False(t, d(2025, 1, 1).IsZero())
	assert.Equal(t, "", coaching.Date{}.String())
}

func TestDateTextRoundTrip(t *testing.T) {
	for _, in := range []string{"2026-09-15", "2024-02-29", "0999-01-02", "2026-01-01"} {
		t.Run(in, func(t *testing.T) {
			dt, err := coaching.ParseDate(in)
			require.NoError(t, err)
			b, err := dt.MarshalText()
			require.NoError(t, err)
			assert.Equal(t, in, string(b))

			var back coaching.Date
			require.NoError(t, back.UnmarshalText(b))
			assert.Equal(t, dt, back)

			js, err := json.Marshal(struct {
				D coaching.Date `json:"d"`
			}{dt})
			require.NoError(t, err)
			assert.JSONEq(t, `{"d":"`+in+`"}`, string(js))
			var s struct {
				D coaching.Date `json:"d"`
			}
			require.NoError(t, json.Unmarshal(js, &s))
			assert.Equal(t, dt, s.D)
		})
	}

	t.Run("zero", func(t *testing.T) {
		b, err := coaching.Date{}.MarshalText()
		require.NoError(t, err)
		assert.Empty(t, b)
		back := d(2026, 1, 1)
		require.NoError(t, back.UnmarshalText(nil))
		assert.True(t, back.IsZero())
		back = d(2026, 1, 1)
		require.NoError(t, back.UnmarshalText([]byte{}))
		assert.True(t, back.IsZero())
	})

	for _, bad := range []string{"2025-02-29", "2025-13-01", "nope"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			orig := d(2026, 1, 1)
			back := orig
			assert.Error(t, back.UnmarshalText([]byte(bad)))
			assert.Equal(t, orig, back, "a failed unmarshal leaves the value unchanged")
			var s struct{ D coaching.Date }
			assert.Error(t, json.Unmarshal([]byte(`{"D":"`+bad+`"}`), &s))
		})
	}
}

func TestDateAddDays(t *testing.T) {
	tests := []struct {
		from coaching.Date
		n    int
		want coaching.Date
	}{
		{d(2026, time.September, 15), 0, d(2026, time.September, 15)},
		{d(2026, time.September, 15), 1, d(2026, time.September, 16)},
		{d(2026, time.September, 30), 1, d(2026, time.October, 1)},
		{d(2026, time.October, 1), -1, d(2026, time.September, 30)},
		{d(2025, time.December, 31), 1, d(2026, time.January, 1)},
		{d(2026, time.January, 1), -1, d(2025, time.December, 31)},
		{d(2024, time.February, 28), 1, d(2024, time.February, 29)},
		{d(2024, time.February, 29), 1, d(2024, time.March, 1)},
		{d(2025, time.February, 28), 1, d(2025, time.March, 1)},
		{d(2024, time.March, 1), -1, d(2024, time.February, 29)},
		{d(2026, time.March, 28), 2, d(2026, time.March, 30)},     // across spring DST change
		{d(2026, time.October, 24), 3, d(2026, time.October, 27)}, // across autumn DST change
		{d(2025, time.January, 1), 365, d(2026, time.January, 1)},
		{d(2024, time.January, 1), 366, d(2025, time.January, 1)},
		{d(2026, time.January, 31), 30, d(2026, time.March, 2)},
		{d(2026, time.March, 2), -30, d(2026, time.January, 31)},
	}
	for _, tt := range tests {
		t.Run(tt.from.String(), func(t *testing.T) {
			assert.Equal(t, tt.want, tt.from.AddDays(tt.n), "%s + %d days", tt.from, tt.n)
		})
	}
}

func TestDateCompare(t *testing.T) {
	tests := []struct {
		a, b coaching.Date
		want int
	}{
		{d(2026, 1, 1), d(2026, 1, 1), 0},
		{d(2026, 1, 1), d(2026, 1, 2), -1},
		{d(2026, 1, 2), d(2026, 1, 1), 1},
		{d(2026, 1, 31), d(2026, 2, 1), -1},
		{d(2026, 12, 1), d(2026, 2, 28), 1},
		{d(2025, 12, 31), d(2026, 1, 1), -1},
		{d(2027, 1, 1), d(2026, 12, 31), 1},
		{coaching.Date{}, d(1, 1, 1), -1},
	}
	for _, tt := range tests {
		t.Run(tt.a.String()+" vs "+tt.b.String(), func(t *testing.T) {
			assert.Equal(t, tt.want, tt.a.Compare(tt.b))
			assert.Equal(t, -tt.want, tt.b.Compare(tt.a), "antisymmetric")
			assert.Equal(t, tt.want < 0, tt.a.Before(tt.b))
			assert.Equal(t, tt.want > 0, tt.a.After(tt.b))
			assert.Equal(t, tt.want > 0, tt.b.Before(tt.a))
			assert.Equal(t, tt.want < 0, tt.b.After(tt.a))
		})
	}
}

func TestDateWeekday(t *testing.T) {
	assert.Equal(t, time.Monday, d(2026, time.October, 26).Weekday())
	assert.Equal(t, time.Sunday, d(2026, time.October, 25).Weekday())
	assert.Equal(t, time.Thursday, d(2024, time.February, 29).Weekday())
}

func TestDateOfHelsinki(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	tests := []struct {
		name string
		at   time.Time
		want coaching.Date
	}{
		{"late UTC evening is the next day in Helsinki (summer time)",
			time.Date(2026, time.September, 14, 21, 30, 0, 0, time.UTC), d(2026, time.September, 15)},
		{"just before Helsinki midnight (summer time)",
			time.Date(2026, time.September, 14, 20, 59, 59, 0, time.UTC), d(2026, time.September, 14)},
		{"Helsinki midnight exactly (summer time)",
			time.Date(2026, time.September, 14, 21, 0, 0, 0, time.UTC), d(2026, time.September, 15)},
		{"01:30 Helsinki on Monday after the autumn change is still Sunday in UTC",
			time.Date(2026, time.October, 25, 23, 30, 0, 0, time.UTC), d(2026, time.October, 26)},
		{"the same instant given in Helsinki time",
			time.Date(2026, time.October, 26, 1, 30, 0, 0, coaching.Helsinki), d(2026, time.October, 26)},
		{"winter: UTC+2",
			time.Date(2026, time.January, 10, 22, 0, 0, 0, time.UTC), d(2026, time.January, 11)},
		{"winter: one second before midnight",
			time.Date(2026, time.January, 10, 21, 59, 59, 0, time.UTC), d(2026, time.January, 10)},
		{"New Year in Helsinki is still 31 Dec in UTC",
			time.Date(2025, time.December, 31, 22, 30, 0, 0, time.UTC), d(2026, time.January, 1)},
		{"an instant given in New York time",
			time.Date(2026, time.September, 14, 18, 0, 0, 0, newYork), d(2026, time.September, 15)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, coaching.DateOf(tt.at))
		})
	}
	// 01:30 Helsinki on 26 October 2026 is the UTC instant 25 Oct 23:30Z.
	mark := time.Date(2026, time.October, 26, 1, 30, 0, 0, coaching.Helsinki)
	assert.True(t, mark.Equal(time.Date(2026, time.October, 25, 23, 30, 0, 0, time.UTC)))
	assert.Equal(t, time.Monday, coaching.DateOf(mark).Weekday())
	assert.Equal(t, time.Sunday, mark.UTC().Weekday())
}

func TestDateStartDayLengths(t *testing.T) {
	tests := []struct {
		day  coaching.Date
		want time.Duration
	}{
		{d(2026, time.March, 29), 23 * time.Hour},   // spring forward
		{d(2026, time.October, 25), 25 * time.Hour}, // fall back
		{d(2026, time.March, 28), 24 * time.Hour},
		{d(2026, time.September, 15), 24 * time.Hour},
		{d(2025, time.December, 31), 24 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.day.String(), func(t *testing.T) {
			start := tt.day.Start()
			next := tt.day.AddDays(1).Start()
			assert.Equal(t, tt.want, next.Sub(start))
			assert.Equal(t, coaching.Helsinki, start.Location())
			h, m, s := start.Clock()
			assert.Equal(t, [3]int{0, 0, 0}, [3]int{h, m, s})
			assert.Equal(t, tt.day, coaching.DateOf(start))
			assert.Equal(t, tt.day, coaching.DateOf(next.Add(-time.Nanosecond)))
		})
	}
}

func TestDateAt(t *testing.T) {
	at := d(2026, time.September, 15).At(10, 30)
	assert.True(t, at.Equal(time.Date(2026, time.September, 15, 7, 30, 0, 0, time.UTC)), "10:30 EEST is 07:30Z, got %s", at.UTC())
	at = d(2026, time.January, 15).At(10, 30)
	assert.True(t, at.Equal(time.Date(2026, time.January, 15, 8, 30, 0, 0, time.UTC)), "10:30 EET is 08:30Z, got %s", at.UTC())
}

func TestDateAgeOn(t *testing.T) {
	tests := []struct {
		name  string
		birth coaching.Date
		on    coaching.Date
		want  int
	}{
		{"18th birthday itself", d(2008, time.September, 15), d(2026, time.September, 15), 18},
		{"day before the 18th birthday", d(2008, time.September, 15), d(2026, time.September, 14), 17},
		{"day after the 18th birthday", d(2008, time.September, 15), d(2026, time.September, 16), 18},
		{"month before the birthday", d(2008, time.September, 15), d(2026, time.August, 31), 17},
		{"birth day itself", d(2008, time.September, 15), d(2008, time.September, 15), 0},
		{"new year's eve birth", d(2007, time.December, 31), d(2025, time.December, 31), 18},
		{"new year's eve birth, day before", d(2007, time.December, 31), d(2025, time.December, 30), 17},
		{"1 Jan birth", d(2008, time.January, 1), d(2026, time.January, 1), 18},
		{"1 Jan birth, day before", d(2008, time.January, 1), d(2025, time.December, 31), 17},
		{"29 Feb birth turns 18 on 28 Feb in a common year", d(2008, time.February, 29), d(2026, time.February, 28), 18},
		{"29 Feb birth is 17 on 27 Feb", d(2008, time.February, 29), d(2026, time.February, 27), 17},
		{"29 Feb birth on 1 Mar of a common year", d(2008, time.February, 29), d(2026, time.March, 1), 18},
		{"29 Feb birth: in a leap year the birthday is 29 Feb", d(2008, time.February, 29), d(2028, time.February, 29), 20},
		{"29 Feb birth: 28 Feb of a leap year is the day before", d(2008, time.February, 29), d(2028, time.February, 28), 19},
		{"28 Feb birth in a leap year", d(2008, time.February, 28), d(2026, time.February, 28), 18},
		{"28 Feb birth, day before", d(2008, time.February, 28), d(2026, time.February, 27), 17},
		{"1 Mar birth in a leap year", d(2008, time.March, 1), d(2028, time.February, 29), 19},
		{"1 Mar birth", d(2008, time.March, 1), d(2026, time.March, 1), 18},
		{"old person", d(1952, time.October, 13), d(2026, time.September, 15), 73},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.birth.AgeOn(tt.on))
		})
	}
}

func TestPeriodAfter(t *testing.T) {
	tests := []struct {
		name string
		p    coaching.Period
		from time.Time
		want time.Time
	}{
		{"one month from 31 January normalises like AddDate",
			coaching.Months(1), time.Date(2026, time.January, 31, 10, 0, 0, 0, coaching.Helsinki),
			time.Date(2026, time.March, 3, 10, 0, 0, 0, coaching.Helsinki)},
		{"two months from 31 January",
			coaching.Months(2), time.Date(2026, time.January, 31, 10, 0, 0, 0, coaching.Helsinki),
			time.Date(2026, time.March, 31, 10, 0, 0, 0, coaching.Helsinki)},
		{"month across spring DST keeps the wall clock",
			coaching.Months(1), time.Date(2026, time.March, 15, 10, 0, 0, 0, coaching.Helsinki),
			time.Date(2026, time.April, 15, 10, 0, 0, 0, coaching.Helsinki)},
		{"days across autumn DST keep the wall clock",
			coaching.Days(2), time.Date(2026, time.October, 24, 12, 0, 0, 0, coaching.Helsinki),
			time.Date(2026, time.October, 26, 12, 0, 0, 0, coaching.Helsinki)},
		{"months and days",
			coaching.Period{Months: 1, Days: 1}, time.Date(2026, time.May, 31, 9, 0, 0, 0, coaching.Helsinki),
			time.Date(2026, time.July, 2, 9, 0, 0, 0, coaching.Helsinki)},
		{"counted on the Helsinki calendar, not UTC's: 31 Jan 22:30Z is 1 Feb in Helsinki",
			coaching.Months(1), time.Date(2026, time.January, 31, 22, 30, 0, 0, time.UTC),
			time.Date(2026, time.March, 1, 0, 30, 0, 0, coaching.Helsinki)},
		{"year end",
			coaching.Months(1), time.Date(2025, time.December, 15, 8, 0, 0, 0, coaching.Helsinki),
			time.Date(2026, time.January, 15, 8, 0, 0, 0, coaching.Helsinki)},
		{"zero period",
			coaching.Period{}, time.Date(2026, time.June, 1, 8, 0, 0, 0, coaching.Helsinki),
			time.Date(2026, time.June, 1, 8, 0, 0, 0, coaching.Helsinki)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.p.After(tt.from)
			assert.True(t, tt.want.Equal(got), "want %s, got %s", tt.want, got)
			assert.Equal(t, tt.from.In(coaching.Helsinki).AddDate(0, tt.p.Months, tt.p.Days).Unix(), got.Unix())
		})
	}

	// The spring-forward day is 23 hours long, so two days across it are 47h.
	from := time.Date(2026, time.March, 28, 12, 0, 0, 0, coaching.Helsinki)
	assert.Equal(t, 47*time.Hour, coaching.Days(2).After(from).Sub(from))
}

func TestPeriodIsZeroAndString(t *testing.T) {
	tests := []struct {
		p      coaching.Period
		zero   bool
		string string
	}{
		{coaching.Period{}, true, "none"},
		{coaching.Months(0), true, "none"},
		{coaching.Days(0), true, "none"},
		{coaching.Months(2), false, "2 months"},
		{coaching.Days(10), false, "10 days"},
		{coaching.Period{Months: 2, Days: 3}, false, "2 months 3 days"},
		{coaching.Months(-1), false, "-1 months"},
	}
	for _, tt := range tests {
		t.Run(tt.string, func(t *testing.T) {
			assert.Equal(t, tt.zero, tt.p.IsZero())
			assert.Equal(t, tt.string, tt.p.String())
		})
	}
	assert.Equal(t, coaching.Period{Months: 3}, coaching.Months(3))
	assert.Equal(t, coaching.Period{Days: 7}, coaching.Days(7))
}

func TestDateClockFunc(t *testing.T) {
	fixed := time.Date(2026, time.September, 15, 9, 0, 0, 0, time.UTC)
	var c coaching.Clock = coaching.ClockFunc(func() time.Time { return fixed })
	assert.Equal(t, fixed, c.Now())
	assert.WithinDuration(t, time.Now(), coaching.SystemClock{}.Now(), time.Minute)
}
