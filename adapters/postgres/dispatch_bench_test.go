package postgres_test

import (
	"testing"

	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
)

// BenchmarkDispatchWebhook: the dispatcher over PostgreSQL (a fresh schema,
// VALMENNUS_POSTGRES_DSN) against a raw loop POSTing the same bodies to the
// same loopback sink, in the same run (see storetest.BenchDispatch; the
// ratio metric is dispatcher throughput / raw throughput). Issue 13 asks
// for a ratio ≥ 0.5 here.
func BenchmarkDispatchWebhook(b *testing.B) {
	testDSN(b)
	storetest.BenchDispatch(b, func(tb testing.TB) coaching.Store { return newStore(tb) })
}
