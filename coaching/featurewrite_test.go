package coaching_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

var errFeatureWrite = errors.New("feature write refused")

// featureNotice is a feature write's observable result: a notice enqueued
// through the transaction it was given.
func featureWrite(id string, caseID coaching.CaseID, fail *bool) coaching.FeatureWrite {
	return func(ctx context.Context, tx coaching.Tx) error {
		if *fail {
			return errFeatureWrite
		}
		_, err := tx.Enqueue(ctx, coaching.Notice{ID: id, CaseID: caseID, Kind: "feature", Recipient: coaching.Recipient{ID: "coach-1"},
			Subject: "feature", Status: coaching.NoticePending, NotBefore: time.Now(), CreatedAt: time.Now()})
		return err
	}
}

func storedNotice(t *testing.T, env *ct.Env, id string) bool {
	t.Helper()
	ns, err := env.Store.Notices(context.Background(), coaching.NoticeQuery{})
	require.NoError(t, err)
	for _, n := range ns {
		if n.ID == id {
			return true
		}
	}
	return false
}

// An effect's feature writes run in the transition's transaction: they
// are written with it, and one that fails leaves neither written.
func TestEffectFeatureWrites(t *testing.T) {
	fail := true
	spec := coaching.VALOSpec()
	eff := coaching.NewEffect("feature", func(_ context.Context, tr *coaching.Transition, next coaching.Case) (coaching.EffectWrites, error) {
		return coaching.EffectWrites{Writes: []coaching.FeatureWrite{nil, featureWrite("fw:"+string(next.ID), next.ID, &fail)}}, nil
	})
	require.NoError(t, spec.AddEffects([]coaching.Effect{eff}, coaching.ValoDiscontinue))
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	env := ct.New(t, &ct.Options{Models: []*coaching.Model{m}})
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant(), ct.TeamMember(ct.Coach, coaching.RoleCoach))

	_, err = env.Engine.Fire(context.Background(), ct.Coach, c.ID, coaching.ValoDiscontinue, &coaching.FireOptions{Reason: "moved away"})
	require.ErrorIs(t, err, errFeatureWrite)
	got := ct.RequireState(t, env.Engine, c.ID, c.State)
	assert.Equal(t, c.Version, got.Version, "the failed write left the transition unwritten")
	assert.False(t, storedNotice(t, env, "fw:"+string(c.ID)))

	fail = false
	c = env.Drive(t, c.ID, ct.Because(coaching.ValoDiscontinue, "moved away"))
	require.True(t, c.Closed())
	assert.True(t, storedNotice(t, env, "fw:"+string(c.ID)), "written with the transition")
}

// A timer handler's feature writes run in the timer's transaction: a
// failing one fails the tick and leaves the timer due, its audit entry
// unwritten.
func TestTimerFeatureWrites(t *testing.T) {
	fail := true
	spec := coaching.VALOSpec()
	reminder := coaching.NewEffect("follow_up", func(_ context.Context, tr *coaching.Transition, next coaching.Case) (coaching.EffectWrites, error) {
		return coaching.EffectWrites{Timers: []coaching.Timer{{Key: "followup:" + string(next.ID), CaseID: next.ID, Kind: "follow_up",
			DueAt: next.ClosedAt.AddDate(0, 0, 1)}}}, nil
	})
	require.NoError(t, spec.AddEffects([]coaching.Effect{reminder}, coaching.ValoDiscontinue))
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	env := ct.New(t, &ct.Options{Models: []*coaching.Model{m}, Engine: coaching.Options{
		TimerHandlers: map[string]coaching.TimerHandler{"follow_up": coaching.TimerHandlerFunc(
			func(_ context.Context, _ coaching.ReadTx, c coaching.Case, tm coaching.Timer, now time.Time) (coaching.TimerResult, error) {
				return coaching.TimerResult{Audit: "follow_up_due", Writes: []coaching.FeatureWrite{featureWrite("fw:"+tm.Key, c.ID, &fail)}}, nil
			})}}})
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant(), ct.TeamMember(ct.Coach, coaching.RoleCoach))
	c = env.Drive(t, c.ID, ct.Because(coaching.ValoDiscontinue, "moved away"))
	before := len(ct.RequireAuditTrail(t, env.Engine, c.ID))
	env.Clock.AdvanceDays(2)

	_, err = env.Engine.Tick(context.Background(), env.Clock.Now())
	require.ErrorIs(t, err, errFeatureWrite)
	assert.Len(t, ct.RequireAuditTrail(t, env.Engine, c.ID), before, "no audit entry")
	assert.False(t, storedNotice(t, env, "fw:followup:"+string(c.ID)))

	fail = false
	rep := env.Tick(t)
	assert.Equal(t, 1, rep.Handled, "the timer stayed due and is handled now")
	assert.Len(t, ct.RequireAuditTrail(t, env.Engine, c.ID), before+1)
	assert.True(t, storedNotice(t, env, "fw:followup:"+string(c.ID)))
}
