package storetest_test

import (
	"fmt"
	"strings"

	"github.com/valmennus/valmennus/adapters/storetest"
)

// Cases lists the conformance cases Run runs, grouped by the part of the
// port they check; an adapter's test file calls storetest.Run.
func ExampleCases() {
	groups := map[string]int{}
	var order []string
	for _, name := range storetest.Cases() {
		g, _, _ := strings.Cut(name, "/")
		if groups[g] == 0 {
			order = append(order, g)
		}
		groups[g]++
	}
	for _, g := range order {
		fmt.Println(g, groups[g] > 0)
	}
	// Output:
	// Participants true
	// Cases true
	// Versions true
	// Records true
	// Transactions true
	// Context true
	// Commands true
	// Audit true
	// Outbox true
	// Timers true
	// Pipelined true
	// Iteration true
	// Documents true
	// Access true
	// Purge true
	// Concurrency true
}
