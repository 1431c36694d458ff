package coaching_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

// WriteRetrying runs the write again while it conflicts, at most 20
// times, and never on an engine bound to a host's transaction; other
// errors end it at once.
func TestWriteRetrying(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, nil)
	c := env.Enrol(t, coaching.ModelPilot, ct.Participant(), ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor))
	conflict := &coaching.ConflictError{CaseID: c.ID, Expected: 1, Current: 2}

	calls := 0
	err := coaching.WriteRetrying(ctx, env.Engine, ct.Tutor, func(*coaching.Scope) error {
		calls++
		if calls < 3 {
			return conflict
		}
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 3, calls, "two conflicts, then the write")

	calls = 0
	err = coaching.WriteRetrying(ctx, env.Engine, ct.Tutor, func(*coaching.Scope) error { calls++; return conflict })
	assert.ErrorIs(t, err, coaching.ErrConflict)
	assert.Equal(t, 20, calls, "bounded")

	calls = 0
	err = coaching.WriteRetrying(ctx, env.Engine, ct.Tutor, func(*coaching.Scope) error { calls++; return coaching.ErrInvalid })
	assert.ErrorIs(t, err, coaching.ErrInvalid)
	assert.Equal(t, 1, calls, "only conflicts are retried")

	calls = 0
	err = env.Store.Update(ctx, func(tx coaching.Tx) error {
		return coaching.WriteRetrying(ctx, env.Engine.In(tx), ct.Tutor, func(*coaching.Scope) error { calls++; return conflict })
	})
	assert.ErrorIs(t, err, coaching.ErrConflict)
	assert.Equal(t, 1, calls, "a host's transaction is not retried in")
}
