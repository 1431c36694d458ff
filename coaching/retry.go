package coaching

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// writeAttempts bounds WriteRetrying's attempts.
const writeAttempts = 16

// WriteRetrying is [Engine.Write] run again while it fails with a
// *ConflictError: for a feature's write that another writer of the same
// case can beat by a moment although it would succeed right after — a
// numbered document taking the next number, a message appended to a case
// many write to at once. Each attempt runs fn afresh in a new transaction,
// after a random wait that grows with the attempts (at most 16 attempts;
// ctx ends the wait). On an engine bound to a host's transaction
// ([Engine.In]) it does not retry: the conflict is the host's to handle,
// as the host's transaction may not be used after a failed statement.
func WriteRetrying(ctx context.Context, e *Engine, actor Actor, fn func(s *Scope) error) error {
	for attempt := 1; ; attempt++ {
		err := e.Write(ctx, actor, fn)
		var ce *ConflictError
		if err == nil || e.bound || !errors.As(err, &ce) || attempt == writeAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(rand.N(time.Duration(attempt) * 2 * time.Millisecond)):
		}
	}
}
