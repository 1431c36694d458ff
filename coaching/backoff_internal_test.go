package coaching

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The wait after the n-th failure is uniform in [base, min(cap, base ×
// 2^(n-1))]: never below the base, never above the exponential ceiling or
// the cap, and spread over the whole range.
func TestBackoffJitterBounds(t *testing.T) {
	base, limit := time.Minute, 20*time.Minute
	r := rand.New(rand.NewPCG(1, 2))
	d := &Dispatcher{o: DispatcherOptions{BaseBackoff: base, MaxBackoff: limit}}
	d.o.Test.Jitter = r.Float64
	for attempt := 1; attempt <= 12; attempt++ {
		ceiling := min(base<<(attempt-1), limit)
		lo, hi, sum := time.Duration(1<<62), time.Duration(0), 0.0
		const n = 20000
		for range n {
			w := d.backoff(attempt)
			require.GreaterOrEqual(t, w, base, "attempt %d", attempt)
			require.LessOrEqual(t, w, ceiling, "attempt %d", attempt)
			lo, hi, sum = min(lo, w), max(hi, w), sum+float64(w)
		}
		if attempt == 1 {
			assert.Equal(t, base, hi, "the first retry waits the base")
			continue
		}
		span := float64(ceiling - base)
		assert.Less(t, float64(lo-base), 0.01*span, "attempt %d: the range's bottom is reached", attempt)
		assert.Less(t, float64(ceiling-hi), 0.01*span, "attempt %d: the range's top is reached", attempt)
		mid := float64(base) + span/2
		assert.InDelta(t, mid, sum/n, 0.02*span, "attempt %d: uniform, centred on the middle", attempt)
	}

	// The extremes of the draw are the range's ends.
	d.o.Test.Jitter = func() float64 { return 0 }
	assert.Equal(t, base, d.backoff(5))
	d.o.Test.Jitter = func() float64 { return 0.999999999 }
	assert.Equal(t, 16*time.Minute, d.backoff(5).Round(time.Second))
	assert.Equal(t, limit, d.backoff(40).Round(time.Second), "capped, with no overflow from a large attempt count")
}
