package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/valmennus/valmennus/adapters/sqlite"
	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
)

// openTemp opens a fresh, migrated store in a file of t's temporary
// directory, closed when t ends.
func openTemp(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "valmennus.db"), &sqlite.Options{Migrate: true})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) coaching.Store { return openTemp(t) })
}

func TestErasure(t *testing.T) {
	storetest.RunErasure(t, func(t *testing.T) coaching.Store { return openTemp(t) })
}

// Every kind of denial leaves one access-log entry, its untrusted text
// sanitized.
func TestDenials(t *testing.T) {
	storetest.RunDenials(t, func(t *testing.T) coaching.Store { return openTemp(t) })
}

// The store keeps coaching sessions: the sessions feature's port.
func TestSessions(t *testing.T) {
	storetest.RunSessions(t, func(t *testing.T) coaching.Store { return openTemp(t) })
}

// The store keeps attendance: the attendance feature's port.
func TestAttendance(t *testing.T) {
	storetest.RunAttendance(t, func(t *testing.T) coaching.Store { return openTemp(t) })
}

// The store keeps the caseload: the caseload feature's port.
func TestCaseload(t *testing.T) {
	storetest.RunCaseload(t, func(t *testing.T) coaching.Store { return openTemp(t) })
}

// Families' messages and proposed contact changes, under the access
// policy, over the store's documents, notices and participants.
func TestMessages(t *testing.T) {
	storetest.RunMessages(t, func(t *testing.T) coaching.Store { return openTemp(t) })
}

// The student's proposals to their plan: the access matrix and concurrent
// decisions over the store.
func TestProposals(t *testing.T) {
	storetest.RunProposals(t, func(t *testing.T) coaching.Store { return openTemp(t) })
}

// Families' requests (coaching/absence): the access matrix, excused marks
// and concurrent decisions on SQLite.
func TestAbsence(t *testing.T) {
	storetest.RunAbsence(t, func(t *testing.T) coaching.Store { return openTemp(t) })
}

// Participant and sign-on ids are scoped per organisation: the sign-on
// lookup's port (coaching/signon) and the engine end to end.
func TestSignOn(t *testing.T) {
	storetest.RunSignOn(t, func(t *testing.T) coaching.Store { return openTemp(t) })
}

func TestIDs(t *testing.T) {
	storetest.RunIDs(t, func(t *testing.T) coaching.Store { return openTemp(t) })
}
