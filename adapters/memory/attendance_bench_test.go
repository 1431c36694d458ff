package memory_test

import (
	"testing"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
)

// BenchmarkAttendanceRecord records one lesson for 30 students after 5 and
// after 190 school days of marks, the 5-day group the baseline of the same
// run (see storetest.BenchAttendance; x-days5 is the ratio).
func BenchmarkAttendanceRecord(b *testing.B) {
	storetest.BenchAttendance(b, func(testing.TB) coaching.Store { return memory.New() })
}
