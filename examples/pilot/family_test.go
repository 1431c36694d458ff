package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/absence"
	"github.com/valmennus/valmennus/coaching/attendance"
)

// The families' requests of the term: the illness reported in the morning
// kept every absence notice of the day from going out; the absences
// explained after the digest were corrected and the early-warning flag
// cleared; the week's leave was granted by the head of studies and its
// days recorded as leave.
func TestFamiliesRequests(t *testing.T) {
	ctx := context.Background()
	sim, err := simulate(ctx, Seed)
	require.NoError(t, err)
	notices, err := sim.store.Notices(ctx, coaching.NoticeQuery{})
	require.NoError(t, err)
	marksOf := func(idx int, from, to coaching.Date) []attendance.Mark {
		ms, err := sim.att.Marks(ctx, head.actor(), sim.class[idx].CaseID, from, to)
		require.NoError(t, err)
		return ms
	}
	absenceNotices := func(idx int, from, to coaching.Date) int {
		n := 0
		for _, no := range notices {
			if no.Kind == coaching.NoticeKindAbsence && no.CaseID == sim.class[idx].CaseID &&
				no.Data["date"] >= from.String() && no.Data["date"] <= to.String() {
				n++
			}
		}
		return n
	}

	// Illness reported in the morning: accepted on the guardian's word,
	// every lesson the teachers marked absent is sick, no notice.
	assert.Equal(t, absence.Accepted, sim.fam.sick.Status)
	assert.Equal(t, absence.DeciderAutomatic, sim.fam.sick.Decider)
	sick := marksOf(idxSwedish, SickDay, SickDay)
	require.Len(t, sick, 4)
	for _, m := range sick {
		assert.Equal(t, attendance.Sick, m.Status, m.Lesson)
	}
	assert.Zero(t, absenceNotices(idxSwedish, SickDay, SickDay), "no absence notice for the reported lessons")
	decided := 0
	for _, n := range notices {
		if n.Kind == absence.NoticeKindDecided && n.CaseID == sim.class[idxSwedish].CaseID {
			decided++
			assert.Equal(t, coaching.Swedish, n.Recipient.Language, "the guardian is told in their language")
			assert.Equal(t, coaching.NoticeSent, n.Status)
		}
	}
	assert.Equal(t, 1, decided)

	// Explained after the 15:00 digest: the flag was up, the correction
	// cleared it, the marks are explained with the unexplained revision
	// kept, and the guardian got a correction of the sent digest.
	assert.True(t, sim.fam.digestSent, "the digest had gone when the guardian explained")
	assert.Contains(t, sim.fam.flagsBefore, "unexplained_3_in_10")
	assert.NotContains(t, sim.fam.flagsAfter, "unexplained_3_in_10", "the flag clears after the correction")
	assert.Equal(t, absence.Accepted, sim.fam.explained.Status)
	assert.Equal(t, tutor.ID, sim.fam.explained.DecidedBy)
	explained := 0
	for _, m := range marksOf(idxEnglish, ExplainFrom, ExplainTo) {
		if m.Lesson == "L1" || m.Lesson == "L2" {
			assert.Equal(t, attendance.Explained, m.Status)
			assert.Equal(t, attendance.ReasonFamily, m.Reason)
			assert.Equal(t, 2, m.Revision, "the unexplained mark is kept in the history")
			explained++
		}
	}
	assert.Equal(t, 4, explained)
	guardians := len(sim.class[idxEnglish].Participant.Guardians)
	require.Positive(t, guardians)
	assert.Equal(t, 2*guardians, absenceNotices(idxEnglish, ExplainFrom, ExplainTo), "the two days' digests went out before the explanation")
	corrections := 0
	for _, n := range notices {
		if n.Kind == coaching.NoticeKindAbsenceCorrection && n.CaseID == sim.class[idxEnglish].CaseID {
			corrections++
		}
	}
	assert.Equal(t, 2*guardians, corrections, "each sent digest is corrected")

	// The leave: the head of studies granted it; its days are leave.
	assert.Equal(t, absence.Granted, sim.fam.leave.Status)
	assert.Equal(t, absence.DeciderHead, sim.fam.leave.Decider)
	assert.Equal(t, head.ID, sim.fam.leave.DecidedBy)
	leave := marksOf(idxLeave, LeaveFrom, LeaveTo)
	require.Len(t, leave, 20)
	for _, m := range leave {
		assert.Equal(t, attendance.Explained, m.Status)
		assert.Equal(t, attendance.ReasonLeave, m.Reason)
	}
	assert.Zero(t, absenceNotices(idxLeave, LeaveFrom, LeaveTo))
}

// The summary's line of the illness reported names no case: a case beside
// a reason of health is a health detail, and the summary is shown widely.
func TestFamilyReportNamesNoCaseWithIllness(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out))
	sim, err := simulate(context.Background(), Seed)
	require.NoError(t, err)
	sick := string(sim.class[idxSwedish].CaseID)
	found := false
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "illness rule") || strings.Contains(line, "reported illness") {
			found = true
			assert.NotContains(t, line, sick, "the line of the reported illness names no case")
		}
	}
	assert.True(t, found, "the summary tells of the reported absence")
}
