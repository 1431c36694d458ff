package coaching_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

type followUpResult struct {
	Reached bool   `json:"reached"`
	Status  string `json:"status" validate:"required,max=50"`
}

// An effect sets a timer when a case closes; the host's timer handler
// turns it into a notice at Tick; the result is stored with AddRecord.
func TestEffectsTimersAndRecords(t *testing.T) {
	spec := coaching.VALOSpec()
	reminder := coaching.NewEffect("follow_up", func(_ context.Context, tr *coaching.Transition, next coaching.Case) (coaching.EffectWrites, error) {
		return coaching.EffectWrites{Timers: []coaching.Timer{{Key: "followup:" + string(next.ID), CaseID: next.ID, Kind: "follow_up",
			DueAt: next.ClosedAt.AddDate(0, 0, 28)}}}, nil
	})
	require.NoError(t, spec.AddEffects([]coaching.Effect{reminder}, coaching.ValoDiscontinue))
	require.Error(t, spec.AddEffects([]coaching.Effect{reminder}, "nope"))
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)

	handled := 0
	env := ct.New(t, &ct.Options{Models: []*coaching.Model{m}, Engine: coaching.Options{
		TimerHandlers: map[string]coaching.TimerHandler{"follow_up": coaching.TimerHandlerFunc(
			func(_ context.Context, _ coaching.ReadTx, c coaching.Case, tm coaching.Timer, now time.Time) (coaching.TimerResult, error) {
				handled++
				return coaching.TimerResult{Audit: "follow_up_due", Notices: []coaching.Notice{{ID: tm.Key, CaseID: c.ID, Kind: "follow_up",
					Recipient: coaching.Recipient{ID: "coach-1"}, Subject: "Follow-up due", Status: coaching.NoticePending, NotBefore: now, CreatedAt: now}}}, nil
			})}}})
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant(), ct.TeamMember(ct.Coach, coaching.RoleCoach))
	c = env.Drive(t, c.ID, ct.Because(coaching.ValoDiscontinue, "moved away"))
	require.True(t, c.Closed())

	env.Clock.AdvanceDays(27)
	assert.Equal(t, 0, env.Tick(t).Handled)
	env.Clock.AdvanceDays(2)
	rep := env.Tick(t)
	assert.Equal(t, 1, rep.Handled)
	assert.Equal(t, 1, rep.Notices)
	assert.Equal(t, 0, env.Tick(t).Handled, "handled once")
	assert.Equal(t, 1, handled)
	ct.RequireNotice(t, env.Deliver(t), ct.NoticeMatch{Kind: "follow_up", CaseID: c.ID})
	trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
	assert.Equal(t, coaching.AuditTimer, trail[len(trail)-1].Kind)

	// The result of the follow-up is recorded on the closed case.
	ctx := context.Background()
	_, err = addRecord(ctx, env.Engine, ct.Coach, c.ID, "upon_leaving", followUpResult{Reached: true, Status: "job_seeking"}, 0)
	require.NoError(t, err)
	c, err = env.Engine.Case(ctx, ct.Coach, c.ID)
	require.NoError(t, err)
	var got followUpResult
	require.NoError(t, c.DecodeRecord("upon_leaving", &got))
	assert.Equal(t, "job_seeking", got.Status)
	trail = ct.RequireAuditTrail(t, env.Engine, c.ID)
	assert.Equal(t, coaching.AuditRecord, trail[len(trail)-1].Kind)

	_, err = addRecord(ctx, env.Engine, ct.Coach, c.ID, "upon_leaving", followUpResult{}, 0)
	ct.RequireInvalid(t, err, "payload.status")
	_, err = addRecord(ctx, env.Engine, ct.Tutor, c.ID, "upon_leaving", followUpResult{Status: "x"}, 0)
	ct.RequireForbidden(t, err)
	_, err = addRecord(ctx, env.Engine, ct.Coach, c.ID, "Bad", followUpResult{Status: "x"}, 1)
	ct.RequireInvalid(t, err, "name")
	_, err = addRecord(ctx, env.Engine, ct.Coach, c.ID, "note", map[string]string{"a": "b"}, 1)
	assert.ErrorIs(t, err, coaching.ErrConflict)
}

// A failing effect fails the command and writes nothing.
func TestFailingEffect(t *testing.T) {
	spec := coaching.VALOSpec()
	boom := errors.New("calendar service down")
	require.NoError(t, spec.AddEffects([]coaching.Effect{coaching.NewEffect("broken", func(context.Context, *coaching.Transition, coaching.Case) (coaching.EffectWrites, error) {
		return coaching.EffectWrites{}, boom
	})}, coaching.ValoAdmit))
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	env := ct.New(t, &ct.Options{Models: []*coaching.Model{m}})
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant())
	_, err = env.Engine.Fire(context.Background(), ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()})
	assert.ErrorIs(t, err, boom)
	ct.RequireState(t, env.Engine, c.ID, coaching.ValoRecruitment)
	assert.Len(t, ct.RequireAuditTrail(t, env.Engine, c.ID), 1)
}

// A timer of a kind nobody handles is dropped, not retried forever.
func TestUnhandledTimerKindIsDropped(t *testing.T) {
	env := ct.New(t, nil)
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant())
	require.NoError(t, env.Store.Update(context.Background(), func(tx coaching.Tx) error {
		return tx.PutTimer(context.Background(), coaching.Timer{Key: "mystery:1", CaseID: c.ID, Kind: "mystery", DueAt: env.Clock.Now()})
	}))
	rep, err := env.Engine.Tick(context.Background(), env.Clock.Now())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Stale)
	assert.Equal(t, []string{"mystery"}, rep.Unhandled, "the report names the kind nobody handles")
	assert.Equal(t, 0, env.Tick(t).Stale)
	_, err = coaching.New(env.Store, &coaching.Options{Models: []*coaching.Model{coaching.VALO()},
		TimerHandlers: map[string]coaching.TimerHandler{coaching.TimerPhaseDeadline: coaching.TimerHandlerFunc(nil)}})
	assert.Error(t, err, "the engine's own timer kind cannot be taken over")
}

// A rule and an effect read the records they need through the transition
// (the case they get carries none): the latest of one name, as stored
// before the transition; the event's own record is its payload.
func TestRulesAndEffectsReadRecords(t *testing.T) {
	type screening struct {
		OK bool `json:"ok"`
	}
	latestScreening := func(ctx context.Context, tr *coaching.Transition) (screening, bool, error) {
		recs, err := tr.Records(ctx, coaching.RecordQuery{Names: []string{"screening"}, Latest: true})
		if err != nil || len(recs) == 0 {
			return screening{}, false, err
		}
		var s screening
		return s, true, json.Unmarshal(recs[0].Data, &s)
	}
	spec := coaching.VALOSpec()
	require.NoError(t, spec.AddRules(coaching.ValoAdmit, coaching.NewRule("screened", func(ctx context.Context, tr *coaching.Transition) error {
		if len(tr.Case.Records) > 0 {
			return errors.New("the rule's case carries records")
		}
		s, ok, err := latestScreening(ctx, tr)
		switch {
		case err != nil:
			return err
		case !ok:
			return errors.New("not screened")
		case !s.OK:
			return errors.New("the latest screening is not ok")
		}
		return nil
	})))
	var seen []string
	require.NoError(t, spec.AddEffects([]coaching.Effect{coaching.NewEffect("look", func(ctx context.Context, tr *coaching.Transition, next coaching.Case) (coaching.EffectWrites, error) {
		recs, err := tr.Records(ctx, coaching.RecordQuery{})
		for _, r := range recs {
			seen = append(seen, r.Name)
		}
		if len(next.Records) > 0 {
			return coaching.EffectWrites{}, errors.New("the effect's case carries records")
		}
		return coaching.EffectWrites{}, err
	})}, coaching.ValoAdmit))
	m, err := coaching.BuildModel(spec)
	require.NoError(t, err)
	env := ct.New(t, &ct.Options{Models: []*coaching.Model{m}})
	ctx := context.Background()
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant(), ct.TeamMember(ct.Coach, coaching.RoleCoach))

	_, err = env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()})
	var rej *coaching.RulesRejectedError
	require.ErrorAs(t, err, &rej)
	assert.Contains(t, rej.Error(), "not screened")
	_, err = addRecord(ctx, env.Engine, ct.Coach, c.ID, "screening", screening{OK: true}, 0)
	require.NoError(t, err)
	_, err = addRecord(ctx, env.Engine, ct.Coach, c.ID, "screening", screening{OK: false}, 0)
	require.NoError(t, err)
	_, err = env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()})
	require.ErrorAs(t, err, &rej)
	assert.Contains(t, rej.Error(), "the latest screening is not ok", "only the latest screening counts")

	_, err = addRecord(ctx, env.Engine, ct.Coach, c.ID, "screening", screening{OK: true}, 0)
	require.NoError(t, err)
	res, err := env.Engine.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()})
	require.NoError(t, err)
	assert.Empty(t, res.Case.Records, "a command returns the case row")
	assert.Equal(t, []string{"screening", "screening", "screening"}, seen, "the effect read the records stored before the transition, not its own")
	got, err := env.Engine.Case(ctx, ct.Coach, c.ID)
	require.NoError(t, err)
	require.Len(t, got.Records, 4)
	assert.Equal(t, coaching.RecordEntryAssessment, got.Records[3].Name, "the event's record, appended with it")
	assert.Equal(t, res.Entry.Seq, got.Records[3].Seq)
}
