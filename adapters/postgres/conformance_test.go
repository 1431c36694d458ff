package postgres_test

import (
	"testing"

	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
)

// TestConformance runs the store conformance suite, unchanged: every case
// gets a migrated schema of its own on a shared pool, so the cases run in
// parallel.
func TestConformance(t *testing.T) {
	testDSN(t)
	storetest.Run(t, func(t *testing.T) coaching.Store { return newStore(t) })
}

func TestErasure(t *testing.T) {
	testDSN(t)
	storetest.RunErasure(t, func(t *testing.T) coaching.Store { return newStore(t) })
}

// Every kind of denial leaves one access-log entry, also when its actor id
// is not text PostgreSQL can hold (invalid UTF-8, NUL): the store keeps the
// entry sanitized.
func TestDenials(t *testing.T) {
	testDSN(t)
	storetest.RunDenials(t, func(t *testing.T) coaching.Store { return newStore(t) })
}

// The store keeps coaching sessions: the sessions feature's port.
func TestSessions(t *testing.T) {
	testDSN(t)
	storetest.RunSessions(t, func(t *testing.T) coaching.Store { return newStore(t) })
}

// The store keeps attendance: the attendance feature's port.
func TestAttendance(t *testing.T) {
	testDSN(t)
	storetest.RunAttendance(t, func(t *testing.T) coaching.Store { return newStore(t) })
}

// The store keeps the caseload: the caseload feature's port.
func TestCaseload(t *testing.T) {
	testDSN(t)
	storetest.RunCaseload(t, func(t *testing.T) coaching.Store { return newStore(t) })
}

// Families' messages and proposed contact changes, under the access
// policy, over the store's documents, notices and participants.
func TestMessages(t *testing.T) {
	testDSN(t)
	storetest.RunMessages(t, func(t *testing.T) coaching.Store { return newStore(t) })
}

// The student's proposals to their plan: the access matrix and concurrent
// decisions over the store.
func TestProposals(t *testing.T) {
	testDSN(t)
	storetest.RunProposals(t, func(t *testing.T) coaching.Store { return newStore(t) })
}

// Families' requests (coaching/absence): the access matrix, excused marks
// and concurrent decisions on PostgreSQL.
func TestAbsence(t *testing.T) {
	testDSN(t)
	storetest.RunAbsence(t, func(t *testing.T) coaching.Store { return newStore(t) })
}

// Participant and sign-on ids are scoped per organisation: the sign-on
// lookup's port (coaching/signon) and the engine end to end.
func TestSignOn(t *testing.T) {
	testDSN(t)
	storetest.RunSignOn(t, func(t *testing.T) coaching.Store { return newStore(t) })
}

func TestIDs(t *testing.T) {
	testDSN(t)
	storetest.RunIDs(t, func(t *testing.T) coaching.Store { return newStore(t) })
}
