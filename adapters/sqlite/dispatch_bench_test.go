package sqlite_test

import (
	"testing"

	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
)

// BenchmarkDispatchWebhook: the dispatcher over a SQLite file against a raw
// loop POSTing the same bodies to the same loopback sink, in the same run
// (see storetest.BenchDispatch; the ratio metric is dispatcher throughput /
// raw throughput).
func BenchmarkDispatchWebhook(b *testing.B) {
	storetest.BenchDispatch(b, func(tb testing.TB) coaching.Store { return openTemp(tb) })
}
