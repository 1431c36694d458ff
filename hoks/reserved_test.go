package hoks_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/memory"
	"github.com/valmennus/valmennus/coaching"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/hoks"
)

// change_hoks and approve_hoks are asked only by hoks.Service; the plan is
// a case document of kind "hoks", which Documents makes a reserved family:
// an actor the policy allows change_case (a workplace instructor on the
// team) cannot write — nor approve — a plan through Engine.ChangeCase +
// CaseChange.SaveDocument, and neither can one allowed change_hoks (the
// tutor) write around approve_hoks and the plan's validation. (Review 16b.)
func TestPlanWrittenOnlyThroughService(t *testing.T) {
	ctx := context.Background()
	e := newHoksEnv(t)
	wi := coaching.Actor{ID: "wi-1", Roles: []coaching.Role{coaching.RoleWorkplaceInstructor}}
	m := ct.TeamMember(wi, coaching.RoleWorkplaceInstructor)
	_, err := e.Engine.ChangeCase(ctx, ct.Tutor, coaching.OpChangeCase, e.id, func(ch *coaching.CaseChange) error {
		return ch.ChangeTeam(coaching.TeamChange{Add: &m, Reason: "tiimi"})
	})
	require.NoError(t, err)
	v1, err := e.svc.SaveDraft(ctx, ct.Tutor, e.id, 0, draftPlan(t))
	require.NoError(t, err)
	_, err = e.svc.SaveDraft(ctx, wi, e.id, v1.Number, draftPlan(t))
	require.ErrorIs(t, err, coaching.ErrForbidden, "the service refuses the instructor")

	data, err := hoks.Encode(draftPlan(t))
	require.NoError(t, err)
	for _, w := range []struct {
		actor coaching.Actor
		op    coaching.Operation
	}{{wi, coaching.OpChangeCase}, {ct.Tutor, coaching.OpChangeCase}, {ct.Tutor, coaching.OpChangeHOKS}, {ct.Tutor, coaching.OpApproveHOKS}} {
		_, err = e.Engine.ChangeCase(ctx, w.actor, w.op, e.id, func(ch *coaching.CaseChange) error {
			_, err := ch.SaveDocument(coaching.DocumentChange{Kind: hoks.DocumentKind, BasedOn: v1.Number,
				Status: string(hoks.StatusApproved), Data: json.RawMessage(data), Event: "hoks_approved"})
			return err
		})
		require.ErrorIs(t, err, coaching.ErrInvalid, "%s under %s wrote the HOKS around the service", w.actor.ID, w.op)
		assert.Contains(t, err.Error(), "documents of the kind hoks are kept by the feature")
	}
	cur, err := e.svc.Current(ctx, ct.Tutor, e.id)
	require.NoError(t, err)
	assert.Equal(t, v1.Number, cur.Number, "current version by %s, status %s", cur.By, cur.Status)
	assert.Equal(t, hoks.StatusDraft, cur.Status)

	// The service itself still writes: the tutor approves through it.
	v2, err := e.svc.Approve(ctx, ct.Tutor, e.id, v1.Number, coaching.DateOf(e.Clock.Now()))
	require.NoError(t, err)
	assert.Equal(t, hoks.StatusApproved, v2.Status)
}

// On an engine not given Documents the plan would be an ordinary case
// document anyone allowed change_case could overwrite: the service is
// refused when the host wires it, naming the missing registration.
func TestServiceRefusesUnguardedEngine(t *testing.T) {
	bare := ct.New(t, &ct.Options{Start: time.Date(2024, 4, 2, 10, 0, 0, 0, coaching.Helsinki)})
	_, err := hoks.NewService(bare.Engine)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Options.Documents")
	assert.Contains(t, err.Error(), `"hoks"`)
	assert.Contains(t, err.Error(), "hoks.Documents()")
}

// Documents registers the plan beside the proposals' families, and the
// deprecated ProposalDocuments returns the same, so a host that registered
// it keeps the plan guarded.
func TestDocumentsHoldPlanFamily(t *testing.T) {
	docs := hoks.Documents()
	require.NotEmpty(t, docs)
	plan := docs[0]
	assert.Equal(t, hoks.DocumentKind, plan.Prefix)
	assert.True(t, plan.Exact && plan.Reserved && !plan.Private)
	assert.Equal(t, coaching.OpReadHOKSSummary, plan.Guard)
	assert.Len(t, hoks.ProposalDocuments(), len(docs))
	_, err := coaching.New(memory.New(), &coaching.Options{Models: []*coaching.Model{coaching.Pilot()}, Documents: docs})
	require.NoError(t, err, "the plan's exact family does not overlap the proposals' hoks_ prefixes")
}
