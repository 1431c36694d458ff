package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/valmennus/valmennus/adapters/smtp"
	"github.com/valmennus/valmennus/coaching"
	"github.com/valmennus/valmennus/coaching/caseload"
	ct "github.com/valmennus/valmennus/coaching/coachingtest"
	"github.com/valmennus/valmennus/coaching/referral"
)

func TestRunIsDeterministic(t *testing.T) {
	var first, second bytes.Buffer
	require.NoError(t, run(&first))
	require.NoError(t, run(&second))
	assert.Equal(t, first.String(), second.String())

	out := first.String()
	lines := strings.Count(out, "\n")
	assert.GreaterOrEqual(t, lines, 40, "a readable summary")
	assert.LessOrEqual(t, lines, 80, "a compact summary")
	for _, want := range []string{
		"Class: 25 students",
		"minors 23 at the start, 22 at the end",
		"1 without contact details",
		"25/25 mapped",
		"delivered on the civil date of the absence:",
		"0 on or after",
		"adult without consent: 0 notices",
		"cleared by a correction: unexplained_3_in_10",
		"→ completed",
		"Cases at the end of the term: 25",
		"Personal tutor's caseload",
	} {
		assert.Contains(t, out, want)
	}

	// Nothing personal or confidential: no identity codes, names, addresses
	// or the referral's reason.
	idCode := regexp.MustCompile(`\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]`)
	assert.False(t, idCode.MatchString(out), "an identity-code-like string in the output")
	assert.NotContains(t, out, "@", "no e-mail addresses")
	assert.NotContains(t, out, "univaikeuksista", "no referral reason")
	for _, st := range Cohort(Seed) {
		p := st.Participant
		assert.NotContains(t, out, p.IdentityCode.Reveal())
		assert.NotContains(t, out, p.FamilyName, "no names")
		for _, g := range p.Guardians {
			assert.NotContains(t, out, g.Name)
		}
	}
}

func TestTermFacts(t *testing.T) {
	ctx := context.Background()
	sim, err := simulate(ctx, Seed)
	require.NoError(t, err)

	// 25 cases in the pilot model, every one with its initial situation.
	n := 0
	for c, err := range sim.store.Cases(ctx, coaching.CaseQuery{Model: coaching.ModelPilot}) {
		require.NoError(t, err)
		n++
		var mapped bool
		require.NoError(t, sim.store.View(ctx, func(tx coaching.ReadTx) error {
			records, err := tx.Records(ctx, c.ID, coaching.RecordQuery{})
			for _, r := range records {
				mapped = mapped || r.Name == coaching.RecordInitialSituation
			}
			return err
		}))
		assert.True(t, mapped, c.ID)
	}
	assert.Equal(t, ClassSize, n)

	// Early warning: flags were raised, and cleared, one by a correction.
	raised, cleared := 0, 0
	for _, v := range sim.raised {
		raised += v
	}
	for _, v := range sim.cleared {
		cleared += v
	}
	assert.Positive(t, raised)
	assert.Positive(t, cleared)
	require.NotEmpty(t, sim.byCorrection)
	assert.Equal(t, sim.class[idxCorrection].CaseID, sim.byCorrection[0].CaseID)

	notices, err := sim.store.Notices(ctx, coaching.NoticeQuery{})
	require.NoError(t, err)
	sent := map[string]bool{}
	guardianNotices := map[coaching.CaseID]int{}
	var before18, corrections, absences int
	for _, n := range notices {
		require.NotEqual(t, coaching.NoticePending, n.Status, n.ID)
		require.NotEqual(t, coaching.NoticeDead, n.Status, n.ID)
		if n.Status == coaching.NoticeSent {
			sent[n.ID] = true
		}
		if n.Recipient.Role == coaching.RoleGuardian && n.Status == coaching.NoticeSent {
			guardianNotices[n.CaseID]++
		}
		switch {
		case n.Kind == coaching.NoticeKindAbsence && n.Status == coaching.NoticeSent:
			absences++
			// Delivered on the Helsinki civil date of the absence.
			assert.Equal(t, n.Data["date"], coaching.DateOf(n.SentAt).String(), n.ID)
			if n.CaseID == sim.class[idxTurns18].CaseID {
				// None from the 18th birthday on: the student is an adult
				// who has not consented.
				assert.Less(t, n.Data["date"], Birthday18.String(), n.ID)
				before18++
			}
		case n.Kind == coaching.NoticeKindAbsenceCorrection:
			corrections++
		}
	}
	assert.Positive(t, absences)
	assert.Positive(t, before18, "the guardians were told while the student was a minor")
	assert.Positive(t, corrections, "a correction after the digest gives a correction notice")
	assert.Positive(t, guardianNotices[sim.class[idxConsent].CaseID], "the adult who consents")
	assert.Zero(t, guardianNotices[sim.class[idxNoConsent].CaseID], "the adult without consent")
	assert.Len(t, sim.unreachable, 1, "the guardian without contact details is reported")

	// The SMTP server received exactly the notices marked sent, once each.
	require.Len(t, sim.received, len(sent))
	got := map[string]bool{}
	for _, m := range sim.received {
		id, _, err := smtp.ParseMessageID(m.MessageID)
		require.NoError(t, err)
		assert.False(t, got[id], "received twice: %s", id)
		got[id] = true
	}
	assert.Equal(t, sent, got)

	// The referral went through its states; its reason stays with welfare staff.
	st := sim.class[idxReferral]
	ref, err := sim.refs.Get(ctx, tutor.actor(), st.CaseID, sim.ref.id)
	require.NoError(t, err)
	assert.Equal(t, referral.Completed, ref.Status)
	assert.Empty(t, ref.Reason, "the tutor does not see the reason")
	ref, err = sim.refs.Get(ctx, cur.actor(), st.CaseID, sim.ref.id)
	require.NoError(t, err)
	assert.Equal(t, referralReason, ref.Reason, "the curator does")
}

// Nothing the example prints, logs (at debug level) or sends by e-mail
// holds an identity code, although every student has one in the store.
func TestNoIdentityCodeInOutputLogsOrMail(t *testing.T) {
	var logs bytes.Buffer
	saved := logger
	logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() { logger = saved })
	ctx := context.Background()
	sim, err := simulate(ctx, Seed)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, sim.report(ctx, &out))

	for _, st := range sim.class {
		code, err := ct.Read(ctx, sim.eng, head.actor(), func(s *coaching.Scope) (coaching.IdentityCode, error) { return s.IdentityCode(st.Participant.ID) })
		require.NoError(t, err)
		require.False(t, code.IsZero(), "the scan means something only if the codes are there")
	}
	require.NotZero(t, logs.Len(), "the engine logged at debug level")
	require.NotEmpty(t, sim.received)
	ct.RequireNoIdentityCodes(t, "the printed report", out.String())
	ct.RequireNoIdentityCodes(t, "the logs", logs.String())
	for _, m := range sim.received {
		ct.RequireNoIdentityCodes(t, "e-mail "+m.MessageID, string(m.Data))
	}
	notices, err := sim.store.Notices(ctx, coaching.NoticeQuery{})
	require.NoError(t, err)
	for _, n := range notices {
		b, err := json.Marshal(n)
		require.NoError(t, err)
		ct.RequireNoIdentityCodes(t, "notice "+n.ID+" as JSON", string(b))
	}
	for _, st := range sim.class {
		p, err := ct.Read(ctx, sim.eng, head.actor(), func(s *coaching.Scope) (coaching.Participant, error) {
			return s.Participant(coaching.OpReadParticipant, st.Participant.ID)
		})
		require.NoError(t, err)
		b, err := json.Marshal(p)
		require.NoError(t, err)
		ct.RequireNoIdentityCodes(t, "a participant as JSON", string(b))
	}
}

// -h prints the usage and exits 0 without simulating anything; a flag or
// argument the program does not take is a usage error (2), also without
// simulating.
func TestCommandLine(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"-h"}, 0, "Usage: go run ./examples/pilot"},
		{[]string{"--help"}, 0, "Usage: go run ./examples/pilot"},
		{[]string{"-seed", "1"}, 2, "flag provided but not defined: -seed"},
		{[]string{"extra"}, 2, `unexpected argument "extra"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, tc.status, cli(tc.args, &stdout, &stderr))
			assert.Empty(t, stdout.String(), "nothing simulated")
			assert.Contains(t, stderr.String(), tc.stderr)
			assert.Contains(t, stderr.String(), "Usage:")
		})
	}
}

// The personal tutor's caseload at the three moments: her open cases in
// urgency order, and her alerts raised by the nightly review, taken on and
// resolved.
func TestTutorsCaseload(t *testing.T) {
	ctx := context.Background()
	sim, err := simulate(ctx, Seed)
	require.NoError(t, err)
	require.Len(t, sim.moments, len(caseloadMoments))
	var acknowledged bool
	resolved := 0
	for i, m := range sim.moments {
		assert.Equal(t, caseloadMoments[i], m.on)
		acknowledged = acknowledged || m.acknowledged > 0
		assert.GreaterOrEqual(t, m.resolved, resolved, "resolved alerts stay resolved")
		resolved = m.resolved
		// Flagged cases first (none is overdue: the pilot model's phases
		// run the whole year), then the rest, each by oldest contact.
		rank := func(r caseload.Row) int {
			if len(r.Flags) > 0 || r.OpenAlerts > 0 {
				return 0
			}
			return 1
		}
		for k := 1; k < len(m.rows); k++ {
			a, b := m.rows[k-1], m.rows[k]
			require.LessOrEqual(t, rank(a), rank(b), "%s: %s before %s", m.on, a.CaseID, b.CaseID)
			if rank(a) == rank(b) {
				require.False(t, b.LastContact.Before(a.LastContact), "%s: %s before %s", m.on, a.CaseID, b.CaseID)
			}
		}
	}
	assert.True(t, acknowledged, "an alert taken on and not yet resolved at one of the moments")
	assert.Len(t, sim.moments[0].rows, 25)
	assert.Len(t, sim.moments[2].rows, 24, "the redirected student's case is closed")
	assert.Equal(t, sim.clRaised, sim.moments[2].open+sim.moments[2].acknowledged+sim.moments[2].resolved, "every alert raised is the tutor's")
	assert.Equal(t, sim.clCleared+sim.tutorResolved, sim.moments[2].resolved)
	assert.Positive(t, sim.tutorResolved)
}
