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

// A package built on the engine reads a case through a policy-scoped view:
// the opening operation is asked of the policy, a welfare document needs
// read_welfare and its read is logged, the participant comes with the
// identity code withheld, and nothing is read for an actor the policy
// refuses.
func TestReadCaseIsPolicyScoped(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, nil)
	teacher := coaching.Actor{ID: "teacher-1", Roles: []coaching.Role{coaching.RoleTeacher}}
	curator := coaching.Actor{ID: "curator-1", Roles: []coaching.Role{coaching.RoleCurator}, Purpose: "welfare group"}
	p := ct.Participant(func(p *coaching.Participant) {
		code, err := ct.SyntheticIdentityCode(p.BirthDate, 901)
		require.NoError(t, err)
		p.IdentityCode = code
	})
	c := env.Enrol(t, coaching.ModelPilot, p, ct.TeamMember(teacher, coaching.RoleTeacher), ct.TeamMember(curator, coaching.RoleCurator))
	_, err := saveDocument(ctx, env.Engine, curator, c.ID, coaching.DocumentChange{Kind: "welfare_note", Data: json.RawMessage(`{"note":"x"}`)})
	require.NoError(t, err)
	_, err = saveDocument(ctx, env.Engine, teacher, c.ID, coaching.DocumentChange{Kind: "study_plan", Data: json.RawMessage(`{"plan":"y"}`)})
	require.NoError(t, err)

	err = env.Engine.ReadCase(ctx, teacher, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
		assert.Equal(t, c.ID, v.Case().ID)
		d, err := v.Document("study_plan", 0)
		require.NoError(t, err)
		assert.JSONEq(t, `{"plan":"y"}`, string(d.Data))
		_, err = v.Documents("welfare_note")
		assert.Equal(t, coaching.RuleWelfareRecords, ct.RequireForbidden(t, err).Rule, "a teacher reads no welfare record through a view")
		got, err := v.Participant()
		require.NoError(t, err)
		assert.True(t, got.IdentityCode.Withheld(), "the identity code is withheld")
		return nil
	})
	require.NoError(t, err)

	before := len(accessLog(t, env.Store))
	err = env.Engine.ReadCase(ctx, curator, coaching.OpReadCase, c.ID, func(v *coaching.CaseView) error {
		ds, err := v.Documents("welfare_note")
		require.NoError(t, err)
		assert.Len(t, ds, 1)
		return nil
	})
	require.NoError(t, err)
	log := accessLog(t, env.Store)
	require.Len(t, log, before+1, "the welfare read is logged, though the view was read-only")
	assert.Equal(t, coaching.OpReadWelfare, log[len(log)-1].Operation)
	assert.Equal(t, "welfare group", log[len(log)-1].Purpose)

	stranger := coaching.Actor{ID: "teacher-2", Roles: []coaching.Role{coaching.RoleTeacher}}
	called := false
	err = env.Engine.ReadCase(ctx, stranger, coaching.OpReadCase, c.ID, func(*coaching.CaseView) error { called = true; return nil })
	assert.Equal(t, coaching.RuleSupportTeam, ct.RequireForbidden(t, err).Rule)
	assert.False(t, called, "nothing is read for a refused actor")
}

// An engine bound to a transaction runs every command in it; what runs its
// own transactions refuses, and a nil transaction is an error, not a panic.
func TestBoundEngine(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, nil)
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant())
	errStop := assert.AnError
	err := env.Store.Update(ctx, func(tx coaching.Tx) error {
		b := env.Engine.In(tx)
		if _, err := b.Fire(ctx, ct.Coach, c.ID, coaching.ValoAdmit, &coaching.FireOptions{Payload: allMet()}); err != nil {
			return err
		}
		_, err := b.Tick(ctx, env.Clock.Now())
		assert.ErrorContains(t, err, "runs its own transactions")
		now := env.Clock.Now()
		_, err = tx.Enqueue(ctx, coaching.Notice{ID: "host-1", CaseID: c.ID, Kind: "host", Recipient: coaching.Recipient{ID: ct.Coach.ID},
			Subject: "s", Body: "b", Status: coaching.NoticePending, CreatedAt: now, NotBefore: now})
		require.NoError(t, err)
		notices, err := readNotices(ctx, b, ct.Coach, c.ID)
		require.NoError(t, err)
		require.Len(t, notices, 1, "a view on the bound engine reads the outbox in the host's transaction")
		assert.Equal(t, "host-1", notices[0].ID)
		got, err := b.Case(ctx, ct.Coach, c.ID)
		require.NoError(t, err)
		assert.Equal(t, coaching.ValoInduction, got.State, "reads on the bound engine see the transaction's writes")
		return errStop // the host rolls back
	})
	require.ErrorIs(t, err, errStop)
	ct.RequireState(t, env.Engine, c.ID, coaching.ValoRecruitment)
	notices, err := readNotices(ctx, env.Engine, ct.Coach, c.ID)
	require.NoError(t, err)
	assert.Empty(t, notices, "the host's notice rolled back with it")

	_, err = env.Engine.In(nil).Case(ctx, ct.Coach, c.ID)
	assert.ErrorContains(t, err, "nil transaction")
}

// Figures are read only after the policy's read_figures rule allowed them,
// and only over the organisation it allowed.
func TestFiguresAreReadUnderThePolicy(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, nil)
	for _, org := range []coaching.OrganisationID{"school-a", "school-a", "school-b"} {
		_, err := env.Engine.Enrol(ctx, coaching.Actor{ID: "counsellor-" + string(org), Organisation: org, Roles: []coaching.Role{coaching.RoleStudyCounsellor}},
			coaching.EnrolParams{Model: coaching.ModelVALO, Participant: ct.Participant(func(p *coaching.Participant) { p.Organisation = org })})
		require.NoError(t, err)
	}
	headA := coaching.Actor{ID: "head-a", Organisation: "school-a", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	src, err := env.Engine.Figures(ctx, headA, coaching.CaseQuery{})
	require.NoError(t, err)
	assert.Equal(t, coaching.OrganisationID("school-a"), src.Query().Organisation, "an actor's own organisation by default")
	n := 0
	for row, err := range src.Rows(ctx) {
		require.NoError(t, err)
		assert.Equal(t, coaching.OrganisationID("school-a"), row.Case.Organisation)
		assert.True(t, row.HasParticipant)
		n++
	}
	assert.Equal(t, 2, n)
	var streamer coaching.CaseStreamer
	assert.Equal(t, src.Port(&streamer), streamer != nil)
	var notAPort *int
	assert.False(t, src.Port(notAPort))
	var raw coaching.Store
	assert.False(t, src.Port(&raw), "the raw store is not a port")
	assert.Nil(t, raw)
	var viewer interface {
		View(ctx context.Context, fn func(coaching.ReadTx) error) error
	}
	assert.False(t, src.Port(&viewer), "nor is any interface with a method of the store's")

	_, err = env.Engine.Figures(ctx, headA, coaching.CaseQuery{Organisation: "school-b"})
	assert.Equal(t, coaching.RuleOrganisation, ct.RequireForbidden(t, err).Rule)
	teacher := coaching.Actor{ID: "t", Organisation: "school-a", Roles: []coaching.Role{coaching.RoleTeacher}}
	_, err = env.Engine.Figures(ctx, teacher, coaching.CaseQuery{})
	ct.RequireForbidden(t, err)

	require.NoError(t, env.Engine.Read(ctx, headA, func(s *coaching.Scope) error {
		known, err := s.Enrolled("school-a", []coaching.ParticipantID{"nobody"})
		require.NoError(t, err)
		assert.Empty(t, known)
		return nil
	}))
}

// A package's own command: one policy-scoped change writes its audit
// entry, records, notices and timers with a new case version — or, when the
// function fails or forgets the audit entry, nothing at all.
func TestChangeCaseIsOneAuditedChange(t *testing.T) {
	ctx := context.Background()
	env := ct.New(t, nil)
	c := env.Enrol(t, coaching.ModelVALO, ct.Participant())
	due := env.Clock.Now().AddDate(0, 0, 7)
	got, err := env.Engine.ChangeCase(ctx, ct.Coach, coaching.OpChangeCase, c.ID, func(ch *coaching.CaseChange) error {
		require.NoError(t, ch.AddRecord("work_trial", map[string]string{"employer": "Kone Oy"}))
		ch.Notify(coaching.Notice{ID: "trial:" + string(c.ID), CaseID: c.ID, Kind: "work_trial", Recipient: coaching.Recipient{ID: ct.Tutor.ID},
			Subject: "Work trial", Body: "Starts next week", Status: coaching.NoticePending, CreatedAt: ch.Now(), NotBefore: ch.Now()})
		ch.SetTimer(coaching.Timer{Key: "trial-check:" + string(c.ID), CaseID: c.ID, Kind: "trial_check", DueAt: due})
		ch.Audit("work_trial", "work_trial_agreed", "agreed with the employer", json.RawMessage(`{"employer":"Kone Oy"}`))
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, int64(2), got.Version)
	assert.Empty(t, got.Records, "the change returns the case row: its records are beside it")
	got, err = env.Engine.Case(ctx, ct.Coach, c.ID)
	require.NoError(t, err)
	rec, ok := got.Record("work_trial")
	require.True(t, ok)
	assert.Equal(t, int64(2), rec.Seq)
	trail := ct.RequireAuditTrail(t, env.Engine, c.ID)
	last := trail[len(trail)-1]
	assert.Equal(t, "work_trial_agreed", last.Event)
	assert.Equal(t, ct.Coach.ID, last.ActorID)
	notices, err := readNotices(ctx, env.Engine, ct.Coach, c.ID)
	require.NoError(t, err)
	assert.Len(t, notices, 1)

	for _, tc := range []struct {
		name string
		fn   func(ch *coaching.CaseChange) error
	}{
		{"the function fails", func(ch *coaching.CaseChange) error {
			_ = ch.AddRecord("work_trial", map[string]string{"employer": "x"})
			ch.Audit("work_trial", "x", "", nil)
			return assert.AnError
		}},
		{"no audit entry", func(ch *coaching.CaseChange) error {
			return ch.AddRecord("work_trial", map[string]string{"employer": "x"})
		}},
		{"the engine's own audit kind", func(ch *coaching.CaseChange) error {
			ch.Audit(coaching.AuditTransition, "admit", "a phase entered without its event", nil)
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.Engine.ChangeCase(ctx, ct.Coach, coaching.OpChangeCase, c.ID, tc.fn)
			require.Error(t, err)
			assert.Equal(t, int64(2), ct.RequireState(t, env.Engine, c.ID, coaching.ValoRecruitment).Version, "nothing written")
		})
	}
	read, err := env.Engine.Case(ctx, ct.Coach, c.ID)
	require.NoError(t, err)
	require.Len(t, read.History, 1, "no change forged a phase entry")
	outsider := coaching.Actor{ID: "coach-9", Roles: []coaching.Role{coaching.RoleCoach}}
	_, err = env.Engine.ChangeCase(ctx, outsider, coaching.OpChangeCase, c.ID, func(*coaching.CaseChange) error { return nil })
	assert.Equal(t, coaching.RuleSupportTeam, ct.RequireForbidden(t, err).Rule)
}
