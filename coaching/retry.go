package coaching

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// writeAttempts bounds WriteRetrying's attempts; maxRetryWait bounds one
// wait between them.
const (
	writeAttempts = 20
	maxRetryWait  = 250 * time.Millisecond
)

// WriteRetrying is [Engine.Write] run again while it fails with a
// *ConflictError: for a feature's write that another writer of the same
// case can beat by a moment although it would succeed right after — a
// numbered document taking the next number, a message appended to a case
// many write to at once. Each attempt runs fn afresh in a new transaction,
// after a random wait that grows with the square of the attempts, up to
// 250 ms (at most 20 attempts, about 1.2 s of waiting on average, so that
// a few dozen writers of one case all get through; ctx ends the wait). On an engine bound to a host's transaction
// ([Engine.In]) it does not retry: the conflict is the host's to handle,
// as the host's transaction may not be used after a failed statement.
func WriteRetrying(ctx context.Context, e *Engine, actor Actor, fn func(s *Scope) error) error {
	return RetryConflicts(ctx, func() (bool, error) {
		return e.bound, e.Write(ctx, actor, fn)
	})
}

// RetryConflicts runs attempt again, with [WriteRetrying]'s waits and
// bound, while it fails with a *ConflictError and does not say final: a
// feature whose write is not an Engine.Write (a participant change) or
// that raises conflicts of its own that no retry can cure (a decision made
// on an older version of a request) says final for those, and for an
// engine bound to a host's transaction.
func RetryConflicts(ctx context.Context, attempt func() (final bool, err error)) error {
	for n := 1; ; n++ {
		final, err := attempt()
		var ce *ConflictError
		if err == nil || final || !errors.As(err, &ce) || n == writeAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Millisecond + rand.N(min(time.Duration(n*n)*time.Millisecond, maxRetryWait))):
		}
	}
}
