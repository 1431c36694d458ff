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

// FirePairFires is how many transitions [FirePair] fires on one case
// before it takes the next, so that a case's history stays short whatever
// b.N is.
const FirePairFires = 12

// FirePair measures Fire on two engines in the same run: engs[0], the
// baseline, and engs[1], the same with something attached (an observer,
// an adapter). Each fire pauses or resumes a VALO case in skill
// acquisition that open returns (called before the timer starts, for
// b.N/FirePairFires+1 cases per engine). The engines take turns in blocks
// of 32 fires, and which goes first alternates from block to block, so
// both see the same machine state and neither gains from the caches the
// other warmed. It reports each engine's ns per fire ("ns/fire-"+name)
// and their ratio (names[1]+"/"+names[0]), and returns the ratio.
func FirePair(b *testing.B, engs [2]*coaching.Engine, names [2]string, actor coaching.Actor,
	open func(eng *coaching.Engine, i int) coaching.CaseID) float64 {
	b.Helper()
	ctx := context.Background()
	pause, resume := &coaching.FireOptions{Reason: "sick leave"}, &coaching.FireOptions{}
	var ids [2][]coaching.CaseID
	for k, eng := range engs {
		ids[k] = make([]coaching.CaseID, b.N/FirePairFires+1)
		for i := range ids[k] {
			ids[k][i] = open(eng, i)
		}
	}
	const block = 32
	var spent [2]time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for start := 0; start < b.N; start += block {
		end := min(start+block, b.N)
		for j := range engs {
			k := j ^ (start / block & 1)
			eng := engs[k]
			t0 := time.Now()
			for i := start; i < end; i++ {
				var err error
				id := ids[k][i/FirePairFires]
				if i%FirePairFires&1 == 0 {
					_, err = eng.Fire(ctx, actor, id, coaching.ValoPause, pause)
				} else {
					_, err = eng.Fire(ctx, actor, id, coaching.ValoResumeAcquisition, resume)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			spent[k] += time.Since(t0)
		}
	}
	b.StopTimer()
	for k, name := range names {
		b.ReportMetric(float64(spent[k].Nanoseconds())/float64(b.N), "ns/fire-"+name)
	}
	if spent[0] == 0 {
		return 0
	}
	ratio := float64(spent[1]) / float64(spent[0])
	b.ReportMetric(ratio, names[1]+"/"+names[0])
	return ratio
}
