package httpauth

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestVerifiedTokensAreBounded(t *testing.T) {
	now := time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)
	v := newVerifiedTokens(time.Minute, 100, func() time.Time { return now })
	for i := range 1000 {
		v.put(tokenKey(fmt.Sprint(i)), map[string]any{"n": i}, "k", now.Add(time.Hour))
		require.LessOrEqual(t, len(v.entries), 100)
	}
	_, _, ok := v.get(tokenKey("999"))
	require.True(t, ok, "the newest is remembered")

	now = now.Add(time.Minute) // the ttl bounds an entry whose until is later
	_, _, ok = v.get(tokenKey("999"))
	require.False(t, ok)

	v.put(tokenKey("gone"), nil, "k", now) // already past: not remembered
	_, _, ok = v.get(tokenKey("gone"))
	require.False(t, ok)

	off := newVerifiedTokens(0, 100, func() time.Time { return now })
	off.put(tokenKey("x"), nil, "k", now.Add(time.Hour))
	_, _, ok = off.get(tokenKey("x"))
	require.False(t, ok, "a zero ttl remembers nothing")
}
