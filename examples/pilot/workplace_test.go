package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/hoks/workplace"
)

// The pilot runs one workplace period from the agreement to the TEP
// survey: the instructor joins the team when it is signed, the instructor
// and the tutor are told before the start and the end, the interruption is
// offered for the plan but not written into it, and the survey is queued
// at the end and reaches the instructor when its answer window opens.
func TestWorkplacePeriod(t *testing.T) {
	ctx := context.Background()
	sim, err := simulate(ctx, Seed)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, sim.reportWorkplace(ctx, &out))
	assert.Contains(t, out.String(), "Workplace period tpj-pilot-05-1 of oppilaitos-1:pilot-05 (training agreement 2026-10-19 – 2026-12-11): drafted 2026-09-28, signed 2026-10-05")
	assert.Contains(t, out.String(), "interrupted 1 time(s) (1 offered for the HOKS), ended 2026-12-11; notices 2 before the start, 2 before the end")
	assert.Contains(t, out.String(), "TEP survey (tyopaikkajakson_suorittaneet, heratepvm 2026-12-11) queued, answer window 2027-01-01 – 2027-01-30, sent to the workplace instructor 2027-01-01")

	st := sim.class[idxWorkplace]
	p, err := sim.work.periods.Get(ctx, tutor.actor(), st.CaseID, workplacePeriodID)
	require.NoError(t, err)
	assert.Equal(t, workplace.Ended, p.Status)
	assert.Equal(t, []workplace.Interruption{{Start: WorkplaceInterrupt, End: WorkplaceResume.AddDays(-1)}}, p.Interruptions)
	assert.Empty(t, p.TEP.Excluded)
	inForce, err := sim.work.plans.InForce(ctx, tutor.actor(), st.CaseID)
	require.NoError(t, err)
	assert.Empty(t, inForce.Plan.VocationalUnits[0].Methods[1].Interruptions, "the plan is not written")

	c, err := sim.eng.Case(ctx, tutor.actor(), st.CaseID)
	require.NoError(t, err)
	var onTeam bool
	for _, m := range c.Team {
		onTeam = onTeam || m.ActorID == workplaceInstructor && m.Role == coaching.RoleWorkplaceInstructor
	}
	assert.True(t, onTeam, "the instructor joined the team")
	var events []string
	require.NoError(t, sim.store.View(ctx, func(tx coaching.ReadTx) error {
		trail, err := tx.AuditTrail(ctx, st.CaseID, 0)
		for _, a := range trail {
			events = append(events, a.Event)
		}
		return err
	}))
	assert.Subset(t, events, []string{"workplace_drafted", "team_add:workplace_instructor", "workplace_signed", "workplace_running",
		"workplace_interrupted", "workplace_ended"}, "every step and the team change are audited")

	notices, err := sim.store.Notices(ctx, coaching.NoticeQuery{CaseID: st.CaseID})
	require.NoError(t, err)
	type got struct {
		to   string
		sent coaching.Date
	}
	byKind := map[string][]got{}
	for _, n := range notices {
		switch n.Kind {
		case workplace.NoticeKindStarting, workplace.NoticeKindEnding, workplace.NoticeKindTEP:
			require.Equal(t, coaching.NoticeSent, n.Status, n.ID)
			byKind[n.Kind] = append(byKind[n.Kind], got{n.Recipient.ID, coaching.DateOf(n.SentAt)})
			if n.Kind == workplace.NoticeKindTEP {
				assert.Equal(t, p.TEP.NoticeID, n.ID)
				assert.Equal(t, workplacePeriodID, n.Data["yksiloiva_tunniste"])
				assert.Equal(t, "2026-12-11", n.Data["heratepvm"])
			}
		}
	}
	assert.ElementsMatch(t, []got{{workplaceInstructor, coaching.NewDate(2026, 10, 12)}, {tutor.ID, coaching.NewDate(2026, 10, 12)}}, byKind[workplace.NoticeKindStarting])
	assert.ElementsMatch(t, []got{{workplaceInstructor, coaching.NewDate(2026, 12, 4)}, {tutor.ID, coaching.NewDate(2026, 12, 4)}}, byKind[workplace.NoticeKindEnding])
	assert.Equal(t, []got{{workplaceInstructor, TEPOpens}}, byKind[workplace.NoticeKindTEP])
}
