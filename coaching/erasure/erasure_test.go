package erasure

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
)

var head = coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}

// The erased birth date gives the same age at every case's entry and no
// earlier day than needed; a 29 February birthday and an entry in a common
// year are handled.
func TestCoarseBirthDate(t *testing.T) {
	cases := []struct {
		birth   coaching.Date
		entries []coaching.Date
		want    coaching.Date
	}{
		{coaching.NewDate(1990, 4, 12), nil, coaching.NewDate(1990, 1, 1)},
		{coaching.NewDate(1990, 4, 12), []coaching.Date{coaching.NewDate(2026, 9, 1)}, coaching.NewDate(1990, 9, 1)},
		{coaching.NewDate(1990, 10, 12), []coaching.Date{coaching.NewDate(2026, 9, 1)}, coaching.NewDate(1991, 9, 1)},
		{coaching.NewDate(2000, 2, 29), []coaching.Date{coaching.NewDate(2023, 3, 1)}, coaching.NewDate(2000, 3, 1)},
		{coaching.NewDate(1990, 4, 12), []coaching.Date{coaching.NewDate(2026, 9, 1), coaching.NewDate(2025, 5, 1)}, coaching.NewDate(1990, 5, 1)},
		{coaching.Date{}, []coaching.Date{coaching.NewDate(2026, 9, 1)}, coaching.Date{}},
	}
	for _, tc := range cases {
		got := coarseBirthDate(tc.birth, tc.entries)
		assert.Equal(t, tc.want, got, "birth %s", tc.birth)
		for _, e := range tc.entries {
			assert.Equal(t, tc.birth.AgeOn(e), got.AgeOn(e), "the age on %s stays", e)
		}
	}
}

// Options decide in one place which records stay and with what data.
func TestOptionsKeep(t *testing.T) {
	var none *Options
	_, ok, err := none.keep("destination", json.RawMessage(`{}`))
	require.NoError(t, err)
	assert.False(t, ok, "nil options keep nothing")
	o := &Options{KeepRecords: []string{"destination"}}
	data, ok, err := o.keep("destination", json.RawMessage(`{"note":"x"}`))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.JSONEq(t, `{"note":"x"}`, string(data))
	_, ok, _ = o.keep("entry_assessment", json.RawMessage(`{}`))
	assert.False(t, ok)
	o.ScrubRecord = func(string, json.RawMessage) (json.RawMessage, error) { return json.RawMessage(`{}`), nil }
	data, ok, err = o.keep("destination", json.RawMessage(`{"note":"x"}`))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.JSONEq(t, `{}`, string(data))
}

// outcome is the test model's closing record.
type outcome struct {
	Result string `json:"result" validate:"required"`
	Note   string `json:"note,omitempty"`
}

func newEnv(t *testing.T) (*ct.Env, *Service, *coaching.SystemKey) {
	t.Helper()
	model, err := coaching.BuildModel(coaching.ModelSpec{Name: "short", Initial: "coaching", Openers: []coaching.Role{coaching.RoleHeadOfStudies},
		States: []coaching.StateSpec{{Name: "coaching", Kind: coaching.Active}, {Name: "done", Kind: coaching.Terminal, Exit: coaching.ExitCompleted}},
		Events: []coaching.EventSpec{{Name: "finish", From: []string{"coaching"}, To: "done", Roles: []coaching.Role{coaching.RoleCoach},
			Payload: outcome{}, Record: "outcome", RequirePayload: true}}})
	require.NoError(t, err)
	key := coaching.NewSystemKey()
	env := ct.New(t, &ct.Options{Models: []*coaching.Model{model}, Engine: coaching.Options{SystemKey: key}})
	s, err := New(env.Engine)
	require.NoError(t, err)
	return env, s, key
}

// closed enrols a participant in a case of the test model and closes it
// with its outcome record.
func closed(t *testing.T, env *ct.Env, id coaching.ParticipantID) coaching.Case {
	t.Helper()
	c := env.Enrol(t, "short", ct.Participant(func(p *coaching.Participant) { p.ID = id }))
	_, err := env.Engine.Fire(context.Background(), ct.Coach, c.ID, "finish", &coaching.FireOptions{Payload: outcome{Result: "work", Note: "at Osallistuja Oy"}})
	require.NoError(t, err)
	c, err = env.Engine.Case(context.Background(), head, c.ID) // with its records
	require.NoError(t, err)
	return c
}

// A scrub that fails aborts the whole erasure: the participant and every
// case stay as they were.
func TestEraseIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	env, s, _ := newEnv(t)
	c := closed(t, env, "p-1")
	errScrub := errors.New("cannot scrub")
	require.Len(t, c.Records, 1)
	_, err := s.Erase(ctx, head, "p-1", &Options{KeepRecords: []string{"outcome"},
		ScrubRecord: func(string, json.RawMessage) (json.RawMessage, error) { return nil, errScrub }})
	require.ErrorIs(t, err, errScrub)
	p, err := ct.ReadParticipant(ctx, env.Engine, head, "p-1")
	require.NoError(t, err)
	assert.True(t, p.ErasedOn.IsZero(), "nothing was erased")
	assert.NotEmpty(t, p.GivenNames)
	trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
	assert.NotEqual(t, coaching.AuditErased, trail[len(trail)-1].Kind)

	scrub := func(_ string, data json.RawMessage) (json.RawMessage, error) {
		var o outcome
		if err := json.Unmarshal(data, &o); err != nil {
			return nil, err
		}
		o.Note = ""
		return json.Marshal(o)
	}
	rep, err := s.Erase(ctx, head, "p-1", &Options{KeepRecords: []string{"outcome"}, ScrubRecord: scrub})
	require.NoError(t, err)
	assert.Equal(t, Report{Participant: "p-1", Cases: []coaching.CaseID{c.ID}}, rep)
	got, err := env.Engine.Case(ctx, head, c.ID)
	require.NoError(t, err)
	rec, ok := got.Record("outcome")
	require.True(t, ok, "the kept record stays")
	assert.JSONEq(t, `{"result":"work"}`, string(rec.Data), "without its note")
	again, err := s.Erase(ctx, head, "p-1", nil)
	require.NoError(t, err)
	assert.True(t, again.AlreadyErased)

	closed(t, env, "p-2")
	rep, err = s.Erase(ctx, head, "p-2", nil)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.RecordsRemoved, "nil options keep no record")
}

// Retention erases only participants past their period, at most Limit a
// call; participants erased before are passed over without a new entry in
// the access log; it runs only with the engine's key.
func TestApplyRetention(t *testing.T) {
	ctx := context.Background()
	env, s, key := newEnv(t)
	closed(t, env, "p-1")
	closed(t, env, "p-2")
	closed(t, env, "p-3")
	env.Enrol(t, "short", ct.Participant(func(p *coaching.Participant) { p.ID = "p-open" }))
	_, err := s.Erase(ctx, head, "p-3", nil)
	require.NoError(t, err)
	later := env.Clock.Now().AddDate(5, 1, 0)
	rule := RetentionRule{After: coaching.Months(60), Limit: 1}

	_, err = s.ApplyRetention(ctx, nil, later, rule)
	require.Error(t, err, "no key, no retention")
	_, err = s.ApplyRetention(ctx, key, later, RetentionRule{After: coaching.Months(-1)})
	ct.RequireInvalid(t, err, "after")
	rep, err := s.ApplyRetention(ctx, key, env.Clock.Now().AddDate(4, 0, 0), rule)
	require.NoError(t, err)
	assert.Empty(t, rep.Erased, "nobody is past five years yet")

	rep, err = s.ApplyRetention(ctx, key, later, rule)
	require.NoError(t, err)
	require.Len(t, rep.Erased, 1)
	assert.Equal(t, 1, rep.Remaining, "one of p-1 and p-2 waits for the next run; p-3 was erased already")
	first := rep.Erased[0].Participant
	rep, err = s.ApplyRetention(ctx, key, later, rule)
	require.NoError(t, err)
	require.Len(t, rep.Erased, 1)
	assert.ElementsMatch(t, []coaching.ParticipantID{"p-1", "p-2"}, []coaching.ParticipantID{first, rep.Erased[0].Participant})
	assert.Zero(t, rep.Remaining)

	log, err := ct.ReadAccessLog(ctx, env.Engine, head, coaching.AccessQuery{ActorID: "system"})
	require.NoError(t, err)
	require.Len(t, log, 2, "one entry per erasure, none for the participants erased before")
	for _, e := range log {
		assert.Equal(t, RuleRetention, e.Rule)
		assert.Equal(t, coaching.OpErase, e.Operation)
	}
	rep, err = s.ApplyRetention(ctx, key, later, rule)
	require.NoError(t, err)
	assert.Empty(t, rep.Erased, "erasing twice changes nothing")
	log, err = ct.ReadAccessLog(ctx, env.Engine, head, coaching.AccessQuery{ActorID: "system"})
	require.NoError(t, err)
	assert.Len(t, log, 2)
	open, err := ct.ReadParticipant(ctx, env.Engine, head, "p-open")
	require.NoError(t, err)
	assert.True(t, open.ErasedOn.IsZero(), "an open case keeps its participant")

	err = env.Store.Update(ctx, func(tx coaching.Tx) error {
		b, err := New(env.Engine.In(tx))
		if err != nil {
			return err
		}
		_, err = b.ApplyRetention(ctx, key, later, rule)
		return err
	})
	require.Error(t, err, "retention runs its own transactions")
}
