package coaching

import (
	"testing"
	"time"
)

// daysIn counts the days of every month of every year as package time
// does.
func TestDaysInAgreesWithTime(t *testing.T) {
	for year := 1; year <= 9999; year++ {
		for m := time.January; m <= time.December; m++ {
			if got, want := daysIn(m, year), time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day(); got != want {
				t.Fatalf("daysIn(%v, %d) = %d, time says %d", m, year, got, want)
			}
		}
	}
}
