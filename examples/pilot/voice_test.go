package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks"
)

// The pilot shows a student's HOKS proposal accepted into a new version:
// the summary says so, the plan in force has the period moved, the tutor
// was told by e-mail, and the student sees the decision but not the
// tutor's note.
func TestStudentsHOKSProposal(t *testing.T) {
	ctx := context.Background()
	sim, err := simulate(ctx, Seed)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, sim.reportVoice(&out))
	assert.Contains(t, out.String(), `the student's proposal 1 "Työpaikalla oppimisen jakso tammikuuhun" (2026-10-05) accepted 2026-10-06 by tutor-1`)
	assert.Contains(t, out.String(), "into version 3, approved as version 4: workplace period 2026-11-02–2026-12-18 → 2027-01-11–2027-03-05")
	assert.Contains(t, out.String(), "open proposals in the guardians' summary 1 → 0")

	st := sim.class[idxVoice]
	plans := sim.voice.plans
	inForce, err := plans.InForce(ctx, tutor.actor(), st.CaseID)
	require.NoError(t, err)
	assert.Equal(t, int64(4), inForce.Number)
	assert.Equal(t, hoks.StatusApproved, inForce.Status)
	m := inForce.Plan.VocationalUnits[0].Methods[1]
	assert.Equal(t, voiceMoved, hoks.Span{Start: m.Start, End: m.End})
	first, err := plans.Version(ctx, tutor.actor(), st.CaseID, 2)
	require.NoError(t, err)
	diff := hoks.Diff(first.Plan, inForce.Plan)
	kinds := map[hoks.ChangeKind]int{}
	for _, c := range diff {
		kinds[c.Kind]++
	}
	assert.Equal(t, map[hoks.ChangeKind]int{hoks.PeriodMoved: 1, hoks.ApprovalChanged: 1}, kinds, "the period moved and the plan re-approved: %v", diff)

	student := coaching.Actor{ID: string(st.Participant.ID), Organisation: st.Participant.Organisation, Roles: []coaching.Role{coaching.RoleStudent},
		Relations: []coaching.Relation{{Kind: coaching.RelationSelf, Participant: st.Participant.ID}}}
	mine, err := plans.Proposal(ctx, student, st.CaseID, 1)
	require.NoError(t, err)
	assert.Equal(t, hoks.ProposalAccepted, mine.Status)
	assert.Empty(t, mine.StaffNote)
	theirs, err := plans.Proposal(ctx, tutor.actor(), st.CaseID, 1)
	require.NoError(t, err)
	assert.Equal(t, "Työpaikan kanssa sovittu puhelimessa.", theirs.StaffNote)

	notices, err := sim.store.Notices(ctx, coaching.NoticeQuery{CaseID: st.CaseID})
	require.NoError(t, err)
	told := 0
	for _, n := range notices {
		if n.Kind == hoks.NoticeKindProposalSubmitted {
			told++
			assert.Equal(t, tutor.ID, n.Recipient.ID)
			assert.Equal(t, coaching.NoticeSent, n.Status)
			assert.Equal(t, VoiceProposeDay, coaching.DateOf(n.SentAt))
		}
	}
	assert.Equal(t, 1, told, "the personal tutor was told once")
}
