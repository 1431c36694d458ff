package hoks_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/hoks"
)

// The InForce hook is asked about every version that comes into force, and
// only those; its notices are written with the version.
func TestInForceHook(t *testing.T) {
	e := newHoksEnv(t)
	ctx := context.Background()
	var asked []string
	svc, err := hoks.NewServiceWith(e.Engine, hoks.ServiceOptions{InForce: func(id coaching.CaseID, v hoks.Version) []coaching.Notice {
		n := strconv.FormatInt(v.Number, 10)
		asked = append(asked, n+" "+string(v.Status))
		return []coaching.Notice{{ID: "sync:" + string(id) + ":" + n, CaseID: id, Kind: "sync", CreatedAt: v.At, Status: coaching.NoticePending}}
	}})
	require.NoError(t, err)
	today := coaching.DateOf(e.Clock.Now())

	v1, err := svc.SaveDraft(ctx, ct.Tutor, e.id, 0, draftPlan(t))
	require.NoError(t, err)
	v2, err := svc.Approve(ctx, ct.Tutor, e.id, v1.Number, today)
	require.NoError(t, err)
	v3, err := svc.Start(ctx, ct.Tutor, e.id, v2.Number)
	require.NoError(t, err)
	v4, err := svc.SaveDraft(ctx, ct.Tutor, e.id, v3.Number, v3.Plan) // an update awaiting approval
	require.NoError(t, err)
	// A refused approval (a date in the future) enqueues nothing.
	_, err = svc.Approve(ctx, ct.Tutor, e.id, v4.Number, coaching.DateOf(e.Clock.Now().Add(48*time.Hour)))
	require.Error(t, err)
	v5, err := svc.Approve(ctx, ct.Tutor, e.id, v4.Number, today)
	require.NoError(t, err)
	_, err = svc.Archive(ctx, ct.Tutor, e.id, v5.Number)
	require.NoError(t, err)

	assert.Equal(t, []string{"2 approved", "3 in_progress", "5 approved"}, asked)
	ns, err := e.Store.Notices(ctx, coaching.NoticeQuery{CaseID: e.id, Kind: "sync"})
	require.NoError(t, err)
	var ids []string
	for _, n := range ns {
		ids = append(ids, n.ID)
	}
	assert.Equal(t, []string{"sync:" + string(e.id) + ":2", "sync:" + string(e.id) + ":3", "sync:" + string(e.id) + ":5"}, ids)
	assert.True(t, hoks.StatusCompleted.InForce())
	assert.False(t, hoks.StatusUpdated.InForce())
}
