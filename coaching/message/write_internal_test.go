package message

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/valmennus/valmennus/coaching"
)

type pointerTx struct{ coaching.Tx }

type valueTx struct {
	coaching.Tx
	ops []string // not comparable
}

// sameTx tells a bound engine's host transaction (the same one again) from
// a fresh transaction, and never panics on a transaction type that cannot
// be compared.
func TestSameTx(t *testing.T) {
	a, b := &pointerTx{}, &pointerTx{}
	assert.True(t, sameTx(a, a))
	assert.False(t, sameTx(a, b))
	assert.False(t, sameTx(nil, a))
	assert.False(t, sameTx(a, nil))
	v := valueTx{}
	assert.False(t, sameTx(v, v), "not comparable: taken as fresh")
	assert.False(t, sameTx(a, v))
}
