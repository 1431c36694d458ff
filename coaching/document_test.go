package coaching_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

func TestSaveDocumentVersions(t *testing.T) {
	env := ct.New(t, nil)
	ctx := context.Background()
	tutor := ct.TeamMember(ct.Tutor, coaching.RolePersonalTutor)
	c := env.Enrol(t, coaching.ModelPilot, ct.Participant(), tutor)

	d1, err := env.Engine.SaveDocument(ctx, ct.Tutor, c.ID, coaching.DocumentChange{Kind: "hoks", Status: "draft",
		Data: json.RawMessage(`{"a":1}`)})
	require.NoError(t, err)
	assert.Equal(t, int64(1), d1.Version)
	notice := coaching.Notice{ID: "survey-1", CaseID: c.ID, Kind: "survey", Status: coaching.NoticePending, NotBefore: env.Clock.Now()}
	d2, err := env.Engine.SaveDocument(ctx, ct.Tutor, c.ID, coaching.DocumentChange{Kind: "hoks", BasedOn: 1, Status: "approved",
		Data: json.RawMessage(`{"a":2}`), Event: "hoks_approved", Notices: []coaching.Notice{notice}})
	require.NoError(t, err)
	assert.Equal(t, int64(2), d2.Version)

	// A change based on a version that is no longer the latest is a conflict.
	_, err = env.Engine.SaveDocument(ctx, ct.Tutor, c.ID, coaching.DocumentChange{Kind: "hoks", BasedOn: 1, Data: json.RawMessage(`{"a":3}`)})
	var ce *coaching.ConflictError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, int64(2), ce.Current)
	assert.Contains(t, err.Error(), "document hoks")

	require.NoError(t, env.Engine.ReadCase(ctx, ct.Staff, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
		all, err := v.Documents("hoks")
		require.NoError(t, err)
		require.Len(t, all, 2)
		assert.JSONEq(t, `{"a":1}`, string(all[0].Data), "earlier versions stay as they were")
		latest, err := v.Document("hoks", 0)
		require.NoError(t, err)
		assert.Equal(t, "approved", latest.Status)
		return nil
	}))

	trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
	last := trail[len(trail)-1]
	assert.Equal(t, coaching.AuditDocument, last.Kind)
	assert.Equal(t, "hoks_approved", last.Event)
	assert.Equal(t, last.Seq, d2.Seq)
	ct.RequireNotice(t, env.Deliver(t), ct.NoticeMatch{Kind: "survey"})

	// Not on the team and not an opener of the model.
	_, err = env.Engine.SaveDocument(ctx, ct.Coach, c.ID, coaching.DocumentChange{Kind: "hoks", BasedOn: 2, Data: json.RawMessage(`{}`)})
	ct.RequireForbidden(t, err)
	_, err = env.Engine.SaveDocument(ctx, ct.Tutor, c.ID, coaching.DocumentChange{Kind: "Bad Kind", Data: json.RawMessage(`{`)})
	ct.RequireInvalid(t, err, "kind", "data")
	_, err = env.Engine.SaveDocument(ctx, ct.Tutor, "ghost", coaching.DocumentChange{Kind: "hoks", Data: json.RawMessage(`{}`)})
	assert.ErrorIs(t, err, coaching.ErrNotFound)
	ct.RequireAuditTrail(t, env.Engine, c.ID)
}
