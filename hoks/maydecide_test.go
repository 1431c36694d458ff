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

// MayDecide answers as the decisions check: the personal tutor on the
// team and the head of studies decide; the coach on the team (whom the
// policy's decide_request allows) does not, nor the student, nor a
// student who is also staff on their own plan; a guardian, who may not
// read the proposals, is refused; another organisation's head is told the
// case does not exist. Asking writes no access-log entry.
func TestMayDecide(t *testing.T) {
	ctx := context.Background()
	e := newVoiceEnv(t)
	head := coaching.Actor{ID: "head-1", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	ownPlan := e.student
	ownPlan.Roles = append(ownPlan.Roles, coaching.RoleHeadOfStudies)
	for _, tc := range []struct {
		name  string
		actor coaching.Actor
		want  bool
	}{
		{"personal tutor", ct.Tutor, true},
		{"head of studies", head, true},
		{"coach", ct.Coach, false},
		{"student", e.student, false},
		{"student who is head of studies", ownPlan, false},
	} {
		got, err := e.svc.MayDecide(ctx, tc.actor, e.id)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
	}
	head.Organisation = "" // the kit's organisation
	log, err := ct.ReadAccessLog(ctx, e.Engine, head, coaching.AccessQuery{CaseID: e.id})
	require.NoError(t, err)
	for _, en := range log {
		assert.True(t, en.Allowed, "asking is no denial: %s %s", en.ActorID, en.Operation)
	}

	_, err = e.svc.MayDecide(ctx, guardian, e.id)
	ct.RequireForbidden(t, err)
	other := coaching.Actor{ID: "head-b", Organisation: "org-b", Roles: []coaching.Role{coaching.RoleHeadOfStudies}}
	_, err = e.svc.MayDecide(ctx, other, e.id)
	assert.NotNil(t, ct.RequireForbidden(t, err).NotFound(), "another organisation's case is answered as one that does not exist")

	// What MayDecide says is what the decision finds.
	p, err := e.svc.Propose(ctx, e.student, e.id, hoks.ProposalInput{Title: "Lisää tukea", Description: "Enemmän ohjausta"})
	require.NoError(t, err)
	_, err = e.svc.DeclineProposal(ctx, ct.Coach, e.id, p.Number, hoks.DeclineInput{BasedOn: p.Version, Reason: "ei"})
	ct.RequireForbidden(t, err)
	_, err = e.svc.DeclineProposal(ctx, ct.Tutor, e.id, p.Number, hoks.DeclineInput{BasedOn: p.Version, Reason: "Ohjausta lisätään ilman HOKS-muutosta."})
	require.NoError(t, err)
}
