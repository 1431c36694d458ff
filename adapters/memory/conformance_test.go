package memory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/adapters/storetest"
	"github.com/valmennus/valmennus/coaching"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) coaching.Store { return memory.New() })
}

// A panic inside a transaction (a bug in the caller) rolls it back before
// the panic continues, so the store is never left half-written.
func TestPanicRollsBack(t *testing.T) {
	store := memory.New()
	ctx := context.Background()
	func() {
		defer func() { _ = recover() }()
		_ = store.Update(ctx, func(tx coaching.Tx) error {
			if err := tx.InsertParticipant(ctx, coaching.Participant{ID: "p"}); err != nil {
				return err
			}
			panic("bug")
		})
	}()
	err := store.View(ctx, func(tx coaching.ReadTx) error {
		_, err := tx.Participant(ctx, "", "p")
		return err
	})
	if !errors.Is(err, coaching.ErrNotFound) {
		t.Fatalf("the participant of a panicked transaction was kept: %v", err)
	}
}

func TestErasure(t *testing.T) {
	storetest.RunErasure(t, func(*testing.T) coaching.Store { return memory.New() })
}

// Every kind of denial leaves one access-log entry, its untrusted text
// sanitized.
func TestDenials(t *testing.T) {
	storetest.RunDenials(t, func(*testing.T) coaching.Store { return memory.New() })
}

// The store keeps coaching sessions: the sessions feature's port.
func TestSessions(t *testing.T) {
	storetest.RunSessions(t, func(*testing.T) coaching.Store { return memory.New() })
}

// The store keeps attendance: the attendance feature's port.
func TestAttendance(t *testing.T) {
	storetest.RunAttendance(t, func(*testing.T) coaching.Store { return memory.New() })
}

// The store keeps caseload data: the caseload feature's port.
func TestCaseload(t *testing.T) {
	storetest.RunCaseload(t, func(*testing.T) coaching.Store { return memory.New() })
}

// Families' messages and proposed contact changes, under the access
// policy, over the store's documents, notices and participants.
func TestMessages(t *testing.T) {
	storetest.RunMessages(t, func(*testing.T) coaching.Store { return memory.New() })
}

// The student's proposals to their plan: the access matrix and concurrent
// decisions over the store.
func TestProposals(t *testing.T) {
	storetest.RunProposals(t, func(*testing.T) coaching.Store { return memory.New() })
}

// Families' requests (coaching/absence): the access matrix, excused marks
// and concurrent decisions on the memory store.
func TestAbsence(t *testing.T) {
	storetest.RunAbsence(t, func(*testing.T) coaching.Store { return memory.New() })
}

// Participant and sign-on ids are scoped per organisation: the sign-on
// lookup's port (coaching/signon) and the engine end to end.
func TestSignOn(t *testing.T) {
	storetest.RunSignOn(t, func(*testing.T) coaching.Store { return memory.New() })
}

func TestIDs(t *testing.T) {
	storetest.RunIDs(t, func(*testing.T) coaching.Store { return memory.New() })
}
