package hoks

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
)

// The lifecycle runs on a coaching.Machine; a refused action is a
// *coaching.TransitionError listing the allowed actions, sorted.
func TestNextOnTheLifecycleMachine(t *testing.T) {
	tests := []struct {
		from    Status
		action  string
		want    Status
		wantErr string
	}{
		{from: StatusDraft, action: ActionApprove, want: StatusApproved},
		{from: StatusUpdated, action: ActionApprove, want: StatusApproved},
		{from: StatusApproved, action: ActionStart, want: StatusInProgress},
		{from: StatusInProgress, action: ActionRevise, want: StatusUpdated},
		{from: StatusInProgress, action: ActionReachCompetence, want: StatusCompetenceReached},
		{from: StatusCompetenceReached, action: ActionComplete, want: StatusCompleted},
		{from: StatusCompleted, action: ActionArchive, want: StatusArchived},
		{from: StatusDraft, action: ActionComplete,
			wantErr: `valmennus: event "complete" is not allowed from state "draft" (allowed: approve, archive)`},
		{from: StatusApproved, action: ActionApprove,
			wantErr: `valmennus: event "approve" is not allowed from state "approved" (allowed: archive, reach_competence, revise, start)`},
		{from: StatusArchived, action: ActionRevise,
			wantErr: `valmennus: event "revise" is not allowed from state "archived" (allowed: none)`},
	}
	for _, tt := range tests {
		t.Run(string(tt.from)+"/"+tt.action, func(t *testing.T) {
			got, err := next(tt.from, tt.action)
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.ErrorIs(t, err, coaching.ErrTransitionNotAllowed)
			assert.EqualError(t, err, tt.wantErr)
			assert.Empty(t, got)
		})
	}
}
