package contactchange_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/contactchange"
)

// losingStore is a store whose next writes lose to another writer: each
// runs, then fails at commit with a conflict, as a case's write does when
// another (attendance, a message) wrote the case a moment before.
type losingStore struct {
	*memory.Store
	lose, writes atomic.Int32
}

func (s *losingStore) Update(ctx context.Context, fn func(tx coaching.Tx) error) error {
	s.writes.Add(1)
	return s.Store.Update(ctx, func(tx coaching.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if s.lose.Add(-1) >= 0 {
			return &coaching.ConflictError{CaseID: "any", Expected: 1, Current: 2}
		}
		return nil
	})
}

// A proposal, its withdrawal and a decision that lose the case's version
// to another writer are run again and land; a decision made on an older
// version of the proposal is not retried.
func TestWritesAreRetriedOnConflict(t *testing.T) {
	ctx := context.Background()
	store := &losingStore{Store: memory.New()}
	clock := ct.NewClock(monday)
	eng, err := coaching.New(store, &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Clock: clock, Documents: contactchange.Documents()})
	require.NoError(t, err)
	c, err := eng.Enrol(ctx, ct.Staff, coaching.EnrolParams{Model: coaching.ModelPilot, Participant: ct.Minor(coaching.NewDate(2027, 5, 1)),
		Team: []coaching.TeamMember{ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor)}})
	require.NoError(t, err)
	s, err := contactchange.New(eng, nil)
	require.NoError(t, err)

	store.lose.Store(2)
	pro, err := s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "uusi@example.fi"})
	require.NoError(t, err, "proposed after two lost writes")
	store.lose.Store(2)
	got, err := s.Withdraw(ctx, guardian, c.ID, pro.ID)
	require.NoError(t, err)
	assert.Equal(t, contactchange.Withdrawn, got.Status)

	pro, err = s.Propose(ctx, guardian, c.ID, coaching.Contact{Email: "uusi@example.fi"})
	require.NoError(t, err)
	store.writes.Store(0)
	_, err = s.Decide(ctx, ct.Tutor, c.ID, pro.ID, contactchange.Decision{Approve: true, Version: pro.Version + 1})
	assert.ErrorIs(t, err, coaching.ErrConflict)
	assert.Equal(t, int32(1), store.writes.Load(), "a decision on another version of the proposal is not retried")
	store.lose.Store(2)
	got, err = s.Decide(ctx, ct.Tutor, c.ID, pro.ID, contactchange.Decision{Approve: true, Version: pro.Version})
	require.NoError(t, err, "decided after two lost writes")
	assert.Equal(t, contactchange.Approved, got.Status)
	var p coaching.Participant
	require.NoError(t, store.View(ctx, func(tx coaching.ReadTx) error {
		p, err = tx.Participant(ctx, c.Organisation, c.ParticipantID)
		return err
	}))
	assert.Equal(t, "uusi@example.fi", p.Guardians[0].Contact.Email)
}
