package sendertest_test

import (
	"fmt"

	"github.com/valmennus/valmennus/adapters/sendertest"
)

// Cases lists the conformance cases Run runs; a sender's test file calls
// sendertest.Run (or RunWith) with a harness around a real receiver.
func ExampleCases() {
	for _, name := range sendertest.Cases() {
		fmt.Println(name)
	}
	// Output:
	// Delivery/Notice
	// Delivery/MinimalNotice
	// Delivery/FinnishAndSwedish
	// Delivery/SequentialInOrder
	// Failures/TransientIsRetryable
	// Failures/PermanentIsPermanent
	// Failures/RetryAfterTransientArrivesOnce
	// Failures/ErrorsCarryNoPersonalData
	// Context/Cancelled
	// Concurrency/ParallelSends
	// Recipient/NoAddress
}
