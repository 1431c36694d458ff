// Package benchkit holds what the project's benchmarks share: the history
// sizes Fire is measured at, how many fires a case of each takes, the
// process's CPU time per operation (on a busy shared machine it varies far
// less than wall time), and the medians a ratio under -count compares
// with. It is used only by benchmarks.
package benchkit

import (
	"context"
	"flag"
	"slices"
	"testing"
	"time"

	"github.com/valmennus/valmennus/coaching"
)

// HistoryEvents are the numbers of prior events the history benchmarks
// fire at.
var HistoryEvents = []int{10, 100, 1000}

// Budget is how many timed fires a case of events prior events takes before
// the next case is used: a fifth of its history, at least 2, so every fire
// sees between events and 1.2 × events prior events.
func Budget(events int) int { return max(2, events/5) }

// SkipLongHistory reports whether cases of 1 000 events or more are left
// out: with -short, or when every benchmark runs once (-benchtime 1x, as CI
// runs them to see that they still work), since building one takes seconds
// on the SQL stores.
func SkipLongHistory(events int) bool {
	if events < 1000 {
		return false
	}
	f := flag.Lookup("test.benchtime")
	return testing.Short() || (f != nil && f.Value.String() == "1x")
}

// NsPerOp is the time per operation of the round that just ran (the last
// round is the one the framework reports).
func NsPerOp(b *testing.B) float64 { return float64(b.Elapsed().Nanoseconds()) / float64(b.N) }

// CPUPerOp reports the process's CPU time per operation since start as
// "cpu-ns/op" and returns it. It reports nothing where the CPU time is not
// known.
func CPUPerOp(b *testing.B, start time.Duration) float64 {
	now := CPUTime()
	if now == 0 {
		return 0
	}
	return ReportCPU(b, now-start)
}

// ReportCPU reports total, the process's CPU time over b.N operations
// (say, summed over the timed parts of a benchmark that stops its timer),
// per operation as "cpu-ns/op" and returns it. It reports nothing and
// returns 0 when total is 0 (the CPU time is not known).
func ReportCPU(b *testing.B, total time.Duration) float64 {
	if total == 0 {
		return 0
	}
	v := float64(total) / float64(b.N)
	b.ReportMetric(v, "cpu-ns/op")
	return v
}

// PerCount keeps, for a baseline sub-benchmark, the value of the last round
// of each -count repetition (the one the framework reports; each
// repetition has a *testing.B of its own). Under -count the framework runs
// every repetition of one sub-benchmark before the next, so a ratio is
// taken against the median of the baseline's repetitions.
type PerCount struct {
	b    *testing.B
	vals []float64
}

// Set records v as the value of b's repetition (a later round replaces an
// earlier one of the same repetition).
func (p *PerCount) Set(b *testing.B, v float64) {
	if b != p.b || len(p.vals) == 0 {
		p.b = b
		p.vals = append(p.vals, v)
		return
	}
	p.vals[len(p.vals)-1] = v
}

// Median is the median of the repetitions so far, 0 before any.
func (p *PerCount) Median() float64 {
	if len(p.vals) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(p.vals))
	return s[len(s)/2]
}

// ToggleEvent is the event that moves a VALO case of this version on in
// the history benchmarks: odd versions are in skill acquisition (enrol,
// admit and start make 3) and are paused, even ones are resumed.
func ToggleEvent(version int64) (string, *coaching.FireOptions) {
	if version%2 == 1 {
		return coaching.ValoPause, &coaching.FireOptions{Reason: "sick leave"}
	}
	return coaching.ValoResumeAcquisition, nil
}

// Toggle fires ToggleEvent(version) on the case as actor.
func Toggle(eng *coaching.Engine, actor coaching.Actor, id coaching.CaseID, version int64) error {
	event, opts := ToggleEvent(version)
	_, err := eng.Fire(context.Background(), actor, id, event, opts)
	return err
}
