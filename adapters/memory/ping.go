package memory

import "context"

// Ping reports whether the store can be used: a memory store always can,
// so it returns nil (the context's error once it is done). It is here so
// that a host's readiness check (adapters/httpapi's StoreCheck) treats
// every store alike. The memory store never returns
// coaching.ErrUnavailable.
func (s *Store) Ping(ctx context.Context) error { return ctx.Err() }
