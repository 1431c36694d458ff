package hoks_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/hoks"
)

// The education provider draws the HOKS up and approves it (Act 531/2017
// §44; eHOKS's approver is the provider's staff): on a team with a
// workplace instructor, a peer coach, a curator and a teacher, the
// instructor and the peer coach read the plan (the instructor takes part
// in drafting its workplace parts) but neither write nor approve it; the
// curator writes to a draft but does not approve it or move it through
// its lifecycle; the teacher does both. Each refusal changes nothing and
// is one access-log entry naming the operation and the rule.
func TestWhoWritesAndApprovesTheHOKS(t *testing.T) {
	ctx := context.Background()
	e := newHoksEnv(t)
	today := coaching.DateOf(e.Clock.Now())
	wi := coaching.Actor{ID: "wi-1", Roles: []coaching.Role{coaching.RoleWorkplaceInstructor}}
	peer := coaching.Actor{ID: "peer-1", Roles: []coaching.Role{coaching.RolePeerCoach}}
	curator := coaching.Actor{ID: "curator-1", Roles: []coaching.Role{coaching.RoleCurator}}
	teacher := coaching.Actor{ID: "teacher-1", Roles: []coaching.Role{coaching.RoleTeacher}}
	for _, a := range []coaching.Actor{wi, peer, curator, teacher} {
		m := ct.TeamMember(a, a.Roles[0])
		_, err := e.Engine.ChangeCase(ctx, ct.Tutor, coaching.OpChangeCase, e.id, func(ch *coaching.CaseChange) error {
			return ch.ChangeTeam(coaching.TeamChange{Add: &m, Reason: "tiimi"})
		})
		require.NoError(t, err)
	}
	v1, err := e.svc.SaveDraft(ctx, ct.Tutor, e.id, 0, draftPlan(t))
	require.NoError(t, err)

	refused := func(t *testing.T, err error, op coaching.Operation, rule string) {
		t.Helper()
		entries, aerr := ct.ReadAccessLog(ctx, e.Engine, ct.Staff, coaching.AccessQuery{})
		require.NoError(t, aerr)
		fe := ct.RequireForbidden(t, err)
		assert.Equal(t, rule, fe.Rule)
		cur, cerr := e.svc.Current(ctx, ct.Tutor, e.id)
		require.NoError(t, cerr)
		assert.Equal(t, v1.Number, cur.Number, "a refusal stores no version")
		require.NotEmpty(t, entries)
		last := entries[len(entries)-1]
		assert.False(t, last.Allowed)
		assert.Equal(t, op, last.Operation)
		assert.Equal(t, rule, last.Rule)
	}
	for _, a := range []coaching.Actor{wi, peer} {
		t.Run(string(a.Roles[0]), func(t *testing.T) {
			got, err := e.svc.Current(ctx, a, e.id)
			require.NoError(t, err, "reads the plan")
			assert.Equal(t, v1.Number, got.Number)
			_, err = e.svc.SaveDraft(ctx, a, e.id, v1.Number, draftPlan(t))
			refused(t, err, coaching.OpChangeHOKS, coaching.RuleSupportTeam)
			_, err = e.svc.Approve(ctx, a, e.id, v1.Number, today)
			refused(t, err, coaching.OpApproveHOKS, coaching.RuleSupportTeam)
		})
	}
	t.Run("curator", func(t *testing.T) {
		_, err := e.svc.Approve(ctx, curator, e.id, v1.Number, today)
		refused(t, err, coaching.OpApproveHOKS, coaching.RuleHOKSApprovers)
		v2, err := e.svc.SaveDraft(ctx, curator, e.id, v1.Number, draftPlan(t))
		require.NoError(t, err, "welfare staff write to the draft")
		v1 = v2
		_, err = e.svc.Approve(ctx, curator, e.id, v2.Number, today)
		refused(t, err, coaching.OpApproveHOKS, coaching.RuleHOKSApprovers)
	})
	t.Run("teacher", func(t *testing.T) {
		v, err := e.svc.Approve(ctx, teacher, e.id, v1.Number, today)
		require.NoError(t, err)
		assert.Equal(t, hoks.StatusApproved, v.Status)
		v1 = v
		// Moving the approved plan on is the approvers' too.
		_, err = e.svc.Start(ctx, curator, e.id, v.Number)
		refused(t, err, coaching.OpApproveHOKS, coaching.RuleHOKSApprovers)
		_, err = e.svc.Start(ctx, peer, e.id, v.Number)
		refused(t, err, coaching.OpApproveHOKS, coaching.RuleSupportTeam)
		_, err = e.svc.Start(ctx, teacher, e.id, v.Number)
		require.NoError(t, err)
	})
}
