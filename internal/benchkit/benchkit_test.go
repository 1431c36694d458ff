package benchkit

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBudgetAndMedian(t *testing.T) {
	assert.Equal(t, 2, Budget(10))
	assert.Equal(t, 200, Budget(1000))
	assert.False(t, SkipLongHistory(100))
	var p PerCount
	assert.Zero(t, p.Median())
	b1, b2, b3 := &testing.B{}, &testing.B{}, &testing.B{}
	p.Set(b1, 5)
	p.Set(b1, 7) // a later round of the same repetition replaces
	p.Set(b2, 1)
	p.Set(b3, 9)
	assert.Equal(t, 7.0, p.Median())
}
